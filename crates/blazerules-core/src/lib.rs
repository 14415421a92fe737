//! BlazeRules-compatible rules engine core: pure Rust, no Node dependency.
//!
//! Flow: a rules document (already parsed from YAML/JSON into a `serde_json::Value`
//! by the caller, who keeps the source positions) is loaded and compiled once into an
//! immutable [`RuleSet`]; batches of NDJSON are then evaluated against it many times,
//! in parallel, producing flat per-record arrays in a [`BatchResult`].

pub mod error;
pub mod result;

pub use error::{LoadError, RuleError};
pub use result::{BatchResult, ErrorSample, EvalError, Timing};

use std::path::Path;
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

/// Per-call evaluation settings.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Threads used for one large batch (0 = all cores).
    pub threads: usize,
    /// At most this many entries in `BatchResult::error_samples`.
    pub max_error_samples: usize,
    /// Records longer than this (bytes, after trimming) are skipped as RECORD_TOO_LARGE (0 = no limit).
    pub max_record_bytes: usize,
    pub ingest_error_mode: IngestErrorMode,
    pub dead_letter_path: Option<std::path::PathBuf>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            threads: 0,
            max_error_samples: 16,
            max_record_bytes: 0,
            ingest_error_mode: IngestErrorMode::Skip,
            dead_letter_path: None,
        }
    }
}

/// A loaded, compiled, immutable rule set. Cheap to clone (shared).
#[derive(Clone)]
pub struct RuleSet {
    inner: Arc<()>,
}

impl RuleSet {
    /// Loads and compiles a rules document. `base_dir` resolves relative lookup paths.
    /// Every problem found is returned (never only the first).
    pub fn load(doc: &serde_json::Value, base_dir: &Path) -> Result<RuleSet, LoadError> {
        let _ = (doc, base_dir);
        todo!()
    }
    /// `ruleset.name`.
    pub fn name(&self) -> &str {
        todo!()
    }
    /// `ruleset.version` (the version every result names).
    pub fn version(&self) -> &str {
        todo!()
    }
    /// Enabled rule ids, in rule order; `BatchResult::winners` and `match_counts` index this.
    pub fn rule_ids(&self) -> &[String] {
        todo!()
    }
    /// Decision labels by code: index 0 is the default label.
    pub fn labels(&self) -> &[String] {
        todo!()
    }
    /// Evaluates newline-delimited JSON. Never mutates `payload`; bad records are skipped
    /// and counted unless `opts.ingest_error_mode` is `Fail`.
    pub fn evaluate_ndjson(&self, payload: &[u8], opts: &EvalOptions) -> Result<BatchResult, EvalError> {
        let _ = (payload, opts);
        todo!()
    }
    /// Evaluates each message as one record.
    pub fn evaluate_messages(&self, messages: &[&[u8]], opts: &EvalOptions) -> Result<BatchResult, EvalError> {
        let _ = (messages, opts);
        todo!()
    }
    /// Evaluates one top-level JSON array whose elements are records.
    pub fn evaluate_json_array(&self, payload: &[u8], opts: &EvalOptions) -> Result<BatchResult, EvalError> {
        let _ = (payload, opts);
        todo!()
    }
}
