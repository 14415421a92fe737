//! Translates a BlazeRules `sql:` condition string (rules-reference §2.19) into the JSON
//! condition tree the loader already understands, so `sql:` and YAML conditions share one
//! compile path.
//!
//! Grammar, lowest precedence first (keywords are case-insensitive):
//!
//! ```text
//! or         := and ("OR" and)*
//! and        := not ("AND" not)*
//! not        := "NOT" not | comparison
//! comparison := sum [ "IS" ["NOT"] "NULL" | ["NOT"] "IN" "(" [item ("," item)* [","]] ")"
//!                   | "BETWEEN" number "AND" number | ("LIKE" | "ILIKE") string
//!                   | ("=" | "==" | "!=" | "<>" | ">" | "<" | ">=" | "<=") sum ]
//! sum        := product (("+" | "-") product)*
//! product    := unary (("*" | "/") unary)*
//! unary      := ("+" | "-")* primary
//! primary    := "(" or ")" | number | string | identifier | any_match
//! any_match  := "any_match" "(" identifier "," identifier "->" or ")"
//! ```
//!
//! BlazeRules strings keep their meaning: a quoted string or a *bare* identifier on the right
//! of `=`/`==`/`!=`/`<>` is a categorical literal (`in`/`not_in` with one value), a number is
//! a numeric comparison, and `TRUE`/`FALSE`/`NULL` on the right of `=` are plain categorical
//! text as in BlazeRules. Extensions (choices.md): arithmetic (`expr` leaves), field-to-field
//! comparison (`*_field` leaves; `a > b`, or `a = (b)` for equality) and `any_match` anywhere.
//!
//! `lex` makes tokens, `parse` the boolean and arithmetic structure over the `operand`
//! nodes, `compare` the comparisons; operator names come from `rules::op::Op`.

mod compare;
mod lex;
mod operand;
mod parse;

use lex::{lex, Tok};
use parse::Parser;
use serde_json::Value;
use std::fmt;

/// Nesting limit (§2.19): `OR` and `NOT` levels are counted exactly as BlazeRules counts
/// them (so a parenthesis level costs two); arithmetic trees are limited to this depth too.
pub(super) use crate::limits::MAX_CONDITION_DEPTH as MAX_DEPTH;

/// A `sql:` string that cannot be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// What went wrong, without the position (e.g. `expected ')', found end of input`).
    pub message: String,
    /// Byte offset of the offending token in the source string.
    pub offset: usize,
}

impl SqlError {
    pub(super) fn new(message: impl Into<String>, offset: usize) -> Self {
        SqlError {
            message: message.into(),
            offset,
        }
    }
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for SqlError {}

pub(super) type Result<T> = std::result::Result<T, SqlError>;

/// Translates a `sql:` condition into the equivalent YAML-condition JSON tree.
pub fn sql_to_condition(src: &str) -> Result<Value> {
    let toks = lex(src)?;
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
        alias: None,
    };
    let node = p.parse_or()?;
    let cond = p.as_condition(node)?;
    let tok = p.peek();
    if tok.kind != Tok::End {
        return Err(SqlError::new(
            format!("unexpected token {}", p.describe(tok)),
            tok.start,
        ));
    }
    Ok(cond)
}

#[cfg(test)]
mod tests;
