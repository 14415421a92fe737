//! The rule set a running loop reads at each batch.

use std::sync::{Arc, RwLock};

use blazerules_core::RuleSet;

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
