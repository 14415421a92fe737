//! A rules document given as JSON text: parsed by serde_json (its syntax errors, depth
//! bounded first), then scanned once more for the positions of its nodes and for keys that
//! an object repeats (an error, as in YAML).

use super::positions::{Builder, Kind, Positions, Style};
use super::{Source, SourceError};
use crate::limits::MAX_DOCUMENT_DEPTH;
use serde_json::Value;
use std::collections::HashSet;

/// The document, or its first problem.
pub(crate) fn read(text: &str, recording: bool) -> Result<Source, SourceError> {
    if let Some(at) = too_deep(text.as_bytes()) {
        let message = format!("document nesting too deep (limit {MAX_DOCUMENT_DEPTH})");
        return Err(SourceError::at(text, at, message));
    }
    let mut value = parse(text)?;
    if let Some(kept) = big_ints_as_text(text) {
        value = parse(&kept)?;
    }
    let positions = positions(text, recording)?;
    Ok(Source { value, positions })
}

/// The text with each integer beyond 64 bits turned into a string of its digits, as the YAML
/// reader keeps them (`yaml_scalar::int_value`: an id keeps every digit as written, numeric
/// reads still take it as a number); serde_json alone would round it to an f64 (an id
/// `123456789012345678901234567890` read as `1.2345678901234568e+29`). None when there is none.
/// The text is valid JSON (parsed once already), so a token outside strings is a literal.
fn big_ints_as_text(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'"' => i = string_end(b, i),
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                let token = &text[start..i];
                let integer = token.strip_prefix('-').unwrap_or(token);
                let fits = token.parse::<i64>().is_ok() || token.parse::<u64>().is_ok();
                if !fits && !integer.is_empty() && integer.bytes().all(|d| d.is_ascii_digit()) {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
                    o.push_str(&text[copied..start]);
                    o.push('"');
                    o.push_str(token);
                    o.push('"');
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    let mut o = out?;
    o.push_str(&text[copied..]);
    Some(o)
}

/// The byte offset of the first bracket nested deeper than [`MAX_DOCUMENT_DEPTH`].
fn too_deep(text: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let (mut in_str, mut escaped) = (false, false);
    for (i, &b) in text.iter().enumerate() {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DOCUMENT_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Parses the JSON text (depth already bounded), or the syntax problem at serde_json's
/// line and column.
fn parse(json: &str) -> Result<Value, SourceError> {
    let mut de = serde_json::Deserializer::from_str(json);
    // Depth is bounded by `too_deep`, so the recursive parse cannot exhaust the stack.
    de.disable_recursion_limit();
    let parsed = serde::Deserialize::deserialize(&mut de).and_then(|v: Value| de.end().map(|()| v));
    parsed.map_err(|e| {
        let out_of_range = e.to_string().starts_with("number out of range");
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = format!(
            "invalid JSON: {}",
            full.strip_suffix(&suffix).unwrap_or(&full)
        );
        let at = byte_at(json, e.line(), e.column());
        let number = out_of_range.then(|| at.and_then(|at| number_start(json, at)));
        match number.flatten().or(at) {
            Some(at) => SourceError::at(json, at, message),
            None => SourceError {
                message,
                line_column: None,
                unreadable: false,
            },
        }
    })
}

/// The byte serde_json reports at (1-based `line`, byte `column`; column 0 before the line's
/// first byte, as at the end of an empty text), within the text.
fn byte_at(json: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = match line {
        0 | 1 => 0,
        n => memchr::memchr_iter(b'\n', json.as_bytes()).nth(n - 2)? + 1,
    };
    Some((line_start + column.saturating_sub(1)).min(json.len()))
}

/// For a number serde_json read but could not hold (it reports the number's last byte,
/// `last`): where the number starts.
fn number_start(json: &str, last: usize) -> Option<usize> {
    let b = json.as_bytes();
    let is_num = |c: u8| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E');
    if !b.get(last).copied().is_some_and(is_num) {
        return None;
    }
    let mut start = last;
    while start > 0 && is_num(b[start - 1]) {
        start -= 1;
    }
    Some(start)
}

/// One open object or array of the scan.
struct Open {
    map: bool,
    /// The keys of an object so far.
    keys: HashSet<String>,
}

/// The positions of the nodes of valid JSON text; a repeated key is an error naming both.
fn positions(text: &str, recording: bool) -> Result<Positions, SourceError> {
    let b = text.as_bytes();
    let mut out = Builder::new(recording);
    let mut stack: Vec<Open> = Vec::new();
    let mut expect_key = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' => {
                if b[i] == b',' {
                    expect_key = stack.last().is_some_and(|o| o.map);
                }
                i += 1;
            }
            b'{' | b'[' => {
                let map = b[i] == b'{';
                out.open(i, map, true);
                stack.push(Open {
                    map,
                    keys: HashSet::new(),
                });
                expect_key = map;
                i += 1;
            }
            b'}' | b']' => {
                out.close();
                stack.pop();
                expect_key = false;
                i += 1;
            }
            b'"' => {
                let end = string_end(b, i);
                if expect_key {
                    let key = unescape(&text[i..end]);
                    let open = stack.last_mut();
                    let seen = open.is_some_and(|o| seen_before(o, &key));
                    out.key(&key, i, true, seen)
                        .map_err(|r| super::repeated_key(&key, r.first_at, i, text))?;
                    expect_key = false;
                } else {
                    out.leaf(i, Kind::Scalar(Style::Quoted));
                }
                i = end;
            }
            _ => {
                out.leaf(i, Kind::Scalar(Style::Plain));
                while i < b.len()
                    && !matches!(b[i], b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                {
                    i += 1;
                }
            }
        }
    }
    Ok(out.finish())
}

/// Whether an object has had `key` (recording it).
fn seen_before(o: &mut Open, key: &str) -> bool {
    !o.keys.insert(key.to_string())
}

/// The byte after the closing quote of the string starting at `start`.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// A JSON string literal's text (the literal is valid: serde_json read it).
fn unescape(literal: &str) -> String {
    if literal.contains('\\') {
        serde_json::from_str(literal).unwrap_or_default()
    } else {
        let inner = literal.len().saturating_sub(1).max(1);
        literal.get(1..inner).unwrap_or_default().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::source::lines::LineIndex;

    #[test]
    fn nesting_limit_counts_only_structure() {
        let d = MAX_DOCUMENT_DEPTH;
        let ok = format!("{}{}", "[".repeat(d), "]".repeat(d));
        assert!(too_deep(ok.as_bytes()).is_none());
        let deep = format!("{}{}", "[".repeat(d + 1), "]".repeat(d + 1));
        assert_eq!(too_deep(deep.as_bytes()), Some(d));
        // Brackets inside strings (escaped quotes included) do not count.
        let in_string = format!("{{\"a\": \"\\\"{}\"}}", "[".repeat(5000));
        assert!(too_deep(in_string.as_bytes()).is_none());
    }

    #[test]
    fn integers_beyond_64_bits_keep_their_digits_as_yaml_does() {
        let text = r#"{"id": 123456789012345678901234567890, "n": -9223372036854775809,
            "max": 18446744073709551615, "min": -9223372036854775808, "f": 1.5e300,
            "s": "123456789012345678901234567890", "a": [99999999999999999999]}"#;
        let v = read(text, false).expect("valid").value;
        assert_eq!(
            v["id"],
            Value::String("123456789012345678901234567890".into())
        );
        assert_eq!(v["n"], Value::String("-9223372036854775809".into()));
        assert_eq!(v["max"], serde_json::json!(18446744073709551615u64));
        assert_eq!(v["min"], serde_json::json!(i64::MIN));
        assert_eq!(v["f"], serde_json::json!(1.5e300));
        assert_eq!(
            v["s"],
            Value::String("123456789012345678901234567890".into())
        );
        assert_eq!(v["a"][0], Value::String("99999999999999999999".into()));
        assert!(big_ints_as_text(r#"{"a": 1, "b": "99999999999999999999"}"#).is_none());
    }

    #[test]
    fn repeated_keys_name_both_places() {
        let text = "{\"a\": {\"x\": 1,\n  \"y\": [1, 2], \"x\": 2}}";
        let e = read(text, true).expect_err("repeated");
        assert_eq!(e.message, "duplicate key \"x\" (first at line 1, column 8)");
        assert_eq!(e.line_column, Some((2, 16)));
        // Escaped spellings of one key are the same key; other objects may reuse it.
        assert!(read("{\"k\": 1, \"\\u006b\": 2}", false).is_err());
        assert!(read("{\"k\": {\"k\": 1}, \"j\": {\"k\": 2}}", false).is_ok());
    }

    #[test]
    fn a_number_out_of_range_is_placed_at_its_start() {
        let e = read("{\"a\": [1,\n  -1.5e400]}", false).expect_err("range");
        assert_eq!(e.message, "invalid JSON: number out of range");
        assert_eq!(e.line_column, Some((2, 3)));
    }

    #[test]
    fn syntax_errors_have_one_based_columns() {
        // serde_json says column 0 at the end of an empty text; columns count from 1.
        let e = read("", false).expect_err("empty");
        assert_eq!(e.line_column, Some((1, 1)));
        let e = read("{\"é\": [1,\n ]}", false).expect_err("trailing comma");
        assert_eq!(e.line_column, Some((2, 2)));
        // Columns are UTF-16 units, not bytes.
        let e = read("{\"é\": x}", false).expect_err("bad value");
        assert_eq!(e.line_column, Some((1, 7)));
    }

    #[test]
    fn positions_of_values() {
        let text = "{\"r\": [\n  {\"op\": \"gt\", \"v\": 1}]}";
        let src = read(text, true).expect("valid");
        let lines = LineIndex::new(text);
        let at = |p: &str| src.positions.locate(p, None, &src.value, &lines);
        assert_eq!(at("r[0].op"), Some((2, 10)));
        assert_eq!(at("r[0].v"), Some((2, 21)));
        // A missing key: the object's first key.
        assert_eq!(at("r[0].nope"), Some((2, 4)));
        assert_eq!(at("r[0].op"), at("[\"r\"][0][\"op\"]"));
    }
}
