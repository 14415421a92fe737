//! The compiled rule set: every rule's condition in one plan, the field trie the reader
//! fills, and the decision table (rules-reference §4).

use crate::error::LoadError;
use crate::explain::Source;
use crate::files::LookupLimits;
use crate::plan::build::Plan;
use crate::read::fields::FieldTrie;
use crate::rules::compile::{self, Cond, Windows};
use crate::rules::load;
use crate::rules::lookup::{LookupScope, LookupTexts};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub(crate) struct CRule {
    pub shadow: bool,
    /// What a match adds to the score.
    pub contrib: f64,
    pub cap: f64,
    pub rank: i32,
    pub severity: i32,
    pub priority: i64,
    pub label: i32,
}

pub(crate) struct Inner {
    /// Unique among the rule sets of this process: the record shapes a thread has learnt
    /// (`Scratch::shapes`) are for one rule set's fields.
    pub id: u64,
    pub name: String,
    pub version: String,
    pub rule_ids: Vec<String>,
    pub rule_names: Vec<String>,
    pub labels: Vec<String>,
    pub rules: Vec<CRule>,
    /// Every rule's condition, compiled together (`plan::run::Evaluator` runs it).
    pub plan: Plan,
    /// The windows the conditions read (empty: the batch needs no window state).
    pub windows: Windows,
    pub trie: FieldTrie,
    pub default_rank: i32,
    /// Per label code: the label is exactly BLOCK / REVIEW (risk band rule §4.3).
    pub label_block: Vec<bool>,
    pub label_review: Vec<bool>,
    /// What `explain` needs: each rule's condition as written (compact JSON), compiled for
    /// explaining at the first explanation.
    pub explain: Source,
}

impl Inner {
    /// The compiled rule set of a loaded document whose conditions compiled without problems.
    fn new(
        doc: load::Doc,
        mut conds: Vec<Cond>,
        written: Vec<Box<str>>,
        fields: Vec<String>,
        windows: Windows,
    ) -> Inner {
        compile::close_categoricals(&mut conds, &doc.hints);
        let trie = FieldTrie::new(&fields);
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            name: doc.name.clone(),
            version: doc.version.clone(),
            rule_ids: doc.rules.iter().map(|r| r.id.clone()).collect(),
            rule_names: doc.rules.iter().map(|r| r.name.clone()).collect(),
            label_block: doc.labels.iter().map(|l| l == "BLOCK").collect(),
            label_review: doc.labels.iter().map(|l| l == "REVIEW").collect(),
            default_rank: doc.label_ranks[0],
            rules: decision_table(&doc),
            plan: Plan::new(&conds),
            windows,
            trie,
            explain: Source::new(written, fields, &doc),
            labels: doc.labels,
        }
    }
}

/// What compiling a document's conditions gives.
struct Compiled {
    conds: Vec<Cond>,
    /// Each condition as written, as compact JSON (for `explain`).
    written: Vec<Box<str>>,
    fields: Vec<String>,
    windows: Windows,
}

/// Every rule's condition compiled (problems go to `problems`), the fields they read and
/// their windows.
/// Each condition's document is dropped once compiled (only its compact text is kept), so
/// the document and its compiled form are not both held whole.
fn compile_conditions(doc: &mut load::Doc, problems: &mut load::Problems) -> Compiled {
    let mut c = compile::Compiler::new(&doc.hints, &doc.lookups, problems);
    let (conds, written) = doc
        .rules
        .iter_mut()
        .map(|r| {
            let cond = r.conditions.take();
            let text = serde_json::to_string(&cond).unwrap_or_default();
            let compiled = c.rule(&cond, &format!("{}.conditions", r.path), &r.id);
            (compiled, text.into_boxed_str())
        })
        .unzip();
    Compiled {
        conds,
        written,
        fields: std::mem::take(&mut c.fields),
        windows: std::mem::take(&mut c.windows),
    }
}

/// What each rule contributes to a decision (rules-reference §4): its score, rank and label.
fn decision_table(doc: &load::Doc) -> Vec<CRule> {
    let code_of = |l: &str| doc.labels.iter().position(|x| x == l).unwrap_or(0) as i32;
    doc.rules
        .iter()
        .map(|r| {
            let label = code_of(&r.label);
            let label_rank = doc.label_ranks[label as usize];
            // A rule without a weight scores by its severity (approvals score nothing).
            let contrib = if r.weight == 0.0 && r.action != load::Action::Approve {
                f64::from(r.severity + 1) * 10.0
            } else {
                r.weight
            };
            CRule {
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
        .collect()
}

/// A loaded, compiled, immutable rule set. Cheap to clone (shared).
#[derive(Clone)]
pub struct RuleSet {
    pub(crate) inner: Arc<Inner>,
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
    /// Loads and compiles a rules document. `base_dir` resolves relative lookup paths, and
    /// lookups are read under the default [`LookupLimits`] (inside `base_dir`, 256 MiB each).
    /// Every problem found is returned (never only the first).
    pub fn load(doc: &serde_json::Value, base_dir: &Path) -> Result<RuleSet, LoadError> {
        RuleSet::load_with(doc, base_dir, &LookupLimits::default())
    }

    /// As [`RuleSet::load`], with lookup files read under `limits`: confined to `base_dir`
    /// and `limits.roots` (symlinks and `..` resolved), each at most `limits.max_bytes`.
    pub fn load_with(
        doc: &serde_json::Value,
        base_dir: &Path,
        limits: &LookupLimits,
    ) -> Result<RuleSet, LoadError> {
        RuleSet::load_owned(doc.clone(), base_dir, limits)
    }

    /// As [`RuleSet::load_with`], consuming the document: each part is dropped once read or
    /// compiled, so loading holds little more than the larger of the document and the rule set.
    pub fn load_owned(
        doc: serde_json::Value,
        base_dir: &Path,
        limits: &LookupLimits,
    ) -> Result<RuleSet, LoadError> {
        let scope = LookupScope {
            base_dir,
            limits,
            bundle: None,
        };
        RuleSet::load_scoped(doc, scope)
    }

    /// As [`RuleSet::load_owned`] for a rules bundle: every lookup the document names is taken
    /// from `lookups` by the path as written (nothing is read from disk; a missing one is a
    /// MISSING_REQUIRED_FIELD problem), each at most `limits.max_bytes`.
    pub fn load_bundle(
        doc: serde_json::Value,
        lookups: &LookupTexts,
        limits: &LookupLimits,
    ) -> Result<RuleSet, LoadError> {
        let scope = LookupScope {
            base_dir: Path::new("."),
            limits,
            bundle: Some(lookups),
        };
        RuleSet::load_scoped(doc, scope)
    }

    fn load_scoped(
        mut doc: serde_json::Value,
        scope: LookupScope<'_>,
    ) -> Result<RuleSet, LoadError> {
        let mut problems = load::Problems::default();
        let loaded = load::load_doc(&mut doc, scope, &mut problems);
        drop(doc);
        let Some(mut doc) = loaded else {
            return Err(LoadError {
                problems: problems.list,
            });
        };
        let c = compile_conditions(&mut doc, &mut problems);
        if !problems.list.is_empty() {
            return Err(LoadError {
                problems: problems.list,
            });
        }
        Ok(RuleSet {
            inner: Arc::new(Inner::new(doc, c.conds, c.written, c.fields, c.windows)),
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
}
