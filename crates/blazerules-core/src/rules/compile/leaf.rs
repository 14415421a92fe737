//! A leaf → its `Test`: one match on the operator's family (rules-reference §2.1), in the
//! order BlazeRules classifies leaves: null class, `expr`, cross-field, geo, then the
//! operators on one `field` (their families in `numeric`, `text` and `temporal`).

use super::{At, Compiler, FieldRef, Mode, Rhs, Test};
use crate::rules::load::HintType;
use crate::rules::op::{Cmp, Family, NullOp, Op};
use crate::rules::scalar::scalar_text;
use serde_json::{Map, Value};

/// A leaf on one record field (`field`), being compiled.
pub(super) struct On<'m, 'a, 'p> {
    pub m: &'m Map<String, Value>,
    pub at: &'a At<'p>,
    pub mode: Mode,
    /// The field's name, for its hinted type.
    pub name: String,
}

impl Compiler<'_> {
    pub(super) fn test(
        &mut self,
        m: &Map<String, Value>,
        op: Op,
        op_raw: &str,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<Test> {
        let expr = m.get("expr").filter(|e| e.is_object());
        match op.family() {
            Family::Null(n) => self.null_test(m, n, at, mode),
            _ if expr.is_some() => self.arithmetic(m, expr?, op, op_raw, at, mode),
            Family::Cross(_) => self.cross(m, op, op_raw, at, mode),
            _ if m.contains_key("other_field") => self.cross(m, op, op_raw, at, mode),
            Family::Distance { gt } => self.distance(m, gt, at, mode),
            // Checked before the field: a geo leaf has no `field`.
            _ if m.contains_key("lat_field") => {
                self.unknown_op(op_raw, at);
                None
            }
            Family::Flags(fm) => self.with_field(m, at, mode, |c, on, f| c.flags(on, f, fm)),
            Family::Str(s) => self.with_field(m, at, mode, |c, on, f| c.string(on, f, s)),
            Family::Length(cmp) => self.with_field(m, at, mode, |c, on, f| c.length(on, f, cmp)),
            Family::Regex { negate } => {
                self.with_field(m, at, mode, |c, on, f| c.regex(on, f, negate))
            }
            Family::Lookup { negate } => {
                self.with_field(m, at, mode, |c, on, f| c.lookup(on, f, negate))
            }
            Family::ArrayLen(cmp) => {
                self.with_field(m, at, mode, |c, on, f| c.array_len(on, f, cmp))
            }
            Family::Ip { negate } => self.with_field(m, at, mode, |c, on, f| c.ip(on, f, negate)),
            Family::DayOfWeek => self.with_field(m, at, mode, Self::day_of_week),
            Family::TimeOfDay => self.with_field(m, at, mode, Self::time_of_day),
            Family::Time(t) => self.with_field(m, at, mode, |c, on, f| c.instant(on, f, t)),
            Family::Range { inclusive } => {
                self.with_field(m, at, mode, |c, on, f| c.range(on, f, inclusive))
            }
            Family::Set(sm) => self.with_field(m, at, mode, |c, on, f| c.set(on, f, sm)),
            Family::Compare(cmp) => self.with_field(m, at, mode, |c, on, f| c.compare(on, f, cmp)),
        }
    }

    /// Reads the leaf's `field`, then compiles the rest with `then`.
    fn with_field(
        &mut self,
        m: &Map<String, Value>,
        at: &At<'_>,
        mode: Mode,
        then: impl FnOnce(&mut Self, &On<'_, '_, '_>, FieldRef) -> Option<Test>,
    ) -> Option<Test> {
        let name = m.get("field").and_then(scalar_text);
        let f = self.field_of(m, "field", at, mode)?;
        let on = On {
            m,
            at,
            mode,
            name: name.unwrap_or_default(),
        };
        then(self, &on, f)
    }

    /// Checks the field's hinted type against what the operator family needs.
    pub(super) fn check(&mut self, on: &On<'_, '_, '_>, family: &str, allowed: &[HintType]) {
        self.check_type(&on.name, on.mode, family, allowed, on.at);
    }

    fn null_test(
        &mut self,
        m: &Map<String, Value>,
        n: NullOp,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<Test> {
        let f = self.field_of(m, "field", at, mode)?;
        Some(match n {
            NullOp::Null => Test::IsNull(f),
            NullOp::NotNull => Test::IsNotNull(f),
            NullOp::Empty => Test::IsEmpty(f),
            NullOp::NotEmpty => Test::IsNotEmpty(f),
        })
    }

    /// §2.14: `expr` compared with `value` or `other_field`.
    fn arithmetic(
        &mut self,
        m: &Map<String, Value>,
        e: &Value,
        op: Op,
        op_raw: &str,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<Test> {
        let Some(cmp) = op.comparison() else {
            self.unknown_op(op_raw, at);
            return None;
        };
        let e = self.expr(e, at, mode, 0)?;
        let rhs = if let Some(o) = m.get("other_field").and_then(scalar_text) {
            Rhs::Field(self.field(&o, mode))
        } else {
            let (v, key) = self.value_of(m, at)?;
            Rhs::Value(self.number(v, at, key)?)
        };
        Some(Test::Expr { e, cmp, rhs })
    }

    /// §2.6: `field` against `other_field`.
    fn cross(
        &mut self,
        m: &Map<String, Value>,
        op: Op,
        op_raw: &str,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<Test> {
        let Some(cmp) = op.comparison() else {
            self.unknown_op(op_raw, at);
            return None;
        };
        let a = self.field_of(m, "field", at, mode)?;
        let b = self.field_of(m, "other_field", at, mode)?;
        Some(match cmp {
            Cmp::Eq => Test::CrossEq {
                a,
                b,
                negate: false,
            },
            Cmp::Ne => Test::CrossEq { a, b, negate: true },
            _ => Test::CrossNum { a, b, cmp },
        })
    }

    /// §2.12.
    fn distance(
        &mut self,
        m: &Map<String, Value>,
        gt: bool,
        at: &At<'_>,
        mode: Mode,
    ) -> Option<Test> {
        let lat = self.field_of(m, "lat_field", at, mode)?;
        let lon = self.field_of(m, "lon_field", at, mode)?;
        let olat = self.field_of(m, "other_lat_field", at, mode)?;
        let olon = self.field_of(m, "other_lon_field", at, mode)?;
        let (v, key) = self.value_of(m, at)?;
        let km = self.number(v, at, key)?;
        Some(Test::Distance {
            lat,
            lon,
            olat,
            olon,
            gt,
            km,
        })
    }
}
