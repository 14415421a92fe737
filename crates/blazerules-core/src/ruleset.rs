//! The compiled rule set: every rule's condition in one plan, the field trie the reader
//! fills, and the decision table (rules-reference §4).

use crate::error::LoadError;
use crate::plan::build::Plan;
use crate::read::fields::FieldTrie;
use crate::rules::{compile, load};
use std::path::Path;
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
    pub name: String,
    pub version: String,
    pub rule_ids: Vec<String>,
    pub rule_names: Vec<String>,
    pub labels: Vec<String>,
    pub rules: Vec<CRule>,
    /// Every rule's condition, compiled together (`exec::Evaluator` runs it).
    pub plan: Plan,
    pub trie: FieldTrie,
    pub default_rank: i32,
    /// Per label code: the label is exactly BLOCK / REVIEW (risk band rule §4.3).
    pub label_block: Vec<bool>,
    pub label_review: Vec<bool>,
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
        let plan = Plan::new(&conds);
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
            .collect();
        let inner = Inner {
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
            trie: FieldTrie::new(&fields),
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
}
