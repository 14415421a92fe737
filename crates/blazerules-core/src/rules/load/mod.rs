//! Rules document → rule set metadata (rules-reference §1): keys, aliases, defaults, labels.
//! Conditions are compiled by `compile`; every problem is collected with its document path.

mod hints;
mod problems;
mod rule;

use crate::error::ErrorCode;
use crate::rules::lookup::{self, LookupKind, LookupScope, LookupSet};
use crate::rules::scalar::scalar_text;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use hints::parse_hints;
pub(crate) use hints::{Hint, HintType};
pub(crate) use problems::Problems;
use rule::parse_rules;
pub(crate) use rule::{normalize_label, Action, RuleDef, SEVERITIES};

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
        match lookup::load(LookupKind::parse(&ty), &file, &full, scope) {
            Ok(set) => {
                out.insert(name.clone(), Arc::new(set));
            }
            Err((code, msg)) => p.add(code, msg, None, &format!("{path}.path")),
        }
    }
    out
}

/// The lookups a rules document names: `(name, path as written)`, in document order (entries
/// without a text `path` are left out). For watching and bundling the files a document needs.
pub fn lookup_paths(doc: &Value) -> Vec<(String, String)> {
    let Some(m) = doc.get("lookups").and_then(Value::as_object) else {
        return Vec::new();
    };
    m.iter()
        .filter_map(|(name, spec)| {
            let path = spec.get("path").and_then(scalar_text)?;
            Some((name.clone(), path))
        })
        .collect()
}

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
