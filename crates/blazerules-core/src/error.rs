//! Load-time errors: a BlazeRules error code, a message, and where in the document.

use std::fmt;

/// One problem in a rules document.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    /// BlazeRules code: YAML_SYNTAX_ERROR, UNKNOWN_OP, UNKNOWN_ACTION, UNKNOWN_SEVERITY,
    /// UNKNOWN_FIELD_NAME, TYPE_MISMATCH, MISSING_REQUIRED_FIELD, DUPLICATE_RULE_ID, UNSUPPORTED.
    pub code: &'static str,
    pub message: String,
    /// The id of the rule the problem is in, if any.
    pub rule_id: Option<String>,
    /// Path of the offending node, e.g. `ruleset.rules[3].conditions.and[1].op`.
    pub path: String,
    /// For errors inside a `sql:` string: 0-based byte offset within that string.
    pub sql_offset: Option<usize>,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (at {})", self.code, self.message, self.path)
    }
}

/// Every problem found while loading a rules document (at least one).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub problems: Vec<RuleError>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.first() {
            Some(p) => write!(f, "{p}")?,
            None => write!(f, "invalid rules")?,
        }
        if self.problems.len() > 1 {
            write!(f, " (and {} more)", self.problems.len() - 1)?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}
