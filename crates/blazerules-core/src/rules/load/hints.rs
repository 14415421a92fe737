//! Field type hints (`fields:`, rules-reference §1.2).

use super::Problems;
use crate::error::ErrorCode;
use crate::rules::scalar::{as_bool, scalar_text};
use serde_json::{Map, Value};
use std::collections::HashMap;

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

pub(super) fn parse_hints(v: &Value, path: &str, p: &mut Problems) -> HashMap<String, Hint> {
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
