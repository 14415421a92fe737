//! One polled batch: grouped by partition, evaluated (spread over the workers), produced and
//! queued for its delivery reports and commit.

use std::collections::BTreeMap;
use std::time::Instant;

use blazerules_core::error::ErrorCode;
use blazerules_core::output;
use blazerules_core::{RuleSet, WindowState};
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::producer::BaseProducer;

use crate::cell::RuleCell;
use crate::clients::ProducerCtx;
use crate::config::{OutputMode, StreamConfig};
use crate::consume::In;
use crate::evaluate::{evaluate, Evaluated};
use crate::inflight;
use crate::produce::{produce, Out};
use crate::shared::{lock, Shared};
use crate::stats::{ms, StreamStats};
use crate::StreamError;

type Partition = (String, i32);

/// Evaluates and produces one batch, then queues it (as batch `id`) for its delivery reports
/// and commit.
pub(crate) fn process_batch(
    cfg: &StreamConfig,
    cell: &RuleCell,
    producer: Option<&BaseProducer<ProducerCtx>>,
    shared: &Shared,
    batch: Vec<In>,
    stats: &mut StreamStats,
    id: usize,
) -> Result<(), StreamError> {
    let rules = crate::cell::runnable(cell)?;
    let windows = cell.windows();
    stats.batches += 1;
    let (next, groups) = by_partition(&batch, stats);
    let shares = spread(groups, cfg.workers);
    let t0 = Instant::now();
    let results = evaluate_shares(cfg, &rules, &windows, &shares);
    stats.eval_ms += ms(t0.elapsed());
    let outs = gather(cfg, &rules, results, stats)?;
    let mut sent = inflight::Pending {
        id,
        outs: 0,
        emitted: 0,
        dlq: 0,
        next: Vec::with_capacity(next.len()),
        produced: Instant::now(),
    };
    if let Some(p) = producer {
        produce(cfg, p, shared, outs, &mut sent)?;
    }
    // Where each partition's messages of this batch start (for revocations meanwhile).
    for (key, o) in next {
        let polled_at = batch
            .iter()
            .filter(|m| m.msg.topic() == key.0 && m.msg.partition() == key.1)
            .map(|m| m.seq)
            .min()
            .unwrap_or(0);
        sent.next.push((key, o, polled_at));
    }
    lock(&shared.inflight).push_back(sent);
    Ok(())
}

/// The next offset of each partition (for the commit), and the messages with a value grouped
/// by partition, in offset (poll) order.
#[allow(clippy::type_complexity)]
fn by_partition<'a>(
    batch: &'a [In],
    stats: &mut StreamStats,
) -> (
    BTreeMap<Partition, i64>,
    BTreeMap<Partition, Vec<&'a OwnedMessage>>,
) {
    let mut next: BTreeMap<Partition, i64> = BTreeMap::new();
    let mut groups: BTreeMap<Partition, Vec<&OwnedMessage>> = BTreeMap::new();
    for m in batch {
        let key = (m.msg.topic().to_string(), m.msg.partition());
        let n = next.entry(key.clone()).or_insert(m.msg.offset() + 1);
        *n = (*n).max(m.msg.offset() + 1);
        if m.msg.payload().is_some_and(|p| !p.is_empty()) {
            stats.messages += 1;
            groups.entry(key).or_default().push(&m.msg);
        }
    }
    (next, groups)
}

/// Spreads the partitions over at most `workers` shares by a stable hash: a partition always
/// lands in one share, in offset order.
fn spread(
    groups: BTreeMap<Partition, Vec<&OwnedMessage>>,
    workers: usize,
) -> Vec<Vec<&OwnedMessage>> {
    let n_workers = workers.min(groups.len()).max(1);
    let mut shares: Vec<Vec<&OwnedMessage>> = vec![Vec::new(); n_workers];
    for ((topic, partition), msgs) in groups {
        let w = (hash(&topic, partition) % n_workers as u64) as usize;
        shares[w].extend(msgs);
    }
    shares
}

/// Evaluates the shares, on scoped threads when there are several.
fn evaluate_shares(
    cfg: &StreamConfig,
    rules: &RuleSet,
    windows: &WindowState,
    shares: &[Vec<&OwnedMessage>],
) -> Vec<Result<Evaluated, StreamError>> {
    if shares.len() == 1 {
        return shares
            .iter()
            .map(|s| evaluate(cfg, rules, windows, s))
            .collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter()
            .map(|s| scope.spawn(move || evaluate(cfg, rules, windows, s)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(StreamError::new(
                        ErrorCode::InternalError,
                        "an evaluator thread panicked",
                    ))
                })
            })
            .collect()
    })
}

/// Adds up the shares' counts and collects their records, plus the `grouped` lines.
fn gather(
    cfg: &StreamConfig,
    rules: &RuleSet,
    results: Vec<Result<Evaluated, StreamError>>,
    stats: &mut StreamStats,
) -> Result<Vec<Out>, StreamError> {
    let mut outs: Vec<Out> = Vec::new();
    let mut label_counts = vec![0u64; rules.labels().len()];
    let mut records = 0u64;
    for r in results {
        let r = r?;
        stats.matched += r.matched;
        stats.skipped += r.skipped;
        records += r.records;
        for (slot, c) in label_counts.iter_mut().zip(&r.label_counts) {
            *slot += c;
        }
        outs.extend(r.outs);
    }
    if cfg.output_mode == OutputMode::Grouped && records > 0 {
        let mut by_label: Vec<(&str, u64)> = rules
            .labels()
            .iter()
            .zip(&label_counts)
            .filter(|(_, &c)| c > 0)
            .map(|(l, &c)| (l.as_str(), c))
            .collect();
        by_label.sort_unstable();
        for (label, count) in by_label {
            let line = output::grouped_line(label, count, records, rules.version());
            outs.push(Out::output(None, line));
        }
    }
    Ok(outs)
}

fn hash(topic: &str, partition: i32) -> u64 {
    // FNV-1a: stable across runs (unlike the std hasher's random keys).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in topic.bytes().chain(partition.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
