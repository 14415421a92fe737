//! Leaves on values computed for a record rather than read from it: a window's value (filled
//! in by the batch's window stage, `window::stage`) and a vector distance (§2.16, §2.17).

use crate::plan::tree::Fields;
use crate::rules::compile::{Metric, NumKind, Threshold, Vector};
use crate::rules::op::Cmp;
use crate::value::{int, num};

/// A window leaf, compared as BlazeRules does (the wheel shows it): a count is an int32
/// compared with the threshold as written (`lt 1.9` holds for 1: no truncation, unlike an
/// int field), any other function a float32 compared in float32 (the threshold cast, as for
/// a float32 field: a sum of 0.1 is not `gt 0.1`).
#[inline]
pub(crate) fn window_test(v: f64, count: bool, t: &Threshold) -> bool {
    if count {
        return compare(f64::from(v as i32), t, |x| x);
    }
    compare(v as f32, t, |x| x as f32)
}

/// `x` against a threshold whose bounds are read by `cast`.
#[inline]
fn compare<T: PartialOrd + Copy>(x: T, t: &Threshold, cast: impl Fn(f64) -> T) -> bool {
    match *t {
        Threshold::Cmp(cmp, t) => cmp.test(x, cast(t)),
        Threshold::Range {
            lo,
            hi,
            inclusive,
            outside,
        } => in_range(x, cast(lo), cast(hi), inclusive) != outside,
    }
}

/// A vector leaf: the distance compared in float32 (the threshold cast, §2.3).
#[inline]
pub(crate) fn vector_test<F: Fields>(v: &Vector, r: &F) -> bool {
    compare(distance(v, r), &v.test, |x| x as f32)
}

fn in_range<T: PartialOrd>(x: T, lo: T, hi: T, inclusive: bool) -> bool {
    if inclusive {
        Cmp::Ge.test(&x, &lo) && Cmp::Le.test(&x, &hi)
    } else {
        Cmp::Gt.test(&x, &lo) && Cmp::Lt.test(&x, &hi)
    }
}

/// The record's vector against the reference, in float32 as BlazeRules computes it: a
/// missing, null or non-numeric dimension is 0.
pub(crate) fn distance<F: Fields>(v: &Vector, r: &F) -> f32 {
    let x = v.dims.iter().map(|(f, kind)| {
        r.get(f)
            .and_then(|val| match kind {
                NumKind::F64 | NumKind::F32 => num(val).map(|x| x as f32),
                NumKind::I32 => int(val).map(|x| x as i32 as f32),
                NumKind::I64 => int(val).map(|x| x as f32),
            })
            .unwrap_or(0.0)
    });
    let pairs = x.zip(v.reference.iter().copied());
    match v.metric {
        Metric::Dot => pairs.fold(0.0f32, |acc, (a, b)| acc + a * b),
        Metric::L2 => pairs
            .fold(0.0f32, |acc, (a, b)| acc + (a - b) * (a - b))
            .sqrt(),
        Metric::Cosine => {
            let (dot, nx) = pairs.fold((0.0f32, 0.0f32), |(d, n), (a, b)| (d + a * b, n + a * a));
            if nx <= 0.0 {
                0.0
            } else {
                dot * v.inv_norm / nx.sqrt()
            }
        }
    }
}
