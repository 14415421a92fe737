//! The rule set a running loop reads at each batch.

use std::sync::{Arc, RwLock};

use blazerules_core::error::ErrorCode;
use blazerules_core::RuleSet;

use crate::StreamError;

/// The rule set a running loop reads at each batch; `RuleEngine` updates it on every
/// successful load, which is how a hot swap reaches the loop.
#[derive(Clone, Default)]
pub struct RuleCell(Arc<RwLock<Option<RuleSet>>>);

impl RuleCell {
    pub fn new() -> RuleCell {
        RuleCell::default()
    }
    pub fn set(&self, rules: RuleSet) {
        match self.0.write() {
            Ok(mut g) => *g = Some(rules),
            Err(poisoned) => *poisoned.into_inner() = Some(rules),
        }
    }
    pub fn get(&self) -> Option<RuleSet> {
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The rule set the loop may run: one is loaded, and it keeps no window state. A stream
/// evaluates batch by batch without a shard of its own yet (issue 9's stream half), so a
/// window would silently restart empty at every batch: refused instead.
pub(crate) fn runnable(cell: &RuleCell) -> Result<RuleSet, StreamError> {
    let Some(rules) = cell.get() else {
        return Err(StreamError::new(
            ErrorCode::NoRules,
            "no rules loaded: call loadRules() before runStream()",
        ));
    };
    if rules.has_windows() {
        return Err(StreamError::new(
            ErrorCode::Unsupported,
            "runStream does not keep window state yet: rules with 'window' conditions run with evaluate* calls and { partition }",
        ));
    }
    Ok(rules)
}
