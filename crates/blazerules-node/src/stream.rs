//! `runStream` glue: the Kafka loop of `blazerules-stream` on a thread of its own (never the
//! JS thread, never the libuv pool). Progress and the outcome come back to JS through
//! threadsafe functions; `NativeStreamHandle.stop()` asks the loop to drain and finish.
//!
//! The loop reads its rules from a [`NativeRuleCell`] at each batch; `RuleEngine` keeps one
//! per engine and updates it on every successful load (the hot swap).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use blazerules_stream::{OutputMode, RuleCell, StreamConfig, StreamError, StreamStats};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::{coded_error, panic_message, NativeRuleSet};

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
        self.cell.set(rules.inner.clone());
    }
}

/// `StreamRunConfig` as the TypeScript layer passes it (already type-checked there).
#[napi(object)]
pub struct NativeStreamConfig {
    pub brokers: String,
    pub group_id: String,
    pub input_topics: Vec<String>,
    pub output_topic: Option<String>,
    pub dlq_topic: Option<String>,
    pub consumer_conf: Option<HashMap<String, String>>,
    pub producer_conf: Option<HashMap<String, String>>,
    pub batch_size: Option<u32>,
    pub poll_timeout_ms: Option<u32>,
    pub flush_timeout_ms: Option<u32>,
    pub workers: Option<u32>,
    pub max_messages: Option<f64>,
    pub max_batches: Option<f64>,
    pub idle_timeout_ms: Option<f64>,
    /// "rows" | "enriched" | "grouped" | "none"
    pub output_mode: Option<String>,
    pub commit_offsets: Option<bool>,
    pub connect_timeout_ms: Option<u32>,
    pub stats_interval_ms: Option<u32>,
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
    }
}

/// Non-negative integer from a JS number (the TS layer checked it; this only guards).
fn count(name: &str, v: Option<f64>) -> Result<u64> {
    match v {
        None => Ok(0),
        Some(x) if x.is_finite() && x >= 0.0 && x.fract() == 0.0 => Ok(x as u64),
        Some(_) => Err(coded_error(
            "INVALID_CONFIG",
            &format!("{name} must be a non-negative integer"),
        )),
    }
}

fn sorted(m: Option<HashMap<String, String>>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = m.unwrap_or_default().into_iter().collect();
    v.sort();
    v
}

fn to_config(c: NativeStreamConfig) -> Result<StreamConfig> {
    let d = StreamConfig::default();
    let cfg = StreamConfig {
        brokers: c.brokers,
        group_id: c.group_id,
        input_topics: c.input_topics,
        output_topic: c.output_topic,
        dlq_topic: c.dlq_topic,
        consumer_conf: sorted(c.consumer_conf),
        producer_conf: sorted(c.producer_conf),
        batch_size: c.batch_size.map_or(d.batch_size, |v| v as usize),
        poll_timeout_ms: c.poll_timeout_ms.map_or(d.poll_timeout_ms, u64::from),
        flush_timeout_ms: c.flush_timeout_ms.map_or(d.flush_timeout_ms, u64::from),
        workers: c.workers.map_or(d.workers, |v| v as usize),
        max_messages: count("maxMessages", c.max_messages)?,
        max_batches: count("maxBatches", c.max_batches)?,
        idle_timeout_ms: count("idleTimeoutMs", c.idle_timeout_ms)?,
        output_mode: match c.output_mode.as_deref() {
            None => d.output_mode,
            Some(m) => OutputMode::parse(m).map_err(stream_error)?,
        },
        commit_offsets: c.commit_offsets.unwrap_or(d.commit_offsets),
        connect_timeout_ms: c.connect_timeout_ms.map_or(d.connect_timeout_ms, u64::from),
        stats_interval_ms: c.stats_interval_ms.map_or(d.stats_interval_ms, u64::from),
    };
    cfg.validate().map_err(stream_error)?;
    Ok(cfg)
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
/// `on_stats(stats)` about once a second while it runs. Validation errors throw at once.
#[napi]
pub fn start_stream(
    cell: &NativeRuleCell,
    config: NativeStreamConfig,
    on_done: ThreadsafeFunction<NativeStreamStats>,
    on_stats: Option<
        ThreadsafeFunction<NativeStreamStats, Unknown<'static>, NativeStreamStats, Status, false>,
    >,
) -> Result<NativeStreamHandle> {
    let cfg = to_config(config)?;
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
                Err(p) => Err(coded_error(
                    "INTERNAL_ERROR",
                    &format!(
                        "blazerules internal error in runStream: {}",
                        panic_message(p.as_ref())
                    ),
                )),
            };
            drop(on_stats);
            on_done.call(result, ThreadsafeFunctionCallMode::Blocking);
        })
        .map_err(|e| {
            coded_error(
                "INTERNAL_ERROR",
                &format!("cannot start the stream thread: {e}"),
            )
        })?;
    Ok(NativeStreamHandle { stop })
}
