//! Rebuilding the window shard of each newly assigned partition before any of its records is
//! decided (service.md §1): the partition is read again, state only, from
//! `offsetsForTimes(committed record's timestamp − longest window)` up to the committed
//! offset, on a consumer of its own (assigned, never in the group, never committing).
//!
//! The loop runs [`Replayer::step`] between its polls: a slice of at most [`SLICE`] of
//! replay, then a poll of the group consumer (other partitions go on being decided, and the
//! member is never kicked out for exceeding `max.poll.interval.ms`, however long the replay).
//! The partitions being rebuilt are paused on the group consumer (`shards::assigned`); what
//! a poll still returned of them was dropped and is read again (seek) when they resume.
//!
//! Per partition: *probe* (read the record at committed − 1: its timestamp), *locate*
//! (offsetsForTimes; the end (−1) or an error means "from the log start"), *read* (replay up
//! to committed − 1), then release. Without a committed offset nothing is replayed:
//! `auto.offset.reset` decides where the partition starts, as without windows. A partition
//! revoked meanwhile is abandoned (its shard is dropped), one assigned again starts over.
//! Nothing waits without a bound: a replay that stops making progress (records deleted under
//! it, a truncated log) ends after [`GIVE_UP`] with a warning, as does one whose log does not
//! reach back a whole window (`windowReplayShort`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use blazerules_core::{EvalOptions, RuleSet, Shard, WindowState};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use crate::clients::{self, ConsumerCtx};
use crate::config::StreamConfig;
use crate::evaluate::timestamp_ms;
use crate::shards::{shard_id, Tp};
use crate::shared::{lock, Shared};
use crate::stats::{ms, StreamStats};
use crate::StreamError;

/// The longest a step replays before the loop polls its group consumer again.
const SLICE: Duration = Duration::from_millis(100);
/// Bound on each broker request (committed offsets, watermarks, offsetsForTimes, seek).
const ASK: Duration = Duration::from_secs(5);
/// A replay without progress this long has its watermarks checked.
const STALL: Duration = Duration::from_secs(3);
/// A replay without progress this long is ended with a warning.
const GIVE_UP: Duration = Duration::from_secs(30);
/// Records replayed in one call.
const CHUNK: usize = 4096;

/// What the loop lends a step.
pub(crate) struct Cx<'a> {
    pub cfg: &'a StreamConfig,
    pub shared: &'a Shared,
    pub main: &'a BaseConsumer<ConsumerCtx>,
    pub rules: &'a RuleSet,
    pub windows: &'a WindowState,
    pub stats: &'a mut StreamStats,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Reading the record at committed − 1.
    Probe,
    /// Its timestamp known: asking offsetsForTimes.
    Locate {
        ts: i64,
    },
    /// Replaying from `start`.
    Read {
        start: i64,
    },
    Done,
}

struct Job {
    generation: u64,
    shard: Arc<Shard>,
    committed: i64,
    low: i64,
    phase: Phase,
    /// The replay consumer's next offset.
    next: i64,
    /// offsetsForTimes' timestamp.
    target: i64,
    first_seen: bool,
    progress_at: Instant,
    checked_at: Instant,
}

/// The rebuilds under way (see the module doc).
#[derive(Default)]
pub(crate) struct Replayer {
    consumer: Option<BaseConsumer>,
    jobs: BTreeMap<Tp, Job>,
    reassign: bool,
    last_tick: Option<Instant>,
}

impl Replayer {
    /// Whether partitions are waiting for their shard (the loop then polls briefly).
    pub fn active(&self, shared: &Shared) -> bool {
        !self.jobs.is_empty() || !lock(&shared.rebuild).pending.is_empty()
    }

    /// One slice of work on every rebuild (see the module doc).
    pub fn step(&mut self, cx: &mut Cx<'_>) -> Result<(), StreamError> {
        let now = Instant::now();
        if let Some(t) = self.last_tick.take() {
            cx.stats.window_replay_ms += ms(now - t);
        }
        self.sync(cx)?;
        if self.jobs.is_empty() {
            return Ok(());
        }
        self.last_tick = Some(now);
        self.assign(cx)?;
        self.read(cx);
        self.locate(cx);
        self.unstall(cx);
        self.release_done(cx)
    }

    /// Starts a job for each partition newly pending; abandons those no longer pending.
    fn sync(&mut self, cx: &mut Cx<'_>) -> Result<(), StreamError> {
        let pending: Vec<(Tp, u64)> = lock(&cx.shared.rebuild)
            .pending
            .iter()
            .map(|(tp, g)| (tp.clone(), *g))
            .collect();
        let before = self.jobs.len();
        self.jobs
            .retain(|tp, j| pending.iter().any(|(p, g)| p == tp && *g == j.generation));
        self.reassign |= self.jobs.len() != before;
        for (tp, generation) in pending {
            if !self.jobs.contains_key(&tp) {
                self.start(cx, tp, generation)?;
            }
        }
        Ok(())
    }

    /// A fresh shard, and where its replay ends (the committed offset); a partition with
    /// nothing to replay is released at once. A broker that does not answer: tried again at
    /// the next step.
    fn start(&mut self, cx: &mut Cx<'_>, tp: Tp, generation: u64) -> Result<(), StreamError> {
        let id = shard_id(&cx.cfg.input_topics, &tp.0, tp.1)?;
        cx.windows.drop_shard(id);
        let shard = cx.windows.shard(id);
        if !cx.rules.has_windows() {
            return release(cx, &tp, generation);
        }
        let Ok(committed) = committed_offset(cx.main, &tp) else {
            return Ok(());
        };
        let Ok((low, _)) = cx.main.fetch_watermarks(&tp.0, tp.1, ASK) else {
            return Ok(());
        };
        let Some(c) = committed.filter(|&c| c > low) else {
            if committed.is_some_and(|c| c > 0) {
                short(
                    cx,
                    &tp,
                    "the log no longer holds any record before the committed offset",
                );
            }
            return release(cx, &tp, generation);
        };
        let now = Instant::now();
        self.jobs.insert(
            tp,
            Job {
                generation,
                shard,
                committed: c,
                low,
                phase: Phase::Probe,
                next: c - 1,
                target: i64::MIN,
                first_seen: false,
                progress_at: now,
                checked_at: now,
            },
        );
        self.reassign = true;
        Ok(())
    }

    /// Assigns the replay consumer the partitions being probed or read, at their positions.
    fn assign(&mut self, cx: &Cx<'_>) -> Result<(), StreamError> {
        if !self.reassign {
            return Ok(());
        }
        if self.consumer.is_none() {
            self.consumer = Some(clients::replay_consumer(cx.cfg)?);
        }
        let mut tpl = TopicPartitionList::new();
        for ((t, p), j) in &self.jobs {
            if matches!(j.phase, Phase::Probe | Phase::Read { .. }) {
                let _ = tpl.add_partition_offset(t, *p, Offset::Offset(j.next));
            }
        }
        if let Some(c) = &self.consumer {
            c.assign(&tpl)
                .map_err(|e| StreamError::kafka(ErrorCode::ConsumeFailed, "window replay", &e))?;
        }
        self.reassign = false;
        Ok(())
    }

    /// Polls the replay consumer for up to [`SLICE`], applying what it returns.
    fn read(&mut self, cx: &mut Cx<'_>) {
        let Some(consumer) = &self.consumer else {
            return;
        };
        let until = Instant::now() + SLICE;
        let mut held: BTreeMap<Tp, Vec<BorrowedMessage<'_>>> = BTreeMap::new();
        while Instant::now() < until {
            let Some(Ok(m)) = consumer.poll(Duration::from_millis(10)) else {
                continue;
            };
            let tp = (m.topic().to_string(), m.partition());
            let Some(job) = self.jobs.get_mut(&tp) else {
                continue;
            };
            if route(cx, &tp, job, &m, &mut self.reassign) {
                let msgs = held.entry(tp.clone()).or_default();
                msgs.push(m);
                if msgs.len() >= CHUNK {
                    apply(cx, job, msgs);
                }
            }
        }
        for (tp, mut msgs) in held {
            if let Some(job) = self.jobs.get(&tp) {
                apply(cx, job, &mut msgs);
            }
        }
    }

    /// Asks offsetsForTimes where each located replay starts.
    fn locate(&mut self, cx: &Cx<'_>) {
        let longest = cx.rules.longest_window_ms().unwrap_or(0);
        let Some(consumer) = &self.consumer else {
            return;
        };
        for ((t, p), j) in &mut self.jobs {
            let Phase::Locate { ts } = j.phase else {
                continue;
            };
            // Never negative: -1 and -2 would ask for the end and the start of the log.
            j.target = ts.saturating_sub(longest).max(0);
            let mut tpl = TopicPartitionList::new();
            let _ = tpl.add_partition_offset(t, *p, Offset::Offset(j.target));
            let Ok(found) = consumer.offsets_for_times(tpl, ASK) else {
                continue;
            };
            let at = found.elements().first().map(|e| e.offset());
            // Not found (the end, -1): no record that recent, so from the log start.
            let start = match at {
                Some(Offset::Offset(o)) => o.max(j.low),
                _ => j.low,
            };
            j.phase = Phase::Read { start };
            j.next = start;
            j.progress_at = Instant::now();
            if start >= j.committed {
                j.phase = Phase::Done;
            }
            self.reassign = true;
        }
    }

    /// Checks on replays that made no progress for a while: the records before the
    /// committed offset may be gone (ends them), or the broker slow (ends them after
    /// [`GIVE_UP`]).
    fn unstall(&mut self, cx: &mut Cx<'_>) {
        let now = Instant::now();
        for (tp, j) in &mut self.jobs {
            if j.phase == Phase::Done || now - j.progress_at < STALL || now - j.checked_at < STALL {
                continue;
            }
            j.checked_at = now;
            let gone = match cx.main.fetch_watermarks(&tp.0, tp.1, ASK) {
                // Negative offsets are librdkafka's placeholders for an answer that lacked
                // the partition (a throttled or retried request), not a log: no verdict.
                Ok((low, high)) if low >= 0 && high >= 0 => {
                    j.low = low;
                    // The next record the replay needs was deleted, or the log was
                    // truncated below the committed offset.
                    (low > j.next || high < j.committed).then(|| {
                        format!(
                            "the records it still needed were deleted during the replay (log {low}..{high}, replay at {}, committed {})",
                            j.next, j.committed
                        )
                    })
                }
                _ => None,
            };
            let why = match gone {
                Some(why) => Some(why),
                None if now - j.progress_at >= GIVE_UP => Some(format!(
                    "the replay made no progress for {} s (replay at {}, committed {})",
                    GIVE_UP.as_secs(),
                    j.next,
                    j.committed
                )),
                None => None,
            };
            if let Some(why) = why {
                short(cx, tp, &why);
                j.phase = Phase::Done;
            }
        }
    }

    /// Releases the partitions whose replay is done.
    fn release_done(&mut self, cx: &mut Cx<'_>) -> Result<(), StreamError> {
        let done: Vec<(Tp, u64)> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.phase == Phase::Done)
            .map(|(tp, j)| (tp.clone(), j.generation))
            .collect();
        for (tp, generation) in done {
            self.jobs.remove(&tp);
            self.reassign = true;
            release(cx, &tp, generation)?;
        }
        Ok(())
    }
}

/// Where the replay of `job` stands after message `m`; true when `m` is to be replayed.
fn route(
    cx: &mut Cx<'_>,
    tp: &Tp,
    job: &mut Job,
    m: &BorrowedMessage<'_>,
    reassign: &mut bool,
) -> bool {
    let off = m.offset();
    if off < job.next {
        return false;
    }
    job.progress_at = Instant::now();
    match job.phase {
        Phase::Probe if off < job.committed => {
            job.phase = Phase::Locate {
                ts: timestamp_ms(m),
            };
            *reassign = true;
        }
        // No record at committed − 1 (a transaction marker, compacted away): from the start.
        Phase::Probe => {
            job.phase = Phase::Read { start: job.low };
            job.next = job.low;
            *reassign = true;
        }
        Phase::Read { .. } if off >= job.committed => job.phase = Phase::Done,
        Phase::Read { start } => {
            if !job.first_seen {
                job.first_seen = true;
                let deleted = (off == job.low && job.low > 0) || off > start;
                if deleted && timestamp_ms(m) > job.target {
                    short(
                        cx,
                        tp,
                        "the topic's retention does not cover the longest window",
                    );
                }
            }
            job.next = off + 1;
            if job.next >= job.committed {
                job.phase = Phase::Done;
            }
            return true;
        }
        Phase::Locate { .. } | Phase::Done => {}
    }
    false
}

/// Applies the held messages to the job's shard (state only), at their Kafka timestamps.
fn apply(cx: &mut Cx<'_>, job: &Job, msgs: &mut Vec<BorrowedMessage<'_>>) {
    let payloads: Vec<&[u8]> = msgs.iter().map(|m| m.payload().unwrap_or(&[])).collect();
    let opts = EvalOptions {
        window_shard: Some(job.shard.clone()),
        record_times_ms: Some(msgs.iter().map(timestamp_ms).collect()),
        ..EvalOptions::default()
    };
    let r = cx.rules.replay_messages(&payloads, &opts);
    cx.stats.window_replay_records += r.records;
    msgs.clear();
}

/// The group's committed offset of `tp` (None: nothing committed).
fn committed_offset(
    main: &BaseConsumer<ConsumerCtx>,
    tp: &Tp,
) -> Result<Option<i64>, rdkafka::error::KafkaError> {
    let mut tpl = TopicPartitionList::new();
    let _ = tpl.add_partition(&tp.0, tp.1);
    let got = main.committed_offsets(tpl, ASK)?;
    let Some(e) = got.elements().into_iter().next() else {
        return Ok(None);
    };
    // A partition's own error (the coordinator still loading, a timeout) is not "nothing
    // committed": taking it so would skip the replay; the caller asks again.
    e.error()?;
    Ok(match e.offset() {
        Offset::Offset(o) if o >= 0 => Some(o),
        _ => None,
    })
}

/// Lets the group consumer decide the partition's records: seeks back to what a poll
/// returned and the loop dropped while it was rebuilt, and resumes it. Nothing if the
/// partition was revoked (or assigned again) meanwhile.
fn release(cx: &mut Cx<'_>, tp: &Tp, generation: u64) -> Result<(), StreamError> {
    let dropped = {
        let mut r = lock(&cx.shared.rebuild);
        if r.pending.get(tp) != Some(&generation) {
            return Ok(());
        }
        r.pending.remove(tp);
        r.dropped.remove(tp)
    };
    if let Some(at) = dropped {
        cx.main
            .seek(&tp.0, tp.1, Offset::Offset(at), ASK)
            .map_err(|e| {
                StreamError::kafka(ErrorCode::ConsumeFailed, "seek after the window replay", &e)
            })?;
    }
    let mut tpl = TopicPartitionList::new();
    let _ = tpl.add_partition(&tp.0, tp.1);
    cx.main.resume(&tpl).map_err(|e| {
        StreamError::kafka(
            ErrorCode::ConsumeFailed,
            "resume after the window replay",
            &e,
        )
    })
}

/// A partition rebuilt from less than the longest window: counted, and said on stderr.
fn short(cx: &mut Cx<'_>, tp: &Tp, why: &str) {
    cx.stats.window_replay_short += 1;
    eprintln!(
        "blazerules: warning: runStream: the window state of {} [{}] was rebuilt from less than the longest window: {why}",
        tp.0, tp.1
    );
}
