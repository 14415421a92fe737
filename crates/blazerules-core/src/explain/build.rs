//! The explanation tree: every rule's condition as written (`and`, `or`, bare lists, `not`,
//! `array_any`, leaves; a `sql:` string as the tree it parses to), each part compiled on its
//! own by the rule set's compiler, so that each leaf is decided by the predicate the engine
//! uses. Paths are the document paths load errors use (`ruleset.rules[3].conditions.and[1]`);
//! the parts of a `sql:` string continue its path with their place in the parsed tree
//! (`…conditions.sql.and[1]`).

use super::source::Source;
use crate::rules::compile::{close_categoricals, form, Compiler, Cond, Form, Windows};
use crate::rules::load::Problems;
use crate::rules::op::{Family, Op};
use crate::rules::scalar::scalar_text;
use crate::rules::sql;
use serde_json::{Map, Value};

/// One part of a condition, as written.
pub(crate) struct Node {
    pub path: String,
    pub shape: Shape,
}

pub(crate) enum Shape {
    /// `and` or a bare list (`is_and`), or `or`.
    List {
        is_and: bool,
        kids: Vec<Node>,
    },
    /// `flipped`: the compiled `not` (in `Tree::conds`) when it is not the plain complement
    /// of its child: over a leaf whose operator has an opposite, `not` flips the operator, so
    /// that a missing value stays false (§2.18).
    Not {
        child: Box<Node>,
        flipped: Option<usize>,
    },
    /// `cond`: the compiled `array_any`; `body`: its `where`, explained per element.
    ArrayAny {
        cond: usize,
        field: String,
        body: Box<Node>,
    },
    Leaf(Box<Leaf>),
}

/// A leaf: its compiled predicate and what an explanation shows of it.
pub(crate) struct Leaf {
    /// The compiled leaf, in `Tree::conds`.
    pub cond: usize,
    /// The operator's canonical spelling (`Op::name`: aliases and case resolved).
    pub op: String,
    /// The field it reads (None where it computes a value from several: `computed`).
    pub field: Option<String>,
    pub expected: Option<Value>,
    /// What the value compared is computed from (windows, vectors, `expr`, geo distance).
    pub computed: Option<String>,
}

/// Every rule's explanation tree, and the compiled parts its nodes point at.
pub(crate) struct Tree {
    pub rules: Vec<Node>,
    pub conds: Vec<Cond>,
}

/// Compiles every rule's condition as written (the rule set loaded, so nothing here fails;
/// a part that did would explain as false).
pub(crate) fn build(src: &Source, rule_ids: &[String], windows: &Windows) -> Tree {
    let mut problems = Problems::default();
    let mut b = Builder {
        c: Compiler::resume(
            &src.hints,
            &src.lookups,
            &mut problems,
            &src.fields,
            windows.clone(),
        ),
        conds: Vec::new(),
        rule: "",
    };
    let mut rules = Vec::with_capacity(src.written.len());
    for ((text, path), id) in src.written.iter().zip(&src.paths).zip(rule_ids) {
        let v = parse(text);
        b.rule = id;
        rules.push(b.node(&v, format!("{path}.conditions"), false));
    }
    let mut conds = b.conds;
    // Closed categorical lists come from every rule, as when the rule set was compiled.
    close_categoricals(&mut conds, &src.hints);
    Tree { rules, conds }
}

/// A condition's text back into its document (nesting as deep as the rules file's).
fn parse(text: &str) -> Value {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut de).unwrap_or(Value::Null)
}

struct Builder<'c, 'r> {
    c: Compiler<'c>,
    conds: Vec<Cond>,
    rule: &'r str,
}

impl Builder<'_, '_> {
    fn push(&mut self, c: Cond) -> usize {
        self.conds.push(c);
        self.conds.len() - 1
    }

    /// The condition `v` at `path`, inside an `array_any` element when `elem`.
    fn node(&mut self, v: &Value, path: String, elem: bool) -> Node {
        let shape = match form(v) {
            Form::List(items) => self.list(items, &path, true, elem),
            Form::AndOr(key, Value::Array(items)) => {
                self.list(items, &format!("{path}.{key}"), key == "and", elem)
            }
            Form::Not(inner) => {
                let child = self.node(inner, format!("{path}.not"), elem);
                let neg = self.c.part(inner, &path, self.rule, true, elem);
                let flipped = (!matches!(neg, Cond::Not(_))).then(|| self.push(neg));
                Shape::Not {
                    child: Box::new(child),
                    flipped,
                }
            }
            Form::Sql(m, key) => {
                let parsed = m
                    .get(key)
                    .and_then(Value::as_str)
                    .map(sql::sql_to_condition);
                if let Some(Ok(tree)) = parsed {
                    return self.node(&tree, format!("{path}.{key}"), elem);
                }
                self.leaf(v, &path, elem, describe_other(key))
            }
            Form::ArrayAny(spec) => {
                let cond = self.c.part(v, &path, self.rule, false, elem);
                let cond = self.push(cond);
                let field = spec.get("path").and_then(scalar_text).unwrap_or_default();
                let body = spec.get("where").unwrap_or(&Value::Null);
                let body = self.node(body, format!("{path}.array_any.where"), true);
                Shape::ArrayAny {
                    cond,
                    field,
                    body: Box::new(body),
                }
            }
            Form::Window(m) => self.leaf(v, &path, elem, describe_derived(m, "window")),
            Form::Vector(m) => self.leaf(v, &path, elem, describe_derived(m, "vector_distance")),
            Form::Leaf(m) => self.leaf(v, &path, elem, describe_leaf(m)),
            Form::AndOr(key, _) => self.leaf(v, &path, elem, describe_other(key)),
            Form::ModelScore | Form::NotMapping => self.leaf(v, &path, elem, describe_other("")),
        };
        Node { path, shape }
    }

    /// The items of `and` / `or` (or a bare list), at `path[i]`.
    fn list(&mut self, items: &[Value], path: &str, is_and: bool, elem: bool) -> Shape {
        let kids = items
            .iter()
            .enumerate()
            .map(|(i, item)| self.node(item, format!("{path}[{i}]"), elem))
            .collect();
        Shape::List { is_and, kids }
    }

    fn leaf(&mut self, v: &Value, path: &str, elem: bool, what: Described) -> Shape {
        let cond = self.c.part(v, path, self.rule, false, elem);
        let cond = self.push(cond);
        Shape::Leaf(Box::new(Leaf {
            cond,
            op: what.op,
            field: what.field,
            expected: what.expected,
            computed: what.computed,
        }))
    }
}

/// What a leaf shows besides its result.
struct Described {
    op: String,
    field: Option<String>,
    expected: Option<Value>,
    computed: Option<String>,
}

/// An operator as its canonical spelling (as written when it is not one).
fn op_name(raw: &str) -> String {
    Op::parse(raw).map_or_else(|| raw.to_string(), |op| op.name().to_string())
}

fn text(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(scalar_text)
}

/// `values` takes priority over `value` (§1.6).
fn value_of(m: &Map<String, Value>) -> Option<Value> {
    m.get("values").or_else(|| m.get("value")).cloned()
}

/// A field leaf (§2.1): the field it reads and the operand it compares with; cross-field,
/// `expr` and geo leaves name the other field, the expression or the points.
fn describe_leaf(m: &Map<String, Value>) -> Described {
    let raw = text(m, "op").unwrap_or_default();
    let op = Op::parse(&raw);
    let family = op.map(Op::family);
    let field = text(m, "field");
    let mut d = Described {
        op: op_name(&raw),
        field: field.clone(),
        expected: value_of(m),
        computed: None,
    };
    if let Some(e) = m.get("expr").filter(|e| e.is_object()) {
        d.field = None;
        d.computed = Some(format!("expr {e}"));
        if let Some(o) = text(m, "other_field") {
            d.expected = Some(Value::String(o));
        }
        return d;
    }
    match family {
        Some(Family::Null(_)) => d.expected = None,
        Some(Family::Lookup { .. }) => d.expected = m.get("lookup").cloned(),
        Some(Family::Flags(_)) => d.expected = m.get("mask").cloned().or(d.expected),
        Some(Family::Distance { .. }) => {
            let p = |k: &str| text(m, k).unwrap_or_default();
            d.field = None;
            d.computed = Some(format!(
                "distance in km from ({}, {}) to ({}, {})",
                p("lat_field"),
                p("lon_field"),
                p("other_lat_field"),
                p("other_lon_field")
            ));
        }
        _ => {}
    }
    if let Some(o) = text(m, "other_field") {
        d.expected = Some(Value::String(o));
    }
    d
}

/// A window or vector condition: the value it computes, its operator and threshold (inside
/// its mapping or beside it).
fn describe_derived(outer: &Map<String, Value>, name: &str) -> Described {
    let empty = Map::new();
    let w = outer.get(name).and_then(Value::as_object).unwrap_or(&empty);
    let either = |k: &str| w.get(k).or_else(|| outer.get(k));
    let default_op = if name == "window" { "" } else { "gt" };
    let raw = either("op").and_then(scalar_text);
    let computed = if name == "window" {
        let value = ["sum_field", "value_field", "numerator_field"]
            .iter()
            .find_map(|k| text(w, k));
        let mut s = format!(
            "window {}({}) by {} over {} s",
            text(w, "function").unwrap_or_else(|| "count".into()),
            value.unwrap_or_default(),
            text(w, "entity_field").unwrap_or_default(),
            text(w, "duration_seconds").unwrap_or_default()
        );
        if let Some(den) = text(w, "denominator_field") {
            s.push_str(&format!(", denominator {den}"));
        }
        if let Some(t) = text(w, "time_field") {
            s.push_str(&format!(", event time {t}"));
        }
        s
    } else {
        let dims = w.get("dims").map(ToString::to_string).unwrap_or_default();
        let metric = text(w, "metric").unwrap_or_else(|| "cosine".into());
        format!("vector_distance {metric} of {dims}")
    };
    Described {
        op: op_name(raw.as_deref().unwrap_or(default_op)),
        field: None,
        expected: either("value").cloned(),
        computed: Some(computed),
    }
}

/// A part that did not compile (never in a rule set that loaded).
fn describe_other(key: &str) -> Described {
    Described {
        op: key.to_string(),
        field: None,
        expected: None,
        computed: None,
    }
}
