//! BlazeRules-compatible rules engine core: pure Rust, no Node dependency.
//!
//! Flow: a rules document (already parsed from YAML/JSON into a `serde_json::Value`
//! by the caller, who keeps the source positions) is loaded and compiled once into an
//! immutable [`RuleSet`]; batches of NDJSON are then evaluated against it many times,
//! in parallel, producing flat per-record arrays in a [`BatchResult`].

mod batch;
mod compile;
pub mod error;
mod eval;
mod exec;
mod json;
mod load;
mod lookup;
mod ndjson;
mod plan;
mod record;
pub mod result;
mod ruleset;
pub mod sql;
mod template;
mod value;

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
    inner: Arc<ruleset::Inner>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("name", &self.inner.name)
            .field("version", &self.inner.version)
            .finish()
    }
}

impl RuleSet {
    /// Loads and compiles a rules document. `base_dir` resolves relative lookup paths.
    /// Every problem found is returned (never only the first).
    pub fn load(doc: &serde_json::Value, base_dir: &Path) -> Result<RuleSet, LoadError> {
        let mut problems = load::Problems::default();
        let Some(doc) = load::load_doc(doc, base_dir, &mut problems) else {
            return Err(LoadError {
                problems: problems.list,
            });
        };
        let mut conds = Vec::with_capacity(doc.rules.len());
        let fields = {
            let mut c = compile::Compiler::new(&doc.hints, &doc.lookups, &mut problems);
            for r in &doc.rules {
                conds.push(c.rule(&r.conditions, &format!("{}.conditions", r.path), &r.id));
            }
            std::mem::take(&mut c.fields)
        };
        if !problems.list.is_empty() {
            return Err(LoadError {
                problems: problems.list,
            });
        }
        compile::close_categoricals(&mut conds, &doc.hints);
        let plan = plan::Plan::new(&conds);
        let code_of = |l: &str| doc.labels.iter().position(|x| x == l).unwrap_or(0) as i32;
        let rules = doc
            .rules
            .iter()
            .map(|r| {
                let label = code_of(&r.label);
                let label_rank = doc.label_ranks[label as usize];
                let contrib = if r.weight == 0.0 && r.action != load::Action::Approve {
                    f64::from(r.severity + 1) * 10.0
                } else {
                    r.weight
                };
                ruleset::CRule {
                    shadow: r.shadow,
                    contrib,
                    cap: r.score_cap,
                    rank: if label_rank > 0 {
                        label_rank
                    } else {
                        r.action.builtin_rank()
                    },
                    severity: r.severity,
                    priority: r.priority,
                    label,
                }
            })
            .collect();
        let inner = ruleset::Inner {
            name: doc.name.clone(),
            version: doc.version.clone(),
            rule_ids: doc.rules.iter().map(|r| r.id.clone()).collect(),
            rule_names: doc.rules.iter().map(|r| r.name.clone()).collect(),
            label_block: doc.labels.iter().map(|l| l == "BLOCK").collect(),
            label_review: doc.labels.iter().map(|l| l == "REVIEW").collect(),
            default_rank: doc.label_ranks[0],
            labels: doc.labels,
            rules,
            plan,
            trie: record::FieldTrie::new(&fields),
        };
        Ok(RuleSet {
            inner: Arc::new(inner),
        })
    }
    /// `ruleset.name`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// `ruleset.version` (the version every result names).
    pub fn version(&self) -> &str {
        &self.inner.version
    }
    /// Enabled rule ids, in rule order; `BatchResult::winners` and `match_counts` index this.
    pub fn rule_ids(&self) -> &[String] {
        &self.inner.rule_ids
    }
    /// Rule names (default: the id), in rule order.
    pub fn rule_names(&self) -> &[String] {
        &self.inner.rule_names
    }
    /// Decision labels by code: index 0 is the default label.
    pub fn labels(&self) -> &[String] {
        &self.inner.labels
    }
    /// Evaluates newline-delimited JSON. Never mutates `payload`; bad records are skipped
    /// and counted unless `opts.ingest_error_mode` is `Fail`.
    pub fn evaluate_ndjson(
        &self,
        payload: &[u8],
        opts: &EvalOptions,
    ) -> Result<BatchResult, EvalError> {
        batch::ndjson(&self.inner, payload, opts)
    }
    /// Evaluates each message as one record.
    pub fn evaluate_messages(
        &self,
        messages: &[&[u8]],
        opts: &EvalOptions,
    ) -> Result<BatchResult, EvalError> {
        batch::messages(&self.inner, messages, opts)
    }
    /// Evaluates one top-level JSON array whose elements are records.
    pub fn evaluate_json_array(
        &self,
        payload: &[u8],
        opts: &EvalOptions,
    ) -> Result<BatchResult, EvalError> {
        batch::json_array(&self.inner, payload, opts)
    }
}
