//! YAML scalars resolved by the YAML 1.2 core schema, exactly as the `yaml` package resolves
//! them (with `intAsBigInt`), and written as the JSON values the loader has always seen:
//! integers exact, a number spelled as valid JSON kept as spelled (`1.0` stays `1.0`, as
//! BlazeRules reads list items as their YAML text), `.inf` and `.nan` as their text.

use saphyr_parser::Tag;
use serde_json::{Number, Value};

/// What the core schema makes of a scalar.
enum Resolved {
    Str,
    Null,
    Bool(bool),
    /// An integer: its sign and magnitude (`None` beyond 128 bits), and its value as f64.
    Int(bool, Option<u128>, f64),
    Float(f64),
}

/// The core-schema tag a scalar is resolved with: untagged plain scalars are tested
/// against every type in order; quoted and block scalars are strings.
fn resolve(text: &str, plain: bool, tag: Option<&Tag>) -> Resolved {
    let name = match tag {
        None if plain => None,
        None => return Resolved::Str,
        Some(t) => {
            let full = format!("{}{}", t.handle, t.suffix);
            match full.strip_prefix("tag:yaml.org,2002:") {
                Some(n) => Some(n.to_string()),
                // `!` and every other tag: a string (the `yaml` package warns, keeps the text).
                None => return Resolved::Str,
            }
        }
    };
    let wants = |n: &str| name.as_deref().is_none_or(|t| t == n);
    if wants("null") && matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Resolved::Null;
    }
    if wants("bool") {
        match text {
            "true" | "True" | "TRUE" => return Resolved::Bool(true),
            "false" | "False" | "FALSE" => return Resolved::Bool(false),
            _ => {}
        }
    }
    if wants("int") {
        if let Some(i) = int(text) {
            return i;
        }
    }
    if wants("float") {
        if let Some(f) = float(text) {
            return Resolved::Float(f);
        }
    }
    Resolved::Str
}

/// `0o17`, `-12`, `+7`, `0x1F` (the core schema's three integer forms).
fn int(text: &str) -> Option<Resolved> {
    let (neg, digits, radix) = if let Some(o) = text.strip_prefix("0o") {
        (false, o, 8)
    } else if let Some(h) = text.strip_prefix("0x") {
        (false, h, 16)
    } else {
        let neg = text.starts_with('-');
        (neg, text.strip_prefix(['-', '+']).unwrap_or(text), 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u128::from_str_radix(digits, radix).ok();
    let approx = match (mag, radix) {
        (Some(m), _) => m as f64,
        (None, 10) => digits.parse::<f64>().unwrap_or(f64::INFINITY),
        (None, _) => digits
            .chars()
            .filter_map(|c| c.to_digit(radix))
            .fold(0.0, |acc, d| acc * f64::from(radix) + f64::from(d)),
    };
    Some(Resolved::Int(neg, mag, if neg { -approx } else { approx }))
}

/// `.inf`, `-.Inf`, `.nan`, `1.5`, `.5`, `1.`, `1e5`, `-2.5E-3` (the core schema's floats).
fn float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(if text.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    let (mantissa, exp) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        // `.5`, `1.5`, and `1.` (`1.` needs no fraction digits).
        Some((i, f)) => (i.is_empty() && digits(f)) || (digits(i) && (f.is_empty() || digits(f))),
        // An integer mantissa only with an exponent (`1e5`; `15` is an int).
        None => exp.is_some() && digits(mantissa),
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    if !mantissa_ok || !exp_ok {
        return None;
    }
    text.parse::<f64>().ok()
}

/// Whether `s` is a JSON number (RFC 8259 grammar).
fn is_json_number(s: &str) -> bool {
    let b = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if int_len == 0 || (b[0] == b'0' && int_len > 1) {
        return false;
    }
    let mut rest = &b[int_len..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    if let Some(exp) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let exp = exp
            .strip_prefix(b"+")
            .or_else(|| exp.strip_prefix(b"-"))
            .unwrap_or(exp);
        return !exp.is_empty() && exp.iter().all(u8::is_ascii_digit);
    }
    rest.is_empty()
}

/// A number as `JSON.stringify` writes it and JSON then reads it back: integral values
/// below 1e21 as integers, others as doubles.
fn js_number(v: f64) -> Number {
    if v.fract() == 0.0 && v.abs() < 1e21 {
        if v == 0.0 {
            return Number::from(0u64);
        }
        // Below 2^64 (and at least -2^63): an integer JSON reads as one.
        if v > 0.0 && v < 18_446_744_073_709_551_616.0 {
            return Number::from(v as u64);
        }
        if v < 0.0 && v >= i64::MIN as f64 {
            return Number::from(v as i64);
        }
    }
    Number::from_f64(v).unwrap_or_else(|| Number::from(0u64))
}

/// An integer exactly as `BigInt(text).toString()` then read as JSON.
fn int_number(neg: bool, mag: Option<u128>, approx: f64) -> Number {
    match mag {
        Some(0) => Number::from(0u64),
        Some(m) if !neg => match u64::try_from(m) {
            Ok(u) => Number::from(u),
            Err(_) => Number::from_f64(approx).unwrap_or_else(|| Number::from(0u64)),
        },
        Some(m) => match i64::try_from(m).ok().and_then(|i| i.checked_neg()) {
            Some(i) => Number::from(i),
            None if m == 1u128 << 63 => Number::from(i64::MIN),
            None => Number::from_f64(approx).unwrap_or_else(|| Number::from(0u64)),
        },
        None => Number::from_f64(approx).unwrap_or_else(|| Number::from(0u64)),
    }
}

/// An integer's value: a number within 64 bits; beyond, its decimal digits as a string, so
/// that text read from it (an id: `scalar_text`) keeps every digit as written, while numeric
/// reads (`as_f64`) still take it as a number.
fn int_value(text: &str, neg: bool, mag: Option<u128>, approx: f64) -> Value {
    let sign = if neg { "-" } else { "" };
    let within = |m: u128| {
        if neg {
            m <= 1u128 << 63
        } else {
            m <= u128::from(u64::MAX)
        }
    };
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    match mag {
        Some(m) if within(m) => Value::Number(int_number(neg, mag, approx)),
        Some(m) => Value::String(format!("{sign}{m}")),
        None if digits.bytes().all(|b| b.is_ascii_digit()) => {
            Value::String(format!("{sign}{}", digits.trim_start_matches('0')))
        }
        None => Value::Number(int_number(neg, mag, approx)),
    }
}

/// A scalar's value; `Err` for a number written as JSON but beyond f64 (`1e400`).
pub(crate) fn value(text: &str, plain: bool, tag: Option<&Tag>) -> Result<Value, String> {
    Ok(match resolve(text, plain, tag) {
        Resolved::Str => Value::String(text.to_string()),
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        // An integer beyond f64 (400 digits) is as out of range as `1e400`, never a silent 0.
        Resolved::Int(_, _, approx) if !approx.is_finite() => {
            return Err(format!("number out of range: {text}"))
        }
        Resolved::Int(neg, mag, approx) => int_value(text, neg, mag, approx),
        Resolved::Float(f) => {
            if plain && is_json_number(text) {
                match serde_json::from_str::<Number>(text) {
                    Ok(n) => Value::Number(n),
                    Err(_) => return Err(format!("number out of range: {text}")),
                }
            } else if f.is_finite() {
                Value::Number(js_number(f))
            } else {
                Value::String(text.to_string())
            }
        }
    })
}

/// A scalar's text as a mapping key: as written, unless a tag made a quoted scalar a number
/// or boolean (then as JavaScript writes that value).
pub(crate) fn key(text: &str, plain: bool, tag: Option<&Tag>) -> String {
    if plain || tag.is_none() {
        return text.to_string();
    }
    match resolve(text, plain, tag) {
        Resolved::Str | Resolved::Null => text.to_string(),
        Resolved::Bool(b) => b.to_string(),
        Resolved::Int(neg, Some(m), _) => format!("{}{m}", if neg && m != 0 { "-" } else { "" }),
        Resolved::Int(_, None, f) | Resolved::Float(f) => js_number_text(f),
    }
}

/// `String(v)` of a JavaScript number.
fn js_number_text(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = v.abs();
    if a == 0.0 || (1e-6..1e21).contains(&a) {
        return format!("{v}");
    }
    let e = format!("{v:e}");
    match e.split_once('e') {
        Some((m, x)) if !x.starts_with('-') => format!("{m}e+{x}"),
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(text: &str) -> Value {
        value(text, true, None).expect("in range")
    }

    #[test]
    fn core_schema_as_the_yaml_package() {
        for t in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(v(t), Value::Null, "{t:?}");
        }
        assert_eq!(v("True"), json!(true));
        assert_eq!(v("yes"), json!("yes"));
        assert_eq!(v("0o17"), json!(15));
        assert_eq!(v("0x1F"), json!(31));
        assert_eq!(v("+7"), json!(7));
        assert_eq!(v("-0"), json!(0));
        assert_eq!(v("007"), json!(7));
        assert_eq!(v("-12"), json!(-12));
        // Beyond 64 bits: the digits, as written.
        assert_eq!(
            v("123456789012345678901234567890"),
            json!("123456789012345678901234567890")
        );
        assert_eq!(v("-0012345678901234567890"), json!("-12345678901234567890"));
        let digits45 = format!("+{}", "9".repeat(45));
        assert_eq!(v(&digits45), json!("9".repeat(45)));
        assert_eq!(v("18446744073709551615"), json!(18446744073709551615u64));
        // Spelled as JSON: kept (1.0 stays a double); otherwise as JSON.stringify writes it.
        assert_eq!(v("1.0").to_string(), "1.0");
        assert_eq!(v("1e5").to_string(), "100000.0");
        assert_eq!(v("1.").to_string(), "1");
        assert_eq!(v(".5").to_string(), "0.5");
        assert_eq!(v("+1.5").to_string(), "1.5");
        assert_eq!(v("1.e2").to_string(), "100");
        assert_eq!(v(".inf"), json!(".inf"));
        assert_eq!(v("-.Inf"), json!("-.Inf"));
        assert_eq!(v(".NaN"), json!(".NaN"));
        assert_eq!(v("+1e400"), json!("+1e400"));
        assert_eq!(v("1_000"), json!("1_000"));
        assert_eq!(v("0x"), json!("0x"));
        assert_eq!(v("1.2.3"), json!("1.2.3"));
        assert!(value("1e400", true, None).is_err());
        let digits400 = format!("1{}", "0".repeat(400));
        assert!(value(&digits400, true, None).is_err());
        assert!(value(&format!("-{digits400}"), true, None).is_err());
        assert_eq!(value("5", false, None).expect("str"), json!("5"));
    }

    #[test]
    fn tags_pick_the_type() {
        let core = |s: &str| Tag {
            handle: "tag:yaml.org,2002:".into(),
            suffix: s.into(),
        };
        assert_eq!(value("5", true, Some(&core("str"))).ok(), Some(json!("5")));
        assert_eq!(value("12", false, Some(&core("int"))).ok(), Some(json!(12)));
        // `!!float 12` does not resolve as a float: the text stays.
        assert_eq!(
            value("12", true, Some(&core("float"))).ok(),
            Some(json!("12"))
        );
        let local = Tag {
            handle: "!".into(),
            suffix: "x".into(),
        };
        assert_eq!(value("12", true, Some(&local)).ok(), Some(json!("12")));
        assert_eq!(key("1.0", true, None), "1.0");
        assert_eq!(key("1.50", false, Some(&core("float"))), "1.5");
        assert_eq!(key("true", false, Some(&core("bool"))), "true");
    }

    #[test]
    fn json_number_grammar() {
        for ok in ["0", "-1", "1.5", "1e5", "1E+5", "-0.0e-3"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in ["01", "+1", ".5", "1.", "1e", "-", ""] {
            assert!(!is_json_number(bad), "{bad}");
        }
        assert_eq!(js_number_text(1.5e25), "1.5e+25");
        assert_eq!(js_number_text(1e-7), "1e-7");
    }
}
