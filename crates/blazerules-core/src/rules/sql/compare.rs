//! Comparisons: `IS [NOT] NULL`, `[NOT] IN`, `BETWEEN`, `LIKE`, and `lhs op rhs` in every
//! combination of fields, numbers, strings and arithmetic.

use super::lex::{CmpOp, Tok, Token};
use super::operand::{bin, check_ref, num_json, num_text, ArithOp, Node, Operand};
use super::parse::Parser;
use super::{Result, SqlError};
use crate::rules::op::Op;
use serde_json::{json, Value};

impl Parser<'_> {
    /// The field on the left of IS / IN / BETWEEN / LIKE.
    pub(super) fn field_of(&self, lhs: &Node, kw: &str) -> Result<String> {
        match lhs {
            Node::Val(Operand::Field { name, .. }, _) => Ok(name.clone()),
            other => Err(SqlError::new(
                format!("expected a field name before {kw}"),
                other.start(),
            )),
        }
    }

    pub(super) fn parse_comparison(&mut self) -> Result<Node> {
        let lhs = self.parse_sum()?;
        let tok = self.peek();
        if let Node::Cond(..) = lhs {
            if let Tok::Cmp(_) = tok.kind {
                return Err(SqlError::new("a condition cannot be compared", tok.start));
            }
            return Ok(lhs);
        }
        let start = lhs.start();
        if self.is_kw("IS") {
            let field = self.field_of(&lhs, "IS")?;
            self.advance();
            let neg = self.is_kw("NOT");
            if neg {
                self.advance();
            }
            if !self.is_kw("NULL") {
                return Err(self.expected("NULL after IS"));
            }
            self.advance();
            let op = if neg { Op::IsNotNull } else { Op::IsNull }.name();
            return Ok(Node::Cond(json!({ "field": field, "op": op }), start));
        }
        let not_in = self.is_kw("NOT");
        if not_in || self.is_kw("IN") {
            let field = self.field_of(&lhs, if not_in { "NOT IN" } else { "IN" })?;
            if not_in {
                self.advance();
                if !self.is_kw("IN") {
                    return Err(self.expected("IN after NOT"));
                }
            }
            self.advance();
            let values = self.parse_in_list()?;
            let op = if not_in { Op::NotIn } else { Op::In }.name();
            return Ok(Node::Cond(
                json!({ "field": field, "op": op, "values": values }),
                start,
            ));
        }
        if self.is_kw("BETWEEN") {
            let field = self.field_of(&lhs, "BETWEEN")?;
            self.advance();
            let lo = self.parse_bound()?;
            if !self.is_kw("AND") {
                return Err(self.expected("AND in BETWEEN"));
            }
            self.advance();
            let hi = self.parse_bound()?;
            return Ok(Node::Cond(
                json!({ "field": field, "op": Op::BetweenIncluding.name(), "value": [num_json(lo), num_json(hi)] }),
                start,
            ));
        }
        if self.is_kw("LIKE") || self.is_kw("ILIKE") {
            let kw = self.text(tok).to_ascii_uppercase();
            let field = self.field_of(&lhs, &kw)?;
            self.advance();
            let pat = self.peek();
            if pat.kind != Tok::Str {
                return Err(self.expected(&format!("a string pattern after {kw}")));
            }
            self.advance();
            let content = self.src.get(pat.start + 1..pat.end - 1).unwrap_or("");
            return Ok(Node::Cond(like_to_condition(&field, content), start));
        }
        if let Tok::Cmp(op) = tok.kind {
            self.advance();
            let rhs = self.parse_sum()?;
            return self.build_comparison(lhs, op, tok, rhs);
        }
        Ok(lhs)
    }

    pub(super) fn parse_in_list(&mut self) -> Result<Vec<Value>> {
        self.expect(Tok::LParen, "'(' after IN")?;
        let mut values = Vec::new();
        while self.peek().kind != Tok::RParen {
            let item = self.parse_sum()?;
            let text = match item {
                Node::Val(Operand::Num(n), _) => num_text(n),
                Node::Val(Operand::Str(s), _) => s,
                Node::Val(
                    Operand::Field {
                        name, bare: true, ..
                    },
                    _,
                ) => name,
                other => {
                    return Err(SqlError::new(
                        "IN list items must be numbers, strings or bare words",
                        other.start(),
                    ))
                }
            };
            values.push(Value::String(text));
            if self.peek().kind == Tok::Comma {
                self.advance();
            } else {
                break;
            }
        }
        self.expect(Tok::RParen, "')' to close the IN list")?;
        Ok(values)
    }

    pub(super) fn parse_bound(&mut self) -> Result<f64> {
        match self.parse_sum()? {
            Node::Val(Operand::Num(n), _) => Ok(n),
            other => Err(SqlError::new(
                "BETWEEN requires numeric bounds",
                other.start(),
            )),
        }
    }

    pub(super) fn build_comparison(
        &self,
        lhs: Node,
        op: CmpOp,
        op_tok: Token,
        rhs: Node,
    ) -> Result<Node> {
        let start = lhs.start();
        let (l, l_start) = match lhs {
            Node::Val(o, s) => (o, s),
            Node::Cond(..) => {
                return Err(SqlError::new(
                    "a condition cannot be compared",
                    op_tok.start,
                ))
            }
        };
        let (r, r_start) = match rhs {
            Node::Val(o, s) => (o, s),
            Node::Cond(_, s) => return Err(SqlError::new("a condition cannot be compared", s)),
        };
        let cond = match (l, r) {
            (Operand::Str(_), _) => {
                return Err(SqlError::new(
                    "a string can only appear on the right of a comparison",
                    l_start,
                ))
            }
            (Operand::Field { name, .. }, Operand::Str(s)) => {
                if !op.is_equality() {
                    return Err(SqlError::new(
                        format!(
                            "operator '{}' cannot compare with a string (use =, ==, != or <>)",
                            self.text(op_tok)
                        ),
                        op_tok.start,
                    ));
                }
                categorical(&name, op, s)
            }
            (_, Operand::Str(_)) => {
                return Err(SqlError::new(
                    "a string can only be compared with a field name",
                    r_start,
                ))
            }
            (Operand::Field { name, off, .. }, r) => field_compared(name, off, op, r)?,
            (l, r) => value_compared(l, r, op, op_tok.start, l_start)?,
        };
        Ok(Node::Cond(cond, start))
    }
}

/// Field `f` (at `f_off`) `op` a number, another field or arithmetic.
fn field_compared(f: String, f_off: usize, op: CmpOp, r: Operand) -> Result<Value> {
    Ok(match r {
        Operand::Num(n) => json!({ "field": f, "op": op.op().name(), "value": num_json(n) }),
        Operand::Field {
            name: g,
            bare,
            off: g_off,
        } => {
            if bare && op.is_equality() {
                // BlazeRules: a bare word after = / != is a categorical literal.
                categorical(&f, op, g)
            } else {
                check_ref(&f, f_off)?;
                check_ref(&g, g_off)?;
                json!({ "field": f, "op": op.field_op().name(), "other_field": g })
            }
        }
        r => {
            // f op <arithmetic>  ⇔  <arithmetic> swapped(op) f
            check_ref(&f, f_off)?;
            r.check_refs()?;
            json!({ "op": op.swapped().op().name(), "expr": r.to_expr(), "other_field": f })
        }
    })
}

/// A number or arithmetic `l` (starting at `l_start`) `op` a number, a field or arithmetic.
fn value_compared(
    l: Operand,
    r: Operand,
    op: CmpOp,
    op_off: usize,
    l_start: usize,
) -> Result<Value> {
    let no_field = || SqlError::new("a comparison must reference a field", l_start);
    Ok(match (l, r) {
        (Operand::Num(n), Operand::Field { name, off, .. }) => {
            check_ref(&name, off)?;
            json!({ "field": name, "op": op.swapped().op().name(), "value": num_json(n) })
        }
        (Operand::Num(_), Operand::Num(_)) => return Err(no_field()),
        (Operand::Num(n), r) => {
            if !r.has_field() {
                return Err(no_field());
            }
            r.check_refs()?;
            json!({ "op": op.swapped().op().name(), "expr": r.to_expr(), "value": num_json(n) })
        }
        (l, Operand::Num(n)) => {
            if !l.has_field() {
                return Err(no_field());
            }
            l.check_refs()?;
            json!({ "op": op.op().name(), "expr": l.to_expr(), "value": num_json(n) })
        }
        (l, Operand::Field { name, off, .. }) => {
            l.check_refs()?;
            check_ref(&name, off)?;
            json!({ "op": op.op().name(), "expr": l.to_expr(), "other_field": name })
        }
        (l, r) => {
            // Both sides arithmetic: (l) - (r) op 0.
            if !l.has_field() && !r.has_field() {
                return Err(no_field());
            }
            l.check_refs()?;
            r.check_refs()?;
            let diff = bin(ArithOp::Sub, l, r, op_off)?;
            json!({ "op": op.op().name(), "expr": diff.to_expr(), "value": 0 })
        }
    })
}

fn categorical(field: &str, op: CmpOp, value: String) -> Value {
    let op = if op == CmpOp::Eq { Op::In } else { Op::NotIn };
    let op = op.name();
    json!({ "field": field, "op": op, "values": [value] })
}

/// LIKE / ILIKE (both case-sensitive): `%x%` contains, `x%` starts_with, `%x` ends_with,
/// no `%` contains; `_` and inner `%` are literal.
fn like_to_condition(field: &str, pat: &str) -> Value {
    let lead = pat.starts_with('%');
    let trail = pat.ends_with('%');
    let mut core = pat;
    if lead {
        core = &core[1..];
    }
    if trail && !core.is_empty() {
        core = &core[..core.len() - 1];
    }
    let op = match (lead, trail) {
        (true, true) | (false, false) => Op::Contains,
        (false, true) => Op::StartsWith,
        (true, false) => Op::EndsWith,
    };
    let op = op.name();
    json!({ "field": field, "op": op, "value": core })
}
