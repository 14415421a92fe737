//! Committing the offsets of retired batches, without the loop ever waiting on the broker
//! beyond a deadline of its own.
//!
//! `Shared::uncommitted` holds the next offset of every partition whose delivered records are
//! not yet confirmed committed. [`send`] hands them to the committer thread ([`start`]), which
//! commits synchronously (one commit at a time, in order) and records the answer
//! ([`confirmed`]): what the broker confirmed leaves `uncommitted`. A commit is never assumed
//! done: what was not confirmed stays in `uncommitted` and is sent again, until the partition
//! is revoked (its next owner then reads those records again). Waits for an answer
//! ([`finish`], [`settle`]) have deadlines; a commit the broker never answers only holds the
//! committer thread (and, through it, the consumer until librdkafka gives up on it).
//!
//! Why a thread: librdkafka reports the result of a plain asynchronous commit only to an
//! `offset_commit_cb`, which rust-rdkafka does not install (fede1024/rust-rdkafka#856), and
//! a reply queue of our own would take `unsafe` FFI.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::{Offset, TopicPartitionList};

use crate::clients::ConsumerCtx;
use crate::inflight::Until;
use crate::outage::Cause;
use crate::shared::{lock, Shared};
use crate::StreamError;

/// Wait before a commit that failed while the cluster was unavailable is sent again.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// The commits of one run.
#[derive(Debug, Default)]
pub(crate) struct Commits {
    /// Offsets the broker confirmed, by partition.
    confirmed: BTreeMap<(String, i32), i64>,
    /// Commits sent and not yet answered.
    in_flight: usize,
    /// The first failure not yet handled by the loop.
    failure: Option<RDKafkaErrorCode>,
    /// No commit before then (after a failure while the cluster was unavailable).
    retry_at: Option<Instant>,
}

/// A commit failed because a rebalance is under way: the partitions' next owner reads these
/// records again (at-least-once); nothing was lost.
fn rebalancing(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::RebalanceInProgress
            | RDKafkaErrorCode::IllegalGeneration
            | RDKafkaErrorCode::UnknownMemberId
            | RDKafkaErrorCode::NoOffset
            | RDKafkaErrorCode::AssignmentLost
    )
}

/// A commit failed because the coordinator could not be reached: sent again later.
fn unavailable(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::BrokerTransportFailure
            | RDKafkaErrorCode::AllBrokersDown
            | RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::RequestTimedOut
            | RDKafkaErrorCode::WaitingForCoordinator
            | RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::NotCoordinator
            | RDKafkaErrorCode::CoordinatorLoadInProgress
            | RDKafkaErrorCode::NetworkException
            | RDKafkaErrorCode::BrokerDestroy
    )
}

/// Starts the committer thread; it ends when `Shared::committer` is taken (and the commit in
/// hand, if any, is answered).
pub(crate) fn start(
    consumer: &Arc<BaseConsumer<ConsumerCtx>>,
    shared: &Arc<Shared>,
) -> Result<(), StreamError> {
    let (tx, rx) = mpsc::channel::<TopicPartitionList>();
    let (consumer, shared_c) = (consumer.clone(), shared.clone());
    std::thread::Builder::new()
        .name("blazerules-stream-commit".into())
        .spawn(move || {
            for list in rx {
                let result = consumer.commit(&list, CommitMode::Sync);
                confirmed(&shared_c, result, &list);
            }
        })
        .map_err(|e| {
            StreamError::new(
                ErrorCode::InternalError,
                format!("cannot start the commit thread: {e}"),
            )
        })?;
    *lock(&shared.committer) = Some(tx);
    Ok(())
}

/// Sends the delivered offsets not yet confirmed, unless a commit is in flight (or waits to
/// be retried). Never waits. Handles the answers received since the last call first.
pub(crate) fn send(shared: &Shared) -> Result<(), StreamError> {
    check(shared)?;
    {
        let c = lock(&shared.commits);
        if c.in_flight > 0 || c.retry_at.is_some_and(|t| Instant::now() < t) {
            return Ok(());
        }
    }
    send_now(shared);
    Ok(())
}

/// Sends the delivered offsets not yet confirmed, whatever is in flight (commits are made in
/// the order they were sent). Used before partitions are revoked.
pub(crate) fn send_now(shared: &Shared) {
    if !shared.commit_offsets {
        return;
    }
    let mut list = TopicPartitionList::new();
    for ((t, p), &o) in lock(&shared.uncommitted).iter() {
        // Only fails on an unrepresentable offset; such a partition is simply not committed.
        let _ = list.add_partition_offset(t, *p, Offset::Offset(o));
    }
    if list.count() == 0 {
        return;
    }
    // Counted before it is sent: the committer may answer before `send` returns.
    lock(&shared.commits).in_flight += 1;
    let sent = lock(&shared.committer)
        .as_ref()
        .is_some_and(|tx| tx.send(list).is_ok());
    if !sent {
        lock(&shared.commits).in_flight -= 1;
    }
}

fn code_of(e: &KafkaError) -> RDKafkaErrorCode {
    e.rdkafka_error_code().unwrap_or(RDKafkaErrorCode::Fail)
}

/// The answer to a commit: records what the broker confirmed (or why it did not).
pub(crate) fn confirmed(shared: &Shared, result: KafkaResult<()>, offsets: &TopicPartitionList) {
    let mut c = lock(&shared.commits);
    c.in_flight = c.in_flight.saturating_sub(1);
    if let Err(e) = result {
        c.failure = c.failure.or(Some(code_of(&e)));
        return;
    }
    for e in offsets.elements() {
        if let (Offset::Offset(o), Ok(())) = (e.offset(), e.error()) {
            let slot = c
                .confirmed
                .entry((e.topic().to_string(), e.partition()))
                .or_insert(o);
            *slot = (*slot).max(o);
        }
    }
    let Commits { confirmed, .. } = &*c;
    lock(&shared.uncommitted).retain(|k, &mut o| confirmed.get(k).is_none_or(|&done| done < o));
    drop(c);
    shared.outage.end(Instant::now());
}

/// Handles the failure reported since the last call: a rebalance under way forgets the
/// offsets (read again by the partitions' next owner), an unavailable coordinator retries
/// later, anything else is a `COMMIT_FAILED`.
fn check(shared: &Shared) -> Result<(), StreamError> {
    let Some(code) = lock(&shared.commits).failure.take() else {
        return Ok(());
    };
    if rebalancing(code) {
        lock(&shared.uncommitted).clear();
    } else if unavailable(code) {
        let now = Instant::now();
        lock(&shared.commits).retry_at = Some(now + RETRY_AFTER);
        shared.outage.begin(Cause::BrokersDown, now);
    } else {
        return Err(StreamError::new(
            ErrorCode::CommitFailed,
            format!("kafka commit: {}", KafkaError::ConsumerCommit(code)),
        ));
    }
    Ok(())
}

/// Forgets what was delivered or confirmed for partitions this consumer gives up.
pub(crate) fn forget(shared: &Shared, tpl: &TopicPartitionList) {
    let mut pending = lock(&shared.uncommitted);
    let mut c = lock(&shared.commits);
    for e in tpl.elements() {
        let key = (e.topic().to_string(), e.partition());
        pending.remove(&key);
        c.confirmed.remove(&key);
    }
}

/// Sends what is left and waits until every delivered offset is confirmed (`true`) or
/// `until` (`false`).
pub(crate) fn finish(shared: &Shared, until: Instant) -> Result<bool, StreamError> {
    loop {
        send(shared)?;
        if !shared.commit_offsets || lock(&shared.uncommitted).is_empty() {
            return Ok(true);
        }
        if Instant::now() >= until {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until no commit is in flight, or `until`.
pub(crate) fn settle(shared: &Shared, until: Until) {
    while lock(&shared.commits).in_flight > 0 && !until.passed(shared) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_with(pending: &[(&str, i32, i64)]) -> Shared {
        let s = Shared {
            commit_offsets: true,
            ..Shared::default()
        };
        for &(t, p, o) in pending {
            lock(&s.uncommitted).insert((t.to_string(), p), o);
        }
        s
    }

    fn tpl(items: &[(&str, i32, i64)]) -> TopicPartitionList {
        let mut l = TopicPartitionList::new();
        for &(t, p, o) in items {
            l.add_partition_offset(t, p, Offset::Offset(o))
                .expect("offset");
        }
        l
    }

    #[test]
    fn a_confirmation_clears_only_what_it_covers() {
        let s = shared_with(&[("t", 0, 10), ("t", 1, 20)]);
        lock(&s.commits).in_flight = 1;
        // Partition 1 moved on (to 25) after the commit of 20 was sent.
        lock(&s.uncommitted).insert(("t".into(), 1), 25);
        confirmed(&s, Ok(()), &tpl(&[("t", 0, 10), ("t", 1, 20)]));
        let left: Vec<_> = lock(&s.uncommitted).clone().into_iter().collect();
        assert_eq!(left, vec![(("t".to_string(), 1), 25)]);
        assert_eq!(lock(&s.commits).in_flight, 0);
        assert!(check(&s).is_ok());
    }

    #[test]
    fn failures_retry_forget_or_fail_by_kind() {
        let s = shared_with(&[("t", 0, 10)]);
        let fail = |code| confirmed(&s, Err(KafkaError::ConsumerCommit(code)), &tpl(&[]));
        // The coordinator is away: kept, sent again later, and the cluster counts as down.
        fail(RDKafkaErrorCode::WaitingForCoordinator);
        assert!(check(&s).is_ok());
        assert_eq!(lock(&s.uncommitted).len(), 1);
        assert!(lock(&s.commits).retry_at.is_some());
        assert!(s.outage.open(Instant::now()).is_some());
        // A rebalance: forgotten (the next owner reads those records again).
        fail(RDKafkaErrorCode::RebalanceInProgress);
        assert!(check(&s).is_ok());
        assert!(lock(&s.uncommitted).is_empty());
        // Anything else ends the run.
        fail(RDKafkaErrorCode::GroupAuthorizationFailed);
        let err = check(&s).expect_err("fatal");
        assert_eq!(err.code, ErrorCode::CommitFailed);
    }
}
