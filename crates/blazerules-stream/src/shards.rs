//! Which window-state shard a partition's records read and update (service.md §1), and the
//! partitions whose shard is being rebuilt (`replay`).

use std::collections::BTreeMap;

use std::sync::atomic::Ordering;

use blazerules_core::error::ErrorCode;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::TopicPartitionList;

use crate::clients::ConsumerCtx;
use crate::shared::{lock, Shared};
use crate::StreamError;

/// A topic's partition.
pub(crate) type Tp = (String, i32);

/// With several input topics, topic `i`'s partition `p` has shard `i * TOPIC_STRIDE + p`.
pub(crate) const TOPIC_STRIDE: u32 = 1 << 20;

/// The shard of `topic`'s `partition`: the partition itself with one input topic; with
/// several, `i * 2^20 + partition` for the `i`-th topic of `inputTopics` (so the first topic's
/// shards are its partition numbers too).
pub(crate) fn shard_id(topics: &[String], topic: &str, partition: i32) -> Result<u32, StreamError> {
    let p = u32::try_from(partition).unwrap_or(u32::MAX);
    if topics.len() <= 1 && p != u32::MAX {
        return Ok(p);
    }
    let i = topics.iter().position(|t| t == topic);
    match i.and_then(|i| u32::try_from(i).ok()) {
        Some(i) if p < TOPIC_STRIDE && i < u32::MAX / TOPIC_STRIDE => Ok(i * TOPIC_STRIDE + p),
        _ => Err(StreamError::new(
            ErrorCode::Unsupported,
            format!(
                "window rules with several input topics need each topic named in inputTopics (no patterns), at most 4095 topics and partitions below {TOPIC_STRIDE}: {topic} [{partition}]"
            ),
        )),
    }
}

/// Partitions assigned and not yet rebuilt: their records are not decided (the rebalance
/// callback pauses them; what a poll still returns is dropped and read again).
#[derive(Debug, Default)]
pub(crate) struct Rebuild {
    /// Partition → the assignment it belongs to (a later assignment restarts its replay).
    pub pending: BTreeMap<Tp, u64>,
    pub generation: u64,
    /// Partition → the lowest offset of a message dropped while it was pending.
    pub dropped: BTreeMap<Tp, i64>,
}

/// The rebalance callback's share on assignment: with window rules, the new partitions wait
/// (paused) for their shard to be rebuilt.
pub(crate) fn assigned(
    shared: &Shared,
    consumer: &BaseConsumer<ConsumerCtx>,
    tpl: &TopicPartitionList,
) {
    if !shared.windowed.load(Ordering::SeqCst) || tpl.count() == 0 {
        return;
    }
    let mut r = lock(&shared.rebuild);
    for e in tpl.elements() {
        r.generation += 1;
        let (tp, g) = ((e.topic().to_string(), e.partition()), r.generation);
        r.dropped.remove(&tp);
        r.pending.insert(tp, g);
    }
    drop(r);
    // Saves fetching what would be dropped; a failure only costs that.
    let _ = consumer.pause(tpl);
}

/// The rebalance callback's share on revocation: the partitions' shards go.
pub(crate) fn revoked(shared: &Shared, tpl: &TopicPartitionList) {
    let mut r = lock(&shared.rebuild);
    for e in tpl.elements() {
        let tp = (e.topic().to_string(), e.partition());
        r.pending.remove(&tp);
        r.dropped.remove(&tp);
        if let (Some(w), Ok(id)) = (&shared.windows, shard_id(&shared.input_topics, &tp.0, tp.1)) {
            w.drop_shard(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_topic_uses_the_partition_and_several_a_stride() {
        let one = vec!["a".to_string()];
        assert_eq!(shard_id(&one, "a", 7).ok(), Some(7));
        let two = vec!["a".to_string(), "b".to_string()];
        assert_eq!(shard_id(&two, "a", 3).ok(), Some(3));
        assert_eq!(shard_id(&two, "b", 3).ok(), Some(TOPIC_STRIDE + 3));
        let err = shard_id(&two, "^c.*", 0).expect_err("pattern");
        assert_eq!(err.code, ErrorCode::Unsupported);
        assert!(shard_id(&two, "b", 1 << 20).is_err());
    }
}
