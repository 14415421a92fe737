//! A rules file's text (YAML or JSON) → the document value the loader reads, and where each
//! of its nodes is, so that every problem found later can name its line and column.
//!
//! The text is read once, in a single pass, into the value and a compact position table (no
//! syntax tree is kept), so loading takes memory in proportion to the document.

mod json;
pub mod lines;
mod positions;
mod yaml;
mod yaml_scalar;

pub use lines::LineIndex;
pub use positions::Positions;
use serde_json::Value;

/// How a rules text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// A rules document read from its text.
#[derive(Debug)]
pub struct Source {
    pub value: Value,
    pub positions: Positions,
}

/// Why a rules text could not be read (a `YAML_SYNTAX_ERROR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub message: String,
    /// 1-based line and column (UTF-16 units), when known.
    pub line_column: Option<(u32, u32)>,
    /// The YAML parser refused the text (its grammar, several documents, directives): the
    /// caller may have another YAML parser word the error.
    pub unreadable: bool,
}

impl SourceError {
    /// A problem at byte `at` of `text`.
    pub(crate) fn at(text: &str, at: usize, message: impl Into<String>) -> SourceError {
        SourceError {
            message: message.into(),
            line_column: Some(LineIndex::new(text).position(at)),
            unreadable: false,
        }
    }

    pub(crate) fn unreadable(text: &str, at: usize, message: impl Into<String>) -> SourceError {
        SourceError {
            unreadable: true,
            ..SourceError::at(text, at, message)
        }
    }
}

/// A rules file's bytes as text, a UTF-8 BOM removed. Bytes that are not UTF-8 are an error
/// at the line and column of the first of them (never replaced by U+FFFD).
pub fn text_of(bytes: &[u8]) -> Result<&str, SourceError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let bad = e.valid_up_to();
            let valid = std::str::from_utf8(&bytes[..bad]).unwrap_or_default();
            Err(SourceError::at(
                valid,
                bad,
                format!("invalid UTF-8 at byte {bad}"),
            ))
        }
    }
}

/// Reads a rules text (a UTF-8 BOM already removed). Without `positions` (when the document
/// is expected to load), none are recorded and an error may lack the first place of a repeated
/// key: read again with them to report a problem.
pub fn read(text: &str, format: Format, positions: bool) -> Result<Source, SourceError> {
    match format {
        Format::Yaml => yaml::read(text, positions),
        Format::Json => json::read(text, positions),
    }
}

/// The error of a key repeated in one mapping, at its second place, naming the first.
fn repeated_key(key: &str, first_at: u32, again_at: usize, text: &str) -> SourceError {
    let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""));
    let where_first = if first_at == u32::MAX {
        String::new()
    } else {
        let (line, column) = LineIndex::new(text).position(first_at as usize);
        format!(" (first at line {line}, column {column})")
    };
    SourceError::at(
        text,
        again_at,
        format!("duplicate key {quoted}{where_first}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_utf8() {
        assert_eq!(text_of(b"\xef\xbb\xbfa: 1"), Ok("a: 1"));
        let e = text_of(b"a: 1\nb: \"\xc3\xa9\xe9\"").expect_err("latin1");
        assert_eq!(e.message, "invalid UTF-8 at byte 11");
        assert_eq!(e.line_column, Some((2, 6)));
        assert!(text_of(b"a: \xed\xa0\x80").is_err(), "a surrogate");
    }
}
