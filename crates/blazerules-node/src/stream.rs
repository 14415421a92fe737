//! `runStream` glue: the Kafka loop of `blazerules-stream` on a thread of its own (never the
//! JS thread, never the libuv pool). Progress and the outcome come back to JS through
//! threadsafe functions; `NativeStreamHandle.stop()` asks the loop to drain and finish.
//!
//! The loop reads its rules from a [`NativeRuleCell`] at each batch; `RuleEngine` keeps one
//! per engine and updates it on every successful load (the hot swap).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use blazerules_core::error::ErrorCode;
use blazerules_stream::{PartitionLag, RuleCell, StreamConfig, StreamError, StreamStats};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::guard::{coded_error, internal_error};
use crate::load::NativeRuleSet;

/// The rule set a running stream evaluates with (shared with the stream's thread).
#[napi]
pub struct NativeRuleCell {
    cell: RuleCell,
}

#[napi]
impl NativeRuleCell {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        NativeRuleCell {
            cell: RuleCell::new(),
        }
    }

    /// Makes `rules` the rule set of every stream reading this cell, from their next batch on.
    #[napi]
    pub fn set(&self, rules: &NativeRuleSet) {
        self.cell.set(rules.inner.clone(), rules.windows.clone());
    }
}

/// `StreamRunStats`.
#[napi(object)]
#[derive(Clone)]
pub struct NativeStreamStats {
    pub batches: f64,
    pub messages: f64,
    pub matched: f64,
    pub emitted: f64,
    pub skipped: f64,
    pub dlq_routed: f64,
    pub delivery_errors: f64,
    pub eval_ms: f64,
    pub elapsed_ms: f64,
    pub outages: f64,
    pub outage_ms: f64,
    pub outage_open_ms: f64,
    pub window_replay_records: f64,
    pub window_replay_ms: f64,
    pub window_replay_short: f64,
    pub consumer_lag: Vec<NativePartitionLag>,
    pub consumer_lag_total: f64,
}

/// One entry of `StreamRunStats.consumerLag`.
#[napi(object)]
#[derive(Clone)]
pub struct NativePartitionLag {
    pub topic: String,
    pub partition: i32,
    pub lag: f64,
}

fn to_js_lag(l: &PartitionLag) -> NativePartitionLag {
    NativePartitionLag {
        topic: l.topic.clone(),
        partition: l.partition,
        lag: l.lag as f64,
    }
}

fn to_js_stats(s: &StreamStats) -> NativeStreamStats {
    NativeStreamStats {
        batches: s.batches as f64,
        messages: s.messages as f64,
        matched: s.matched as f64,
        emitted: s.emitted as f64,
        skipped: s.skipped as f64,
        dlq_routed: s.dlq_routed as f64,
        delivery_errors: s.delivery_errors as f64,
        eval_ms: s.eval_ms,
        elapsed_ms: s.elapsed_ms,
        outages: s.outages as f64,
        outage_ms: s.outage_ms,
        outage_open_ms: s.outage_open_ms,
        window_replay_records: s.window_replay_records as f64,
        window_replay_ms: s.window_replay_ms,
        window_replay_short: s.window_replay_short as f64,
        consumer_lag: s.consumer_lag.iter().map(to_js_lag).collect(),
        consumer_lag_total: s.consumer_lag_total as f64,
    }
}

fn stream_error(e: StreamError) -> Error {
    coded_error(e.code, &e.message)
}

/// A running stream: `stop()` asks it to finish the batch in hand, flush, commit and resolve.
#[napi]
pub struct NativeStreamHandle {
    stop: Arc<AtomicBool>,
}

#[napi]
impl NativeStreamHandle {
    #[napi]
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Starts the loop on a new thread. `on_done(err, stats)` is called once when it ends;
/// `on_stats(stats)` about once a second while it runs. `config` is the `StreamRunConfig`
/// object as given to `runStream`: shaped and validated by `StreamConfig::from_js` (the only
/// validation); errors throw at once.
#[napi]
pub fn start_stream(
    cell: &NativeRuleCell,
    config: serde_json::Value,
    on_done: ThreadsafeFunction<NativeStreamStats>,
    on_stats: Option<
        ThreadsafeFunction<NativeStreamStats, Unknown<'static>, NativeStreamStats, Status, false>,
    >,
) -> Result<NativeStreamHandle> {
    let cfg = StreamConfig::from_js(&config).map_err(stream_error)?;
    let rules = cell.cell.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = stop.clone();
    std::thread::Builder::new()
        .name("blazerules-stream".into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut report = |s: &StreamStats| {
                    if let Some(f) = &on_stats {
                        f.call(to_js_stats(s), ThreadsafeFunctionCallMode::NonBlocking);
                    }
                };
                blazerules_stream::run(&cfg, &rules, &stop_flag, &mut report)
            }));
            let result = match outcome {
                Ok(Ok(stats)) => Ok(to_js_stats(&stats)),
                Ok(Err(e)) => Err(stream_error(e)),
                Err(p) => Err(internal_error("runStream", p.as_ref())),
            };
            drop(on_stats);
            on_done.call(result, ThreadsafeFunctionCallMode::Blocking);
        })
        .map_err(|e| {
            coded_error(
                ErrorCode::InternalError,
                &format!("cannot start the stream thread: {e}"),
            )
        })?;
    Ok(NativeStreamHandle { stop })
}
