//! The rule set a running loop reads at each batch, and the window state it keeps.

use std::sync::{Arc, RwLock};

use blazerules_core::error::ErrorCode;
use blazerules_core::{RuleSet, WindowState, DEFAULT_MAX_WINDOW_ENTITIES};

use crate::StreamError;

/// The rule set a running loop reads at each batch; `RuleEngine` updates it on every
/// successful load, which is how a hot swap reaches the loop. It also holds the engine's
/// window state (a shard per assigned partition, `crate::shards`), so that
/// `engine.windowStats()` counts the stream's entities and `maxWindowEntities` bounds them.
#[derive(Clone)]
pub struct RuleCell {
    rules: Arc<RwLock<Option<RuleSet>>>,
    windows: Arc<RwLock<Arc<WindowState>>>,
}

impl Default for RuleCell {
    fn default() -> Self {
        RuleCell {
            rules: Arc::default(),
            windows: Arc::new(RwLock::new(Arc::new(WindowState::new(
                DEFAULT_MAX_WINDOW_ENTITIES,
            )))),
        }
    }
}

impl RuleCell {
    pub fn new() -> RuleCell {
        RuleCell::default()
    }
    /// Makes `rules` the rule set of the loops reading this cell; `windows`: the state of the
    /// engine that loaded them (None keeps the cell's).
    pub fn set(&self, rules: RuleSet, windows: Option<Arc<WindowState>>) {
        match self.rules.write() {
            Ok(mut g) => *g = Some(rules),
            Err(poisoned) => *poisoned.into_inner() = Some(rules),
        }
        if let Some(w) = windows {
            match self.windows.write() {
                Ok(mut g) => *g = w,
                Err(poisoned) => *poisoned.into_inner() = w,
            }
        }
    }
    pub fn get(&self) -> Option<RuleSet> {
        match self.rules.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
    /// The window state the loop keeps its shards in.
    pub fn windows(&self) -> Arc<WindowState> {
        match self.windows.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// The rule set the loop may run: one is loaded.
pub(crate) fn runnable(cell: &RuleCell) -> Result<RuleSet, StreamError> {
    cell.get().ok_or_else(|| {
        StreamError::new(
            ErrorCode::NoRules,
            "no rules loaded: call loadRules() before runStream()",
        )
    })
}
