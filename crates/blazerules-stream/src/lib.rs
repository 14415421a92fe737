//! The native Kafka loop behind `runStream` (node-api.md, IO): consume → evaluate → produce →
//! commit, at-least-once, on threads of its own.
//!
//! Pipelined, on the thread that calls [`run`]: batch N+1 is polled, evaluated and produced
//! while the delivery reports of batch N are awaited (at most `inflight::MAX_IN_FLIGHT`
//! batches produced and not yet acknowledged).
//!
//! 1. poll up to `batch_size` messages (the first wait is `poll_timeout_ms`, in short slices
//!    so a stop request is seen quickly, or a few ms while a batch is in flight; later reads
//!    take what is already fetched);
//! 2. read the rule set from the [`RuleCell`] once (a hot swap takes effect at the next batch;
//!    every output names the version that decided it);
//! 3. group the messages by partition; with `workers > 1` the partitions are spread over that
//!    many scoped threads by a hash of (topic, partition), each evaluating its messages in
//!    offset order with `RuleSet::evaluate_messages`;
//! 4. produce the outputs (and the DLQ records) partition after partition in offset order,
//!    each tagged with the batch's id, and queue the batch (`inflight`);
//! 5. a batch retires once all its records were acknowledged and every earlier batch retired;
//!    retired offsets are committed asynchronously (`commit`), one commit in flight at a time,
//!    each confirmed by librdkafka's offset-commit callback before its offsets count as done.
//!
//! A delivery failure stops the loop: the failed batch never retires, so nothing at or past
//! it is committed. When a rebalance revokes partitions, the rebalance callback waits for the
//! batches in flight (up to `flush_timeout_ms`, or a stop request) and commits what was
//! delivered before the partitions go; messages polled for the current batch from a revoked
//! partition are dropped from it (the partition's next owner reads them again), and offsets
//! of a batch that was not acknowledged by then are not committed for the partitions given up.
//!
//! Broker outages (`outage`): the loop rides them out for `outage_budget_ms` (the idempotent
//! producer keeps retrying, reports are not overdue while an outage lasts), then fails with
//! `BROKER_OUTAGE`. No call waits on the broker without a bound: after a stop request the run
//! returns within about `flush_timeout_ms` plus a few seconds, whatever the brokers do.
//!
//! Modules, in pipeline order: [`config`] (settings and their one validation), `run` (the
//! loop), `connect` (reaching the cluster, the output topics), `consume` (polling a batch), `batch` (one batch: partitions, workers, produce,
//! queue), `evaluate` (a worker's share → records, via `blazerules_core::output`), `produce`
//! (output and DLQ records to the producer), `inflight` (delivery reports, batches retired in
//! order), `commit` (asynchronous, confirmed commits), `outage` (outages and their budget),
//! `clients` (librdkafka settings and callbacks), `lag` (consumer lag per partition), `shared`,
//! `stats`, `cell`, `error`.

mod batch;
mod cell;
mod clients;
mod commit;
pub mod config;
mod connect;
mod consume;
mod error;
mod evaluate;
mod inflight;
mod lag;
mod outage;
mod produce;
mod replay;
mod run;
mod shards;
mod shared;
mod stats;

pub use blazerules_core::error::ErrorCode;
pub use cell::RuleCell;
pub use config::{OutputMode, StreamConfig};
pub use error::StreamError;
pub use lag::PartitionLag;
pub use run::run;
pub use stats::StreamStats;
