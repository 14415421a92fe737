//! Rules document → rule set metadata (rules-reference §1): keys, aliases, defaults, labels.
//! Conditions are compiled by `compile`; every problem is collected with its document path.

use crate::error::{ErrorCode, RuleError};
use crate::rules::lookup::{self, LookupKind, LookupScope, LookupSet};
use crate::rules::scalar::{as_bool, as_f64, as_i64, scalar_text, text_key, NotText};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

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

/// A field's physical type hint (§1.2). `None` = typed per value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HintType {
    F32,
    F64,
    I32,
    I64,
    Timestamp,
    Categorical,
    Entity,
    Bool,
    Str,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Hint {
    pub ty: Option<HintType>,
    pub nullable: Option<bool>,
    pub values: Vec<String>,
}

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
    fn label(self) -> &'static str {
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

pub(crate) struct Doc {
    pub name: String,
    pub version: String,
    pub hints: HashMap<String, Hint>,
    pub lookups: HashMap<String, Arc<LookupSet>>,
    /// Label codes: index 0 is the default label.
    pub labels: Vec<String>,
    /// Rank of each label code (§4.1, quirk included).
    pub label_ranks: Vec<i32>,
    pub rules: Vec<RuleDef>,
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

fn hint_type(s: &str) -> Option<HintType> {
    Some(match s.to_ascii_lowercase().as_str() {
        "float32" | "f32" | "float" => HintType::F32,
        "float64" | "f64" | "double" => HintType::F64,
        "int32" | "i32" | "integer" => HintType::I32,
        "int64" | "i64" | "long" => HintType::I64,
        "categorical" | "category" | "enum" => HintType::Categorical,
        "entity_key" | "entity" | "key" => HintType::Entity,
        "timestamp_ms" | "timestamp" | "datetime" => HintType::Timestamp,
        "bool" | "boolean" => HintType::Bool,
        "string" | "text" => HintType::Str,
        _ => return None,
    })
}

fn parse_hint(m: &Map<String, Value>, path: &str, p: &mut Problems) -> Hint {
    let ty = p.text(m, "type", None, path).ok().flatten();
    let mut h = Hint {
        ty: ty.and_then(|t| hint_type(&t)),
        ..Hint::default()
    };
    if let Some(v) = m.get("nullable") {
        h.nullable = as_bool(v);
        if h.nullable.is_none() {
            p.add(
                ErrorCode::YamlSyntaxError,
                "nullable must be a boolean",
                None,
                &format!("{path}.nullable"),
            );
        }
    }
    let entity = m
        .get("entity")
        .or_else(|| m.get("is_entity_field"))
        .and_then(as_bool)
        .unwrap_or(false);
    if entity && h.ty.is_none() {
        h.ty = Some(HintType::Entity);
    }
    let (vkey, values) = match (m.get("values"), m.get("closed_values")) {
        (Some(v), _) => ("values", Some(v)),
        (None, Some(v)) => ("closed_values", Some(v)),
        _ => ("values", None),
    };
    if let Some(values) = values {
        match values {
            Value::Array(items) => h.values = items.iter().filter_map(scalar_text).collect(),
            _ => p.add(
                ErrorCode::YamlSyntaxError,
                format!("{vkey} must be a list"),
                None,
                &format!("{path}.{vkey}"),
            ),
        }
        if h.ty.is_none() {
            h.ty = Some(HintType::Categorical);
        }
    }
    h
}

fn parse_hints(v: &Value, path: &str, p: &mut Problems) -> HashMap<String, Hint> {
    let mut out = HashMap::new();
    match v {
        Value::Object(m) => {
            for (name, spec) in m {
                let sub = format!("{path}.{name}");
                match spec {
                    Value::Object(sm) => {
                        out.insert(name.clone(), parse_hint(sm, &sub, p));
                    }
                    Value::Null => {
                        out.insert(name.clone(), Hint::default());
                    }
                    _ => p.add(
                        ErrorCode::YamlSyntaxError,
                        format!("field '{name}' must be a mapping"),
                        None,
                        &sub,
                    ),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(m) = item.as_object() {
                    if let Some(name) = m.get("name").and_then(scalar_text) {
                        out.insert(name, parse_hint(m, &format!("{path}[{i}]"), p));
                    }
                }
            }
        }
        Value::Null => {}
        _ => p.add(
            ErrorCode::YamlSyntaxError,
            "fields must be a mapping or a list",
            None,
            path,
        ),
    }
    out
}

fn parse_lookups(
    v: &Value,
    scope: LookupScope<'_>,
    p: &mut Problems,
) -> HashMap<String, Arc<LookupSet>> {
    let base_dir = scope.base_dir;
    let mut out = HashMap::new();
    let Some(m) = v.as_object() else {
        if !v.is_null() {
            p.add(
                ErrorCode::YamlSyntaxError,
                "lookups must be a mapping",
                None,
                "lookups",
            );
        }
        return out;
    };
    for (name, spec) in m {
        let path = format!("lookups.{name}");
        let empty = Map::new();
        let keys = spec.as_object().unwrap_or(&empty);
        let (Ok(ty), Ok(file)) = (
            p.text(keys, "type", None, &path),
            p.text(keys, "path", None, &path),
        ) else {
            continue;
        };
        let (Some(ty), Some(file)) = (ty, file) else {
            let missing = if keys.get("type").is_none() {
                "type"
            } else {
                "path"
            };
            p.add(
                ErrorCode::YamlSyntaxError,
                format!("lookup '{name}': missing required key '{missing}'"),
                None,
                &path,
            );
            continue;
        };
        let full = if file.starts_with("s3://") || Path::new(&file).is_absolute() {
            Path::new(&file).to_path_buf()
        } else {
            base_dir.join(&file)
        };
        if file.starts_with("s3://") {
            p.add(
                ErrorCode::Unsupported,
                format!("lookup '{name}': s3:// paths are not supported"),
                None,
                &format!("{path}.path"),
            );
            continue;
        }
        match lookup::load(LookupKind::parse(&ty), &full, scope) {
            Ok(set) => {
                out.insert(name.clone(), Arc::new(set));
            }
            Err((code, msg)) => p.add(code, msg, None, &format!("{path}.path")),
        }
    }
    out
}

/// Reads the document's metadata and enabled rules.
/// The rules document `doc` as rules, reading its lookups within `scope`. The rules'
/// conditions are taken out of `doc` (the rest is no longer needed either).
pub(crate) fn load_doc(doc: &mut Value, scope: LookupScope<'_>, p: &mut Problems) -> Option<Doc> {
    let Some(top) = doc.as_object() else {
        p.add(
            ErrorCode::YamlSyntaxError,
            "the rules document must be a mapping",
            None,
            "",
        );
        return None;
    };
    let ruleset = mapping(top, "ruleset", p);
    let (meta, meta_path) = match ruleset {
        Some(r) => (r, "ruleset"),
        None => (top, ""),
    };
    let text = |key: &str, default: &str, p: &mut Problems| {
        let v = p.text(meta, key, None, meta_path).ok().flatten();
        v.unwrap_or_else(|| default.into())
    };
    let name = text("name", "ruleset", p);
    let version = text("version", "1.0.0", p);
    let hints = match top
        .get("fields")
        .map(|v| (v, "fields"))
        .or_else(|| top.get("schema").map(|v| (v, "schema")))
    {
        Some((v, key)) => parse_hints(v, key, p),
        None => HashMap::new(),
    };
    let lookups = top
        .get("lookups")
        .map(|v| parse_lookups(v, scope, p))
        .unwrap_or_default();
    let (default_label, precedence) = decisions(top, p);
    let nested = ruleset.is_some_and(|r| r.contains_key("rules"));
    let rules = parse_rules(doc, nested, p);
    let (labels, label_ranks) = label_codes(&default_label, &precedence, &rules);
    Some(Doc {
        name,
        version,
        hints,
        lookups,
        labels,
        label_ranks,
        rules,
    })
}

/// `top[key]` as a mapping: absent or null is `None`; any other value is a YAML_SYNTAX_ERROR
/// at it, and `None`.
fn mapping<'m>(
    top: &'m Map<String, Value>,
    key: &str,
    p: &mut Problems,
) -> Option<&'m Map<String, Value>> {
    match top.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => {
            p.add(
                ErrorCode::YamlSyntaxError,
                format!("{key} must be a mapping"),
                None,
                key,
            );
            None
        }
    }
}

/// The default label and the precedence list (§1.4), the default always in it.
/// A `precedence` that is not a list is a YAML_SYNTAX_ERROR (BlazeRules' conversion fails).
fn decisions(top: &Map<String, Value>, p: &mut Problems) -> (String, Vec<String>) {
    let decisions = mapping(top, "decisions", p);
    if let Some(v) = decisions.and_then(|d| d.get("precedence")) {
        if !matches!(v, Value::Array(_) | Value::Null) {
            let msg = "precedence must be a list of labels";
            p.add(
                ErrorCode::YamlSyntaxError,
                msg,
                None,
                "decisions.precedence",
            );
        }
    }
    let default_label = normalize_label(
        &decisions
            .and_then(|d| p.text(d, "default", None, "decisions").ok().flatten())
            .unwrap_or_else(|| "APPROVE".into()),
    );
    let mut precedence: Vec<String> = decisions
        .and_then(|d| d.get("precedence"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(scalar_text)
                .map(|s| normalize_label(&s))
                .collect()
        })
        .unwrap_or_default();
    if precedence.is_empty() {
        precedence = ["APPROVE", "SCORE", "FLAG", "REVIEW", "BLOCK"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    if !precedence.contains(&default_label) {
        precedence.insert(0, default_label.clone());
    }
    (default_label, precedence)
}

/// The enabled rules (`ruleset.rules`, else `rules`), with a problem for each repeated id.
fn parse_rules(doc: &mut Value, nested: bool, p: &mut Problems) -> Vec<RuleDef> {
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

/// Label codes (§4.1): default, precedence, then rule labels in rule order; and each one's
/// rank.
fn label_codes(
    default_label: &str,
    precedence: &[String],
    rules: &[RuleDef],
) -> (Vec<String>, Vec<i32>) {
    let mut labels = vec![default_label.to_string()];
    for l in precedence.iter().chain(rules.iter().map(|r| &r.label)) {
        if !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    let label_ranks = labels
        .iter()
        .map(|l| match precedence.iter().position(|x| x == l) {
            Some(0) if *l != default_label => precedence.len() as i32,
            Some(i) => i as i32,
            None => precedence.len() as i32,
        })
        .collect();
    (labels, label_ranks)
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

/// `severity` as 0 (LOW, the default) to 3 (CRITICAL); an unknown one is a problem and
/// reads as LOW.
fn rule_severity(m: &Map<String, Value>, rid: Option<&str>, path: &str, p: &mut Problems) -> i32 {
    let Ok(severity_text) = p.text(m, "severity", rid, path) else {
        return 0;
    };
    let severity_text = severity_text.unwrap_or_else(|| "LOW".into());
    match severity_text.to_ascii_uppercase().as_str() {
        "LOW" => 0,
        "MEDIUM" => 1,
        "HIGH" => 2,
        "CRITICAL" => 3,
        _ => {
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
