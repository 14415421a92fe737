//! Why a record got its decision (service.md §2, `engine.explain`): every rule, matched or
//! not, with its condition tree as written and each leaf's value, operand and result; the
//! decision, score, band and winner, and why the winner won.
//!
//! Nothing here decides anything the engine does not: the record is read by the batch's
//! reader (`batch/one.rs`), which rules matched is the plan's answer, the decision is the
//! batch's `decide` (`decision`), and each leaf is the engine's compiled predicate
//! (`plan::tree`) over a tree compiled from the condition as written (`build`, from the text
//! the rule set keeps: `source`) and traced per record (`trace`). Window conditions read the
//! state of the call's shard as it is and never add the record (`window::peek`). Explaining
//! costs evaluation nothing: the tree is built at the first explanation, beside the plan.

mod build;
mod decision;
mod json;
mod source;
mod trace;

pub(crate) use source::Source;
pub use trace::MAX_ELEMENTS;

use crate::batch::one::with_record;
use crate::batch::options::EvalOptions;
use crate::plan::tree::{Ctx, Record};
use crate::ruleset::{Inner, RuleSet};
use serde_json::Value;

/// The kind of a condition node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    And,
    Or,
    Not,
    Leaf,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::And => "and",
            Kind::Or => "or",
            Kind::Not => "not",
            Kind::Leaf => "leaf",
        }
    }
}

/// One node of a rule's condition tree, as written, traced for one record.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionTrace {
    /// `and` (also a bare list), `or`, `not`, or `leaf` (a field leaf, a window, a vector
    /// distance, an `array_any`).
    pub kind: Kind,
    pub result: bool,
    /// Leaves: the operator's canonical spelling (`array_any` for one).
    pub op: Option<String>,
    /// Leaves on a field: its name (as written; inside `array_any`, within the element).
    pub field: Option<String>,
    /// Leaves: the value read (null when missing), or the value computed (`computed`).
    pub actual: Option<Value>,
    /// Leaves: the operand as written (`values`, else `value`; a lookup's name; a mask); for
    /// a comparison with another field `{ field, value }`.
    pub expected: Option<Value>,
    /// Leaves whose value is computed: what from (a window, a vector, `expr`, a distance).
    pub computed: Option<String>,
    /// The `where` of an `array_any`: the index of the element it was evaluated on.
    pub element: Option<usize>,
    /// The document path, as load errors name it.
    pub path: String,
    pub children: Vec<ConditionTrace>,
}

impl ConditionTrace {
    fn new(kind: Kind, path: String) -> Self {
        ConditionTrace {
            kind,
            result: false,
            op: None,
            field: None,
            actual: None,
            expected: None,
            computed: None,
            element: None,
            path,
            children: Vec::new(),
        }
    }
}

/// One rule's part in a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTrace {
    pub id: String,
    pub matched: bool,
    pub shadow: bool,
    /// The action's label (`BLOCK`, `REVIEW`, `FLAG`, `SCORE`, `APPROVE`).
    pub action: String,
    /// The decision label the rule reports (its `label`, else its action's).
    pub label: String,
    /// What it added to this record's score (after any cap; 0 unless matched, not shadow).
    pub score_contribution: f64,
    pub condition: ConditionTrace,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Winner {
    pub rule_id: String,
    /// Why it won: its precedence, and what put it above the rule that would win without it.
    pub why: String,
}

/// Why a record got its decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub decision: String,
    pub score: f64,
    /// `LOW`, `MEDIUM` or `HIGH`.
    pub risk_band: &'static str,
    /// "" when no rule won.
    pub winning_rule_id: String,
    pub rule_set_version: String,
    pub winner: Option<Winner>,
    pub rules: Vec<RuleTrace>,
}

impl RuleSet {
    /// Explains one record (a JSON object, read as `evaluate_messages` reads a message) as
    /// `evaluate_messages` would decide it with `opts`: window conditions read the state of
    /// `opts.window_shard` (an empty shard when None) without adding the record. A record
    /// that cannot be read is refused with the code and message a batch gives it.
    pub fn explain(&self, record: &[u8], opts: &EvalOptions) -> Result<Explanation, ExplainError> {
        let rs = &*self.inner;
        with_record(rs, record, opts, |r, cx| explain(rs, r, cx))
    }
}

pub use crate::batch::one::Unreadable as ExplainError;

fn explain(rs: &Inner, r: &Record<'_, '_>, cx: &Ctx) -> Explanation {
    let words = rs.rules.len().div_ceil(64).max(1);
    let mut bits = vec![0u64; words];
    rs.evaluator(cx).run(std::slice::from_ref(r), &mut bits);
    let out = decision::outcome(rs, &bits);
    let added = decision::contributions(rs, &bits);
    let tree = rs.explain.tree(&rs.rule_ids, &rs.windows);
    let rules = tree
        .rules
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let c = &rs.rules[i];
            RuleTrace {
                id: rs.rule_ids[i].clone(),
                matched: bits[i / 64] & (1 << (i % 64)) != 0,
                shadow: c.shadow,
                action: rs.explain.actions[i].to_string(),
                label: rs.labels[c.label as usize].clone(),
                score_contribution: added[i],
                condition: trace::trace(node, &tree.conds, r, cx),
            }
        })
        .collect();
    Explanation {
        decision: rs.labels[out.code as usize].clone(),
        score: out.score,
        risk_band: out.band,
        winning_rule_id: out
            .winner
            .map_or_else(String::new, |w| rs.rule_ids[w].clone()),
        rule_set_version: rs.version.clone(),
        winner: out.winner.map(|w| decision::winner(rs, &bits, w)),
        rules,
    }
}
