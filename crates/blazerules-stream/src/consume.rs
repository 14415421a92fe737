//! Polling one batch of messages.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Message, OwnedMessage};

use crate::clients::ConsumerCtx;
use crate::shards::Rebuild;
use crate::shared::{lock, Shared};
use crate::StreamError;

/// One consumed message and the `poll_seq` of the poll call that returned it.
pub(crate) struct In {
    pub msg: OwnedMessage,
    pub seq: u64,
}

/// Whether a consumer error is one librdkafka recovers from by itself.
fn transient(e: &KafkaError) -> bool {
    match e {
        KafkaError::MessageConsumptionFatal(_) => false,
        KafkaError::MessageConsumption(code) | KafkaError::Global(code) => !matches!(
            code,
            RDKafkaErrorCode::Fatal
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::GroupAuthorizationFailed
                | RDKafkaErrorCode::InvalidGroupId
        ),
        _ => true,
    }
}

/// Polls up to `want` messages: waits up to `first_wait` for the first (in slices of at most
/// 100 ms, so a stop request is seen quickly), then takes what is already fetched. Messages
/// with an empty value are kept (their offsets are committed) but not evaluated.
pub(crate) fn poll_batch(
    consumer: &BaseConsumer<ConsumerCtx>,
    shared: &Shared,
    first_wait: Duration,
    want: usize,
    stop: &AtomicBool,
) -> Result<Vec<In>, StreamError> {
    let mut out: Vec<In> = Vec::new();
    let deadline = Instant::now() + first_wait;
    while out.len() < want {
        let wait = if out.is_empty() {
            let now = Instant::now();
            if now >= deadline || stop.load(Ordering::SeqCst) {
                break;
            }
            (deadline - now).min(Duration::from_millis(100))
        } else {
            Duration::ZERO
        };
        let seq = shared.poll_seq.fetch_add(1, Ordering::SeqCst) + 1;
        match consumer.poll(wait) {
            None => {
                if !out.is_empty() {
                    break;
                }
            }
            Some(Ok(m)) => out.push(In {
                msg: m.detach(),
                seq,
            }),
            Some(Err(e)) => {
                if !transient(&e) {
                    return Err(StreamError::kafka(
                        ErrorCode::ConsumeFailed,
                        "kafka consume",
                        &e,
                    ));
                }
                if !out.is_empty() {
                    break;
                }
            }
        }
    }
    drop_revoked(shared, &mut out);
    drop_rebuilding(shared, &mut out);
    Ok(out)
}

/// Drops what was polled from a partition whose shard is being rebuilt (paused at once, but
/// a poll may still return what was fetched before): the loop seeks back to the lowest such
/// offset when the rebuild ends (`replay`), so it is read again and decided then.
fn drop_rebuilding(shared: &Shared, out: &mut Vec<In>) {
    let mut r = lock(&shared.rebuild);
    if r.pending.is_empty() {
        return;
    }
    let Rebuild {
        pending, dropped, ..
    } = &mut *r;
    out.retain(|m| {
        let tp = (m.msg.topic().to_string(), m.msg.partition());
        if !pending.contains_key(&tp) {
            return true;
        }
        let at = dropped.entry(tp).or_insert(m.msg.offset());
        *at = (*at).min(m.msg.offset());
        false
    });
}

/// Drops what was polled from a partition in an earlier poll call than the one that revoked
/// it: its next owner (maybe this consumer again, from the committed offset: librdkafka
/// restarts a reassigned partition there) reads it again. Messages returned by the poll call
/// that served the rebalance, or later, were fetched under the new assignment.
fn drop_revoked(shared: &Shared, out: &mut Vec<In>) {
    let revoked = lock(&shared.revoked);
    if !revoked.is_empty() {
        out.retain(|m| {
            revoked
                .get(&(m.msg.topic().to_string(), m.msg.partition()))
                .is_none_or(|&at| m.seq >= at)
        });
    }
}
