//! A leaf's keys read as fields, values, numbers and masks, with the error a bad one gives.

use super::{At, Compiler, FieldRef, Mode};
use crate::error::ErrorCode;
use crate::rules::scalar::{as_f64, as_i64, scalar_text, NotText};
use serde_json::{Map, Value};

impl Compiler<'_> {
    /// The leaf's `key` as text (`Problems::text`: a list or mapping is reported at it).
    pub(super) fn text(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        at: &At<'_>,
    ) -> Result<Option<String>, NotText> {
        self.problems.text(m, key, Some(at.rule), at.path)
    }

    /// The leaf's `key` (a required field name) as a field; an empty name is an
    /// UNKNOWN_FIELD_NAME.
    pub(super) fn field_of(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<FieldRef> {
        match self.text(m, key, at).ok()? {
            Some(name) if name.is_empty() => {
                self.err(
                    ErrorCode::UnknownFieldName,
                    "a field name is empty",
                    at,
                    key,
                );
                None
            }
            Some(name) => Some(self.field(&name, mode)),
            None => {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    format!("missing required key '{key}'"),
                    at,
                    "",
                );
                None
            }
        }
    }

    /// `values` takes priority over `value` (§1.6).
    pub(super) fn value_of<'v>(
        &mut self,
        m: &'v Map<String, Value>,
        at: &At<'_>,
    ) -> Option<(&'v Value, &'static str)> {
        if let Some(v) = m.get("values") {
            return Some((v, "values"));
        }
        if let Some(v) = m.get("value") {
            return Some((v, "value"));
        }
        self.err(
            ErrorCode::YamlSyntaxError,
            "missing required key 'value'",
            at,
            "",
        );
        None
    }

    /// The leaf's `values`/`value` as text, or a YAML_SYNTAX_ERROR saying it must be `what`.
    pub(super) fn text_value(
        &mut self,
        m: &Map<String, Value>,
        at: &At<'_>,
        what: &str,
    ) -> Option<(String, &'static str)> {
        let (v, key) = self.value_of(m, at)?;
        match scalar_text(v) {
            Some(t) => Some((t, key)),
            None => {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    format!("'{key}' must be {what}"),
                    at,
                    key,
                );
                None
            }
        }
    }

    pub(super) fn number(&mut self, v: &Value, at: &At<'_>, key: &str) -> Option<f64> {
        let n = as_f64(v);
        if n.is_none() {
            self.err(
                ErrorCode::YamlSyntaxError,
                format!("'{key}' must be a number"),
                at,
                key,
            );
        }
        n
    }

    pub(super) fn integer(&mut self, v: &Value, at: &At<'_>, key: &str) -> Option<i64> {
        let n = as_i64(v).or_else(|| as_f64(v).map(|f| f.trunc() as i64));
        if n.is_none() {
            self.err(
                ErrorCode::YamlSyntaxError,
                format!("'{key}' must be an integer"),
                at,
                key,
            );
        }
        n
    }
}

/// Parses a flags mask: a number, a decimal string or a 0x hex string (choices.md).
pub(super) fn parse_mask(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|u| u as i64)),
        Value::String(s) => {
            let t = s.trim();
            if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                u64::from_str_radix(h, 16).ok().map(|u| u as i64)
            } else {
                t.parse::<i64>()
                    .ok()
                    .or_else(|| t.parse::<u64>().ok().map(|u| u as i64))
            }
        }
        Value::Array(items) => items
            .iter()
            .try_fold(0i64, |acc, x| parse_mask(x).map(|m| acc | m)),
        _ => None,
    }
}
