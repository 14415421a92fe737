//! Batches produced but not yet committed, and the in-order commit.
//!
//! A batch enters the queue once all its records were handed to the producer. It leaves the
//! queue (is "retired") when every one of its records was acknowledged and every batch before
//! it retired: its offsets then move to `Shared::uncommitted`, which [`commit`] commits. A
//! batch with a failed delivery never retires, so nothing at or past it is ever committed.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::BaseProducer;
use rdkafka::{Offset, TopicPartitionList};

use blazerules_core::error::ErrorCode;

use crate::clients::{ConsumerCtx, ProducerCtx};
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
    /// When its reports are overdue (`flushTimeoutMs` after it was produced).
    pub deadline: Instant,
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

/// Serves delivery reports and retires batches until at most `keep` remain in flight. Fails
/// on a negative report, or when the oldest batch's reports are overdue.
pub(crate) fn drain_to(
    shared: &Shared,
    producer: Option<&BaseProducer<ProducerCtx>>,
    keep: usize,
    flush_timeout_ms: u64,
) -> Result<(), StreamError> {
    loop {
        if let Some(p) = producer {
            p.poll(Duration::ZERO);
        }
        failed(shared)?;
        retire(shared);
        let q = lock(&shared.inflight);
        let Some(front) = q.front() else {
            return Ok(());
        };
        if q.len() <= keep {
            return Ok(());
        }
        if Instant::now() >= front.deadline {
            let acked = lock(&shared.acks).get(&front.id).copied().unwrap_or(0);
            return Err(StreamError::new(
                ErrorCode::DeliveryFailed,
                format!(
                    "{} record(s) not acknowledged within flushTimeoutMs ({} ms); the offsets of this batch remain uncommitted",
                    front.outs.saturating_sub(acked),
                    flush_timeout_ms
                ),
            ));
        }
        drop(q);
        match producer {
            Some(p) => {
                p.poll(Duration::from_millis(2));
            }
            None => std::thread::sleep(Duration::from_millis(1)),
        }
    }
}

/// Commits, synchronously, the offsets of the retired batches.
pub(crate) fn commit(
    consumer: &BaseConsumer<ConsumerCtx>,
    shared: &Shared,
) -> Result<(), StreamError> {
    let mut list = TopicPartitionList::new();
    for ((t, p), o) in lock(&shared.uncommitted).iter() {
        list.add_partition_offset(t, *p, Offset::Offset(*o))
            .map_err(|e| StreamError::kafka(ErrorCode::CommitFailed, "commit", &e))?;
    }
    if list.count() == 0 {
        return Ok(());
    }
    match consumer.commit(&list, CommitMode::Sync) {
        Ok(()) => lock(&shared.uncommitted).clear(),
        Err(e) => {
            let rebalancing = matches!(
                e.rdkafka_error_code(),
                Some(
                    RDKafkaErrorCode::RebalanceInProgress
                        | RDKafkaErrorCode::IllegalGeneration
                        | RDKafkaErrorCode::UnknownMemberId
                        | RDKafkaErrorCode::NoOffset
                )
            );
            if !rebalancing {
                return Err(StreamError::kafka(
                    ErrorCode::CommitFailed,
                    "kafka commit",
                    &e,
                ));
            }
            // A rebalance is under way: the partitions' next owner reads these records
            // again (at-least-once); nothing was lost.
            lock(&shared.uncommitted).clear();
        }
    }
    Ok(())
}
