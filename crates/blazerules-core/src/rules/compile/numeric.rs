//! Operators on one field's number or member list: comparisons (numeric, or categorical
//! eq/neq), ranges, sets, flags and IPv4 subnets (§2.3, §2.4, §2.9, §2.10).

use super::leaf::On;
use super::values::parse_mask;
use super::{Compiler, FieldRef, StrSet, Test, CATEGORICAL, NUMERIC};
use crate::error::ErrorCode;
use crate::rules::load::HintType;
use crate::rules::lookup::parse_cidr;
use crate::rules::op::{Cmp, FlagMode, SetMode};
use crate::rules::scalar::{as_f64, scalar_text};
use serde_json::Value;

impl Compiler<'_> {
    /// §2.1 classes 10/11: numeric when the value is a number, else categorical eq/neq.
    pub(super) fn compare(&mut self, on: &On<'_, '_, '_>, f: FieldRef, cmp: Cmp) -> Option<Test> {
        let kind = self.num_kind(&on.name, on.mode);
        let (v, key) = self.value_of(on.m, on.at)?;
        if let Some(t) = as_f64(v) {
            self.check(on, "numeric operators", NUMERIC);
            return Some(Test::Num { f, cmp, t, kind });
        }
        // eq/neq on text: a mapping can never match, so it is refused rather than loaded.
        if matches!(cmp, Cmp::Eq | Cmp::Ne) && v.is_object() {
            let msg = format!("'{key}' must be a number, a string or a list");
            self.err(ErrorCode::YamlSyntaxError, msg, on.at, key);
            return None;
        }
        if matches!(cmp, Cmp::Eq | Cmp::Ne) {
            let items = match v {
                Value::Array(a) => a.iter().filter_map(scalar_text).collect(),
                other => scalar_text(other).into_iter().collect(),
            };
            self.check(on, "categorical equality", CATEGORICAL);
            let mode = if cmp == Cmp::Eq {
                SetMode::Any
            } else {
                SetMode::NoneOf
            };
            return Some(Test::Set {
                f,
                set: StrSet::new(items),
                mode,
            });
        }
        self.err(
            ErrorCode::YamlSyntaxError,
            format!("'{key}' must be a number"),
            on.at,
            key,
        );
        None
    }

    /// `between_*`: a range with a two-element list, else `gt` (a BlazeRules quirk).
    pub(super) fn range(
        &mut self,
        on: &On<'_, '_, '_>,
        f: FieldRef,
        inclusive: bool,
    ) -> Option<Test> {
        let kind = self.num_kind(&on.name, on.mode);
        let (v, key) = self.value_of(on.m, on.at)?;
        if let Some(a) = v.as_array().filter(|a| a.len() == 2) {
            self.check(on, "numeric operators", NUMERIC);
            let (Some(lo), Some(hi)) = (as_f64(&a[0]), as_f64(&a[1])) else {
                self.err(
                    ErrorCode::YamlSyntaxError,
                    format!("'{key}' must be [lo, hi] numbers"),
                    on.at,
                    key,
                );
                return None;
            };
            return Some(Test::Range {
                f,
                lo,
                hi,
                inclusive,
                kind,
            });
        }
        let t = self.number(v, on.at, key)?;
        Some(Test::Num {
            f,
            cmp: Cmp::Gt,
            t,
            kind,
        })
    }

    pub(super) fn set(&mut self, on: &On<'_, '_, '_>, f: FieldRef, mode: SetMode) -> Option<Test> {
        self.check(on, "set operators", CATEGORICAL);
        let (v, key) = self.value_of(on.m, on.at)?;
        let items = match v {
            Value::Array(a) => a.iter().filter_map(scalar_text).collect(),
            // A scalar `values:` would never match: refused (issue 13).
            _ if key == "values" => {
                let msg = "'values' must be a list";
                self.err(ErrorCode::YamlSyntaxError, msg, on.at, key);
                return None;
            }
            _ => Vec::new(), // a scalar `value:` is an empty list (§2.1)
        };
        Some(Test::Set {
            f,
            set: StrSet::new(items),
            mode,
        })
    }

    /// The mask comes from `mask`, else `values` / `value`.
    pub(super) fn flags(
        &mut self,
        on: &On<'_, '_, '_>,
        f: FieldRef,
        mode: FlagMode,
    ) -> Option<Test> {
        self.check(on, "flag operators", NUMERIC);
        let (v, key) = match on.m.get("mask") {
            Some(v) => (v, "mask"),
            None => self.value_of(on.m, on.at)?,
        };
        let Some(mask) = parse_mask(v) else {
            self.err(
                ErrorCode::YamlSyntaxError,
                format!("'{key}' must be a decimal or 0x hex mask"),
                on.at,
                key,
            );
            return None;
        };
        Some(Test::Flags { f, mode, mask })
    }

    pub(super) fn ip(&mut self, on: &On<'_, '_, '_>, f: FieldRef, negate: bool) -> Option<Test> {
        use HintType::*;
        self.check(on, "ip operators", &[Str, I32, I64]);
        let (c, _) = self.text_value(on.m, on.at, "a CIDR string")?;
        let (net, mask) = parse_cidr(&c);
        Some(Test::Ip {
            f,
            net,
            mask,
            negate,
        })
    }
}
