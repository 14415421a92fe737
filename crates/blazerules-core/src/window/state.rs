//! The window state of one engine: a shard per partition (state shards, service.md §1),
//! created on first use, each behind its own lock.
//!
//! Ordering: a batch holds its shard's lock while it is evaluated, so batches on one shard
//! are applied one whole batch at a time; batches on different shards run side by side.
//! Two calls on one shard that overlap in time are each applied whole, in the order they
//! take the lock.

use super::shard::{ShardState, WindowStats};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The default bound on entities per shard (`EngineConfig.maxWindowEntities`).
pub const DEFAULT_MAX_WINDOW_ENTITIES: usize = 1_000_000;

/// One shard's state: every entity's windows.
pub struct Shard {
    state: Mutex<ShardState>,
}

impl std::fmt::Debug for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shard").finish_non_exhaustive()
    }
}

impl Shard {
    /// An empty shard holding at most `max_entities` entities (at least 1).
    pub fn new(max_entities: usize) -> Shard {
        Shard {
            state: Mutex::new(ShardState::new(max_entities)),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ShardState> {
        // A panic while a batch held the shard may have left it half updated: start over.
        self.state.lock().unwrap_or_else(|p| {
            let mut s = p.into_inner();
            s.clear();
            s
        })
    }

    pub fn stats(&self) -> WindowStats {
        self.lock().stats()
    }

    /// Forgets every entity's state (the eviction count is kept).
    pub fn reset(&self) {
        self.lock().clear();
    }
}

/// Every shard of one engine.
pub struct WindowState {
    max_entities: usize,
    shards: Mutex<BTreeMap<u32, Arc<Shard>>>,
}

impl WindowState {
    /// Shards of at most `max_entities` entities each.
    pub fn new(max_entities: usize) -> WindowState {
        WindowState {
            max_entities,
            shards: Mutex::new(BTreeMap::new()),
        }
    }

    fn shards(&self) -> MutexGuard<'_, BTreeMap<u32, Arc<Shard>>> {
        // The map is never left half updated: a poisoned lock is still consistent.
        self.shards.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The shard of `partition`, created empty on first use.
    pub fn shard(&self, partition: u32) -> Arc<Shard> {
        let max = self.max_entities;
        let mut m = self.shards();
        m.entry(partition)
            .or_insert_with(|| Arc::new(Shard::new(max)))
            .clone()
    }

    /// Drops the shard of `partition` (a revoked partition); false if it had none.
    pub fn drop_shard(&self, partition: u32) -> bool {
        self.shards().remove(&partition).is_some()
    }

    /// Forgets the state of `partition`, or of every shard.
    pub fn reset(&self, partition: Option<u32>) {
        let shards: Vec<Arc<Shard>> = match partition {
            Some(p) => self.shards().get(&p).cloned().into_iter().collect(),
            None => self.shards().values().cloned().collect(),
        };
        for s in shards {
            s.reset();
        }
    }

    /// The partitions that have a shard.
    pub fn partitions(&self) -> Vec<u32> {
        self.shards().keys().copied().collect()
    }

    /// Totals over every shard.
    pub fn stats(&self) -> WindowStats {
        let shards: Vec<Arc<Shard>> = self.shards().values().cloned().collect();
        shards
            .iter()
            .map(|s| s.stats())
            .fold(WindowStats::default(), |a, b| WindowStats {
                entities: a.entities + b.entities,
                buckets: a.buckets + b.buckets,
                bytes: a.bytes + b.bytes,
                evicted: a.evicted + b.evicted,
            })
    }
}
