//! Temporal operators on epoch-millisecond fields (§2.11).

use super::leaf::On;
use super::{Compiler, FieldRef, Test, INTS};
use crate::error::ErrorCode;
use crate::rules::op::TimeOp;
use crate::rules::scalar::{as_f64, as_i64};
use serde_json::Value;

impl Compiler<'_> {
    /// `day_of_week_in`: a list of days, 0 = Sunday; days outside 0..=6 never match.
    pub(super) fn day_of_week(&mut self, on: &On<'_, '_, '_>, f: FieldRef) -> Option<Test> {
        self.check(on, "temporal operators", INTS);
        let (v, key) = self.value_of(on.m, on.at)?;
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
                        on.at,
                        key,
                    );
                    return None;
                }
            }
        }
        Some(Test::DayOfWeek { f, mask })
    }

    /// `time_of_day_between [lo, hi]` in hours.
    pub(super) fn time_of_day(&mut self, on: &On<'_, '_, '_>, f: FieldRef) -> Option<Test> {
        self.check(on, "temporal operators", INTS);
        let (v, key) = self.value_of(on.m, on.at)?;
        let pair = v
            .as_array()
            .filter(|a| a.len() == 2)
            .and_then(|a| Some((as_f64(&a[0])?, as_f64(&a[1])?)));
        let Some((lo, hi)) = pair else {
            self.err(
                ErrorCode::YamlSyntaxError,
                format!("'{key}' must be [lo, hi] hours"),
                on.at,
                key,
            );
            return None;
        };
        Some(Test::TimeOfDay { f, lo, hi })
    }

    /// `before` / `after` an instant, `within_last` seconds.
    pub(super) fn instant(&mut self, on: &On<'_, '_, '_>, f: FieldRef, op: TimeOp) -> Option<Test> {
        self.check(on, "temporal operators", INTS);
        let (v, key) = self.value_of(on.m, on.at)?;
        let t = self.integer(v, on.at, key)?;
        Some(match op {
            TimeOp::Before => Test::Before { f, t },
            TimeOp::After => Test::After { f, t },
            TimeOp::WithinLast => Test::WithinLast { f, secs: t },
        })
    }
}
