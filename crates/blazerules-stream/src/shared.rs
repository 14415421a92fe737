//! State shared between the loop and librdkafka's callbacks (which run on the loop's thread,
//! inside `poll`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use rdkafka::producer::BaseProducer;
use rdkafka::TopicPartitionList;

use crate::clients::ProducerCtx;
use crate::commit::Commits;
use crate::inflight;
use crate::lag::Lags;
use crate::outage::Outage;
use crate::shards::Rebuild;
use blazerules_core::WindowState;

#[derive(Default)]
pub(crate) struct Shared {
    /// Incremented before each consumer poll; messages remember the value they were polled at.
    pub poll_seq: AtomicU64,
    /// (topic, partition) → `poll_seq` at which it was last revoked.
    pub revoked: Mutex<HashMap<(String, i32), u64>>,
    /// Delivered but not yet committed offsets (next offset to read), by (topic, partition).
    pub uncommitted: Mutex<BTreeMap<(String, i32), i64>>,
    pub commit_offsets: bool,
    /// Positive delivery reports, by batch id.
    pub acks: Mutex<HashMap<usize, u64>>,
    pub failed: AtomicU64,
    /// Produced batches not yet committed, oldest first.
    pub inflight: Mutex<inflight::Queue>,
    /// Records of retired batches: output / DLQ records acknowledged.
    pub emitted: AtomicU64,
    pub dlq_routed: AtomicU64,
    /// The producer, for the rebalance callback (which waits for the batches in flight).
    /// Set while the loop runs and cleared at its end (it holds an `Arc` of this).
    pub producer: Mutex<Option<Arc<BaseProducer<ProducerCtx>>>>,
    pub flush_timeout_ms: u64,
    pub first_delivery_error: Mutex<Option<String>>,
    /// Set when the run is asked to stop: every wait ends early (the rebalance callback's too).
    pub stop: Arc<AtomicBool>,
    pub outage: Outage,
    pub commits: Mutex<Commits>,
    /// Commits to make, to the committer thread (`commit::start`); taken at the end of the run
    /// (it holds the consumer, which holds this).
    pub committer: Mutex<Option<Sender<TopicPartitionList>>>,
    /// The window state (`cell::RuleCell::windows`): a shard per assigned partition.
    pub windows: Option<Arc<WindowState>>,
    /// `inputTopics`, for the shard ids (`shards::shard_id`).
    pub input_topics: Vec<String>,
    /// The loop's rules have windows: assigned partitions are rebuilt before they are decided.
    pub windowed: AtomicBool,
    pub rebuild: Mutex<Rebuild>,
    /// When the group first assigned partitions to this consumer (`idleTimeoutMs` counts from then).
    pub assigned_at: Mutex<Option<Instant>>,
    /// The assigned partitions' consumer lag, from librdkafka's statistics.
    pub lags: Mutex<Lags>,
}

/// Locks `m`; a panic elsewhere does not make the counters unreadable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
