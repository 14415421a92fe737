//! Evaluating one worker's share of a batch into output and DLQ records.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use blazerules_core::error::ErrorCode;
use blazerules_core::output::{self, LineOptions};
use blazerules_core::{BatchResult, EvalOptions, RuleSet};
use rdkafka::message::{Message, OwnedMessage};

use crate::config::{OutputMode, StreamConfig};
use crate::produce::{dlq_out, Out};
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
pub(crate) fn evaluate(
    cfg: &StreamConfig,
    rules: &RuleSet,
    msgs: &[&OwnedMessage],
) -> Result<Evaluated, StreamError> {
    let mut ev = Evaluated {
        outs: Vec::new(),
        matched: 0,
        skipped: 0,
        records: 0,
        label_counts: vec![0; rules.labels().len()],
    };
    if msgs.is_empty() {
        return Ok(ev);
    }
    match evaluate_share(rules, msgs) {
        Ok(r) => emit(cfg, rules, msgs, &r, &mut ev),
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
    Ok(ev)
}

/// Evaluates the payloads, each message one record; a panic is an `INTERNAL_ERROR`.
fn evaluate_share(
    rules: &RuleSet,
    msgs: &[&OwnedMessage],
) -> Result<BatchResult, (ErrorCode, String)> {
    let payloads: Vec<&[u8]> = msgs.iter().map(|m| m.payload().unwrap_or(&[])).collect();
    let opts = EvalOptions {
        threads: 1,
        max_error_samples: msgs.len(),
        ..EvalOptions::default()
    };
    match catch_unwind(AssertUnwindSafe(|| {
        rules.evaluate_messages(&payloads, &opts)
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
    let mut k = 0usize;
    for (j, m) in msgs.iter().enumerate() {
        if r.input_rows.get(k).copied() == Some(j as u32) {
            let d = output::decided(r, k, labels, rule_ids);
            count(r, k, d.matched, ev);
            match cfg.output_mode {
                OutputMode::Rows => {
                    let mut line = Vec::with_capacity(160);
                    output::write_line(&mut line, k as u64, &d, version, &rows);
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
