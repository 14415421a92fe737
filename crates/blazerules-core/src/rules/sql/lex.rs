//! The `sql:` string as tokens.

use super::{Result, SqlError};
use crate::rules::op::Op;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Gt,
    Lt,
    Gte,
    Lte,
    Eq,
    Neq,
}

impl CmpOp {
    /// The operator comparing a field (or an expression) with a value.
    pub fn op(self) -> Op {
        match self {
            CmpOp::Gt => Op::Gt,
            CmpOp::Lt => Op::Lt,
            CmpOp::Gte => Op::Gte,
            CmpOp::Lte => Op::Lte,
            CmpOp::Eq => Op::Eq,
            CmpOp::Neq => Op::Neq,
        }
    }

    /// The operator comparing a field with another field.
    pub fn field_op(self) -> Op {
        match self {
            CmpOp::Gt => Op::GtField,
            CmpOp::Lt => Op::LtField,
            CmpOp::Gte => Op::GteField,
            CmpOp::Lte => Op::LteField,
            CmpOp::Eq => Op::EqField,
            CmpOp::Neq => Op::NeqField,
        }
    }

    /// The operator with its operands swapped (`a < b` ⇔ `b > a`).
    pub fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Gte => CmpOp::Lte,
            CmpOp::Lte => CmpOp::Gte,
            other => other,
        }
    }

    pub fn is_equality(self) -> bool {
        matches!(self, CmpOp::Eq | CmpOp::Neq)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Tok {
    Ident,
    Number(f64),
    /// A quoted string; its content is `src[start + 1 .. end - 1]`.
    Str,
    Cmp(CmpOp),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Arrow,
    End,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

fn is_ident_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || ch == '_' || ch == '.' || (!ch.is_ascii() && ch.is_alphanumeric())
}

pub(super) fn lex(src: &str) -> Result<Vec<Token>> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let next = b.get(i + 1).copied();
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            i += 1;
            continue;
        }
        let kind = if let Some((kind, len)) = symbol(c, next) {
            i += len;
            kind
        } else {
            match c {
                b'!' => {
                    return Err(SqlError::new(
                        "unexpected character '!' (did you mean '!='?)",
                        start,
                    ))
                }
                b'\'' | b'"' => match b[i + 1..].iter().position(|&x| x == c) {
                    Some(len) => {
                        i += len + 2;
                        Tok::Str
                    }
                    None => return Err(SqlError::new("unterminated string", start)),
                },
                b'0'..=b'9' => {
                    i = number_end(b, i);
                    lex_number(src, start, i)?
                }
                b'.' if next.is_some_and(|d| d.is_ascii_digit()) => {
                    i = number_end(b, i);
                    lex_number(src, start, i)?
                }
                _ => {
                    i = word_end(src, i)?;
                    Tok::Ident
                }
            }
        };
        toks.push(Token {
            kind,
            start,
            end: i,
        });
    }
    toks.push(Token {
        kind: Tok::End,
        start: b.len(),
        end: b.len(),
    });
    Ok(toks)
}

/// The punctuation or comparison token starting with byte `c` (then `next`), and its length.
fn symbol(c: u8, next: Option<u8>) -> Option<(Tok, usize)> {
    Some(match (c, next) {
        (b'(', _) => (Tok::LParen, 1),
        (b')', _) => (Tok::RParen, 1),
        (b',', _) => (Tok::Comma, 1),
        (b'+', _) => (Tok::Plus, 1),
        (b'*', _) => (Tok::Star, 1),
        (b'/', _) => (Tok::Slash, 1),
        (b'-', Some(b'>')) => (Tok::Arrow, 2),
        (b'-', _) => (Tok::Minus, 1),
        (b'>', Some(b'=')) => (Tok::Cmp(CmpOp::Gte), 2),
        (b'>', _) => (Tok::Cmp(CmpOp::Gt), 1),
        (b'<', Some(b'=')) => (Tok::Cmp(CmpOp::Lte), 2),
        (b'<', Some(b'>')) => (Tok::Cmp(CmpOp::Neq), 2),
        (b'<', _) => (Tok::Cmp(CmpOp::Lt), 1),
        (b'=', Some(b'=')) => (Tok::Cmp(CmpOp::Eq), 2),
        (b'=', _) => (Tok::Cmp(CmpOp::Eq), 1),
        (b'!', Some(b'=')) => (Tok::Cmp(CmpOp::Neq), 2),
        _ => return None,
    })
}

/// The end of the identifier starting at `i`, or an error for any other character there.
fn word_end(src: &str, i: usize) -> Result<usize> {
    let ch = src
        .get(i..)
        .and_then(|s| s.chars().next())
        .unwrap_or('\u{fffd}');
    if ch == '_' || ch.is_ascii_alphabetic() || (!ch.is_ascii() && ch.is_alphabetic()) {
        Ok(ident_end(src, i))
    } else {
        Err(SqlError::new(
            format!("unexpected character '{}'", ch.escape_debug()),
            i,
        ))
    }
}

/// End of an identifier starting at `start` (letters, digits, `_`, `.`).
fn ident_end(src: &str, start: usize) -> usize {
    let rest = src.get(start..).unwrap_or("");
    let mut end = start;
    for (off, ch) in rest.char_indices() {
        if !is_ident_char(ch) {
            break;
        }
        end = start + off + ch.len_utf8();
    }
    end.max(start + 1).min(src.len())
}

/// End of a number token, with BlazeRules' extent: digits, `.`, `e`/`E`, and a sign right
/// after an exponent marker (so `5and` is `5` then `and`, and `1e-5` is one token).
fn number_end(b: &[u8], start: usize) -> usize {
    let mut j = start;
    while j < b.len() {
        let d = b[j];
        let sign_after_exp =
            (d == b'+' || d == b'-') && j > start && matches!(b[j - 1], b'e' | b'E');
        if d.is_ascii_digit() || matches!(d, b'.' | b'e' | b'E') || sign_after_exp {
            j += 1;
        } else {
            break;
        }
    }
    j
}

fn lex_number(src: &str, start: usize, end: usize) -> Result<Tok> {
    let text = src.get(start..end).unwrap_or("");
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Tok::Number(v)),
        Ok(_) => Err(SqlError::new(
            format!("number out of range '{}'", clip(text)),
            start,
        )),
        Err(_) => Err(SqlError::new(
            format!("invalid number '{}'", clip(text)),
            start,
        )),
    }
}

/// At most 40 characters of `text`, for messages.
pub(super) fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}
