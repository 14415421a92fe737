//! The value side of the grammar: numbers, strings, fields and arithmetic, and the nodes
//! the parser builds from them.

use super::{Result, SqlError, MAX_DEPTH};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArithOp {
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
pub(super) enum Operand {
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
    pub fn depth(&self) -> usize {
        match self {
            Operand::Neg(_, d) | Operand::Bin { depth: d, .. } => *d,
            _ => 1,
        }
    }

    pub fn has_field(&self) -> bool {
        match self {
            Operand::Field { .. } => true,
            Operand::Neg(x, _) => x.has_field(),
            Operand::Bin { left, right, .. } => left.has_field() || right.has_field(),
            Operand::Num(_) | Operand::Str(_) => false,
        }
    }

    /// Field names used in the extension forms must not be the words TRUE/FALSE/NULL.
    pub fn check_refs(&self) -> Result<()> {
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
    pub fn to_expr(&self) -> Value {
        match self {
            Operand::Num(n) => json!({ "literal": num_json(*n) }),
            Operand::Field { name, .. } => json!({ "field": name }),
            Operand::Neg(x, _) => {
                json!({ "op": ArithOp::Sub.name(), "left": { "literal": 0 }, "right": x.to_expr() })
            }
            Operand::Bin {
                op, left, right, ..
            } => json!({ "op": op.name(), "left": left.to_expr(), "right": right.to_expr() }),
            // Strings are rejected before an expression is built.
            Operand::Str(_) => Value::Null,
        }
    }
}

pub(super) fn check_ref(name: &str, off: usize) -> Result<()> {
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
pub(super) enum Node {
    Cond(Value, usize),
    Val(Operand, usize),
}

impl Node {
    pub fn start(&self) -> usize {
        match self {
            Node::Cond(_, s) | Node::Val(_, s) => *s,
        }
    }
}

/// The operand of a node used in arithmetic.
pub(super) fn value_operand(node: Node) -> Result<Operand> {
    match node {
        Node::Val(Operand::Str(_), s) => {
            Err(SqlError::new("strings cannot be used in arithmetic", s))
        }
        Node::Val(o, _) => Ok(o),
        Node::Cond(_, s) => Err(SqlError::new("expected a value, found a condition", s)),
    }
}

pub(super) fn bin(op: ArithOp, left: Operand, right: Operand, op_off: usize) -> Result<Operand> {
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

pub(super) fn combine(op: ArithOp, left: Node, right: Node, op_off: usize) -> Result<Node> {
    let start = left.start();
    let l = value_operand(left)?;
    let r = value_operand(right)?;
    Ok(Node::Val(bin(op, l, r, op_off)?, start))
}

/// A JSON number: an integer when the value is integral and exact in f64, else a float.
pub(super) fn num_json(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

/// A number in an IN list as BlazeRules writes it: `"5"` if integral (and within i64),
/// else six decimals (`"5.500000"`).
pub(super) fn num_text(n: f64) -> String {
    if n.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n)
    {
        (n as i64).to_string()
    } else {
        format!("{n:.6}")
    }
}
