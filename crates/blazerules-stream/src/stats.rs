//! The counters of one run (`StreamRunStats`).

use std::time::Duration;

use crate::lag::PartitionLag;

/// Counters of one run (`StreamRunStats`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamStats {
    /// Batches processed (polls that returned at least one message).
    pub batches: u64,
    /// Messages consumed with a non-empty value.
    pub messages: u64,
    /// Records for which at least one rule matched.
    pub matched: u64,
    /// Records produced to the output topic and acknowledged.
    pub emitted: u64,
    /// Records that could not be evaluated and were not sent to a DLQ.
    pub skipped: u64,
    /// Records sent to the DLQ topic and acknowledged.
    pub dlq_routed: u64,
    /// Delivery reports that said a record was not delivered.
    pub delivery_errors: u64,
    /// Evaluation time, summed over batches (wall time of the evaluation step).
    pub eval_ms: f64,
    pub elapsed_ms: f64,
    /// Broker outages ridden out (or under way): see `outage`.
    pub outages: u64,
    /// Their total length so far.
    pub outage_ms: f64,
    /// How long the outage under way has lasted (0: none): what readiness probes read.
    pub outage_open_ms: f64,
    /// Records read again to rebuild window shards of assigned partitions (`replay`).
    pub window_replay_records: u64,
    /// Wall time during which a partition's shard was being rebuilt.
    pub window_replay_ms: f64,
    /// Partitions rebuilt from less than the longest window (the log did not reach back
    /// that far: retention shorter than the window, records deleted), each with a warning.
    pub window_replay_short: u64,
    /// The latest known consumer lag of each partition assigned now (librdkafka's statistics,
    /// about once a second; a partition whose lag is not known yet is left out).
    pub consumer_lag: Vec<PartitionLag>,
    /// Their sum.
    pub consumer_lag_total: u64,
}

/// A duration in (fractional) milliseconds.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
