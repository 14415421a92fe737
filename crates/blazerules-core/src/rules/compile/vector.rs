//! `vector_distance` conditions (rules-reference §2.17) → a [`Test::Vector`] leaf: the `dims`
//! fields as a float32 vector against a float32 `reference`, by `metric` (cosine, the
//! default and any unknown name; `l2` / `euclidean` / `distance`; `dot` / `inner`), compared
//! in float32 with `op` (default gt) and `value` (`[lo, hi]` for `between_*`). `not` over it
//! is a plain complement (§2.18), as in BlazeRules.

use super::window::Threshold;
use super::{negated, At, Compiler, Cond, FieldRef, Mode, NumKind, Test, NUMERIC};
use crate::error::ErrorCode;
use crate::rules::scalar::{as_f64, scalar_text};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metric {
    Cosine,
    L2,
    Dot,
}

impl Metric {
    fn parse(name: &str) -> Metric {
        match name.to_ascii_lowercase().as_str() {
            "l2" | "euclidean" | "distance" => Metric::L2,
            "dot" | "inner" => Metric::Dot,
            _ => Metric::Cosine,
        }
    }
}

/// A compiled `vector_distance` leaf.
#[derive(Debug, Clone)]
pub(crate) struct Vector {
    /// The dimensions, each read as its hint says (then as float32).
    pub dims: Box<[(FieldRef, NumKind)]>,
    pub reference: Box<[f32]>,
    /// 1 / |reference| in float32 (0 for a zero reference), as BlazeRules precomputes it.
    pub inv_norm: f32,
    pub metric: Metric,
    pub test: Threshold,
}

impl Compiler<'_> {
    /// A `vector_distance` condition; `negate` complements it.
    pub(super) fn vector(
        &mut self,
        outer: &Map<String, Value>,
        at: &At<'_>,
        negate: bool,
        mode: Mode,
    ) -> Cond {
        let Some(d) = self.derived(outer, "vector_distance", at) else {
            return Cond::Const(false);
        };
        let dims = self.dims(d.w, at, mode);
        let reference = self.reference(d.w, at);
        let test = self.derived_threshold(&d, Some("gt"), false, at, false);
        let (Some(dims), Some(reference), Some(test)) = (dims, reference, test) else {
            return Cond::Const(false);
        };
        if reference.len() != dims.len() {
            let msg = "vector_distance reference length must equal the number of dims";
            self.err(
                ErrorCode::TypeMismatch,
                msg,
                at,
                "vector_distance.reference",
            );
            return Cond::Const(false);
        }
        let norm_sq: f32 = reference.iter().map(|x| x * x).sum();
        let vector = Vector {
            dims,
            inv_norm: if norm_sq > 0.0 {
                1.0 / norm_sq.sqrt()
            } else {
                0.0
            },
            reference,
            metric: Metric::parse(&d.text("metric").unwrap_or_default()),
            test,
        };
        negated(Cond::Leaf(Box::new(Test::Vector(Box::new(vector)))), negate)
    }

    /// `dims`: a non-empty list of numeric fields.
    fn dims(
        &mut self,
        v: &Map<String, Value>,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<Box<[(FieldRef, NumKind)]>> {
        // BlazeRules reads a scalar `dims` as no dims at all.
        let names: Vec<Option<String>> = match v.get("dims") {
            Some(Value::Array(items)) => items.iter().map(scalar_text).collect(),
            _ => Vec::new(),
        };
        if names.is_empty() {
            let msg = "vector_distance requires at least one embedding dim field";
            self.err(ErrorCode::MissingRequiredField, msg, at, "vector_distance");
            return None;
        }
        if names.iter().any(Option::is_none) {
            let msg = "'dims' must be a list of field names";
            self.err(ErrorCode::YamlSyntaxError, msg, at, "vector_distance.dims");
            return None;
        }
        let dims = names.into_iter().flatten().map(|n| {
            self.check_type(&n, mode, "vector dims", NUMERIC, at);
            (self.field(&n, mode), self.num_kind(&n, mode))
        });
        Some(dims.collect())
    }

    /// `reference`: a list of numbers, read as float32 (absent = empty).
    fn reference(&mut self, v: &Map<String, Value>, at: &At<'_>) -> Option<Box<[f32]>> {
        let Some(r) = v.get("reference") else {
            return Some(Box::default());
        };
        let nums: Option<Box<[f32]>> = r
            .as_array()
            .and_then(|a| a.iter().map(|x| as_f64(x).map(|f| f as f32)).collect());
        if nums.is_none() {
            let msg = "'reference' must be a list of numbers";
            self.err(
                ErrorCode::YamlSyntaxError,
                msg,
                at,
                "vector_distance.reference",
            );
        }
        nums
    }
}
