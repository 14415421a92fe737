//! `window` conditions (rules-reference §2.16) → a [`Test::Window`] leaf over one channel of
//! the rule set's [`Windows`]: the entity field, the function, its value fields, the duration
//! and (our addition, choices.md) the event-time field. Identical windows share a channel.
//!
//! Keys as BlazeRules reads them: `entity_field` and `duration_seconds` are required,
//! `function` defaults to count (an unknown name too), the value field is `sum_field`, else
//! `value_field`, else `numerator_field`; `op` and `value` sit inside `window` or beside it
//! (inside wins). A value compares as BlazeRules compares it (`plan/derived.rs`). Deliberately
//! different: a non-positive
//! duration, an operator that is not a comparison, and a window inside `array_any` are load
//! errors (BlazeRules crashes, reads them as `gt`, or never matches).

use super::{At, Compiler, Cond, FieldRef, Mode, NumKind, Test, NUMERIC};
use crate::error::ErrorCode;
use crate::rules::op::{Cmp, Family, Op};
use crate::rules::scalar::{as_f64, as_i64, scalar_text};
use serde_json::{Map, Value};

/// A window's aggregate (§2.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum WinFn {
    Count,
    Sum,
    Avg,
    Ratio,
    Min,
    Max,
}

impl WinFn {
    /// BlazeRules' reading of `function`: any other name is count.
    fn parse(name: &str) -> WinFn {
        match name.to_ascii_lowercase().as_str() {
            "sum" => WinFn::Sum,
            "avg" => WinFn::Avg,
            "ratio" => WinFn::Ratio,
            "min" => WinFn::Min,
            "max" => WinFn::Max,
            _ => WinFn::Count,
        }
    }

    /// Whether the window keeps running totals (min and max reduce their buckets instead).
    pub fn additive(self) -> bool {
        !matches!(self, WinFn::Min | WinFn::Max)
    }
}

/// What a window or vector value is compared with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Threshold {
    Cmp(Cmp, f64),
    /// `between_*` with `[lo, hi]`; `outside` under `not` (a present value outside the range).
    Range {
        lo: f64,
        hi: f64,
        inclusive: bool,
        outside: bool,
    },
}

/// One window of the rule set: the state kept per entity.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    /// Index into [`Windows::entities`].
    pub entity: u32,
    pub func: WinFn,
    /// Index into [`Windows::values`]: what sum/avg/min/max add, ratio's numerator.
    pub value: Option<u32>,
    /// Ratio's denominator.
    pub denominator: Option<u32>,
    /// Index into [`Windows::times`]: the record's event time (epoch ms); None = processing time.
    pub time: Option<u32>,
    pub duration_s: i64,
    /// The definition as text: state survives a rules reload for an unchanged definition.
    pub key: String,
}

/// Every window of a rule set, with the fields they read (each listed once).
#[derive(Debug, Clone, Default)]
pub(crate) struct Windows {
    pub entities: Vec<FieldRef>,
    pub values: Vec<(FieldRef, NumKind)>,
    pub times: Vec<FieldRef>,
    pub channels: Vec<Channel>,
}

impl Windows {
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }
}

/// The index of `f` in `list`, added if new.
fn index_of<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T) -> bool) -> u32 {
    match list.iter().position(same) {
        Some(i) => i as u32,
        None => {
            list.push(item);
            (list.len() - 1) as u32
        }
    }
}

/// A condition computed from a record (`window`, `vector_distance`): its mapping, and the
/// mapping it sits in, where `op` and `value` may be instead.
pub(super) struct Derived<'m> {
    pub name: &'static str,
    pub w: &'m Map<String, Value>,
    pub outer: &'m Map<String, Value>,
}

impl<'m> Derived<'m> {
    pub fn text(&self, key: &str) -> Option<String> {
        self.w.get(key).and_then(scalar_text)
    }

    /// `key` inside the condition's mapping, else beside it, with the path it was found at.
    fn either(&self, key: &'static str) -> Option<(&'m Value, String)> {
        match self.w.get(key) {
            Some(v) => Some((v, format!("{}.{key}", self.name))),
            None => self.outer.get(key).map(|v| (v, key.to_string())),
        }
    }
}

impl Compiler<'_> {
    /// A `window` condition (`negate`: under `not`, which flips its operator, §2.18).
    pub(super) fn window(
        &mut self,
        outer: &Map<String, Value>,
        at: &At<'_>,
        negate: bool,
        mode: Mode,
    ) -> Cond {
        if mode == Mode::Elem {
            let msg = "a window cannot be used inside array_any (its state is per record)";
            self.err(ErrorCode::Unsupported, msg, at, "window");
            return Cond::Const(false);
        }
        let Some(keys) = self.derived(outer, "window", at) else {
            return Cond::Const(false);
        };
        let channel = self.channel(&keys, at);
        let test = self.derived_threshold(&keys, None, true, at, negate);
        match (channel, test) {
            (Some((ch, count)), Some(test)) => {
                Cond::Leaf(Box::new(Test::Window { ch, count, test }))
            }
            _ => Cond::Const(false),
        }
    }

    /// The mapping of condition `name`, or a YAML_SYNTAX_ERROR.
    pub(super) fn derived<'m>(
        &mut self,
        outer: &'m Map<String, Value>,
        name: &'static str,
        at: &At<'_>,
    ) -> Option<Derived<'m>> {
        match outer.get(name).and_then(Value::as_object) {
            Some(w) => Some(Derived { name, w, outer }),
            None => {
                let msg = format!("'{name}' must be a mapping");
                self.err(ErrorCode::YamlSyntaxError, msg, at, name);
                None
            }
        }
    }

    /// The window's channel (shared with identical windows) and whether it counts.
    fn channel(&mut self, k: &Derived<'_>, at: &At<'_>) -> Option<(u32, bool)> {
        let entity_name = self.required_text(k, "entity_field", at);
        let func = WinFn::parse(&k.text("function").unwrap_or_default());
        let duration_s = self.duration(k, at);
        let value_name = ["sum_field", "value_field", "numerator_field"]
            .iter()
            .find_map(|key| k.text(key));
        let den_name = k.text("denominator_field");
        let time_name = k.text("time_field");
        self.check_value_fields(func, value_name.is_some(), den_name.is_some(), at);
        let (entity_name, duration_s) = (entity_name?, duration_s?);
        // As BlazeRules: count reads no value field, only ratio a denominator.
        let value_name = value_name.filter(|_| func != WinFn::Count);
        let den_name = den_name.filter(|_| func == WinFn::Ratio);
        let key = format!(
            "{entity_name:?} {func:?} {value_name:?} {den_name:?} {duration_s} {time_name:?}"
        );
        if let Some(i) = self.windows.channels.iter().position(|c| c.key == key) {
            return Some((i as u32, func == WinFn::Count));
        }
        let entity = self.field(&entity_name, Mode::Main);
        let ents = &mut self.windows.entities;
        let entity = index_of(ents, entity, |f| *f.name == *entity_name);
        let value = value_name.map(|n| self.value_field(&n, "window value fields", at));
        let denominator = den_name.map(|n| self.value_field(&n, "window value fields", at));
        let time = time_name.map(|n| {
            let f = self.field(&n, Mode::Main);
            index_of(&mut self.windows.times, f, |t| *t.name == *n)
        });
        self.windows.channels.push(Channel {
            entity,
            func,
            value,
            denominator,
            time,
            duration_s,
            key,
        });
        Some((
            (self.windows.channels.len() - 1) as u32,
            func == WinFn::Count,
        ))
    }

    fn required_text(&mut self, k: &Derived<'_>, key: &str, at: &At<'_>) -> Option<String> {
        let t = k.text(key);
        if t.is_none() {
            let msg = format!("missing required key '{key}'");
            self.err(ErrorCode::YamlSyntaxError, msg, at, "window");
        }
        t
    }

    /// `duration_seconds`: a positive integer (BlazeRules divides by it).
    fn duration(&mut self, k: &Derived<'_>, at: &At<'_>) -> Option<i64> {
        let Some(v) = k.w.get("duration_seconds") else {
            let msg = "missing required key 'duration_seconds'";
            self.err(ErrorCode::YamlSyntaxError, msg, at, "window");
            return None;
        };
        let d = as_i64(v).filter(|d| (1..=i64::from(i32::MAX)).contains(d));
        if d.is_none() {
            let msg = "'duration_seconds' must be a positive integer of seconds";
            self.err(
                ErrorCode::YamlSyntaxError,
                msg,
                at,
                "window.duration_seconds",
            );
        }
        d
    }

    /// The value fields each function needs (BlazeRules' messages).
    fn check_value_fields(&mut self, func: WinFn, value: bool, den: bool, at: &At<'_>) {
        let msg = match func {
            WinFn::Avg if !value => "avg window requires sum_field",
            WinFn::Min | WinFn::Max if !value => {
                "min/max window requires a value field (sum_field/value_field)"
            }
            WinFn::Ratio if !value || !den => {
                "ratio window requires numerator_field/sum_field and denominator_field"
            }
            _ => return,
        };
        self.err(ErrorCode::MissingRequiredField, msg, at, "window");
    }

    /// A numeric field a window adds up, with how its hint reads it.
    fn value_field(&mut self, name: &str, family: &str, at: &At<'_>) -> u32 {
        self.check_type(name, Mode::Main, family, NUMERIC, at);
        let kind = self.num_kind(name, Mode::Main);
        let f = self.field(name, Mode::Main);
        index_of(&mut self.windows.values, (f, kind), |(v, _)| {
            *v.name == *name
        })
    }

    /// `op` (required, or `default_op`) and `value`, inside the condition's mapping or beside
    /// it; flipped under `not`. `scalar_range_is_gt`: a `between_*` with a scalar is gt
    /// (windows) rather than an error (vectors).
    pub(super) fn derived_threshold(
        &mut self,
        d: &Derived<'_>,
        default_op: Option<&str>,
        scalar_range_is_gt: bool,
        at: &At<'_>,
        negate: bool,
    ) -> Option<Threshold> {
        let (op_raw, op_path) = match (d.either("op"), default_op) {
            (Some((v, path)), _) => (scalar_text(v).unwrap_or_default(), path),
            (None, Some(op)) => (op.to_string(), "op".to_string()),
            (None, None) => {
                let msg = "missing required key 'op'";
                self.err(ErrorCode::YamlSyntaxError, msg, at, d.name);
                return None;
            }
        };
        let Some(op) = Op::parse(&op_raw) else {
            let msg = format!("unknown operator: '{op_raw}'");
            self.err(ErrorCode::UnknownOp, msg, at, &op_path);
            return None;
        };
        let Some((v, v_path)) = d.either("value") else {
            let msg = "missing required key 'value'";
            self.err(ErrorCode::YamlSyntaxError, msg, at, d.name);
            return None;
        };
        let on = Named {
            what: if d.name == "window" {
                "a window value"
            } else {
                "a vector distance"
            },
            op_path: &op_path,
            v_path: &v_path,
            scalar_range_is_gt,
        };
        self.threshold(op, &op_raw, v, &on, at, negate)
    }

    /// A comparison of a computed value (window, vector) with `v`: gt…neq, or `between_*`
    /// with `[lo, hi]` (a scalar acts as gt, as for fields, §2.1). `negate` flips it.
    fn threshold(
        &mut self,
        op: Op,
        op_raw: &str,
        v: &Value,
        on: &Named<'_>,
        at: &At<'_>,
        negate: bool,
    ) -> Option<Threshold> {
        let range = match op.family() {
            Family::Compare(_) => None,
            Family::Range { inclusive } if v.is_array() || !on.scalar_range_is_gt => {
                Some((v.as_array(), inclusive))
            }
            Family::Range { .. } => None,
            _ => {
                let msg = format!(
                    "operator '{op_raw}' does not apply to {} (use gt, gte, lt, lte, eq, neq or between_*)",
                    on.what
                );
                self.err(ErrorCode::UnknownOp, msg, at, on.op_path);
                return None;
            }
        };
        if let Some((items, inclusive)) = range {
            let bounds: Vec<f64> = items.into_iter().flatten().filter_map(as_f64).collect();
            if items.map_or(0, Vec::len) != 2 || bounds.len() != 2 {
                let msg = format!("'{}' must be [lo, hi] numbers", on.v_path);
                self.err(ErrorCode::YamlSyntaxError, msg, at, on.v_path);
                return None;
            }
            return Some(Threshold::Range {
                lo: bounds[0],
                hi: bounds[1],
                inclusive,
                outside: negate,
            });
        }
        let Some(t) = as_f64(v) else {
            let msg = format!("'{}' must be a number", on.v_path);
            self.err(ErrorCode::YamlSyntaxError, msg, at, on.v_path);
            return None;
        };
        // A scalar between_* is gt (§2.1 item 11); `not` flips the comparison (§2.18).
        let op = if op.comparison().is_some() {
            op
        } else {
            Op::Gt
        };
        let op = if negate {
            op.negated().unwrap_or(op)
        } else {
            op
        };
        Some(Threshold::Cmp(op.comparison().unwrap_or(Cmp::Gt), t))
    }
}

/// Where a computed value's `op` and `value` were found, and what it is (for messages).
struct Named<'a> {
    pub what: &'a str,
    pub op_path: &'a str,
    pub v_path: &'a str,
    /// `between_*` with a scalar acts as gt (windows, as fields); else it is an error.
    pub scalar_range_is_gt: bool,
}
