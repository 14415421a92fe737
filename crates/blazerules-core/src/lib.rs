//! BlazeRules-compatible rules engine core: pure Rust, no Node dependency.
//!
//! The pipeline, one folder a stage: `rules` (a rules document, already parsed from YAML/JSON
//! into a `serde_json::Value` by the caller, who keeps the source positions, is loaded and
//! compiled) → `plan` (every rule's condition in one flat plan) → `read` (NDJSON records read
//! into field slots) → `batch` (blocks of records evaluated and decided on all cores into a
//! flat [`BatchResult`]). [`RuleSet`] is the compiled, immutable, cheaply cloned handle;
//! [`limits`] holds the nesting limits the glue quotes.
//! This file only wires the stages to the public API.

mod batch;
pub mod error;
pub mod explain;
pub mod files;
pub mod generated;
pub mod limits;
mod plan;
mod read;
mod rules;
mod ruleset;
mod value;
mod window;

pub use batch::drive::Replayed;
pub use batch::options::{DuplicateKeys, EvalOptions, IngestErrorMode};
pub use batch::output;
pub use batch::result;
pub use error::{LoadError, RuleError};
pub use result::{BatchResult, ErrorSample, EvalError, Timing, WarningSample};
pub use rules::load::lookup_paths;
pub use rules::lookup::LookupTexts;
pub use rules::source;
pub use rules::sql;
pub use ruleset::RuleSet;
pub use window::{Shard, WindowState, WindowStats, DEFAULT_MAX_WINDOW_ENTITIES};

impl RuleSet {
    /// Evaluates newline-delimited JSON. Never mutates `payload`; bad records are skipped
    /// and counted unless `opts.ingest_error_mode` is `Fail`.
    pub fn evaluate_ndjson(
        &self,
        payload: &[u8],
        opts: &EvalOptions,
    ) -> Result<BatchResult, EvalError> {
        batch::drive::ndjson(&self.inner, payload, opts)
    }
    /// Evaluates each message as one record.
    pub fn evaluate_messages(
        &self,
        messages: &[&[u8]],
        opts: &EvalOptions,
    ) -> Result<BatchResult, EvalError> {
        batch::drive::messages(&self.inner, messages, opts)
    }
    /// Applies each message to the window state of `opts.window_shard` exactly as
    /// [`RuleSet::evaluate_messages`] would, deciding nothing (rebuilding a shard by replaying
    /// a partition). A rule set without windows does nothing.
    pub fn replay_messages(&self, messages: &[&[u8]], opts: &EvalOptions) -> Replayed {
        batch::drive::replay_messages(&self.inner, messages, opts)
    }
    /// Whether the rule set has window conditions (and so reads and updates window state).
    pub fn has_windows(&self) -> bool {
        !self.inner.windows.is_empty()
    }
    /// The longest window's duration in ms (None without windows): how far back a replay
    /// must reach to rebuild a shard.
    pub fn longest_window_ms(&self) -> Option<i64> {
        let channels = &self.inner.windows.channels;
        channels
            .iter()
            .map(|c| c.duration_s.saturating_mul(1000))
            .max()
    }
    /// Evaluates one top-level JSON array whose elements are records.
    pub fn evaluate_json_array(
        &self,
        payload: &[u8],
        opts: &EvalOptions,
    ) -> Result<BatchResult, EvalError> {
        batch::drive::json_array(&self.inner, payload, opts)
    }
}
