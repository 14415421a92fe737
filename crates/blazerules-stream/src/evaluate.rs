//! Evaluating one worker's share of a batch into output and DLQ records.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use blazerules_core::error::ErrorCode;
use blazerules_core::output::{self, LineOptions};
use blazerules_core::{BatchResult, EvalOptions, RuleSet, WindowState};
use rdkafka::message::{Message, OwnedMessage};

use crate::config::{OutputMode, StreamConfig};
use crate::produce::{dlq_out, Out};
use crate::shards::shard_id;
use crate::StreamError;

/// What evaluating one worker's share of a batch gave.
pub(crate) struct Evaluated {
    pub outs: Vec<Out>,
    pub matched: u64,
    pub skipped: u64,
    pub records: u64,
    /// Per label code: records with that decision (grouped mode).
    pub label_counts: Vec<u64>,
}

/// Evaluates one worker's messages (offset order within each partition) into output records.
/// With window rules each partition's run of messages is evaluated on its own shard
/// (`shards::shard_id`), each record at its Kafka timestamp (so a replay reproduces it).
pub(crate) fn evaluate(
    cfg: &StreamConfig,
    rules: &RuleSet,
    windows: &WindowState,
    msgs: &[&OwnedMessage],
) -> Result<Evaluated, StreamError> {
    let mut ev = Evaluated {
        outs: Vec::new(),
        matched: 0,
        skipped: 0,
        records: 0,
        label_counts: vec![0; rules.labels().len()],
    };
    if !rules.has_windows() {
        evaluate_run(cfg, rules, msgs, &EvalOptions::default(), &mut ev)?;
        return Ok(ev);
    }
    for run in msgs.chunk_by(|a, b| a.partition() == b.partition() && a.topic() == b.topic()) {
        let Some(first) = run.first() else { continue };
        let shard = shard_id(&cfg.input_topics, first.topic(), first.partition())?;
        let opts = EvalOptions {
            window_shard: Some(windows.shard(shard)),
            record_times_ms: Some(run.iter().map(|m| timestamp_ms(*m)).collect()),
            ..EvalOptions::default()
        };
        evaluate_run(cfg, rules, run, &opts, &mut ev)?;
    }
    Ok(ev)
}

/// A message's Kafka timestamp in epoch ms (create or log-append time), else the wall clock.
pub(crate) fn timestamp_ms(m: &impl Message) -> i64 {
    m.timestamp().to_millis().unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    })
}

/// Evaluates messages with `base` options (threads and samples set here) into `ev`.
fn evaluate_run(
    cfg: &StreamConfig,
    rules: &RuleSet,
    msgs: &[&OwnedMessage],
    base: &EvalOptions,
    ev: &mut Evaluated,
) -> Result<(), StreamError> {
    if msgs.is_empty() {
        return Ok(());
    }
    let opts = EvalOptions {
        threads: 1,
        max_error_samples: msgs.len(),
        ..base.clone()
    };
    match evaluate_share(rules, msgs, &opts) {
        Ok(r) => emit(cfg, rules, msgs, &r, ev),
        // The whole share could not be evaluated.
        Err((code, message)) => {
            if cfg.dlq_topic.is_none() {
                return Err(StreamError::new(
                    ErrorCode::EvalFailed,
                    format!("kafka batch evaluation failed: {code}: {message}"),
                ));
            }
            ev.outs
                .extend(msgs.iter().map(|m| dlq_out(m, code, &message)));
        }
    }
    Ok(())
}

/// Evaluates the payloads, each message one record; a panic is an `INTERNAL_ERROR`.
fn evaluate_share(
    rules: &RuleSet,
    msgs: &[&OwnedMessage],
    opts: &EvalOptions,
) -> Result<BatchResult, (ErrorCode, String)> {
    let payloads: Vec<&[u8]> = msgs.iter().map(|m| m.payload().unwrap_or(&[])).collect();
    match catch_unwind(AssertUnwindSafe(|| {
        rules.evaluate_messages(&payloads, opts)
    })) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err((e.code, e.message)),
        Err(_) => Err((ErrorCode::InternalError, "evaluation panicked".into())),
    }
}

/// Turns the share's result into output records (by `outputMode`), DLQ records and counts.
fn emit(
    cfg: &StreamConfig,
    rules: &RuleSet,
    msgs: &[&OwnedMessage],
    r: &BatchResult,
    ev: &mut Evaluated,
) {
    let version = r.ruleset_version.as_str();
    let (labels, rule_ids) = (rules.labels(), rules.rule_ids());
    let rows = LineOptions::default();
    // Messages that were not read as records, by message index.
    let bad: HashMap<u64, (ErrorCode, &str)> = r
        .error_samples
        .iter()
        .map(|s| (s.row_index, (s.code, s.message.as_str())))
        .collect();
    // Rows of earlier runs of this share (batch_row counts over the share).
    let base = ev.records;
    let mut k = 0usize;
    for (j, m) in msgs.iter().enumerate() {
        if r.input_rows.get(k).copied() == Some(j as u32) {
            let d = output::decided(r, k, labels, rule_ids);
            count(r, k, d.matched, ev);
            match cfg.output_mode {
                OutputMode::Rows => {
                    let mut line = Vec::with_capacity(160);
                    output::write_line(&mut line, base + k as u64, &d, version, &rows);
                    ev.outs.push(Out::output(None, line));
                }
                OutputMode::Enriched => ev.outs.push(Out::output(
                    m.key().map(<[u8]>::to_vec),
                    output::enriched_line(m.topic(), m.partition(), m.offset(), &d, version),
                )),
                OutputMode::Grouped | OutputMode::None => {}
            }
            k += 1;
        } else if let Some(&(code, message)) = bad.get(&(j as u64)) {
            if cfg.dlq_topic.is_some() {
                ev.outs.push(dlq_out(m, code, message));
            } else {
                ev.skipped += 1;
            }
        }
        // Otherwise a blank message: not a record, nothing to do.
    }
}

/// Counts record `k` (matched, and under its decision label).
fn count(r: &BatchResult, k: usize, matched: bool, ev: &mut Evaluated) {
    ev.records += 1;
    if matched {
        ev.matched += 1;
    }
    if let Some(slot) = r
        .decision_codes
        .get(k)
        .and_then(|&c| usize::try_from(c).ok())
        .and_then(|c| ev.label_counts.get_mut(c))
    {
        *slot += 1;
    }
}
