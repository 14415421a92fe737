//! Window state (rules-reference §2.16, service.md §1, choices.md): per-entity, per-second
//! buckets in state shards that outlive batches.
//!
//! `series` is one window of one entity; `shard` holds every entity of one shard (bounded,
//! least recently seen evicted: `recency`; short entity values inline: `key`); `state` is an engine's shards, the public API; `inputs` is
//! what each record brings, taken while it is read; `stage` applies a batch's records to its
//! shard in input order, between reading and evaluating; `peek` reads a record's values without
//! applying it (explanations).

mod index;
pub(crate) mod inputs;
mod key;
pub(crate) mod peek;
mod prefetch;
mod recency;
mod series;
mod shard;
pub(crate) mod stage;
mod state;

pub use shard::WindowStats;
pub use state::{Shard, WindowState, DEFAULT_MAX_WINDOW_ENTITIES};
