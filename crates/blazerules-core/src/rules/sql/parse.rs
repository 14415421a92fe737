//! The parser: boolean structure, arithmetic and primaries (comparisons in `compare`).

use super::lex::{clip, Tok, Token};
use super::operand::{combine, value_operand, ArithOp, Node, Operand};
use super::{Result, SqlError, MAX_DEPTH};
use serde_json::{json, Value};

pub(super) struct Parser<'a> {
    pub src: &'a str,
    pub toks: Vec<Token>,
    pub pos: usize,
    /// OR/NOT recursion depth, counted as BlazeRules counts it.
    pub depth: usize,
    /// The lambda variable while parsing an `any_match` body.
    pub alias: Option<String>,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Token {
        self.peek_at(self.pos)
    }

    pub(super) fn peek_at(&self, i: usize) -> Token {
        self.toks.get(i).copied().unwrap_or(Token {
            kind: Tok::End,
            start: self.src.len(),
            end: self.src.len(),
        })
    }

    pub(super) fn advance(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    pub(super) fn text(&self, tok: Token) -> &str {
        self.src.get(tok.start..tok.end).unwrap_or("")
    }

    pub(super) fn describe(&self, tok: Token) -> String {
        match tok.kind {
            Tok::End => "end of input".to_string(),
            _ => format!("'{}'", clip(self.text(tok))),
        }
    }

    pub(super) fn is_kw(&self, kw: &str) -> bool {
        let tok = self.peek();
        tok.kind == Tok::Ident && self.text(tok).eq_ignore_ascii_case(kw)
    }

    pub(super) fn expect(&mut self, kind: Tok, what: &str) -> Result<Token> {
        let tok = self.peek();
        if tok.kind == kind {
            self.advance();
            Ok(tok)
        } else {
            Err(self.expected(what))
        }
    }

    pub(super) fn expected(&self, what: &str) -> SqlError {
        let tok = self.peek();
        SqlError::new(
            format!("expected {what}, found {}", self.describe(tok)),
            tok.start,
        )
    }

    pub(super) fn enter(&mut self) -> Result<()> {
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
    pub(super) fn as_condition(&self, node: Node) -> Result<Value> {
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

    pub(super) fn parse_or(&mut self) -> Result<Node> {
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

    pub(super) fn parse_and(&mut self) -> Result<Node> {
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

    pub(super) fn parse_not(&mut self) -> Result<Node> {
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

    pub(super) fn parse_sum(&mut self) -> Result<Node> {
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

    pub(super) fn parse_product(&mut self) -> Result<Node> {
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
    pub(super) fn parse_unary(&mut self) -> Result<Node> {
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

    pub(super) fn parse_primary(&mut self) -> Result<Node> {
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
    pub(super) fn field_name(&self, tok: Token) -> Result<String> {
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

    pub(super) fn parse_any_match(&mut self) -> Result<Node> {
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
