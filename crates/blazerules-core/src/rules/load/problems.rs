//! The problems found while loading and compiling, each with its document path.

use crate::error::{ErrorCode, RuleError};
use crate::rules::scalar::{text_key, NotText};
use serde_json::{Map, Value};

/// Collects problems while loading and compiling.
#[derive(Default)]
pub(crate) struct Problems {
    pub list: Vec<RuleError>,
}

impl Problems {
    pub fn add(
        &mut self,
        code: ErrorCode,
        message: impl Into<String>,
        rule_id: Option<&str>,
        path: &str,
    ) {
        self.list.push(RuleError {
            code,
            message: message.into(),
            rule_id: rule_id.map(str::to_string),
            path: path.to_string(),
            sql_offset: None,
        });
    }

    /// `m[key]` as text (`scalar::text_key`); a list or mapping is a YAML_SYNTAX_ERROR
    /// "`key` must be a string" at the value (`path.key`, `path` the enclosing mapping's).
    pub fn text(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        rule_id: Option<&str>,
        path: &str,
    ) -> Result<Option<String>, NotText> {
        text_key(m, key).inspect_err(|_| {
            let at = if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            self.add(
                ErrorCode::YamlSyntaxError,
                format!("{key} must be a string"),
                rule_id,
                &at,
            );
        })
    }
}
