//! Scalars of a rules document read as BlazeRules' YAML library reads them: numbers and
//! booleans from their text too, and any scalar as text.

use serde_json::{Map, Value};

/// Text of a scalar as the YAML library would give it (numbers and booleans as written).
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A key that holds a list or a mapping where text is read.
pub(crate) struct NotText;

/// `m[key]` read as text, for every key whose value is a string (ids, names, labels,
/// operators, field names): absent or null is `Ok(None)`, any scalar its text, and a list
/// or mapping `Err(NotText)`, for the caller to report at the value itself.
pub(crate) fn text_key(m: &Map<String, Value>, key: &str) -> Result<Option<String>, NotText> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(_) | Value::Object(_)) => Err(NotText),
        Some(v) => Ok(scalar_text(v)),
    }
}

/// A double from a number or a numeric string (the YAML library converts quoted scalars too).
pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return None;
            }
            t.parse::<f64>().ok().filter(|_| {
                !t.eq_ignore_ascii_case("nan") && !t.to_ascii_lowercase().contains("inf")
            })
        }
        _ => None,
    }
}

/// An integer from an integral number or string.
pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

pub(crate) fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "y" => Some(true),
            "false" | "no" | "off" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}
