//! Per-call evaluation settings.

use crate::window::{Shard, DEFAULT_MAX_WINDOW_ENTITIES};
use std::sync::Arc;

/// How a batch treats records that cannot be read (rules-reference §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IngestErrorMode {
    /// Skip the record and count it (the default).
    #[default]
    Skip,
    /// As Skip, and append one JSON line per bad record to `dead_letter_path`.
    DeadLetter,
    /// Read the whole batch, then fail with MALFORMED_JSON if any record was bad.
    Fail,
}

/// What a record that repeats a key the rules read gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicateKeys {
    /// The last occurrence wins, as `JSON.parse`; each repeat is a DUPLICATE_KEY warning.
    #[default]
    Last,
    /// The record is skipped as DUPLICATE_KEY.
    Reject,
}

/// Per-call evaluation settings.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The state shard window conditions read and update (`WindowState::shard(partition)`);
    /// None: a fresh, empty shard for this call only.
    pub window_shard: Option<Arc<Shard>>,
    /// The batch's clock in epoch ms (processing time for windows, `within_last`, dead
    /// letters); None: the wall clock when the batch starts.
    pub now_ms: Option<i64>,
    /// `evaluate_messages` only: message `i`'s processing time in epoch ms (e.g. its Kafka
    /// timestamp), instead of the batch's clock; messages past its end use the clock.
    pub record_times_ms: Option<Arc<[i64]>>,
    /// Threads used for one large batch (0 = all cores).
    pub threads: usize,
    /// At most this many entries in `BatchResult::error_samples`.
    pub max_error_samples: usize,
    /// Records longer than this (bytes, after trimming) are skipped as RECORD_TOO_LARGE (0 = no limit).
    pub max_record_bytes: usize,
    pub ingest_error_mode: IngestErrorMode,
    pub dead_letter_path: Option<std::path::PathBuf>,
    pub duplicate_keys: DuplicateKeys,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            window_shard: None,
            now_ms: None,
            record_times_ms: None,
            threads: 0,
            max_error_samples: 16,
            max_record_bytes: 0,
            ingest_error_mode: IngestErrorMode::Skip,
            dead_letter_path: None,
            duplicate_keys: DuplicateKeys::Last,
        }
    }
}

impl EvalOptions {
    /// `f` on the call's window shard, or on a fresh, empty one when the options name none.
    pub(crate) fn with_shard<T>(&self, f: impl FnOnce(&Shard) -> T) -> T {
        match &self.window_shard {
            Some(s) => f(s),
            None => f(&Shard::new(DEFAULT_MAX_WINDOW_ENTITIES)),
        }
    }
}
