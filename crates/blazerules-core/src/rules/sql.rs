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

use serde_json::{json, Value};
use std::fmt;

/// Nesting limit (§2.19): `OR` and `NOT` levels are counted exactly as BlazeRules counts
/// them (so a parenthesis level costs two); arithmetic trees are limited to this depth too.
const MAX_DEPTH: usize = 128;

/// A `sql:` string that cannot be translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    /// What went wrong, without the position (e.g. `expected ')', found end of input`).
    pub message: String,
    /// Byte offset of the offending token in the source string.
    pub offset: usize,
}

impl SqlError {
    fn new(message: impl Into<String>, offset: usize) -> Self {
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

type Result<T> = std::result::Result<T, SqlError>;

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

// ---- Lexer ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Gt,
    Lt,
    Gte,
    Lte,
    Eq,
    Neq,
}

impl CmpOp {
    fn name(self) -> &'static str {
        match self {
            CmpOp::Gt => "gt",
            CmpOp::Lt => "lt",
            CmpOp::Gte => "gte",
            CmpOp::Lte => "lte",
            CmpOp::Eq => "eq",
            CmpOp::Neq => "neq",
        }
    }

    fn field_name(self) -> &'static str {
        match self {
            CmpOp::Gt => "gt_field",
            CmpOp::Lt => "lt_field",
            CmpOp::Gte => "gte_field",
            CmpOp::Lte => "lte_field",
            CmpOp::Eq => "eq_field",
            CmpOp::Neq => "neq_field",
        }
    }

    /// The operator with its operands swapped (`a < b` ⇔ `b > a`).
    fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Gte => CmpOp::Lte,
            CmpOp::Lte => CmpOp::Gte,
            other => other,
        }
    }

    fn is_equality(self) -> bool {
        matches!(self, CmpOp::Eq | CmpOp::Neq)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
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
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

fn is_ident_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || ch == '_' || ch == '.' || (!ch.is_ascii() && ch.is_alphanumeric())
}

fn lex(src: &str) -> Result<Vec<Token>> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let next = b.get(i + 1).copied();
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'+' => {
                i += 1;
                Tok::Plus
            }
            b'*' => {
                i += 1;
                Tok::Star
            }
            b'/' => {
                i += 1;
                Tok::Slash
            }
            b'-' if next == Some(b'>') => {
                i += 2;
                Tok::Arrow
            }
            b'-' => {
                i += 1;
                Tok::Minus
            }
            b'>' if next == Some(b'=') => {
                i += 2;
                Tok::Cmp(CmpOp::Gte)
            }
            b'>' => {
                i += 1;
                Tok::Cmp(CmpOp::Gt)
            }
            b'<' if next == Some(b'=') => {
                i += 2;
                Tok::Cmp(CmpOp::Lte)
            }
            b'<' if next == Some(b'>') => {
                i += 2;
                Tok::Cmp(CmpOp::Neq)
            }
            b'<' => {
                i += 1;
                Tok::Cmp(CmpOp::Lt)
            }
            b'=' if next == Some(b'=') => {
                i += 2;
                Tok::Cmp(CmpOp::Eq)
            }
            b'=' => {
                i += 1;
                Tok::Cmp(CmpOp::Eq)
            }
            b'!' if next == Some(b'=') => {
                i += 2;
                Tok::Cmp(CmpOp::Neq)
            }
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
                let ch = src
                    .get(i..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\u{fffd}');
                if ch == '_' || ch.is_ascii_alphabetic() || (!ch.is_ascii() && ch.is_alphabetic()) {
                    i = ident_end(src, i);
                    Tok::Ident
                } else {
                    return Err(SqlError::new(
                        format!("unexpected character '{}'", ch.escape_debug()),
                        start,
                    ));
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
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

// ---- Parser -----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    fn name(self) -> &'static str {
        match self {
            ArithOp::Add => "add",
            ArithOp::Sub => "sub",
            ArithOp::Mul => "mul",
            ArithOp::Div => "div",
        }
    }
}

/// A value-side operand of a comparison.
#[derive(Debug, Clone)]
enum Operand {
    Num(f64),
    Str(String),
    /// `bare` is false once the name was parenthesised or signed: then it is always a field
    /// reference, never BlazeRules' categorical bare word.
    Field {
        name: String,
        bare: bool,
        off: usize,
    },
    Neg(Box<Operand>, usize),
    Bin {
        op: ArithOp,
        left: Box<Operand>,
        right: Box<Operand>,
        depth: usize,
    },
}

impl Operand {
    fn depth(&self) -> usize {
        match self {
            Operand::Neg(_, d) | Operand::Bin { depth: d, .. } => *d,
            _ => 1,
        }
    }

    fn has_field(&self) -> bool {
        match self {
            Operand::Field { .. } => true,
            Operand::Neg(x, _) => x.has_field(),
            Operand::Bin { left, right, .. } => left.has_field() || right.has_field(),
            Operand::Num(_) | Operand::Str(_) => false,
        }
    }

    /// Field names used in the extension forms must not be the words TRUE/FALSE/NULL.
    fn check_refs(&self) -> Result<()> {
        match self {
            Operand::Field { name, off, .. } => check_ref(name, *off),
            Operand::Neg(x, _) => x.check_refs(),
            Operand::Bin { left, right, .. } => {
                left.check_refs()?;
                right.check_refs()
            }
            Operand::Num(_) | Operand::Str(_) => Ok(()),
        }
    }

    /// The loader's `expr` tree (§2.14).
    fn to_expr(&self) -> Value {
        match self {
            Operand::Num(n) => json!({ "literal": num_json(*n) }),
            Operand::Field { name, .. } => json!({ "field": name }),
            Operand::Neg(x, _) => {
                json!({ "op": "sub", "left": { "literal": 0 }, "right": x.to_expr() })
            }
            Operand::Bin {
                op, left, right, ..
            } => json!({ "op": op.name(), "left": left.to_expr(), "right": right.to_expr() }),
            // Strings are rejected before an expression is built.
            Operand::Str(_) => Value::Null,
        }
    }
}

fn check_ref(name: &str, off: usize) -> Result<()> {
    if name.eq_ignore_ascii_case("true") || name.eq_ignore_ascii_case("false") {
        Err(SqlError::new("TRUE/FALSE literals are not supported", off))
    } else if name.eq_ignore_ascii_case("null") {
        Err(SqlError::new(
            "NULL can only be tested with IS [NOT] NULL",
            off,
        ))
    } else {
        Ok(())
    }
}

/// A parsed piece: a finished condition, or an operand still waiting for its comparison.
/// The `usize` is the byte offset where it starts.
#[derive(Debug)]
enum Node {
    Cond(Value, usize),
    Val(Operand, usize),
}

impl Node {
    fn start(&self) -> usize {
        match self {
            Node::Cond(_, s) | Node::Val(_, s) => *s,
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// OR/NOT recursion depth, counted as BlazeRules counts it.
    depth: usize,
    /// The lambda variable while parsing an `any_match` body.
    alias: Option<String>,
}

impl Parser<'_> {
    fn peek(&self) -> Token {
        self.peek_at(self.pos)
    }

    fn peek_at(&self, i: usize) -> Token {
        self.toks.get(i).copied().unwrap_or(Token {
            kind: Tok::End,
            start: self.src.len(),
            end: self.src.len(),
        })
    }

    fn advance(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    fn text(&self, tok: Token) -> &str {
        self.src.get(tok.start..tok.end).unwrap_or("")
    }

    fn describe(&self, tok: Token) -> String {
        match tok.kind {
            Tok::End => "end of input".to_string(),
            _ => format!("'{}'", clip(self.text(tok))),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        let tok = self.peek();
        tok.kind == Tok::Ident && self.text(tok).eq_ignore_ascii_case(kw)
    }

    fn expect(&mut self, kind: Tok, what: &str) -> Result<Token> {
        let tok = self.peek();
        if tok.kind == kind {
            self.advance();
            Ok(tok)
        } else {
            Err(self.expected(what))
        }
    }

    fn expected(&self, what: &str) -> SqlError {
        let tok = self.peek();
        SqlError::new(
            format!("expected {what}, found {}", self.describe(tok)),
            tok.start,
        )
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SqlError::new(
                "expression nesting too deep",
                self.peek().start,
            ));
        }
        Ok(())
    }

    /// The node as a condition; an operand that was never compared is an error reported at
    /// the token that follows it.
    fn as_condition(&self, node: Node) -> Result<Value> {
        match node {
            Node::Cond(v, _) => Ok(v),
            Node::Val(
                Operand::Field {
                    name,
                    bare: true,
                    off,
                },
                _,
            ) if name.eq_ignore_ascii_case("true") || name.eq_ignore_ascii_case("false") => {
                Err(SqlError::new("TRUE/FALSE literals are not supported", off))
            }
            Node::Val(..) => Err(self.expected("a comparison operator")),
        }
    }

    fn parse_or(&mut self) -> Result<Node> {
        self.enter()?;
        let first = self.parse_and()?;
        let node = if self.is_kw("OR") {
            let start = first.start();
            let mut kids = vec![self.as_condition(first)?];
            while self.is_kw("OR") {
                self.advance();
                let next = self.parse_and()?;
                kids.push(self.as_condition(next)?);
            }
            Node::Cond(json!({ "or": kids }), start)
        } else {
            first
        };
        self.depth -= 1;
        Ok(node)
    }

    fn parse_and(&mut self) -> Result<Node> {
        let first = self.parse_not()?;
        if !self.is_kw("AND") {
            return Ok(first);
        }
        let start = first.start();
        let mut kids = vec![self.as_condition(first)?];
        while self.is_kw("AND") {
            self.advance();
            let next = self.parse_not()?;
            kids.push(self.as_condition(next)?);
        }
        Ok(Node::Cond(json!({ "and": kids }), start))
    }

    fn parse_not(&mut self) -> Result<Node> {
        self.enter()?;
        let node = if self.is_kw("NOT") {
            let start = self.peek().start;
            self.advance();
            let child = self.parse_not()?;
            let c = self.as_condition(child)?;
            Node::Cond(json!({ "not": c }), start)
        } else {
            self.parse_comparison()?
        };
        self.depth -= 1;
        Ok(node)
    }

    /// The field on the left of IS / IN / BETWEEN / LIKE.
    fn field_of(&self, lhs: &Node, kw: &str) -> Result<String> {
        match lhs {
            Node::Val(Operand::Field { name, .. }, _) => Ok(name.clone()),
            other => Err(SqlError::new(
                format!("expected a field name before {kw}"),
                other.start(),
            )),
        }
    }

    fn parse_comparison(&mut self) -> Result<Node> {
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
            let op = if neg { "is_not_null" } else { "is_null" };
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
            let op = if not_in { "not_in" } else { "in" };
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
                json!({ "field": field, "op": "between_including", "value": [num_json(lo), num_json(hi)] }),
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

    fn parse_in_list(&mut self) -> Result<Vec<Value>> {
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

    fn parse_bound(&mut self) -> Result<f64> {
        match self.parse_sum()? {
            Node::Val(Operand::Num(n), _) => Ok(n),
            other => Err(SqlError::new(
                "BETWEEN requires numeric bounds",
                other.start(),
            )),
        }
    }

    fn build_comparison(&self, lhs: Node, op: CmpOp, op_tok: Token, rhs: Node) -> Result<Node> {
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
        let no_field = |at: usize| SqlError::new("a comparison must reference a field", at);
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
            (Operand::Field { name, .. }, Operand::Num(n)) => {
                json!({ "field": name, "op": op.name(), "value": num_json(n) })
            }
            (
                Operand::Field {
                    name: f,
                    off: f_off,
                    ..
                },
                Operand::Field {
                    name: g,
                    bare,
                    off: g_off,
                },
            ) => {
                if bare && op.is_equality() {
                    // BlazeRules: a bare word after = / != is a categorical literal.
                    categorical(&f, op, g)
                } else {
                    check_ref(&f, f_off)?;
                    check_ref(&g, g_off)?;
                    json!({ "field": f, "op": op.field_name(), "other_field": g })
                }
            }
            (Operand::Field { name, off, .. }, r) => {
                // f op <arithmetic>  ⇔  <arithmetic> swapped(op) f
                check_ref(&name, off)?;
                r.check_refs()?;
                json!({ "op": op.swapped().name(), "expr": r.to_expr(), "other_field": name })
            }
            (Operand::Num(n), Operand::Field { name, off, .. }) => {
                check_ref(&name, off)?;
                json!({ "field": name, "op": op.swapped().name(), "value": num_json(n) })
            }
            (Operand::Num(_), Operand::Num(_)) => return Err(no_field(l_start)),
            (Operand::Num(n), r) => {
                if !r.has_field() {
                    return Err(no_field(l_start));
                }
                r.check_refs()?;
                json!({ "op": op.swapped().name(), "expr": r.to_expr(), "value": num_json(n) })
            }
            (l, Operand::Num(n)) => {
                if !l.has_field() {
                    return Err(no_field(l_start));
                }
                l.check_refs()?;
                json!({ "op": op.name(), "expr": l.to_expr(), "value": num_json(n) })
            }
            (l, Operand::Field { name, off, .. }) => {
                l.check_refs()?;
                check_ref(&name, off)?;
                json!({ "op": op.name(), "expr": l.to_expr(), "other_field": name })
            }
            (l, r) => {
                // Both sides arithmetic: (l) - (r) op 0.
                if !l.has_field() && !r.has_field() {
                    return Err(no_field(l_start));
                }
                l.check_refs()?;
                r.check_refs()?;
                let diff = bin(ArithOp::Sub, l, r, op_tok.start)?;
                json!({ "op": op.name(), "expr": diff.to_expr(), "value": 0 })
            }
        };
        Ok(Node::Cond(cond, start))
    }

    fn parse_sum(&mut self) -> Result<Node> {
        let mut left = self.parse_product()?;
        loop {
            let tok = self.peek();
            let op = match tok.kind {
                Tok::Plus => ArithOp::Add,
                Tok::Minus => ArithOp::Sub,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.parse_product()?;
            left = combine(op, left, right, tok.start)?;
        }
    }

    fn parse_product(&mut self) -> Result<Node> {
        let mut left = self.parse_unary()?;
        loop {
            let tok = self.peek();
            let op = match tok.kind {
                Tok::Star => ArithOp::Mul,
                Tok::Slash => ArithOp::Div,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.parse_unary()?;
            left = combine(op, left, right, tok.start)?;
        }
    }

    /// Signs are collected in a loop (no recursion); a sign on a number literal folds into
    /// the literal, so `-5` is the number -5 as in BlazeRules.
    fn parse_unary(&mut self) -> Result<Node> {
        let start = self.peek().start;
        let mut signed = false;
        let mut negate = false;
        loop {
            match self.peek().kind {
                Tok::Plus => signed = true,
                Tok::Minus => {
                    signed = true;
                    negate = !negate;
                }
                _ => break,
            }
            self.advance();
        }
        let node = self.parse_primary()?;
        if !signed {
            return Ok(node);
        }
        let operand = value_operand(node)?;
        let out = match operand {
            Operand::Num(n) => Operand::Num(if negate { -n } else { n }),
            Operand::Field { name, off, .. } if !negate => Operand::Field {
                name,
                bare: false,
                off,
            },
            x if negate => {
                let d = x.depth() + 1;
                if d > MAX_DEPTH {
                    return Err(SqlError::new("expression nesting too deep", start));
                }
                Operand::Neg(Box::new(x), d)
            }
            x => x,
        };
        Ok(Node::Val(out, start))
    }

    fn parse_primary(&mut self) -> Result<Node> {
        let tok = self.peek();
        match tok.kind {
            Tok::LParen => {
                self.advance();
                let inner = self.parse_or()?;
                self.expect(Tok::RParen, "')'")?;
                Ok(match inner {
                    Node::Val(Operand::Field { name, off, .. }, _) => Node::Val(
                        Operand::Field {
                            name,
                            bare: false,
                            off,
                        },
                        tok.start,
                    ),
                    Node::Val(o, _) => Node::Val(o, tok.start),
                    Node::Cond(v, _) => Node::Cond(v, tok.start),
                })
            }
            Tok::Number(n) => {
                self.advance();
                Ok(Node::Val(Operand::Num(n), tok.start))
            }
            Tok::Str => {
                self.advance();
                let s = self.src.get(tok.start + 1..tok.end - 1).unwrap_or("");
                Ok(Node::Val(Operand::Str(s.to_string()), tok.start))
            }
            Tok::Ident => {
                if self.text(tok).eq_ignore_ascii_case("any_match")
                    && self.peek_at(self.pos + 1).kind == Tok::LParen
                {
                    return self.parse_any_match();
                }
                let name = self.field_name(tok)?;
                self.advance();
                Ok(Node::Val(
                    Operand::Field {
                        name,
                        bare: true,
                        off: tok.start,
                    },
                    tok.start,
                ))
            }
            _ => Err(self.expected("a field name or value")),
        }
    }

    /// An identifier as a field name, without the lambda variable's `x.` prefix inside an
    /// `any_match` body.
    fn field_name(&self, tok: Token) -> Result<String> {
        let text = self.text(tok);
        if let Some(alias) = &self.alias {
            if let Some(rest) = text
                .strip_prefix(alias.as_str())
                .and_then(|r| r.strip_prefix('.'))
            {
                if rest.is_empty() {
                    return Err(SqlError::new(
                        format!("expected a field name after '{alias}.'"),
                        tok.start,
                    ));
                }
                return Ok(rest.to_string());
            }
        }
        Ok(text.to_string())
    }

    fn parse_any_match(&mut self) -> Result<Node> {
        let start = self.peek().start;
        if self.alias.is_some() {
            return Err(SqlError::new(
                "any_match cannot be nested inside another any_match",
                start,
            ));
        }
        self.advance(); // any_match
        self.advance(); // (
        let path_tok = self.expect(Tok::Ident, "the array path of any_match")?;
        let path = self.text(path_tok).to_string();
        self.expect(Tok::Comma, "',' after the array path")?;
        let var = self.peek();
        if var.kind != Tok::Ident || self.text(var).contains('.') {
            return Err(self.expected("a lambda variable name"));
        }
        self.advance();
        self.expect(Tok::Arrow, "'->' after the lambda variable")?;
        let saved = self.depth;
        self.depth = 0;
        self.alias = Some(self.text(var).to_string());
        let body = self.parse_or()?;
        let body = self.as_condition(body)?;
        self.alias = None;
        self.depth = saved;
        self.expect(Tok::RParen, "')' to close any_match")?;
        Ok(Node::Cond(
            json!({ "array_any": { "path": path, "where": body } }),
            start,
        ))
    }
}

/// The operand of a node used in arithmetic.
fn value_operand(node: Node) -> Result<Operand> {
    match node {
        Node::Val(Operand::Str(_), s) => {
            Err(SqlError::new("strings cannot be used in arithmetic", s))
        }
        Node::Val(o, _) => Ok(o),
        Node::Cond(_, s) => Err(SqlError::new("expected a value, found a condition", s)),
    }
}

fn bin(op: ArithOp, left: Operand, right: Operand, op_off: usize) -> Result<Operand> {
    let depth = 1 + left.depth().max(right.depth());
    if depth > MAX_DEPTH {
        return Err(SqlError::new("expression nesting too deep", op_off));
    }
    Ok(Operand::Bin {
        op,
        left: Box::new(left),
        right: Box::new(right),
        depth,
    })
}

fn combine(op: ArithOp, left: Node, right: Node, op_off: usize) -> Result<Node> {
    let start = left.start();
    let l = value_operand(left)?;
    let r = value_operand(right)?;
    Ok(Node::Val(bin(op, l, r, op_off)?, start))
}

fn categorical(field: &str, op: CmpOp, value: String) -> Value {
    let op = if op == CmpOp::Eq { "in" } else { "not_in" };
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
        (true, true) => "contains",
        (false, true) => "starts_with",
        (true, false) => "ends_with",
        (false, false) => "contains",
    };
    json!({ "field": field, "op": op, "value": core })
}

/// A JSON number: an integer when the value is integral and exact in f64, else a float.
fn num_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// A number in an IN list as BlazeRules writes it: `"5"` if integral (and within i64),
/// else six decimals (`"5.500000"`).
fn num_text(n: f64) -> String {
    if n.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n)
    {
        (n as i64).to_string()
    } else {
        format!("{n:.6}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Value {
        match sql_to_condition(src) {
            Ok(v) => v,
            Err(e) => panic!("{src:?} failed: {e}"),
        }
    }

    fn err(src: &str) -> SqlError {
        match sql_to_condition(src) {
            Ok(v) => panic!("{src:?} unexpectedly parsed as {v}"),
            Err(e) => e,
        }
    }

    fn assert_err(src: &str, needle: &str, offset: usize) {
        let e = err(src);
        assert!(
            e.message.contains(needle),
            "{src:?}: message {:?} lacks {needle:?}",
            e.message
        );
        assert_eq!(e.offset, offset, "{src:?}: {e}");
    }

    #[test]
    fn numeric_comparisons() {
        assert_eq!(
            ok("amount > 100"),
            json!({"field": "amount", "op": "gt", "value": 100})
        );
        for (op, name) in [
            (">", "gt"),
            ("<", "lt"),
            (">=", "gte"),
            ("<=", "lte"),
            ("=", "eq"),
            ("==", "eq"),
            ("!=", "neq"),
            ("<>", "neq"),
        ] {
            assert_eq!(
                ok(&format!("a.b {op} 10")),
                json!({"field": "a.b", "op": name, "value": 10}),
                "{op}"
            );
            assert_eq!(
                ok(&format!("a.b{op}10")),
                json!({"field": "a.b", "op": name, "value": 10}),
                "{op}"
            );
        }
    }

    #[test]
    fn number_forms() {
        let v = |src: &str| ok(src)["value"].clone();
        assert_eq!(v("a > -5"), json!(-5));
        assert_eq!(v("a > - 5"), json!(-5));
        assert_eq!(v("a > +5"), json!(5));
        assert_eq!(v("a > 5.5"), json!(5.5));
        assert_eq!(v("a > -5.25"), json!(-5.25));
        assert_eq!(v("a > .5"), json!(0.5));
        assert_eq!(v("a > -.5"), json!(-0.5));
        assert_eq!(v("a > 5."), json!(5));
        assert_eq!(v("a > 1e3"), json!(1000));
        assert_eq!(v("a > 2.5E-1"), json!(0.25));
        assert_eq!(v("a > 1e+2"), json!(100));
        assert_eq!(v("a > 5.0"), json!(5));
        assert_eq!(v("a > 1e20"), json!(1e20));
        assert_eq!(v("a > 9007199254740993"), json!(9007199254740992i64));
        assert_eq!(v("a>=-0"), json!(0));
        assert_eq!(v("a > --5"), json!(5));
        // A number stops where BlazeRules' number token stops: `5and` is `5` then `and`.
        assert_eq!(
            ok("a>5and b<3"),
            json!({"and": [
                {"field": "a", "op": "gt", "value": 5},
                {"field": "b", "op": "lt", "value": 3}
            ]})
        );
    }

    #[test]
    fn bad_numbers() {
        assert_err("a > 1.2.3", "invalid number '1.2.3'", 4);
        assert_err("a > 5e", "invalid number '5e'", 4);
        assert_err("a > 1e+", "invalid number", 4);
        assert_err("a > 1e999", "number out of range", 4);
        assert_err("a > -1e999", "number out of range", 5);
    }

    #[test]
    fn categorical_equality() {
        assert_eq!(
            ok("country = 'US'"),
            json!({"field": "country", "op": "in", "values": ["US"]})
        );
        assert_eq!(
            ok("country == \"US\""),
            json!({"field": "country", "op": "in", "values": ["US"]})
        );
        assert_eq!(
            ok("country != 'US'"),
            json!({"field": "country", "op": "not_in", "values": ["US"]})
        );
        assert_eq!(
            ok("country <> US"),
            json!({"field": "country", "op": "not_in", "values": ["US"]})
        );
        // A quoted number stays categorical text.
        assert_eq!(
            ok("code = '12'"),
            json!({"field": "code", "op": "in", "values": ["12"]})
        );
        // A bare identifier on the right of = is a categorical literal (BlazeRules meaning).
        assert_eq!(
            ok("a = b.c"),
            json!({"field": "a", "op": "in", "values": ["b.c"]})
        );
        assert_eq!(
            ok("flag = TRUE"),
            json!({"field": "flag", "op": "in", "values": ["TRUE"]})
        );
        assert_eq!(
            ok("x = NULL"),
            json!({"field": "x", "op": "in", "values": ["NULL"]})
        );
        assert_eq!(
            ok("s = ''"),
            json!({"field": "s", "op": "in", "values": [""]})
        );
        // No escapes: a doubled quote ends the string.
        assert_err("s = 'it''s'", "unexpected token ''s''", 8);
    }

    #[test]
    fn strings_with_ordering_are_errors() {
        assert_err(
            "country > 'US'",
            "operator '>' cannot compare with a string",
            8,
        );
        assert_err(
            "a <= \"x\"",
            "operator '<=' cannot compare with a string",
            2,
        );
        assert_err("'US' = country", "string can only appear on the right", 0);
        assert_err("a + 1 = 'x'", "string can only be compared with a field", 8);
    }

    #[test]
    fn is_null() {
        assert_eq!(ok("a IS NULL"), json!({"field": "a", "op": "is_null"}));
        assert_eq!(
            ok("a.b is not null"),
            json!({"field": "a.b", "op": "is_not_null"})
        );
        assert_eq!(ok("a Is NuLl"), json!({"field": "a", "op": "is_null"}));
        assert_err("a IS 5", "expected NULL after IS, found '5'", 5);
        assert_err("a IS NOT", "expected NULL after IS, found end of input", 8);
        assert_err("a + 1 IS NULL", "expected a field name before IS", 0);
    }

    #[test]
    fn in_lists() {
        assert_eq!(
            ok("a IN (5, 5.5, 'x', \"y z\", w, -2, 1e20, 1e15, 0.1)"),
            json!({"field": "a", "op": "in", "values": [
                "5", "5.500000", "x", "y z", "w", "-2",
                "100000000000000000000.000000", "1000000000000000", "0.100000"
            ]})
        );
        assert_eq!(
            ok("a in ()"),
            json!({"field": "a", "op": "in", "values": []})
        );
        assert_eq!(
            ok("a NOT IN (1, 2,)"),
            json!({"field": "a", "op": "not_in", "values": ["1", "2"]})
        );
        assert_eq!(
            ok("a not in (TRUE)"),
            json!({"field": "a", "op": "not_in", "values": ["TRUE"]})
        );
        assert_err("a IN 5", "expected '(' after IN, found '5'", 5);
        assert_err(
            "a IN (1 2)",
            "expected ')' to close the IN list, found '2'",
            8,
        );
        assert_err("a IN (1,", "found end of input", 8);
        assert_err("a IN (,)", "expected a field name or value, found ','", 6);
        assert_err("a IN (1 + b)", "IN list items must be", 6);
        assert_err("a IN ((b))", "IN list items must be", 6);
        assert_err("a NOT LIKE 'x'", "expected IN after NOT, found 'LIKE'", 6);
        assert_err("a NOT", "expected IN after NOT", 5);
    }

    #[test]
    fn between() {
        assert_eq!(
            ok("a BETWEEN 1 AND 5"),
            json!({"field": "a", "op": "between_including", "value": [1, 5]})
        );
        assert_eq!(
            ok("a between -1.5 and +2e1"),
            json!({"field": "a", "op": "between_including", "value": [-1.5, 20]})
        );
        assert_eq!(
            ok("a BETWEEN 1 AND 5 AND b = 2"),
            json!({"and": [
                {"field": "a", "op": "between_including", "value": [1, 5]},
                {"field": "b", "op": "eq", "value": 2}
            ]})
        );
        assert_err("a BETWEEN x AND 5", "BETWEEN requires numeric bounds", 10);
        assert_err("a BETWEEN 1 AND '5'", "BETWEEN requires numeric bounds", 16);
        assert_err(
            "a BETWEEN 1 OR 5",
            "expected AND in BETWEEN, found 'OR'",
            12,
        );
        assert_err(
            "a BETWEEN 1 + 1 AND 5",
            "BETWEEN requires numeric bounds",
            10,
        );
    }

    #[test]
    fn like() {
        let like = |pat: &str| ok(&format!("s LIKE '{pat}'"));
        assert_eq!(
            like("%abc%"),
            json!({"field": "s", "op": "contains", "value": "abc"})
        );
        assert_eq!(
            like("abc%"),
            json!({"field": "s", "op": "starts_with", "value": "abc"})
        );
        assert_eq!(
            like("%abc"),
            json!({"field": "s", "op": "ends_with", "value": "abc"})
        );
        assert_eq!(
            like("abc"),
            json!({"field": "s", "op": "contains", "value": "abc"})
        );
        assert_eq!(
            like("a_c"),
            json!({"field": "s", "op": "contains", "value": "a_c"})
        );
        assert_eq!(
            like("a%c"),
            json!({"field": "s", "op": "contains", "value": "a%c"})
        );
        assert_eq!(
            like("%a%c%"),
            json!({"field": "s", "op": "contains", "value": "a%c"})
        );
        assert_eq!(
            like("%"),
            json!({"field": "s", "op": "contains", "value": ""})
        );
        assert_eq!(
            like("%%"),
            json!({"field": "s", "op": "contains", "value": ""})
        );
        assert_eq!(
            like(""),
            json!({"field": "s", "op": "contains", "value": ""})
        );
        assert_eq!(
            like("%é"),
            json!({"field": "s", "op": "ends_with", "value": "é"})
        );
        assert_eq!(
            ok("s ILIKE \"Ab%\""),
            json!({"field": "s", "op": "starts_with", "value": "Ab"})
        );
        assert_err(
            "s LIKE abc",
            "expected a string pattern after LIKE, found 'abc'",
            7,
        );
        assert_err("s ilike 5", "expected a string pattern after ILIKE", 8);
        assert_err("1 LIKE 'x'", "expected a field name before LIKE", 0);
    }

    #[test]
    fn boolean_structure_and_precedence() {
        let a = json!({"field": "a", "op": "eq", "value": 1});
        let b = json!({"field": "b", "op": "eq", "value": 2});
        let c = json!({"field": "c", "op": "eq", "value": 3});
        assert_eq!(
            ok("a = 1 OR b = 2 AND c = 3"),
            json!({"or": [a, {"and": [b, c]}]})
        );
        assert_eq!(
            ok("(a = 1 OR b = 2) AND c = 3"),
            json!({"and": [{"or": [a, b]}, c]})
        );
        assert_eq!(ok("a = 1 and b = 2 and c = 3"), json!({"and": [a, b, c]}));
        assert_eq!(ok("a = 1 or b = 2 or c = 3"), json!({"or": [a, b, c]}));
        assert_eq!(ok("NOT a = 1 AND b = 2"), json!({"and": [{"not": a}, b]}));
        assert_eq!(ok("not not a = 1"), json!({"not": {"not": a}}));
        assert_eq!(ok("NOT (a = 1 OR b = 2)"), json!({"not": {"or": [a, b]}}));
        assert_eq!(ok("((a = 1))"), a);
        assert_eq!(
            ok("NOT a IN (1)"),
            json!({"not": {"field": "a", "op": "in", "values": ["1"]}})
        );
        // Keywords are only keywords where a keyword is expected (BlazeRules).
        assert_eq!(
            ok("and = 5"),
            json!({"field": "and", "op": "eq", "value": 5})
        );
        assert_eq!(
            ok("a = 1 AND or = 2"),
            json!({"and": [a, {"field": "or", "op": "eq", "value": 2}]})
        );
        assert_eq!(ok(" \t\n\u{b}\u{c}\r a\n=\t1 "), a);
    }

    #[test]
    fn field_to_field() {
        assert_eq!(
            ok("a > b"),
            json!({"field": "a", "op": "gt_field", "other_field": "b"})
        );
        assert_eq!(
            ok("a.x <= b.y"),
            json!({"field": "a.x", "op": "lte_field", "other_field": "b.y"})
        );
        assert_eq!(
            ok("a >= b"),
            json!({"field": "a", "op": "gte_field", "other_field": "b"})
        );
        assert_eq!(
            ok("a < b"),
            json!({"field": "a", "op": "lt_field", "other_field": "b"})
        );
        // Parentheses make the right side a field reference rather than a bare word.
        assert_eq!(
            ok("a = (b)"),
            json!({"field": "a", "op": "eq_field", "other_field": "b"})
        );
        assert_eq!(
            ok("a <> (b)"),
            json!({"field": "a", "op": "neq_field", "other_field": "b"})
        );
        assert_eq!(
            ok("(a) > (b)"),
            json!({"field": "a", "op": "gt_field", "other_field": "b"})
        );
        // A number on the left is swapped to the right.
        assert_eq!(ok("5 < a"), json!({"field": "a", "op": "gt", "value": 5}));
        assert_eq!(
            ok("-5 >= a"),
            json!({"field": "a", "op": "lte", "value": -5})
        );
        assert_err("a > TRUE", "TRUE/FALSE literals are not supported", 4);
        assert_err("a > null", "NULL can only be tested with IS", 4);
        assert_err("FALSE < a", "TRUE/FALSE literals are not supported", 0);
        assert_err("1 < 2", "a comparison must reference a field", 0);
    }

    #[test]
    fn arithmetic() {
        assert_eq!(
            ok("a + b * 2 > c / 4"),
            json!({"op": "gt", "value": 0, "expr": {"op": "sub",
                "left": {"op": "add", "left": {"field": "a"},
                    "right": {"op": "mul", "left": {"field": "b"}, "right": {"literal": 2}}},
                "right": {"op": "div", "left": {"field": "c"}, "right": {"literal": 4}}}})
        );
        assert_eq!(
            ok("a * 2 > 10.5"),
            json!({"op": "gt", "value": 10.5,
                "expr": {"op": "mul", "left": {"field": "a"}, "right": {"literal": 2}}})
        );
        assert_eq!(
            ok("a + b >= c"),
            json!({"op": "gte", "other_field": "c",
                "expr": {"op": "add", "left": {"field": "a"}, "right": {"field": "b"}}})
        );
        // With arithmetic on the left, a bare word on the right is a field even for =.
        assert_eq!(
            ok("a + b = c"),
            json!({"op": "eq", "other_field": "c",
                "expr": {"op": "add", "left": {"field": "a"}, "right": {"field": "b"}}})
        );
        // Field on the left, arithmetic on the right: the sides are swapped.
        assert_eq!(
            ok("a > b + 1"),
            json!({"op": "lt", "other_field": "a",
                "expr": {"op": "add", "left": {"field": "b"}, "right": {"literal": 1}}})
        );
        assert_eq!(
            ok("a = b * 2"),
            json!({"op": "eq", "other_field": "a",
                "expr": {"op": "mul", "left": {"field": "b"}, "right": {"literal": 2}}})
        );
        assert_eq!(
            ok("10 <= a / 2"),
            json!({"op": "gte", "value": 10,
                "expr": {"op": "div", "left": {"field": "a"}, "right": {"literal": 2}}})
        );
        // Left associativity and parentheses.
        assert_eq!(
            ok("a - b - c > 0"),
            json!({"op": "gt", "value": 0, "expr": {"op": "sub",
                "left": {"op": "sub", "left": {"field": "a"}, "right": {"field": "b"}},
                "right": {"field": "c"}}})
        );
        assert_eq!(
            ok("a / b / 2 > 0"),
            json!({"op": "gt", "value": 0, "expr": {"op": "div",
                "left": {"op": "div", "left": {"field": "a"}, "right": {"field": "b"}},
                "right": {"literal": 2}}})
        );
        assert_eq!(
            ok("(a + b) * 2 >= 10"),
            json!({"op": "gte", "value": 10, "expr": {"op": "mul",
                "left": {"op": "add", "left": {"field": "a"}, "right": {"field": "b"}},
                "right": {"literal": 2}}})
        );
        assert_eq!(
            ok("a-1 > 0"),
            json!({"op": "gt", "value": 0,
                "expr": {"op": "sub", "left": {"field": "a"}, "right": {"literal": 1}}})
        );
        assert_eq!(
            ok("a - -1 > 0"),
            json!({"op": "gt", "value": 0,
                "expr": {"op": "sub", "left": {"field": "a"}, "right": {"literal": -1}}})
        );
        assert_eq!(
            ok("-a > 5"),
            json!({"op": "gt", "value": 5,
                "expr": {"op": "sub", "left": {"literal": 0}, "right": {"field": "a"}}})
        );
        assert_eq!(
            ok("2 * 3 < a"),
            json!({"op": "lt", "other_field": "a",
                "expr": {"op": "mul", "left": {"literal": 2}, "right": {"literal": 3}}})
        );
        // A unary plus on a field is just the field (but no longer a bare word).
        assert_eq!(
            ok("a = +b"),
            json!({"field": "a", "op": "eq_field", "other_field": "b"})
        );
        assert_eq!(ok("(a) > 5"), json!({"field": "a", "op": "gt", "value": 5}));
        assert_eq!(ok("a > (5)"), json!({"field": "a", "op": "gt", "value": 5}));
        assert_eq!(
            ok("(a * 2 > 3) AND b = 1"),
            json!({"and": [
                {"op": "gt", "value": 3, "expr": {"op": "mul", "left": {"field": "a"}, "right": {"literal": 2}}},
                {"field": "b", "op": "eq", "value": 1}
            ]})
        );
        assert_eq!(
            ok("((a + b)) > 1"),
            json!({"op": "gt", "value": 1,
                "expr": {"op": "add", "left": {"field": "a"}, "right": {"field": "b"}}})
        );
    }

    #[test]
    fn arithmetic_errors() {
        assert_err("1 + 2 > 3", "a comparison must reference a field", 0);
        assert_err("3 < 1 + 2", "a comparison must reference a field", 0);
        assert_err("1 + 2 > 3 * 4", "a comparison must reference a field", 0);
        assert_err("'x' + 1 > 2", "strings cannot be used in arithmetic", 0);
        assert_err("a + 'x' > 2", "strings cannot be used in arithmetic", 4);
        assert_err("-'x' = a", "strings cannot be used in arithmetic", 1);
        assert_err("(a > 1) + 2 > 3", "expected a value, found a condition", 0);
        assert_err("(a > 1) = 1", "a condition cannot be compared", 8);
        assert_err("a = (b > 1)", "a condition cannot be compared", 4);
        assert_err("a + TRUE > 1", "TRUE/FALSE literals are not supported", 4);
        assert_err(
            "a + b",
            "expected a comparison operator, found end of input",
            5,
        );
        assert_err("a * > 1", "expected a field name or value, found '>'", 4);
        assert_err("a => 1", "expected a field name or value, found '>'", 3);
        assert_err("a ! 1", "unexpected character '!'", 2);
        assert_err("a === 1", "expected a field name or value, found '='", 4);
    }

    #[test]
    fn any_match() {
        assert_eq!(
            ok("any_match(items, x -> x.amount > 100 AND x.status = 'ok')"),
            json!({"array_any": {"path": "items", "where": {"and": [
                {"field": "amount", "op": "gt", "value": 100},
                {"field": "status", "op": "in", "values": ["ok"]}
            ]}}})
        );
        // Case-insensitive name; prefix stripped from bare words too, never inside strings,
        // never from the middle of a name.
        assert_eq!(
            ok("ANY_MATCH(order.lines, l -> l.sku = l.other OR l.a.b IN (l.c, 'l.d') OR x.l.y > 1 OR l IS NULL)"),
            json!({"array_any": {"path": "order.lines", "where": {"or": [
                {"field": "sku", "op": "in", "values": ["other"]},
                {"field": "a.b", "op": "in", "values": ["c", "l.d"]},
                {"field": "x.l.y", "op": "gt", "value": 1},
                {"field": "l", "op": "is_null"}
            ]}}})
        );
        // Combined with AND/OR/NOT anywhere (extension).
        assert_eq!(
            ok("amount > 1 AND NOT any_match(items, i -> i.v >= i.w * 2)"),
            json!({"and": [
                {"field": "amount", "op": "gt", "value": 1},
                {"not": {"array_any": {"path": "items", "where":
                    {"op": "lte", "other_field": "v",
                     "expr": {"op": "mul", "left": {"field": "w"}, "right": {"literal": 2}}}}}}
            ]})
        );
        assert_eq!(
            ok("(any_match(a, x -> x.b = 1)) or c is null"),
            json!({"or": [
                {"array_any": {"path": "a", "where": {"field": "b", "op": "eq", "value": 1}}},
                {"field": "c", "op": "is_null"}
            ]})
        );
        // Outside a body the prefix means nothing.
        assert_eq!(
            ok("any_match(a, x -> x.b = 1) AND x.c = 2"),
            json!({"and": [
                {"array_any": {"path": "a", "where": {"field": "b", "op": "eq", "value": 1}}},
                {"field": "x.c", "op": "eq", "value": 2}
            ]})
        );
        // Not followed by '(' it is an ordinary field name.
        assert_eq!(
            ok("any_match = 1"),
            json!({"field": "any_match", "op": "eq", "value": 1})
        );
    }

    #[test]
    fn any_match_errors() {
        assert_err(
            "any_match(items)",
            "expected ',' after the array path, found ')'",
            15,
        );
        assert_err(
            "any_match(items, x x.a = 1)",
            "expected '->' after the lambda variable",
            19,
        );
        assert_err("any_match(items, x => x.a = 1)", "expected '->'", 19);
        assert_err(
            "any_match(items, x.y -> x.a = 1)",
            "expected a lambda variable name",
            17,
        );
        assert_err(
            "any_match('items', x -> x.a = 1)",
            "expected the array path of any_match",
            10,
        );
        assert_err(
            "any_match(items, x -> )",
            "expected a field name or value, found ')'",
            22,
        );
        assert_err(
            "any_match(items, x -> x.a = 1",
            "expected ')' to close any_match",
            29,
        );
        assert_err(
            "any_match(items, x -> x. = 1)",
            "expected a field name after 'x.'",
            22,
        );
        assert_err(
            "any_match(items, x -> x.a)",
            "expected a comparison operator, found ')'",
            25,
        );
        assert_err(
            "any_match(a, x -> any_match(x.b, y -> y.c = 1))",
            "any_match cannot be nested",
            18,
        );
        assert_err(
            "any_match(a, x -> x.b = 1) > 3",
            "a condition cannot be compared",
            27,
        );
    }

    #[test]
    fn general_errors() {
        assert_err("", "expected a field name or value, found end of input", 0);
        assert_err("   ", "found end of input", 3);
        assert_err("(a = 1 AND b = 2", "expected ')', found end of input", 16);
        assert_err("(a = 1 b = 2)", "expected ')', found 'b'", 7);
        assert_err("a = 'abc", "unterminated string", 4);
        assert_err("a = \"abc'", "unterminated string", 4);
        assert_err("a = 1 FOO", "unexpected token 'FOO'", 6);
        assert_err("a = 1)", "unexpected token ')'", 5);
        assert_err("a 5", "expected a comparison operator, found '5'", 2);
        assert_err("a", "expected a comparison operator, found end of input", 1);
        assert_err(
            "a AND b = 1",
            "expected a comparison operator, found 'AND'",
            2,
        );
        assert_err(
            "a = 1 AND b",
            "expected a comparison operator, found end of input",
            11,
        );
        assert_err(
            "a = 1 OR",
            "expected a field name or value, found end of input",
            8,
        );
        assert_err("TRUE", "TRUE/FALSE literals are not supported", 0);
        assert_err(
            "a = 1 AND false",
            "TRUE/FALSE literals are not supported",
            10,
        );
        assert_err("NOT TRUE", "TRUE/FALSE literals are not supported", 4);
        assert_err("a # 1", "unexpected character '#'", 2);
        assert_err("a = 1;", "unexpected character ';'", 5);
        assert_err("a = .x", "unexpected character '.'", 4);
        assert_err("a = 'é' AND € = 1", "unexpected character '€'", 13);
        assert_err("a = [1]", "unexpected character '['", 4);
        assert_err("a = x->", "unexpected token '->'", 5);
        assert_err(
            "NOT",
            "expected a field name or value, found end of input",
            3,
        );
        assert_err(
            "a = 1 AND AND",
            "expected a comparison operator, found end of input",
            13,
        );
        let e = err("(a = 1");
        assert_eq!(
            e.to_string(),
            "expected ')', found end of input at offset 6"
        );
    }

    #[test]
    fn unicode_identifiers_and_strings() {
        assert_eq!(
            ok("prüfung.straße >= 1"),
            json!({"field": "prüfung.straße", "op": "gte", "value": 1})
        );
        assert_eq!(
            ok("ville = 'Zürich'"),
            json!({"field": "ville", "op": "in", "values": ["Zürich"]})
        );
        assert_eq!(
            ok("_x1 = \"a'b\""),
            json!({"field": "_x1", "op": "in", "values": ["a'b"]})
        );
    }

    fn nested_parens(k: usize) -> String {
        format!("{}a = 1{}", "(".repeat(k), ")".repeat(k))
    }

    #[test]
    fn nesting_limits_match_blazerules() {
        // BlazeRules counts an OR and a NOT level per parenthesis: 63 levels pass, 64 fail.
        assert_eq!(
            ok(&nested_parens(63)),
            json!({"field": "a", "op": "eq", "value": 1})
        );
        let e = err(&nested_parens(64));
        assert_eq!(e.message, "expression nesting too deep");
        assert_eq!(e.offset, 64);
        // 126 NOTs pass, 127 fail.
        let nots = |m: usize| format!("{}a = 1", "NOT ".repeat(m));
        let mut v = ok(&nots(126));
        for _ in 0..126 {
            v = v["not"].take();
        }
        assert_eq!(v, json!({"field": "a", "op": "eq", "value": 1}));
        assert_err(&nots(127), "expression nesting too deep", 4 * 127);
        // A sign on a literal costs no level.
        ok(&format!("{}a > -1{}", "(".repeat(63), ")".repeat(63)));
        // An any_match body starts counting afresh, as BlazeRules parses it separately.
        ok(&format!("any_match(items, x -> {})", nested_parens(63)));
        assert_err(
            &format!("any_match(items, x -> {})", nested_parens(64)),
            "expression nesting too deep",
            22 + 64,
        );
    }

    #[test]
    fn hostile_nesting_does_not_overflow() {
        for src in [
            "(".repeat(100_000),
            format!("{}a = 1{}", "(".repeat(50_000), ")".repeat(50_000)),
            "NOT ".repeat(100_000),
            "-".repeat(100_000) + "a > 1",
            format!("a > {}1", "-".repeat(100_000)),
            "a + ".repeat(100_000) + "a > 1",
            "a * ".repeat(100_000) + "a > 1",
            format!("a > {}", "1 - ".repeat(100_000)) + "b",
            "a = 1 AND ".repeat(100_000) + "a = 1",
            format!("any_match(a, x -> {}", "(".repeat(100_000)),
            format!("a IN ({})", "1,".repeat(100_000)),
        ] {
            let _ = sql_to_condition(&src);
        }
        assert_err(
            &("a + ".repeat(200) + "a > 1"),
            "expression nesting too deep",
            4 * 127 + 2,
        );
        ok(&("a + ".repeat(100) + "a > 1"));
        ok(&format!("{}a > 1", "-".repeat(1000)));
        let v = ok(&("a = 1 AND ".repeat(10_000) + "a = 1"));
        assert_eq!(v["and"].as_array().map(Vec::len), Some(10_001));
    }

    /// A tiny deterministic PRNG (xorshift) so the fuzz test needs no dependencies.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn check_no_panic(src: &str) {
        match sql_to_condition(src) {
            Ok(v) => assert!(v.is_object(), "{src:?} gave {v}"),
            Err(e) => {
                assert!(e.offset <= src.len(), "{src:?}: {e}");
                assert!(src.is_char_boundary(e.offset), "{src:?}: {e}");
                assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn fuzz_token_soup() {
        const PIECES: &[&str] = &[
            "a",
            "b.c",
            "x.y",
            "x",
            " ",
            "(",
            ")",
            ",",
            "'s'",
            "\"t\"",
            "'",
            "\"",
            "1",
            "-2.5",
            "1e3",
            ".5",
            "5.",
            "1e",
            "+",
            "-",
            "*",
            "/",
            "->",
            ">",
            "<",
            ">=",
            "<=",
            "=",
            "==",
            "!=",
            "<>",
            "!",
            "AND",
            "or",
            "NOT",
            "IS",
            "NULL",
            "IN",
            "BETWEEN",
            "LIKE",
            "ilike",
            "any_match",
            "TRUE",
            "false",
            "é",
            "€",
            "\t",
            "\n",
            "#",
            "%",
            "_",
            "0",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut parsed = 0;
        for _ in 0..30_000 {
            let n = 1 + rng.below(14);
            let src: String = (0..n)
                .map(|_| PIECES[rng.below(PIECES.len())])
                .collect::<Vec<_>>()
                .join(if rng.below(2) == 0 { " " } else { "" });
            check_no_panic(&src);
            if sql_to_condition(&src).is_ok() {
                parsed += 1;
            }
        }
        assert!(parsed > 0);
    }

    #[test]
    fn fuzz_random_bytes_and_mutations() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let seeds = [
            "amount > 100 AND (country = 'US' OR country IN ('CA', 5.5)) AND NOT s LIKE '%x%'",
            "any_match(items, x -> x.a + x.b * 2 >= 10 OR x.c IS NOT NULL)",
            "a BETWEEN -1 AND 1e3 OR (b - c) / 2 <> d",
        ];
        for _ in 0..20_000 {
            // Random bytes kept valid UTF-8.
            let n = rng.below(24);
            let bytes: Vec<u8> = (0..n).map(|_| (rng.next() & 0xff) as u8).collect();
            check_no_panic(&String::from_utf8_lossy(&bytes));
            // Mutations of realistic strings: delete, duplicate or swap a character.
            let seed: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
            let mut s = seed.clone();
            for _ in 0..1 + rng.below(3) {
                if s.is_empty() {
                    break;
                }
                let i = rng.below(s.len());
                match rng.below(3) {
                    0 => {
                        s.remove(i);
                    }
                    1 => s.insert(i, seed[rng.below(seed.len())]),
                    _ => {
                        let j = rng.below(s.len());
                        s.swap(i, j);
                    }
                }
            }
            check_no_panic(&s.into_iter().collect::<String>());
        }
    }
}
