//! Window state glue (service.md §1): each evaluate call's `{ partition, nowMs }` picks its
//! state shard and clock; `resetWindowState` and `windowStats` on the engine's state. The
//! state lives in the engine's `NativeEvalConfig` (one per `RuleEngine`), so it outlives
//! rules reloads.

use std::sync::Arc;

use blazerules_core::error::ErrorCode;
use blazerules_core::{EvalOptions, RuleSet, WindowStats};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::guard::coded_error;
use crate::options::{call_settings, NativeEvalConfig};

/// A call's options (`EvaluateOptions` in src/types.ts; checked by `options::call_settings`).
#[napi(object)]
#[derive(Clone, Default)]
pub struct NativeCallOptions {
    pub partition: Option<f64>,
    pub now_ms: Option<f64>,
    /// Internal (`blazerules serve`): also write each record's POST /v1/decide answer, in the
    /// same call (`NativeBatch.answers`).
    pub answers: Option<bool>,
}

/// `engine.windowStats()`.
#[napi(object)]
pub struct NativeWindowStats {
    pub entities: f64,
    pub buckets: f64,
    pub bytes: f64,
    pub evicted: f64,
}

impl From<WindowStats> for NativeWindowStats {
    fn from(s: WindowStats) -> Self {
        NativeWindowStats {
            entities: s.entities as f64,
            buckets: s.buckets as f64,
            bytes: s.bytes as f64,
            evicted: s.evicted as f64,
        }
    }
}

/// The options of one call to `rules`: the engine's, plus the shard of the call's partition
/// when the rules have windows and the call's clock when it names one.
pub(crate) fn call_options(
    rules: &RuleSet,
    config: &NativeEvalConfig,
    call: Option<&NativeCallOptions>,
) -> Result<Arc<EvalOptions>> {
    let call = call.cloned().unwrap_or_default();
    let (partition, now_ms) = call_settings(call.partition, call.now_ms)
        .map_err(|m| coded_error(ErrorCode::InvalidArgument, &m))?;
    if !rules.has_windows() && now_ms.is_none() {
        return Ok(config.opts.clone());
    }
    Ok(Arc::new(EvalOptions {
        window_shard: rules.has_windows().then(|| config.windows.shard(partition)),
        now_ms,
        ..(*config.opts).clone()
    }))
}

#[napi]
impl NativeEvalConfig {
    /// Forgets the window state of `partition`, or of every partition.
    #[napi]
    pub fn reset_window_state(&self, partition: Option<f64>) -> Result<()> {
        let p = match partition {
            None => None,
            Some(p) => Some(
                call_settings(Some(p), None)
                    .map_err(|m| coded_error(ErrorCode::InvalidArgument, &m))?
                    .0,
            ),
        };
        self.windows.reset(p);
        Ok(())
    }

    /// Entities, buckets, estimated bytes and evictions over every shard.
    #[napi]
    pub fn window_stats(&self) -> NativeWindowStats {
        self.windows.stats().into()
    }
}
