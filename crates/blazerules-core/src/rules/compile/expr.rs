//! Arithmetic expressions of an `expr` leaf (§2.14).

use super::{At, BinOp, Compiler, Expr, Mode, MAX_DEPTH};
use crate::error::ErrorCode;
use crate::rules::scalar::{as_f64, scalar_text};
use serde_json::Value;

impl Compiler<'_> {
    pub(super) fn expr(
        &mut self,
        e: &Value,
        at: &At<'_>,
        mode: Mode,
        depth: usize,
    ) -> Option<Expr> {
        if depth > MAX_DEPTH {
            self.err(
                ErrorCode::UnknownOp,
                format!("condition nesting too deep (limit {MAX_DEPTH})"),
                at,
                "expr",
            );
            return None;
        }
        match e {
            Value::Number(n) => n.as_f64().map(Expr::Lit),
            Value::String(s) => Some(match as_f64(e) {
                Some(n) => Expr::Lit(n),
                None => Expr::Field(self.field(s, mode)),
            }),
            Value::Object(m) => {
                let op = m
                    .get("op")
                    .and_then(scalar_text)
                    .map(|s| s.to_ascii_lowercase());
                let bin = match op.as_deref() {
                    Some("add" | "+") => Some(BinOp::Add),
                    Some("sub" | "-") => Some(BinOp::Sub),
                    Some("mul" | "*") => Some(BinOp::Mul),
                    Some("div" | "/") => Some(BinOp::Div),
                    _ => None,
                };
                if let Some(b) = bin {
                    let (l, r) = match (
                        m.get("left"),
                        m.get("right"),
                        m.get("args").and_then(Value::as_array),
                    ) {
                        (Some(l), Some(r), _) => (l, r),
                        (_, _, Some(a)) if a.len() == 2 => (&a[0], &a[1]),
                        _ => {
                            self.err(
                                ErrorCode::YamlSyntaxError,
                                "arithmetic needs 'left' and 'right' (or two 'args')",
                                at,
                                "expr",
                            );
                            return None;
                        }
                    };
                    let l = self.expr(l, at, mode, depth + 1)?;
                    let r = self.expr(r, at, mode, depth + 1)?;
                    return Some(Expr::Bin(Box::new(l), b, Box::new(r)));
                }
                if matches!(op.as_deref(), Some("literal" | "const")) || m.contains_key("literal") {
                    let v = m.get("literal").or_else(|| m.get("value"))?;
                    return self.number(v, at, "expr").map(Expr::Lit);
                }
                if let Some(f) = m.get("field").and_then(scalar_text) {
                    return Some(Expr::Field(self.field(&f, mode)));
                }
                if let Some(v) = m.get("value") {
                    return self.number(v, at, "expr").map(Expr::Lit);
                }
                self.err(
                    ErrorCode::YamlSyntaxError,
                    "an expression needs 'field', 'literal' or 'op'",
                    at,
                    "expr",
                );
                None
            }
            _ => {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    "invalid arithmetic expression",
                    at,
                    "expr",
                );
                None
            }
        }
    }
}
