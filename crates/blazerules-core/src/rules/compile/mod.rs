//! Conditions (rules-reference §1.6, §2) → predicate trees over field slots.
//!
//! `not` over a simple leaf is compiled into the flipped operator (so a null value stays
//! false); over anything else it is a plain complement (§2.18).
//!
//! This module holds the compiled types and the compiler's field slots; `walk` compiles the
//! boolean structure, `leaf` a leaf by its operator's family (`rules::op::Family`), with the
//! families in `numeric`, `text` and `temporal`, arithmetic in `expr` and the leaf's keys
//! read by `values`. `closed` settles closed categorical lists once every rule is compiled.

mod closed;
mod expr;
mod leaf;
mod numeric;
mod strset;
mod temporal;
mod text;
mod values;
mod vector;
mod walk;
pub(crate) mod window;

pub(crate) use closed::close_categoricals;
pub(crate) use strset::StrSet;
pub(crate) use vector::{Metric, Vector};
pub(crate) use walk::{form, Form};
pub(crate) use window::{Channel, Threshold, WinFn, Windows};

use crate::error::ErrorCode;
use crate::rules::load::{Hint, HintType, Problems};
use crate::rules::lookup::LookupSet;
use crate::rules::op::{Cmp, FlagMode, SetMode, StrOp};
use regex::Regex;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Condition nesting limit (rules-reference §2.19).
use crate::limits::MAX_CONDITION_DEPTH as MAX_DEPTH;

/// The hinted types each operator family accepts (§1.7).
const NUMERIC: &[HintType] = &[
    HintType::F32,
    HintType::F64,
    HintType::I32,
    HintType::I64,
    HintType::Timestamp,
    HintType::Bool,
];
const INTS: &[HintType] = &[
    HintType::I32,
    HintType::I64,
    HintType::Timestamp,
    HintType::F32,
    HintType::F64,
];
const TEXT: &[HintType] = &[HintType::Str, HintType::Categorical, HintType::Entity];
const CATEGORICAL: &[HintType] = &[HintType::Categorical, HintType::Entity, HintType::Str];

/// A field read by a predicate: a slot of the record (main path) or a name inside an
/// `array_any` element.
#[derive(Debug, Clone)]
pub(crate) struct FieldRef {
    pub slot: u32,
    pub name: Box<str>,
    pub parts: Box<[Box<str>]>,
    /// The hint says `nullable`: an empty string reads as null.
    pub empty_is_null: bool,
}

/// How a numeric field compares (§2.3): the threshold is cast to the hinted type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumKind {
    F64,
    F32,
    I32,
    I64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Lit(f64),
    Field(FieldRef),
    Bin(Box<Expr>, BinOp, Box<Expr>),
}

#[derive(Debug, Clone)]
pub(crate) enum Rhs {
    Value(f64),
    Field(FieldRef),
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    IsNull(FieldRef),
    IsNotNull(FieldRef),
    IsEmpty(FieldRef),
    IsNotEmpty(FieldRef),
    Num {
        f: FieldRef,
        cmp: Cmp,
        t: f64,
        kind: NumKind,
    },
    Range {
        f: FieldRef,
        lo: f64,
        hi: f64,
        inclusive: bool,
        kind: NumKind,
    },
    Set {
        f: FieldRef,
        set: StrSet,
        mode: SetMode,
    },
    Str {
        f: FieldRef,
        op: StrOp,
        s: Box<str>,
        finder: Box<memchr::memmem::Finder<'static>>,
    },
    Len {
        f: FieldRef,
        cmp: Cmp,
        n: i64,
    },
    Regex {
        f: FieldRef,
        re: Box<Regex>,
        negate: bool,
    },
    /// `bytes`: the field is also read by string operators, so a string counts its bytes (§2.9).
    ArrayLen {
        f: FieldRef,
        cmp: Cmp,
        n: i64,
        known: Option<Arc<HashSet<String>>>,
        bytes: bool,
    },
    Flags {
        f: FieldRef,
        mode: FlagMode,
        mask: i64,
    },
    Ip {
        f: FieldRef,
        net: u32,
        mask: u32,
        negate: bool,
    },
    Before {
        f: FieldRef,
        t: i64,
    },
    After {
        f: FieldRef,
        t: i64,
    },
    WithinLast {
        f: FieldRef,
        secs: i64,
    },
    DayOfWeek {
        f: FieldRef,
        mask: u8,
    },
    TimeOfDay {
        f: FieldRef,
        lo: f64,
        hi: f64,
    },
    Lookup {
        f: FieldRef,
        set: Arc<LookupSet>,
        negate: bool,
    },
    CrossNum {
        a: FieldRef,
        b: FieldRef,
        cmp: Cmp,
    },
    CrossEq {
        a: FieldRef,
        b: FieldRef,
        negate: bool,
    },
    Distance {
        lat: FieldRef,
        lon: FieldRef,
        olat: FieldRef,
        olon: FieldRef,
        gt: bool,
        km: f64,
    },
    Expr {
        e: Expr,
        cmp: Cmp,
        rhs: Rhs,
    },
    /// Channel `ch` of the rule set's windows, read as int32 when it `count`s, else float32
    /// (`window`).
    Window {
        ch: u32,
        count: bool,
        test: Threshold,
    },
    /// `vector_distance`.
    Vector(Box<Vector>),
}

#[derive(Debug, Clone)]
pub(crate) enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Const(bool),
    Leaf(Box<Test>),
    /// True iff the field is an array with an object element satisfying `body`
    /// (evaluated with the element-mode semantics of §2.15).
    ArrayAny(FieldRef, Box<Cond>),
}

/// Compiles conditions, assigning a slot to every distinct top-level field name.
pub(crate) struct Compiler<'a> {
    pub hints: &'a HashMap<String, Hint>,
    pub lookups: &'a HashMap<String, Arc<LookupSet>>,
    pub fields: Vec<String>,
    slot_of: HashMap<String, u32>,
    pub problems: &'a mut Problems,
    /// The windows of every rule compiled so far.
    pub windows: Windows,
}

/// Where a leaf is compiled: the record (main path) or an `array_any` element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Main,
    Elem,
}

struct At<'p> {
    path: &'p str,
    rule: &'p str,
}

impl<'a> Compiler<'a> {
    pub fn new(
        hints: &'a HashMap<String, Hint>,
        lookups: &'a HashMap<String, Arc<LookupSet>>,
        problems: &'a mut Problems,
    ) -> Self {
        Compiler {
            hints,
            lookups,
            fields: Vec::new(),
            slot_of: HashMap::new(),
            problems,
            windows: Windows::default(),
        }
    }

    fn err(&mut self, code: ErrorCode, msg: impl Into<String>, at: &At<'_>, key: &str) {
        let path = if key.is_empty() {
            at.path.to_string()
        } else {
            format!("{}.{key}", at.path)
        };
        self.problems.add(code, msg, Some(at.rule), &path);
    }

    fn unknown_op(&mut self, op_raw: &str, at: &At<'_>) {
        self.err(
            ErrorCode::UnknownOp,
            format!("unknown operator: '{op_raw}'"),
            at,
            "op",
        );
    }

    fn field(&mut self, name: &str, mode: Mode) -> FieldRef {
        let parts: Box<[Box<str>]> = name.split('.').map(Box::from).collect();
        let (slot, empty_is_null) = match mode {
            Mode::Elem => (u32::MAX, false),
            Mode::Main => {
                let next = self.fields.len() as u32;
                let slot = *self.slot_of.entry(name.to_string()).or_insert(next);
                if slot == next {
                    self.fields.push(name.to_string());
                }
                (
                    slot,
                    self.hints
                        .get(name)
                        .and_then(|h| h.nullable)
                        .unwrap_or(false),
                )
            }
        };
        FieldRef {
            slot,
            name: name.into(),
            parts,
            empty_is_null,
        }
    }

    fn hint_type(&self, name: &str, mode: Mode) -> Option<HintType> {
        if mode == Mode::Elem {
            return None;
        }
        self.hints.get(name).and_then(|h| h.ty)
    }

    fn num_kind(&self, name: &str, mode: Mode) -> NumKind {
        match self.hint_type(name, mode) {
            Some(HintType::F32) => NumKind::F32,
            Some(HintType::I32) => NumKind::I32,
            Some(HintType::I64) | Some(HintType::Timestamp) => NumKind::I64,
            _ => NumKind::F64,
        }
    }

    /// Checks a hinted field type against what an operator family needs (§1.7).
    fn check_type(
        &mut self,
        name: &str,
        mode: Mode,
        family: &str,
        allowed: &[HintType],
        at: &At<'_>,
    ) {
        if let Some(t) = self.hint_type(name, mode) {
            if !allowed.contains(&t) {
                self.err(
                    ErrorCode::TypeMismatch,
                    format!(
                        "{family} need a {} field; '{name}' is declared {t:?}",
                        allowed_text(allowed)
                    ),
                    at,
                    "op",
                );
            }
        }
    }

    /// Compiles a rule's `conditions`.
    pub fn rule(&mut self, v: &Value, path: &str, rule: &str) -> Cond {
        self.cond(v, &At { path, rule }, 0, false, Mode::Main)
    }

    /// A compiler that goes on from a rule set's compiled `fields` and `windows`: the same
    /// field gets the same slot, the same window the same channel (explanations compile the
    /// parts of conditions that loaded, `explain`).
    pub fn resume(
        hints: &'a HashMap<String, Hint>,
        lookups: &'a HashMap<String, Arc<LookupSet>>,
        problems: &'a mut Problems,
        fields: &[String],
        windows: Windows,
    ) -> Self {
        let mut c = Compiler::new(hints, lookups, problems);
        for f in fields {
            c.field(f, Mode::Main);
        }
        c.windows = windows;
        c
    }

    /// Compiles one condition of a rule on its own: at the root of the rule (`elem` false)
    /// or inside an `array_any` (`elem`), complemented or flipped as under `not` when
    /// `negate` (§2.18).
    pub fn part(&mut self, v: &Value, path: &str, rule: &str, negate: bool, elem: bool) -> Cond {
        let mode = if elem { Mode::Elem } else { Mode::Main };
        self.cond(v, &At { path, rule }, 0, negate, mode)
    }
}

/// `c`, complemented when `negate`.
fn negated(c: Cond, negate: bool) -> Cond {
    if negate {
        Cond::Not(Box::new(c))
    } else {
        c
    }
}

fn allowed_text(allowed: &[HintType]) -> String {
    allowed
        .iter()
        .map(|t| format!("{t:?}"))
        .collect::<Vec<_>>()
        .join("/")
}
