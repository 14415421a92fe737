//! One rule's metadata (§1.3): id, action, severity, label, weight; and the list of rules.

use super::Problems;
use crate::error::ErrorCode;
use crate::rules::scalar::{as_bool, as_f64, as_i64};
use serde_json::{Map, Value};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Flag,
    Block,
    Score,
    Review,
    Approve,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        Some(match s.to_ascii_lowercase().as_str() {
            "flag" => Action::Flag,
            "block" => Action::Block,
            "score" => Action::Score,
            "review" => Action::Review,
            "approve" => Action::Approve,
            _ => return None,
        })
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Flag => "FLAG",
            Action::Block => "BLOCK",
            Action::Score => "SCORE",
            Action::Review => "REVIEW",
            Action::Approve => "APPROVE",
        }
    }
    pub fn builtin_rank(self) -> i32 {
        match self {
            Action::Block => 4,
            Action::Review => 3,
            Action::Flag => 2,
            Action::Score => 1,
            Action::Approve => 0,
        }
    }
}

/// One enabled rule's metadata; its condition (taken out of the document) is compiled
/// separately, and dropped once compiled.
pub(crate) struct RuleDef {
    pub id: String,
    pub name: String,
    pub path: String,
    pub priority: i64,
    pub weight: f64,
    pub score_cap: f64,
    pub shadow: bool,
    pub action: Action,
    pub label: String,
    pub severity: i32,
    pub conditions: Value,
}

/// Normalises a decision label: uppercase, `[A-Za-z0-9_.-]` kept, others `_`, empty → FLAG.
pub(crate) fn normalize_label(s: &str) -> String {
    if s.is_empty() {
        return "FLAG".to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The enabled rules (`ruleset.rules`, else `rules`), with a problem for each repeated id.
pub(super) fn parse_rules(doc: &mut Value, nested: bool, p: &mut Problems) -> Vec<RuleDef> {
    let (rules_val, rules_path) = if nested {
        let rules = doc.get_mut("ruleset").and_then(|r| r.get_mut("rules"));
        (rules, "ruleset.rules")
    } else {
        (doc.get_mut("rules"), "rules")
    };
    let mut rules = Vec::new();
    match rules_val {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                if let Some(r) = parse_rule(item, &format!("{rules_path}[{i}]"), p) {
                    rules.push(r);
                }
            }
        }
        Some(_) => p.add(
            ErrorCode::YamlSyntaxError,
            "rules must be a list",
            None,
            rules_path,
        ),
    }
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for r in &rules {
        if seen.insert(&r.id, ()).is_some() {
            p.add(
                ErrorCode::DuplicateRuleId,
                format!("duplicate rule id: {}", r.id),
                Some(&r.id),
                &format!("{}.id", r.path),
            );
        }
    }
    rules
}

/// A rule's mapping, for reading its optional keys.
struct RuleKeys<'m, 'r> {
    m: &'m Map<String, Value>,
    rid: Option<&'r str>,
    path: &'r str,
}

impl RuleKeys<'_, '_> {
    /// `key` read with `read`: absent or null gives `default`, a bad value a
    /// YAML_SYNTAX_ERROR saying it must be `must` (and `default`).
    fn read<T>(
        &self,
        key: &str,
        read: impl Fn(&Value) -> Option<T>,
        default: T,
        must: &str,
        p: &mut Problems,
    ) -> T {
        match self.m.get(key) {
            None | Some(Value::Null) => default,
            Some(v) => read(v).unwrap_or_else(|| {
                p.add(
                    ErrorCode::YamlSyntaxError,
                    format!("{key} must be {must}"),
                    self.rid,
                    &format!("{}.{key}", self.path),
                );
                default
            }),
        }
    }
}

fn parse_rule(item: &mut Value, path: &str, p: &mut Problems) -> Option<RuleDef> {
    let conditions = item.get_mut("conditions").map(Value::take);
    let Some(m) = item.as_object() else {
        p.add(
            ErrorCode::YamlSyntaxError,
            "a rule must be a mapping",
            None,
            path,
        );
        return None;
    };
    let Ok(id) = p.text(m, "id", None, path) else {
        return None;
    };
    let Some(id) = id else {
        p.add(
            ErrorCode::YamlSyntaxError,
            "missing required key 'id'",
            None,
            path,
        );
        return None;
    };
    let rid = Some(id.as_str());
    if let Some(v) = m.get("enabled") {
        match as_bool(v) {
            Some(false) => return None,
            Some(true) => {}
            None => p.add(
                ErrorCode::YamlSyntaxError,
                "enabled must be a boolean",
                rid,
                &format!("{path}.enabled"),
            ),
        }
    }
    let keys = RuleKeys { m, rid, path };
    let weight = keys.read("weight", as_f64, 0.0, "a number", p);
    let score_cap = keys.read("score_cap", as_f64, 0.0, "a number", p);
    let priority = keys.read("priority", as_i64, 0, "an integer", p);
    let shadow = keys.read("shadow", as_bool, false, "a boolean", p);
    let action = rule_action(m, rid, path, p);
    let severity = rule_severity(m, rid, path, p);
    let label = match p.text(m, "label", rid, path) {
        Ok(Some(l)) => normalize_label(&l),
        _ => action.label().to_string(),
    };
    let name = p.text(m, "name", rid, path).ok().flatten();
    let Some(conditions) = conditions else {
        p.add(
            ErrorCode::YamlSyntaxError,
            "missing required key 'conditions'",
            rid,
            path,
        );
        return None;
    };
    Some(RuleDef {
        name: name.unwrap_or_else(|| id.clone()),
        id,
        path: path.to_string(),
        priority,
        weight,
        score_cap,
        shadow,
        action,
        label,
        severity,
        conditions,
    })
}

/// `action`, default flag; an unknown one is a problem and reads as flag.
fn rule_action(m: &Map<String, Value>, rid: Option<&str>, path: &str, p: &mut Problems) -> Action {
    let Ok(action_text) = p.text(m, "action", rid, path) else {
        return Action::Flag;
    };
    let action_text = action_text.unwrap_or_else(|| "flag".into());
    Action::parse(&action_text).unwrap_or_else(|| {
        p.add(
            ErrorCode::UnknownAction,
            format!("unknown action: '{action_text}'"),
            rid,
            &format!("{path}.action"),
        );
        Action::Flag
    })
}

/// Severities by rank (§4.2: CRITICAL beats HIGH …).
pub(crate) const SEVERITIES: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// `severity` as 0 (LOW, the default) to 3 (CRITICAL); an unknown one is a problem and
/// reads as LOW.
fn rule_severity(m: &Map<String, Value>, rid: Option<&str>, path: &str, p: &mut Problems) -> i32 {
    let Ok(severity_text) = p.text(m, "severity", rid, path) else {
        return 0;
    };
    let severity_text = severity_text.unwrap_or_else(|| "LOW".into());
    let upper = severity_text.to_ascii_uppercase();
    match SEVERITIES.iter().position(|s| *s == upper) {
        Some(i) => i as i32,
        None => {
            p.add(
                ErrorCode::UnknownSeverity,
                format!("unknown severity: '{severity_text}'"),
                rid,
                &format!("{path}.severity"),
            );
            0
        }
    }
}
