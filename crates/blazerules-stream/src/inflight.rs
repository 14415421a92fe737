//! Batches produced but not yet acknowledged, retired in order.
//!
//! A batch enters the queue once all its records were handed to the producer. It leaves the
//! queue (is "retired") when every one of its records was acknowledged and every batch before
//! it retired: its offsets then move to `Shared::uncommitted`, which `commit` commits. A
//! batch with a failed delivery never retires, so nothing at or past it is ever committed.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::producer::BaseProducer;

use blazerules_core::error::ErrorCode;

use crate::clients::ProducerCtx;
use crate::outage::Cause;
use crate::shared::{lock, Shared};
use crate::StreamError;

/// Most batches produced and not yet acknowledged at once (batch N is awaited while N+1 is
/// polled, evaluated and produced).
pub(crate) const MAX_IN_FLIGHT: usize = 2;

/// One produced batch awaiting its delivery reports.
pub(crate) struct Pending {
    pub id: usize,
    /// Records handed to the producer (tagged with `id`).
    pub outs: u64,
    pub emitted: u64,
    pub dlq: u64,
    /// (topic, partition) → (next offset, `poll_seq` of its first message in the batch).
    pub next: Vec<((String, i32), i64, u64)>,
    /// When it was produced (its reports are due `flushTimeoutMs` later, or after an outage).
    pub produced: Instant,
}

pub(crate) type Queue = VecDeque<Pending>;

/// Retires the fully acknowledged batches at the front of the queue, in order.
pub(crate) fn retire(shared: &Shared) {
    let mut q = lock(&shared.inflight);
    let mut acks = lock(&shared.acks);
    let mut revoked = lock(&shared.revoked);
    let mut pending = lock(&shared.uncommitted);
    while let Some(front) = q.front() {
        if acks.get(&front.id).copied().unwrap_or(0) < front.outs {
            break;
        }
        let Some(b) = q.pop_front() else { break };
        acks.remove(&b.id);
        shared.emitted.fetch_add(b.emitted, Ordering::SeqCst);
        shared.dlq_routed.fetch_add(b.dlq, Ordering::SeqCst);
        if shared.commit_offsets {
            for (key, next, polled_at) in b.next {
                // Polled before its partition was given up: its next owner reads it again.
                if revoked.get(&key).is_some_and(|&at| at > polled_at) {
                    continue;
                }
                let slot = pending.entry(key).or_insert(next);
                *slot = (*slot).max(next);
            }
        }
    }
    if q.is_empty() {
        // No message polled before a recorded revocation is held any more.
        revoked.clear();
    }
}

/// The first negative delivery report, as the run's error.
fn failed(shared: &Shared) -> Result<(), StreamError> {
    if shared.failed.load(Ordering::SeqCst) == 0 {
        return Ok(());
    }
    let why = lock(&shared.first_delivery_error)
        .clone()
        .unwrap_or_default();
    Err(StreamError::new(
        ErrorCode::DeliveryFailed,
        format!("kafka delivery failed ({why}); the offsets of this batch and later ones remain uncommitted"),
    ))
}

/// Until when [`wait`] waits.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Until {
    /// This instant or a stop request, whichever comes first.
    StopOr(Instant),
    /// This instant (the loop is stopping already).
    At(Instant),
}

impl Until {
    /// Whether the wait is over.
    pub fn passed(self, shared: &Shared) -> bool {
        match self {
            Until::StopOr(t) => Instant::now() >= t || shared.stop.load(Ordering::SeqCst),
            Until::At(t) => Instant::now() >= t,
        }
    }

    fn instant(self) -> Instant {
        match self {
            Until::StopOr(t) | Until::At(t) => t,
        }
    }
}

/// Serves delivery reports and retires batches until at most `keep` remain in flight
/// (`true`), or until `until` (`false`). Fails on a negative report. Reports overdue
/// (`flushTimeoutMs` after the batch was produced, or after the last outage ended) open an
/// outage; the loop decides when an outage has lasted too long.
pub(crate) fn wait(
    shared: &Shared,
    producer: Option<&BaseProducer<ProducerCtx>>,
    keep: usize,
    until: Until,
) -> Result<bool, StreamError> {
    loop {
        if let Some(p) = producer {
            p.poll(Duration::ZERO);
        }
        failed(shared)?;
        retire(shared);
        let now = Instant::now();
        {
            let q = lock(&shared.inflight);
            let Some(front) = q.front() else {
                return Ok(true);
            };
            let from = shared
                .outage
                .last_end()
                .map_or(front.produced, |e| e.max(front.produced));
            if now >= from + Duration::from_millis(shared.flush_timeout_ms) {
                shared.outage.begin(Cause::NoAcks, now);
            }
            if q.len() <= keep {
                return Ok(true);
            }
        }
        if until.passed(shared) {
            return Ok(false);
        }
        match producer {
            Some(p) => p.poll(
                until
                    .instant()
                    .saturating_duration_since(now)
                    .min(Duration::from_millis(2)),
            ),
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    }
}

/// Batches and records produced and not (yet) acknowledged.
pub(crate) fn unacknowledged(shared: &Shared) -> (usize, u64) {
    let q = lock(&shared.inflight);
    let acks = lock(&shared.acks);
    let records = q
        .iter()
        .map(|b| b.outs.saturating_sub(acks.get(&b.id).copied().unwrap_or(0)))
        .sum();
    (q.len(), records)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch produced `age` ago, of one record, not acknowledged.
    fn queued(shared: &Shared, age: Duration) {
        lock(&shared.inflight).push_back(Pending {
            id: 1,
            outs: 1,
            emitted: 1,
            dlq: 0,
            next: vec![(("t".to_string(), 0), 5, 0)],
            produced: Instant::now() - age,
        });
    }

    #[test]
    fn overdue_reports_open_an_outage_and_waits_end_on_time_or_stop() {
        let shared = Shared {
            flush_timeout_ms: 50,
            commit_offsets: true,
            ..Shared::default()
        };
        queued(&shared, Duration::from_millis(10));
        let soon = || Instant::now() + Duration::from_millis(20);
        assert!(!wait(&shared, None, 0, Until::At(soon())).expect("no failure"));
        assert!(
            shared.outage.open(Instant::now()).is_none(),
            "not overdue yet"
        );
        std::thread::sleep(Duration::from_millis(50));
        assert!(!wait(&shared, None, 0, Until::At(soon())).expect("no failure"));
        let (_, cause) = shared.outage.open(Instant::now()).expect("an outage");
        assert_eq!(cause, Cause::NoAcks);
        // A stop request ends a stoppable wait at once, not one that is stopping already.
        shared.stop.store(true, Ordering::SeqCst);
        let far = Instant::now() + Duration::from_secs(60);
        assert!(!wait(&shared, None, 0, Until::StopOr(far)).expect("no failure"));
        assert!(!wait(&shared, None, 0, Until::At(soon())).expect("no failure"));
        // Acknowledged: it retires, its offsets wait for their commit.
        lock(&shared.acks).insert(1, 1);
        assert!(wait(&shared, None, 0, Until::At(soon())).expect("no failure"));
        assert_eq!(unacknowledged(&shared), (0, 0));
        assert_eq!(
            lock(&shared.uncommitted).get(&("t".to_string(), 0)),
            Some(&5)
        );
    }
}
