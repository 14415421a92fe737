//! Conditions (rules-reference §1.6, §2) → predicate trees over field slots.
//!
//! `not` over a simple leaf is compiled into the flipped operator (so a null value stays
//! false); over anything else it is a plain complement (§2.18).

use crate::error::ErrorCode;
use crate::rules::load::{as_f64, as_i64, scalar_text, Hint, HintType, Problems};
use crate::rules::lookup::{parse_cidr, LookupSet};
use crate::rules::sql;
use crate::value::{text, V};
use regex::Regex;
use serde_json::{Map, Value};
use simd_json::{Node, StaticNode};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

const MAX_DEPTH: usize = 128;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Gt,
    Lt,
    Ge,
    Le,
    Eq,
    Ne,
}

impl Cmp {
    fn parse(op: &str) -> Option<Cmp> {
        Some(match op {
            "gt" => Cmp::Gt,
            "lt" => Cmp::Lt,
            "gte" => Cmp::Ge,
            "lte" => Cmp::Le,
            "eq" => Cmp::Eq,
            "neq" => Cmp::Ne,
            _ => return None,
        })
    }
    #[inline]
    pub fn test<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cmp::Gt => a > b,
            Cmp::Lt => a < b,
            Cmp::Ge => a >= b,
            Cmp::Le => a <= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
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
pub(crate) enum SetMode {
    /// in, eq, contains_any, intersects: a shared member.
    Any,
    /// contains_all: every listed member present.
    All,
    /// `not contains_all` (choices.md): present and not every member.
    NotAll,
    /// not_in, neq, not_intersects: no shared member.
    NoneOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagMode {
    Any,
    All,
    NotAll,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrOp {
    Contains,
    StartsWith,
    EndsWith,
    CiEq,
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

/// The literals of a set or categorical-equality test. Small sets are scanned, large ones
/// hashed; literals that are canonical integers are also kept as numbers, so a JSON integer
/// is looked up without formatting it as text.
#[derive(Debug, Clone)]
pub(crate) struct StrSet {
    strs: Strs,
    ints: Box<[i64]>,
}

#[derive(Debug, Clone)]
enum Strs {
    Small(Box<[Box<str>]>),
    Hashed(HashSet<Box<str>>),
}

impl StrSet {
    fn new(items: Vec<String>) -> StrSet {
        let mut seen = HashSet::new();
        let items: Vec<Box<str>> = items
            .into_iter()
            .filter(|s| seen.insert(s.clone()))
            .map(String::into_boxed_str)
            .collect();
        let ints = items
            .iter()
            .filter_map(|s| s.parse::<i64>().ok().filter(|i| i.to_string() == **s))
            .collect();
        let strs = if items.len() <= 8 {
            Strs::Small(items.into_boxed_slice())
        } else {
            Strs::Hashed(items.into_iter().collect())
        };
        StrSet { strs, ints }
    }
    #[inline]
    pub fn contains(&self, s: &str) -> bool {
        match &self.strs {
            Strs::Small(items) => {
                // Length and first byte settle most misses without a memcmp call.
                let (len, first) = (s.len(), s.as_bytes().first());
                items
                    .iter()
                    .any(|x| x.len() == len && x.as_bytes().first() == first && &**x == s)
            }
            Strs::Hashed(set) => set.contains(s),
        }
    }
    /// Whether a scalar JSON value's text (see `value::text`) is in the set.
    #[inline]
    pub fn contains_value(&self, v: V<'_, '_>, six_decimals: bool) -> bool {
        match v.first() {
            Some(Node::String(s)) => self.contains(s),
            Some(Node::Static(StaticNode::I64(i))) if !six_decimals => self.ints.contains(i),
            Some(Node::Array { .. } | Node::Object { .. }) | None => false,
            _ => text(v, six_decimals).is_some_and(|t| self.contains(&t)),
        }
    }
    pub fn items(&self) -> Vec<&str> {
        match &self.strs {
            Strs::Small(items) => items.iter().map(|s| &**s).collect(),
            Strs::Hashed(set) => set.iter().map(|s| &**s).collect(),
        }
    }
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

fn canonical_op(op: &str) -> String {
    let op = op.to_ascii_lowercase();
    match op.as_str() {
        "is_none" => "is_null",
        "not_null" | "is_not_none" => "is_not_null",
        "not_empty" => "is_not_empty",
        "in_subnet" => "ip_in_subnet",
        "not_in_subnet" => "ip_not_in_subnet",
        "geo_distance_gt" => "distance_gt",
        "geo_distance_lt" => "distance_lt",
        other => return other.to_string(),
    }
    .to_string()
}

/// Parses a flags mask: a number, a decimal string or a 0x hex string (choices.md).
fn parse_mask(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|u| u as i64)),
        Value::String(s) => {
            let t = s.trim();
            if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                u64::from_str_radix(h, 16).ok().map(|u| u as i64)
            } else {
                t.parse::<i64>()
                    .ok()
                    .or_else(|| t.parse::<u64>().ok().map(|u| u as i64))
            }
        }
        Value::Array(items) => items
            .iter()
            .try_fold(0i64, |acc, x| parse_mask(x).map(|m| acc | m)),
        _ => None,
    }
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

    fn cond(&mut self, v: &Value, at: &At<'_>, depth: usize, negate: bool, mode: Mode) -> Cond {
        if depth > MAX_DEPTH {
            self.err(
                ErrorCode::UnknownOp,
                format!("condition nesting too deep (limit {MAX_DEPTH})"),
                at,
                "",
            );
            return Cond::Const(false);
        }
        let m = match v {
            Value::Object(m) => m,
            Value::Array(items) => {
                // A bare list reads as `and`.
                return self.list(items, at, depth, negate, mode, true);
            }
            _ => {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    "a condition must be a mapping",
                    at,
                    "",
                );
                return Cond::Const(false);
            }
        };
        let sql_key = if m.contains_key("sql") {
            Some("sql")
        } else if matches!(m.get("expr"), Some(Value::String(_))) {
            Some("expr")
        } else {
            None
        };
        if let Some(key) = sql_key {
            return self.sql(m, key, at, depth, negate, mode);
        }
        for key in ["and", "or"] {
            if let Some(list) = m.get(key) {
                let sub = format!("{}.{key}", at.path);
                let at2 = At {
                    path: &sub,
                    rule: at.rule,
                };
                return match list {
                    Value::Array(items) => {
                        self.list(items, &at2, depth, negate, mode, key == "and")
                    }
                    _ => {
                        self.err(
                            ErrorCode::YamlSyntaxError,
                            format!("'{key}' must be a list"),
                            at,
                            key,
                        );
                        Cond::Const(false)
                    }
                };
            }
        }
        if let Some(inner) = m.get("not") {
            let sub = format!("{}.not", at.path);
            let at2 = At {
                path: &sub,
                rule: at.rule,
            };
            return self.not(inner, &at2, depth, negate, mode);
        }
        for key in ["window", "model_score", "vector_distance"] {
            if m.contains_key(key) {
                self.err(
                    ErrorCode::Unsupported,
                    format!(
                        "'{key}' conditions are not supported yet (rule '{}')",
                        at.rule
                    ),
                    at,
                    key,
                );
                return Cond::Const(false);
            }
        }
        if let Some(spec) = m.get("array_any") {
            let sub = format!("{}.array_any", at.path);
            let at2 = At {
                path: &sub,
                rule: at.rule,
            };
            let c = self.array_any(spec, &at2, depth, mode);
            return negated(c, negate);
        }
        self.leaf(m, at, negate, mode)
    }

    fn list(
        &mut self,
        items: &[Value],
        at: &At<'_>,
        depth: usize,
        negate: bool,
        mode: Mode,
        is_and: bool,
    ) -> Cond {
        let kids: Vec<Cond> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let sub = format!("{}[{i}]", at.path);
                self.cond(
                    item,
                    &At {
                        path: &sub,
                        rule: at.rule,
                    },
                    depth + 1,
                    false,
                    mode,
                )
            })
            .collect();
        let c = if is_and {
            Cond::And(kids)
        } else {
            Cond::Or(kids)
        };
        negated(c, negate)
    }

    fn not(&mut self, inner: &Value, at: &At<'_>, depth: usize, negate: bool, mode: Mode) -> Cond {
        // Inside array_any `not` is a plain negation; on the main path a simple leaf flips.
        let c = match mode {
            Mode::Elem => Cond::Not(Box::new(self.cond(inner, at, depth + 1, false, mode))),
            Mode::Main => self.cond(inner, at, depth + 1, true, mode),
        };
        negated(c, negate)
    }

    fn sql(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        at: &At<'_>,
        depth: usize,
        negate: bool,
        mode: Mode,
    ) -> Cond {
        let Some(text) = m.get(key).and_then(Value::as_str) else {
            self.err(
                ErrorCode::UnknownOp,
                "invalid sql expression: not a string",
                at,
                key,
            );
            return Cond::Const(false);
        };
        match sql::sql_to_condition(text) {
            Ok(v) => {
                let sub = format!("{}.{key}", at.path);
                // Problems inside a translated tree are reported at the sql string itself.
                let before = self.problems.list.len();
                let c = self.cond(
                    &v,
                    &At {
                        path: &sub,
                        rule: at.rule,
                    },
                    depth,
                    negate,
                    mode,
                );
                for p in &mut self.problems.list[before..] {
                    p.path = sub.clone();
                }
                c
            }
            Err(e) => {
                self.err(
                    ErrorCode::UnknownOp,
                    format!("invalid sql expression: {}", e.message),
                    at,
                    key,
                );
                if let Some(p) = self.problems.list.last_mut() {
                    p.sql_offset = Some(e.offset);
                }
                Cond::Const(false)
            }
        }
    }

    fn array_any(&mut self, spec: &Value, at: &At<'_>, depth: usize, mode: Mode) -> Cond {
        let Some(m) = spec.as_object() else {
            self.err(
                ErrorCode::YamlSyntaxError,
                "array_any must be a mapping with 'path' and 'where'",
                at,
                "",
            );
            return Cond::Const(false);
        };
        let Some(path) = m.get("path").and_then(scalar_text) else {
            self.err(
                ErrorCode::YamlSyntaxError,
                "missing required key 'path'",
                at,
                "",
            );
            return Cond::Const(false);
        };
        let Some(body) = m.get("where") else {
            self.err(
                ErrorCode::YamlSyntaxError,
                "missing required key 'where'",
                at,
                "",
            );
            return Cond::Const(false);
        };
        let f = self.field(&path, mode);
        let sub = format!("{}.where", at.path);
        let body = self.cond(
            body,
            &At {
                path: &sub,
                rule: at.rule,
            },
            depth + 1,
            false,
            Mode::Elem,
        );
        Cond::ArrayAny(f, Box::new(body))
    }

    fn leaf(&mut self, m: &Map<String, Value>, at: &At<'_>, negate: bool, mode: Mode) -> Cond {
        let Some(op_raw) = m.get("op").and_then(scalar_text) else {
            self.err(
                ErrorCode::YamlSyntaxError,
                "missing required key 'op'",
                at,
                "",
            );
            return Cond::Const(false);
        };
        let op = canonical_op(&op_raw);
        // A simple leaf under `not` flips its operator when it has an opposite; an
        // arithmetic leaf is a plain complement (§2.18).
        let (op, flipped) = if negate && !m.get("expr").is_some_and(Value::is_object) {
            match flip_op(&op) {
                Some(f) => (f.to_string(), true),
                None => (op, false),
            }
        } else {
            (op, false)
        };
        let test = self.test(m, &op, &op_raw, at, mode);
        let c = match test {
            Some(t) => Cond::Leaf(Box::new(t)),
            None => Cond::Const(false),
        };
        negated(c, negate && !flipped)
    }

    fn field_of(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<FieldRef> {
        match m.get(key).and_then(scalar_text) {
            Some(name) => Some(self.field(&name, mode)),
            None => {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    format!("missing required key '{key}'"),
                    at,
                    "",
                );
                None
            }
        }
    }

    /// `values` takes priority over `value` (§1.6).
    fn value_of<'v>(
        &mut self,
        m: &'v Map<String, Value>,
        at: &At<'_>,
    ) -> Option<(&'v Value, &'static str)> {
        if let Some(v) = m.get("values") {
            return Some((v, "values"));
        }
        if let Some(v) = m.get("value") {
            return Some((v, "value"));
        }
        self.err(
            ErrorCode::YamlSyntaxError,
            "missing required key 'value'",
            at,
            "",
        );
        None
    }

    /// The leaf's `values`/`value` as text, or a YAML_SYNTAX_ERROR saying it must be `what`.
    fn text_value(
        &mut self,
        m: &Map<String, Value>,
        at: &At<'_>,
        what: &str,
    ) -> Option<(String, &'static str)> {
        let (v, key) = self.value_of(m, at)?;
        match scalar_text(v) {
            Some(t) => Some((t, key)),
            None => {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    format!("'{key}' must be {what}"),
                    at,
                    key,
                );
                None
            }
        }
    }

    fn number(&mut self, v: &Value, at: &At<'_>, key: &str) -> Option<f64> {
        let n = as_f64(v);
        if n.is_none() {
            self.err(
                ErrorCode::YamlSyntaxError,
                format!("'{key}' must be a number"),
                at,
                key,
            );
        }
        n
    }

    fn integer(&mut self, v: &Value, at: &At<'_>, key: &str) -> Option<i64> {
        let n = as_i64(v).or_else(|| as_f64(v).map(|f| f.trunc() as i64));
        if n.is_none() {
            self.err(
                ErrorCode::YamlSyntaxError,
                format!("'{key}' must be an integer"),
                at,
                key,
            );
        }
        n
    }

    fn test(
        &mut self,
        m: &Map<String, Value>,
        op: &str,
        op_raw: &str,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<Test> {
        use HintType::*;
        const NUMERIC: &[HintType] = &[F32, F64, I32, I64, Timestamp, Bool];
        const INTS: &[HintType] = &[I32, I64, Timestamp, F32, F64];
        const TEXT: &[HintType] = &[Str, Categorical, Entity];
        const CATEGORICAL: &[HintType] = &[Categorical, Entity, Str];
        // 1. null class
        match op {
            "is_null" | "is_not_null" | "is_empty" | "is_not_empty" => {
                let f = self.field_of(m, "field", at, mode)?;
                return Some(match op {
                    "is_null" => Test::IsNull(f),
                    "is_not_null" => Test::IsNotNull(f),
                    "is_empty" => Test::IsEmpty(f),
                    _ => Test::IsNotEmpty(f),
                });
            }
            _ => {}
        }
        // 2. arithmetic
        if let Some(e) = m.get("expr").filter(|e| e.is_object()) {
            let cmp = match Cmp::parse(op.trim_end_matches("_field")) {
                Some(c) => c,
                None => {
                    self.unknown_op(op_raw, at);
                    return None;
                }
            };
            let e = self.expr(e, at, mode, 0)?;
            let rhs = if let Some(o) = m.get("other_field").and_then(scalar_text) {
                Rhs::Field(self.field(&o, mode))
            } else {
                let (v, key) = self.value_of(m, at)?;
                Rhs::Value(self.number(v, at, key)?)
            };
            return Some(Test::Expr { e, cmp, rhs });
        }
        // 3. cross-field
        if m.contains_key("other_field") || op.ends_with("_field") {
            let base = op.strip_suffix("_field").unwrap_or(op);
            let Some(cmp) = Cmp::parse(base) else {
                self.unknown_op(op_raw, at);
                return None;
            };
            let a = self.field_of(m, "field", at, mode)?;
            let b = self.field_of(m, "other_field", at, mode)?;
            return Some(match cmp {
                Cmp::Eq => Test::CrossEq {
                    a,
                    b,
                    negate: false,
                },
                Cmp::Ne => Test::CrossEq { a, b, negate: true },
                _ => Test::CrossNum { a, b, cmp },
            });
        }
        // 7. geo (checked before the generic field lookup: it has no `field`)
        if op == "distance_gt" || op == "distance_lt" || m.contains_key("lat_field") {
            if op != "distance_gt" && op != "distance_lt" {
                self.unknown_op(op_raw, at);
                return None;
            }
            let lat = self.field_of(m, "lat_field", at, mode)?;
            let lon = self.field_of(m, "lon_field", at, mode)?;
            let olat = self.field_of(m, "other_lat_field", at, mode)?;
            let olon = self.field_of(m, "other_lon_field", at, mode)?;
            let (v, key) = self.value_of(m, at)?;
            let km = self.number(v, at, key)?;
            return Some(Test::Distance {
                lat,
                lon,
                olat,
                olon,
                gt: op == "distance_gt",
                km,
            });
        }
        let known = is_known_op(op);
        if !known {
            self.unknown_op(op_raw, at);
            return None;
        }
        let name = m.get("field").and_then(scalar_text);
        let f = self.field_of(m, "field", at, mode)?;
        let name = name.unwrap_or_default();
        // 4. flags
        if let Some(fm) = match op {
            "flags_any" => Some(FlagMode::Any),
            "flags_all" => Some(FlagMode::All),
            "flags_not_all" => Some(FlagMode::NotAll),
            "flags_none" => Some(FlagMode::None),
            _ => None,
        } {
            self.check_type(&name, mode, "flag operators", NUMERIC, at);
            let (v, key) = match m.get("mask") {
                Some(v) => (v, "mask"),
                None => self.value_of(m, at)?,
            };
            let Some(mask) = parse_mask(v) else {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    format!("'{key}' must be a decimal or 0x hex mask"),
                    at,
                    key,
                );
                return None;
            };
            return Some(Test::Flags { f, mode: fm, mask });
        }
        // 5. strings, regex, lookups, array_len, ip
        match op {
            "contains" | "starts_with" | "ends_with" | "ci_eq" => {
                self.check_type(&name, mode, "string operators", &[Str], at);
                let (s, _) = self.text_value(m, at, "a string")?;
                let sop = match op {
                    "contains" => StrOp::Contains,
                    "starts_with" => StrOp::StartsWith,
                    "ends_with" => StrOp::EndsWith,
                    _ => StrOp::CiEq,
                };
                let finder = Box::new(memchr::memmem::Finder::new(s.as_bytes()).into_owned());
                return Some(Test::Str {
                    f,
                    op: sop,
                    s: s.into(),
                    finder,
                });
            }
            "length_gt" | "length_lt" | "length_eq" => {
                self.check_type(&name, mode, "string operators", &[Str], at);
                let (v, key) = self.value_of(m, at)?;
                let n = self.integer(v, at, key)?;
                let cmp = Cmp::parse(&op[7..]).unwrap_or(Cmp::Eq);
                return Some(Test::Len { f, cmp, n });
            }
            "regex" | "not_regex" => {
                self.check_type(&name, mode, "regex operators", &[Str], at);
                let (p, key) = self.text_value(m, at, "a string")?;
                return match regex::RegexBuilder::new(&p).size_limit(1 << 24).build() {
                    Ok(re) => Some(Test::Regex {
                        f,
                        re: Box::new(re),
                        negate: op == "not_regex",
                    }),
                    Err(e) => {
                        let msg = e
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or("invalid")
                            .trim()
                            .to_string();
                        self.err(
                            ErrorCode::UnknownOp,
                            format!("invalid regex pattern: {p}: {msg}"),
                            at,
                            key,
                        );
                        None
                    }
                };
            }
            "in_lookup" | "not_in_lookup" => {
                let Some(lname) = m.get("lookup").and_then(scalar_text) else {
                    self.err(
                        ErrorCode::YamlSyntaxError,
                        "missing required key 'lookup'",
                        at,
                        "",
                    );
                    return None;
                };
                let Some(set) = self.lookups.get(&lname).cloned() else {
                    self.err(
                        ErrorCode::MissingRequiredField,
                        format!("unknown lookup: {lname}"),
                        at,
                        "lookup",
                    );
                    return None;
                };
                let allowed: &[HintType] = match &*set {
                    LookupSet::Str(_) => TEXT,
                    LookupSet::Int(_) => &[I32, I64, Timestamp],
                    LookupSet::Cidr(_) => &[Str, I32, I64],
                };
                self.check_type(&name, mode, "this lookup's operators", allowed, at);
                return Some(Test::Lookup {
                    f,
                    set,
                    negate: op == "not_in_lookup",
                });
            }
            _ if op.starts_with("array_len_") => {
                let Some(cmp) = Cmp::parse(&op[10..]) else {
                    self.unknown_op(op_raw, at);
                    return None;
                };
                self.check_type(&name, mode, "array_len operators", CATEGORICAL, at);
                let (v, key) = self.value_of(m, at)?;
                let n = self.integer(v, at, key)?;
                return Some(Test::ArrayLen {
                    f,
                    cmp,
                    n,
                    known: None,
                    bytes: false,
                });
            }
            "ip_in_subnet" | "ip_not_in_subnet" => {
                self.check_type(&name, mode, "ip operators", &[Str, I32, I64], at);
                let (c, _) = self.text_value(m, at, "a CIDR string")?;
                let (net, mask) = parse_cidr(&c);
                return Some(Test::Ip {
                    f,
                    net,
                    mask,
                    negate: op == "ip_not_in_subnet",
                });
            }
            _ => {}
        }
        // 6. temporal
        match op {
            "day_of_week_in" => {
                self.check_type(&name, mode, "temporal operators", INTS, at);
                let (v, key) = self.value_of(m, at)?;
                let items: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                let mut mask = 0u8;
                for it in items {
                    match as_i64(it) {
                        Some(d @ 0..=6) => mask |= 1 << d,
                        Some(_) => {}
                        None => {
                            self.err(
                                ErrorCode::YamlSyntaxError,
                                format!("'{key}' must be a list of integers"),
                                at,
                                key,
                            );
                            return None;
                        }
                    }
                }
                return Some(Test::DayOfWeek { f, mask });
            }
            "time_of_day_between" => {
                self.check_type(&name, mode, "temporal operators", INTS, at);
                let (v, key) = self.value_of(m, at)?;
                let pair = v
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .and_then(|a| Some((as_f64(&a[0])?, as_f64(&a[1])?)));
                let Some((lo, hi)) = pair else {
                    self.err(
                        ErrorCode::YamlSyntaxError,
                        format!("'{key}' must be [lo, hi] hours"),
                        at,
                        key,
                    );
                    return None;
                };
                return Some(Test::TimeOfDay { f, lo, hi });
            }
            "before" | "after" | "within_last" => {
                self.check_type(&name, mode, "temporal operators", INTS, at);
                let (v, key) = self.value_of(m, at)?;
                let t = self.integer(v, at, key)?;
                return Some(match op {
                    "before" => Test::Before { f, t },
                    "after" => Test::After { f, t },
                    _ => Test::WithinLast { f, secs: t },
                });
            }
            _ => {}
        }
        let kind = self.num_kind(&name, mode);
        // 8. ranges
        if op == "between_including" || op == "between_excluding" {
            let (v, key) = self.value_of(m, at)?;
            if let Some(a) = v.as_array().filter(|a| a.len() == 2) {
                self.check_type(&name, mode, "numeric operators", NUMERIC, at);
                let (Some(lo), Some(hi)) = (as_f64(&a[0]), as_f64(&a[1])) else {
                    self.err(
                        ErrorCode::YamlSyntaxError,
                        format!("'{key}' must be [lo, hi] numbers"),
                        at,
                        key,
                    );
                    return None;
                };
                return Some(Test::Range {
                    f,
                    lo,
                    hi,
                    inclusive: op == "between_including",
                    kind,
                });
            }
            // A scalar bound acts as `gt` (BlazeRules quirk).
            let t = self.number(v, at, key)?;
            return Some(Test::Num {
                f,
                cmp: Cmp::Gt,
                t,
                kind,
            });
        }
        // 9. set ops
        let set_mode = match op {
            "in" | "contains_any" | "intersects" => Some(SetMode::Any),
            "not_in" | "not_intersects" => Some(SetMode::NoneOf),
            "contains_all" => Some(SetMode::All),
            "not_contains_all" => Some(SetMode::NotAll),
            _ => None,
        };
        if let Some(sm) = set_mode {
            self.check_type(&name, mode, "set operators", CATEGORICAL, at);
            let (v, _) = self.value_of(m, at)?;
            let items = match v {
                Value::Array(a) => a.iter().filter_map(scalar_text).collect(),
                _ => Vec::new(), // a scalar `value:` is an empty list (§2.1)
            };
            return Some(Test::Set {
                f,
                set: StrSet::new(items),
                mode: sm,
            });
        }
        // 10/11. numeric, or categorical eq/neq
        let (v, key) = self.value_of(m, at)?;
        let Some(cmp) = Cmp::parse(op) else {
            self.unknown_op(op_raw, at);
            return None;
        };
        if let Some(t) = as_f64(v) {
            self.check_type(&name, mode, "numeric operators", NUMERIC, at);
            return Some(Test::Num { f, cmp, t, kind });
        }
        if matches!(cmp, Cmp::Eq | Cmp::Ne) {
            let items = match v {
                Value::Array(a) => a.iter().filter_map(scalar_text).collect(),
                other => scalar_text(other).into_iter().collect(),
            };
            self.check_type(&name, mode, "categorical equality", CATEGORICAL, at);
            let sm = if cmp == Cmp::Eq {
                SetMode::Any
            } else {
                SetMode::NoneOf
            };
            return Some(Test::Set {
                f,
                set: StrSet::new(items),
                mode: sm,
            });
        }
        self.err(
            ErrorCode::YamlSyntaxError,
            format!("'{key}' must be a number"),
            at,
            key,
        );
        None
    }

    fn expr(&mut self, e: &Value, at: &At<'_>, mode: Mode, depth: usize) -> Option<Expr> {
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

fn is_known_op(op: &str) -> bool {
    matches!(
        op,
        "gt" | "lt"
            | "gte"
            | "lte"
            | "eq"
            | "neq"
            | "between_including"
            | "between_excluding"
            | "in"
            | "not_in"
            | "contains_any"
            | "contains_all"
            | "not_contains_all"
            | "intersects"
            | "not_intersects"
            | "contains"
            | "starts_with"
            | "ends_with"
            | "ci_eq"
            | "length_gt"
            | "length_lt"
            | "length_eq"
            | "regex"
            | "not_regex"
            | "in_lookup"
            | "not_in_lookup"
            | "flags_any"
            | "flags_all"
            | "flags_not_all"
            | "flags_none"
            | "ip_in_subnet"
            | "ip_not_in_subnet"
            | "day_of_week_in"
            | "time_of_day_between"
            | "before"
            | "after"
            | "within_last"
    ) || op.starts_with("array_len_")
}

/// The operator `not` turns a simple leaf into (§2.18, with choices.md for contains_all/flags_all).
fn flip_op(op: &str) -> Option<&'static str> {
    Some(match op {
        "gt" => "lte",
        "lte" => "gt",
        "gte" => "lt",
        "lt" => "gte",
        "eq" => "neq",
        "neq" => "eq",
        "in" => "not_in",
        "not_in" => "in",
        "is_null" => "is_not_null",
        "is_not_null" => "is_null",
        "is_empty" => "is_not_empty",
        "is_not_empty" => "is_empty",
        "gt_field" => "lte_field",
        "lte_field" => "gt_field",
        "gte_field" => "lt_field",
        "lt_field" => "gte_field",
        "eq_field" => "neq_field",
        "neq_field" => "eq_field",
        "contains_any" => "not_intersects",
        "intersects" => "not_intersects",
        "not_intersects" => "intersects",
        "contains_all" => "not_contains_all",
        "flags_any" => "flags_none",
        "flags_none" => "flags_any",
        "flags_all" => "flags_not_all",
        "ip_in_subnet" => "ip_not_in_subnet",
        "ip_not_in_subnet" => "ip_in_subnet",
        "regex" => "not_regex",
        "not_regex" => "regex",
        "in_lookup" => "not_in_lookup",
        "not_in_lookup" => "in_lookup",
        _ => return None,
    })
}

/// Closed categorical lists (§3.8): hint `values` plus every literal of the field's set and
/// equality tests. `array_len` counts only known members of such a list, and the bytes of a
/// string when the field is also read by string operators (a STRING column in BlazeRules).
pub(crate) fn close_categoricals(rules: &mut [Cond], hints: &HashMap<String, Hint>) {
    fn collect(
        c: &Cond,
        out: &mut HashMap<String, HashSet<String>>,
        strings: &mut HashSet<String>,
    ) {
        match c {
            Cond::And(k) | Cond::Or(k) => k.iter().for_each(|c| collect(c, out, strings)),
            Cond::Not(c) => collect(c, out, strings),
            Cond::Leaf(t) => match &**t {
                Test::Set { f, set, .. } if f.slot != u32::MAX => {
                    out.entry(f.name.to_string())
                        .or_default()
                        .extend(set.items().into_iter().map(str::to_string));
                }
                Test::Str { f, .. } | Test::Len { f, .. } | Test::Regex { f, .. }
                    if f.slot != u32::MAX =>
                {
                    strings.insert(f.name.to_string());
                }
                _ => {}
            },
            Cond::ArrayAny(..) | Cond::Const(_) => {}
        }
    }
    fn apply(
        c: &mut Cond,
        known: &HashMap<String, Arc<HashSet<String>>>,
        strings: &HashSet<String>,
    ) {
        match c {
            Cond::And(k) | Cond::Or(k) => k.iter_mut().for_each(|c| apply(c, known, strings)),
            Cond::Not(c) => apply(c, known, strings),
            Cond::Leaf(t) => {
                if let Test::ArrayLen {
                    f, known: k, bytes, ..
                } = &mut **t
                {
                    if f.slot != u32::MAX {
                        *k = known.get(&*f.name).cloned();
                        *bytes = strings.contains(&*f.name);
                    }
                }
            }
            Cond::ArrayAny(..) | Cond::Const(_) => {}
        }
    }
    let mut lists: HashMap<String, HashSet<String>> = HashMap::new();
    for (name, h) in hints {
        if !h.values.is_empty() {
            lists
                .entry(name.clone())
                .or_default()
                .extend(h.values.iter().cloned());
        }
    }
    let mut strings = HashSet::new();
    rules
        .iter()
        .for_each(|c| collect(c, &mut lists, &mut strings));
    let known: HashMap<String, Arc<HashSet<String>>> = lists
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, Arc::new(v)))
        .collect();
    rules.iter_mut().for_each(|c| apply(c, &known, &strings));
}
