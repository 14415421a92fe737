//! Predicates over one record's values (rules-reference §2, with choices.md), and the
//! per-record decision, score, risk band and winner (§4).

use crate::plan::derived;
use crate::read::fields::MISSING;
use crate::rules::compile::{BinOp, Cond, Expr, FieldRef, NumKind, Rhs, StrSet, Test};
use crate::rules::lookup::{parse_ipv4, LookupSet};
use crate::rules::op::{Cmp, FlagMode, SetMode, StrOp};
use crate::value::{as_str, elements, get_path, int, is_null, num, scalar_f64, text, V};
use simd_json::{Node, StaticNode};
use std::collections::HashSet;

/// Where a predicate's fields come from: the record's slots, or an `array_any` element.
pub(crate) trait Fields {
    /// Element semantics of §2.15: numbers always six-decimal text, booleans count as numbers,
    /// missing arithmetic operands read 0.
    const ELEM: bool;
    /// The field's value, or None when missing or null.
    fn get(&self, f: &FieldRef) -> Option<V<'_, '_>>;
    /// Window channel `ch` as the batch's window stage left it; None when the record has no
    /// state to read (no entity, no event time), or is an `array_any` element.
    #[inline]
    fn window(&self, _ch: u32) -> Option<f64> {
        None
    }
}

pub(crate) struct Record<'t, 'i> {
    pub tape: &'t [Node<'i>],
    pub slots: &'t [u32],
    /// The record's window values, one per channel (NaN: no state); empty without windows.
    pub win: &'t [f64],
}

impl Fields for Record<'_, '_> {
    const ELEM: bool = false;
    #[inline]
    fn get(&self, f: &FieldRef) -> Option<V<'_, '_>> {
        let idx = *self.slots.get(f.slot as usize)?;
        if idx == MISSING {
            return None;
        }
        let v = self.tape.get(idx as usize..)?;
        if is_null(v) || (f.empty_is_null && as_str(v) == Some("")) {
            return None;
        }
        Some(v)
    }
    #[inline]
    fn window(&self, ch: u32) -> Option<f64> {
        self.win.get(ch as usize).copied().filter(|v| !v.is_nan())
    }
}

/// An `array_any` element: its fields are read by name (§2.15).
pub(crate) struct Element<'t, 'i> {
    pub obj: V<'t, 'i>,
}

impl Fields for Element<'_, '_> {
    const ELEM: bool = true;
    #[inline]
    fn get(&self, f: &FieldRef) -> Option<V<'_, '_>> {
        get_path(self.obj, &f.name, &f.parts).filter(|v| !is_null(v))
    }
}

pub(crate) struct Ctx {
    pub now_ms: i64,
}

pub(crate) fn eval<F: Fields>(c: &Cond, r: &F, cx: &Ctx) -> bool {
    match c {
        Cond::Leaf(t) => test(t, r, cx),
        Cond::And(kids) => !kids.is_empty() && kids.iter().all(|k| eval(k, r, cx)),
        Cond::Or(kids) => kids.iter().any(|k| eval(k, r, cx)),
        Cond::Not(k) => !eval(k, r, cx),
        Cond::Const(b) => *b,
        Cond::ArrayAny(f, body) => match r.get(f) {
            Some(v) => elements(v).any(|e| {
                matches!(e.first(), Some(Node::Object { .. }))
                    && eval(body, &Element { obj: e }, cx)
            }),
            None => false,
        },
    }
}

/// A number for numeric operators: JSON numbers (first numeric element of an array);
/// inside array_any also booleans (true = 1).
#[inline]
fn number<F: Fields>(v: V<'_, '_>) -> Option<f64> {
    if F::ELEM {
        if let Some(Node::Static(StaticNode::Bool(b))) = v.first() {
            return Some(if *b { 1.0 } else { 0.0 });
        }
        return scalar_f64(v);
    }
    num(v)
}

#[inline]
fn cmp_num(v: V<'_, '_>, cmp: Cmp, t: f64, kind: NumKind, raw: Option<f64>) -> bool {
    match kind {
        NumKind::F64 => raw.is_some_and(|x| cmp.test(x, t)),
        NumKind::F32 => raw.is_some_and(|x| cmp.test(x as f32, t as f32)),
        NumKind::I64 => int(v).is_some_and(|x| cmp.test(x, t.trunc() as i64)),
        NumKind::I32 => int(v).is_some_and(|x| cmp.test(x as i32 as i64, t.trunc() as i64)),
    }
}

fn in_range(v: V<'_, '_>, lo: f64, hi: f64, inclusive: bool, kind: NumKind) -> bool {
    let (l, h) = if inclusive {
        (Cmp::Ge, Cmp::Le)
    } else {
        (Cmp::Gt, Cmp::Lt)
    };
    let raw = num(v);
    cmp_num(v, l, lo, kind, raw) && cmp_num(v, h, hi, kind, raw)
}

/// Set membership over a scalar or an array's members (§2.4).
fn set_test<F: Fields>(v: V<'_, '_>, set: &StrSet, mode: SetMode) -> bool {
    let is_array = match v.first() {
        Some(Node::Array { .. }) => true,
        Some(Node::Object { .. }) | None => return false,
        _ => false,
    };
    let any = || {
        if is_array {
            elements(v).any(|e| set.contains_value(e, F::ELEM))
        } else {
            set.contains_value(v, F::ELEM)
        }
    };
    match mode {
        SetMode::Any => any(),
        SetMode::NoneOf => !any(),
        SetMode::All | SetMode::NotAll => {
            // contains_all is rare: compare texts.
            let members: Vec<_> = if is_array {
                elements(v).filter_map(|e| text(e, F::ELEM)).collect()
            } else {
                text(v, F::ELEM).into_iter().collect()
            };
            let all = set.items().iter().all(|it| members.iter().any(|m| m == it));
            all == (mode == SetMode::All)
        }
    }
}

pub(crate) fn ip_of(v: V<'_, '_>) -> Option<u32> {
    match v.first()? {
        Node::String(s) => Some(parse_ipv4(s)),
        _ => int(v).map(|i| i as u32),
    }
}

pub(crate) const DAY_MS: i64 = 86_400_000;

/// Great-circle distance in km (§2.12): equirectangular, haversine beyond 1500 km.
fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const R: f64 = 6371.0088;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dlat = p2 - p1;
    let dlon = (lon2 - lon1).to_radians();
    let x = dlon * ((p1 + p2) / 2.0).cos();
    let d = R * (x * x + dlat * dlat).sqrt();
    if d <= 1500.0 {
        return d;
    }
    let a = (dlat / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * a.sqrt().min(1.0).asin()
}

pub(crate) fn expr<F: Fields>(e: &Expr, r: &F) -> Option<f64> {
    match e {
        Expr::Lit(x) => Some(*x),
        Expr::Field(f) => match r.get(f).and_then(number::<F>) {
            Some(x) => Some(x),
            None if F::ELEM => Some(0.0),
            None => None,
        },
        Expr::Bin(a, op, b) => {
            let (a, b) = (expr(a, r)?, expr(b, r)?);
            match op {
                BinOp::Add => Some(a + b),
                BinOp::Sub => Some(a - b),
                BinOp::Mul => Some(a * b),
                BinOp::Div if b == 0.0 => F::ELEM.then_some(0.0),
                BinOp::Div => Some(a / b),
            }
        }
    }
}

/// One predicate on one record (or element): one arm per test, the longer ones in the
/// `#[inline]` functions below.
#[inline]
pub(crate) fn test<F: Fields>(t: &Test, r: &F, cx: &Ctx) -> bool {
    match t {
        Test::Num { f, cmp, t, kind } => match r.get(f) {
            Some(v) if F::ELEM => number::<F>(v).is_some_and(|x| cmp.test(x, *t)),
            Some(v) => cmp_num(v, *cmp, *t, *kind, num(v)),
            None => false,
        },
        Test::Set { f, set, mode } => r.get(f).is_some_and(|v| set_test::<F>(v, set, *mode)),
        Test::Str { f, op, s, finder } => r.get(f).and_then(as_str).is_some_and(|v| match op {
            StrOp::Contains => finder.find(v.as_bytes()).is_some(),
            StrOp::StartsWith => v.starts_with(&**s),
            StrOp::EndsWith => v.ends_with(&**s),
            StrOp::CiEq => v.eq_ignore_ascii_case(s),
        }),
        Test::IsNull(f) => r.get(f).is_none(),
        Test::IsNotNull(f) => r.get(f).is_some(),
        Test::IsEmpty(f) => r.get(f).is_none_or(|v| is_empty(v) == Some(true)),
        Test::IsNotEmpty(f) => r.get(f).is_some_and(|v| is_empty(v) != Some(true)),
        Test::Range {
            f,
            lo,
            hi,
            inclusive,
            kind,
        } => r
            .get(f)
            .is_some_and(|v| range::<F>(v, *lo, *hi, *inclusive, *kind)),
        Test::Len { f, cmp, n } => r
            .get(f)
            .and_then(as_str)
            .is_some_and(|s| cmp.test(s.len() as i64, *n)),
        Test::Regex { f, re, negate } => r
            .get(f)
            .and_then(as_str)
            .is_some_and(|s| re.is_match(s) != *negate),
        Test::ArrayLen {
            f,
            cmp,
            n,
            known,
            bytes,
        } => r
            .get(f)
            .is_some_and(|v| array_len(v, *cmp, *n, known.as_deref(), *bytes)),
        Test::Flags { f, mode, mask } => r.get(f).and_then(int).is_some_and(|x| match mode {
            FlagMode::Any => x & mask != 0,
            FlagMode::All => x & mask == *mask,
            FlagMode::NotAll => x & mask != *mask,
            FlagMode::None => x & mask == 0,
        }),
        Test::Ip {
            f,
            net,
            mask,
            negate,
        } => r
            .get(f)
            .and_then(ip_of)
            .is_some_and(|ip| (ip & mask == *net) != *negate),
        Test::Before { f, t } => r.get(f).and_then(int).is_some_and(|x| x < *t),
        Test::After { f, t } => r.get(f).and_then(int).is_some_and(|x| x > *t),
        Test::WithinLast { f, secs } => r
            .get(f)
            .and_then(int)
            .is_some_and(|x| x >= cx.now_ms.saturating_sub(secs.saturating_mul(1000))),
        Test::DayOfWeek { f, mask } => r.get(f).and_then(int).is_some_and(|x| {
            let dow = (x.div_euclid(DAY_MS) + 4).rem_euclid(7);
            mask & (1 << dow) != 0
        }),
        Test::TimeOfDay { f, lo, hi } => r
            .get(f)
            .and_then(int)
            .is_some_and(|x| time_of_day(x, *lo, *hi)),
        Test::Lookup { f, set, negate } => r.get(f).is_some_and(|v| lookup::<F>(v, set, *negate)),
        Test::CrossNum { a, b, cmp } => match (
            r.get(a).and_then(number::<F>),
            r.get(b).and_then(number::<F>),
        ) {
            (Some(x), Some(y)) => cmp.test(x, y),
            _ => false,
        },
        Test::CrossEq { a, b, negate } => match (r.get(a), r.get(b)) {
            (Some(x), Some(y)) => cross_eq::<F>(x, y).map_or(*negate, |e| e != *negate),
            _ => false,
        },
        Test::Distance {
            lat,
            lon,
            olat,
            olon,
            gt,
            km,
        } => distance(r, [lat, lon, olat, olon], *gt, *km),
        Test::Expr { e, cmp, rhs } => arithmetic(e, *cmp, rhs, r),
        Test::Window { ch, count, test } => r
            .window(*ch)
            .is_some_and(|v| derived::window_test(v, *count, test)),
        Test::Vector(v) => derived::vector_test(v, r),
    }
}

/// Whether a present value is empty: Some(true) for "" or [], Some(false) for another
/// string or array, None for other values (`is_empty` false, `is_not_empty` true).
#[inline]
fn is_empty(v: V<'_, '_>) -> Option<bool> {
    match v.first() {
        Some(Node::String(s)) => Some(s.is_empty()),
        Some(Node::Array { len, .. }) => Some(*len == 0),
        _ => None,
    }
}

#[inline]
fn range<F: Fields>(v: V<'_, '_>, lo: f64, hi: f64, inclusive: bool, kind: NumKind) -> bool {
    if F::ELEM {
        return number::<F>(v).is_some_and(|x| {
            if inclusive {
                x >= lo && x <= hi
            } else {
                x > lo && x < hi
            }
        });
    }
    in_range(v, lo, hi, inclusive, kind)
}

/// `array_len_*`: known members of a closed list only, a string's bytes when it is also
/// read as a string (§2.9).
#[inline]
fn array_len(v: V<'_, '_>, cmp: Cmp, n: i64, known: Option<&HashSet<String>>, bytes: bool) -> bool {
    let count = match v.first() {
        Some(Node::String(s)) if bytes => s.len(),
        Some(Node::Array { .. }) => match known {
            Some(k) => elements(v)
                .filter(|e| text(e, false).is_some_and(|t| k.contains(&*t)))
                .count(),
            None => elements(v).count(),
        },
        Some(Node::Object { .. }) => return false,
        _ => match known {
            Some(k) => usize::from(text(v, false).is_some_and(|t| k.contains(&*t))),
            None => 1,
        },
    };
    cmp.test(count as i64, n)
}

/// `time_of_day_between`: the UTC hour of epoch milliseconds `x` in [lo, hi], wrapping
/// past midnight when lo > hi (§2.11).
#[inline]
fn time_of_day(x: i64, lo: f64, hi: f64) -> bool {
    let h = x.rem_euclid(DAY_MS) as f64 / 3_600_000.0;
    if lo <= hi {
        h >= lo && h <= hi
    } else {
        h >= lo || h <= hi
    }
}

/// The distance in km between two points (lat, lon, other lat, other lon); None when any
/// coordinate is missing.
#[inline]
pub(crate) fn distance_of<F: Fields>(r: &F, points: [&FieldRef; 4]) -> Option<f64> {
    let [a, b, c, d] = points.map(|f| r.get(f).and_then(number::<F>));
    Some(distance_km(a?, b?, c?, d?))
}

/// `distance_gt` / `distance_lt` between two points, false when any coordinate is missing.
#[inline]
fn distance<F: Fields>(r: &F, points: [&FieldRef; 4], gt: bool, km: f64) -> bool {
    let Some(dist) = distance_of(r, points) else {
        return false;
    };
    if gt {
        dist > km
    } else {
        dist < km
    }
}

#[inline]
fn lookup<F: Fields>(v: V<'_, '_>, set: &LookupSet, negate: bool) -> bool {
    let hit = match set {
        LookupSet::Str(_) => text(v, F::ELEM).is_some_and(|s| set.contains_str(&s)),
        LookupSet::Int(_) => match int(v) {
            Some(i) => set.contains_int(i),
            None => return false,
        },
        LookupSet::Cidr(_) => match ip_of(v) {
            Some(ip) => set.contains_ip(ip),
            None => return false,
        },
    };
    hit != negate
}

/// `eq_field` on two present values: strings as bytes, numbers as numbers, booleans as
/// booleans; None when they are not comparable (then `eq` is false and `neq` true).
#[inline]
fn cross_eq<F: Fields>(x: V<'_, '_>, y: V<'_, '_>) -> Option<bool> {
    match (as_str(x), as_str(y)) {
        (Some(s1), Some(s2)) => Some(s1 == s2),
        (None, None) => match (number::<F>(x), number::<F>(y)) {
            (Some(p), Some(q)) => Some(p == q),
            _ => match (x.first(), y.first()) {
                (
                    Some(Node::Static(StaticNode::Bool(p))),
                    Some(Node::Static(StaticNode::Bool(q))),
                ) => Some(p == q),
                _ => None,
            },
        },
        _ => None,
    }
}

#[inline]
fn arithmetic<F: Fields>(e: &Expr, cmp: Cmp, rhs: &Rhs, r: &F) -> bool {
    let Some(x) = expr(e, r) else { return false };
    let y = match rhs {
        Rhs::Value(y) => *y,
        Rhs::Field(f) => match r.get(f).and_then(number::<F>) {
            Some(y) => y,
            None => return false,
        },
    };
    cmp.test(x, y)
}

#[cfg(test)]
mod tests {
    use super::distance_km;

    #[test]
    fn distances() {
        // Paris → London ≈ 344 km (haversine); short hops use the equirectangular form.
        let d = distance_km(48.8566, 2.3522, 51.5074, -0.1278);
        assert!((d - 343.9).abs() < 2.0, "{d}");
        let far = distance_km(40.7128, -74.0060, 51.5074, -0.1278);
        assert!((far - 5570.0).abs() < 15.0, "{far}");
    }
}
