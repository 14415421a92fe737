//! The boolean structure of a condition (`and`, `or`, `not`, `sql:`, `array_any`) down to
//! its leaves.

use super::{negated, At, Compiler, Cond, Mode, MAX_DEPTH};
use crate::error::ErrorCode;
use crate::rules::op::Op;
use crate::rules::sql;
use serde_json::{Map, Value};

/// What a condition is, in BlazeRules' dispatch order (§1.6): the one reading of a
/// condition's shape, for the compiler and for explanations (`explain`).
pub(crate) enum Form<'v> {
    /// A bare list: `and`.
    List(&'v [Value]),
    NotMapping,
    /// A `sql:` string, or an `expr:` string (the key it is under).
    Sql(&'v Map<String, Value>, &'static str),
    /// `and` / `or` (the key) and its value, a list when well formed.
    AndOr(&'static str, &'v Value),
    Not(&'v Value),
    Window(&'v Map<String, Value>),
    ModelScore,
    Vector(&'v Map<String, Value>),
    /// `array_any`'s mapping (`path`, `where`) when well formed.
    ArrayAny(&'v Value),
    /// A leaf on a field: `op` and its operands.
    Leaf(&'v Map<String, Value>),
}

pub(crate) fn form(v: &Value) -> Form<'_> {
    let m = match v {
        Value::Object(m) => m,
        Value::Array(items) => return Form::List(items),
        _ => return Form::NotMapping,
    };
    if m.contains_key("sql") {
        return Form::Sql(m, "sql");
    }
    if matches!(m.get("expr"), Some(Value::String(_))) {
        return Form::Sql(m, "expr");
    }
    for key in ["and", "or"] {
        if let Some(list) = m.get(key) {
            return Form::AndOr(key, list);
        }
    }
    if let Some(inner) = m.get("not") {
        return Form::Not(inner);
    }
    // BlazeRules' dispatch order: window, model_score, vector_distance.
    if m.contains_key("window") {
        return Form::Window(m);
    }
    if m.contains_key("model_score") {
        return Form::ModelScore;
    }
    if m.contains_key("vector_distance") {
        return Form::Vector(m);
    }
    match m.get("array_any") {
        Some(spec) => Form::ArrayAny(spec),
        None => Form::Leaf(m),
    }
}

impl Compiler<'_> {
    pub(super) fn cond(
        &mut self,
        v: &Value,
        at: &At<'_>,
        depth: usize,
        negate: bool,
        mode: Mode,
    ) -> Cond {
        if depth > MAX_DEPTH {
            self.err(
                ErrorCode::UnknownOp,
                format!("condition nesting too deep (limit {MAX_DEPTH})"),
                at,
                "",
            );
            return Cond::Const(false);
        }
        match form(v) {
            Form::List(items) => self.list(items, at, depth, negate, mode, true),
            Form::NotMapping => {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    "a condition must be a mapping",
                    at,
                    "",
                );
                Cond::Const(false)
            }
            Form::Sql(m, key) => self.sql(m, key, at, depth, negate, mode),
            Form::AndOr(key, list) => {
                let sub = format!("{}.{key}", at.path);
                let at2 = At {
                    path: &sub,
                    rule: at.rule,
                };
                match list {
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
                }
            }
            Form::Not(inner) => {
                let sub = format!("{}.not", at.path);
                let at2 = At {
                    path: &sub,
                    rule: at.rule,
                };
                self.not(inner, &at2, depth, negate, mode)
            }
            Form::Window(m) => self.window(m, at, negate, mode),
            Form::ModelScore => {
                let msg = format!(
                    "'model_score' conditions are not supported yet (rule '{}')",
                    at.rule
                );
                self.err(ErrorCode::Unsupported, msg, at, "model_score");
                Cond::Const(false)
            }
            Form::Vector(m) => self.vector(m, at, negate, mode),
            Form::ArrayAny(spec) => {
                let sub = format!("{}.array_any", at.path);
                let at2 = At {
                    path: &sub,
                    rule: at.rule,
                };
                let c = self.array_any(spec, &at2, depth, mode);
                negated(c, negate)
            }
            Form::Leaf(m) => self.leaf(m, at, negate, mode),
        }
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
        let Ok(path) = self.text(m, "path", at) else {
            return Cond::Const(false);
        };
        let Some(path) = path else {
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
        let Ok(op_raw) = self.text(m, "op", at) else {
            return Cond::Const(false);
        };
        let Some(op_raw) = op_raw else {
            self.err(
                ErrorCode::YamlSyntaxError,
                "missing required key 'op'",
                at,
                "",
            );
            return Cond::Const(false);
        };
        let Some(op) = Op::parse(&op_raw) else {
            self.unknown_op(&op_raw, at);
            return negated(Cond::Const(false), negate);
        };
        // A simple leaf under `not` flips its operator when it has an opposite; an
        // arithmetic leaf is a plain complement (§2.18).
        let flip = negate && !m.get("expr").is_some_and(Value::is_object);
        let (op, flipped) = match op.negated().filter(|_| flip) {
            Some(f) => (f, true),
            None => (op, false),
        };
        let c = match self.test(m, op, &op_raw, at, mode) {
            Some(t) => Cond::Leaf(Box::new(t)),
            None => Cond::Const(false),
        };
        negated(c, negate && !flipped)
    }
}
