//! A record traced through the explanation tree: each leaf decided by the engine's own
//! predicate (`plan::tree`), with the value it read; `and` / `or` / `not` combined as the
//! engine combines them (§2.18: a `not` that flips its leaf's operator is decided by the
//! flipped predicate).

use super::build::{Leaf, Node, Shape};
use super::json::value_json;
use super::{ConditionTrace, Kind};
use crate::plan::derived;
use crate::plan::tree::{distance_of, eval, expr, Ctx, Element, Fields};
use crate::rules::compile::{Cond, FieldRef, Rhs, Test};
use crate::value::elements;
use serde_json::{json, Value};
use simd_json::Node as TapeNode;

/// At most this many elements of an `array_any` array are explained when none matches
/// (when one does, only that one is).
pub const MAX_ELEMENTS: usize = 16;

pub(crate) fn trace<F: Fields>(n: &Node, conds: &[Cond], r: &F, cx: &Ctx) -> ConditionTrace {
    let mut t = ConditionTrace::new(Kind::Leaf, n.path.clone());
    match &n.shape {
        Shape::List { is_and, kids } => {
            t.children = kids.iter().map(|k| trace(k, conds, r, cx)).collect();
            if *is_and {
                t.kind = Kind::And;
                t.result = !t.children.is_empty() && t.children.iter().all(|c| c.result);
            } else {
                t.kind = Kind::Or;
                t.result = t.children.iter().any(|c| c.result);
            }
        }
        Shape::Not { child, flipped } => {
            let c = trace(child, conds, r, cx);
            t.kind = Kind::Not;
            t.result = match flipped {
                Some(i) => eval(&conds[*i], r, cx),
                None => !c.result,
            };
            t.children = vec![c];
        }
        Shape::ArrayAny { cond, field, body } => {
            let c = &conds[*cond];
            t.result = eval(c, r, cx);
            t.op = Some("array_any".into());
            t.field = Some(field.clone());
            let array = match c {
                Cond::ArrayAny(f, _) => r.get(f),
                _ => None,
            };
            t.actual = Some(array.map_or(Value::Null, value_json));
            t.children = array.map_or_else(Vec::new, |a| per_element(a, body, conds, cx));
        }
        Shape::Leaf(l) => leaf(&mut t, l, conds, r, cx),
    }
    t
}

/// `where` traced on each object element, in order: only the first that satisfies it when
/// one does, else the first `MAX_ELEMENTS`.
fn per_element(
    array: crate::value::V<'_, '_>,
    body: &Node,
    conds: &[Cond],
    cx: &Ctx,
) -> Vec<ConditionTrace> {
    let mut out = Vec::new();
    for (i, e) in elements(array).enumerate() {
        if !matches!(e.first(), Some(TapeNode::Object { .. })) {
            continue; // the engine looks at object elements only (§2.15)
        }
        let mut t = trace(body, conds, &Element { obj: e }, cx);
        t.element = Some(i);
        if t.result {
            return vec![t];
        }
        if out.len() < MAX_ELEMENTS {
            out.push(t);
        }
    }
    out
}

fn leaf<F: Fields>(t: &mut ConditionTrace, l: &Leaf, conds: &[Cond], r: &F, cx: &Ctx) {
    let c = &conds[l.cond];
    t.result = eval(c, r, cx);
    t.op = Some(l.op.clone());
    t.field = l.field.clone();
    t.expected = l.expected.clone();
    t.computed = l.computed.clone();
    let Cond::Leaf(test) = c else {
        t.actual = Some(Value::Null);
        return;
    };
    t.actual = Some(actual(test, r));
    if let Some(other) = other_field(test) {
        let value = r.get(other).map_or(Value::Null, value_json);
        t.expected = Some(json!({ "field": &*other.name, "value": value }));
    }
}

/// The value a leaf compares: its field's value, or the value it computes (null when missing).
fn actual<F: Fields>(test: &Test, r: &F) -> Value {
    let num = |x: Option<f64>| x.map_or(Value::Null, number);
    match test {
        Test::Window { ch, .. } => num(r.window(*ch)),
        Test::Vector(v) => number(f64::from(derived::distance(v, r))),
        Test::Expr { e, .. } => num(expr(e, r)),
        Test::Distance {
            lat,
            lon,
            olat,
            olon,
            ..
        } => num(distance_of(r, [lat, lon, olat, olon])),
        _ => subject(test)
            .and_then(|f| r.get(f))
            .map_or(Value::Null, value_json),
    }
}

/// A number as JSON (null when not finite, as JSON.stringify writes it).
fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The field a leaf reads (the left one of a cross-field leaf).
fn subject(t: &Test) -> Option<&FieldRef> {
    Some(match t {
        Test::IsNull(f) | Test::IsNotNull(f) | Test::IsEmpty(f) | Test::IsNotEmpty(f) => f,
        Test::Num { f, .. }
        | Test::Range { f, .. }
        | Test::Set { f, .. }
        | Test::Str { f, .. }
        | Test::Len { f, .. }
        | Test::Regex { f, .. }
        | Test::ArrayLen { f, .. }
        | Test::Flags { f, .. }
        | Test::Ip { f, .. }
        | Test::Before { f, .. }
        | Test::After { f, .. }
        | Test::WithinLast { f, .. }
        | Test::DayOfWeek { f, .. }
        | Test::TimeOfDay { f, .. }
        | Test::Lookup { f, .. } => f,
        Test::CrossNum { a, .. } | Test::CrossEq { a, .. } => a,
        Test::Distance { .. } | Test::Expr { .. } | Test::Window { .. } | Test::Vector(_) => {
            return None
        }
    })
}

/// The field a leaf compares with (cross-field, or `expr` against `other_field`).
fn other_field(t: &Test) -> Option<&FieldRef> {
    match t {
        Test::CrossNum { b, .. } | Test::CrossEq { b, .. } => Some(b),
        Test::Expr {
            rhs: Rhs::Field(f), ..
        } => Some(f),
        _ => None,
    }
}
