//! Explanations as JSON with the names of service.md §2 (`ruleSetVersion`, `scoreContribution`,
//! …), written straight to text (no intermediate tree of values), and record values as JSON.

use super::{ConditionTrace, Explanation, Kind, RuleTrace, Winner};
use crate::value::{elements, members, V};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Number, Value};
use simd_json::{Node, StaticNode};

/// A record's value as JSON, as `JSON.parse` reads it (a number beyond the double range,
/// which reads as ±infinity, is null here as JSON.stringify writes it). An object's members
/// come out in key order.
pub(crate) fn value_json(v: V<'_, '_>) -> Value {
    match v.first() {
        Some(Node::String(s)) => Value::String((*s).to_string()),
        Some(Node::Static(s)) => match s {
            StaticNode::I64(i) => Value::Number((*i).into()),
            StaticNode::U64(u) => Value::Number((*u).into()),
            StaticNode::F64(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            StaticNode::Bool(b) => Value::Bool(*b),
            StaticNode::Null => Value::Null,
        },
        Some(Node::Array { .. }) => Value::Array(elements(v).map(value_json).collect()),
        Some(Node::Object { .. }) => {
            // Repeated keys: the last wins, as JSON.parse.
            let mut m = Map::new();
            for (k, x) in members(v) {
                m.insert(k.to_string(), value_json(x));
            }
            Value::Object(m)
        }
        None => Value::Null,
    }
}

impl Serialize for ConditionTrace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.kind.as_str())?;
        m.serialize_entry("result", &self.result)?;
        if let Some(op) = &self.op {
            m.serialize_entry("op", op)?;
        }
        if let Some(f) = &self.field {
            m.serialize_entry("field", f)?;
        }
        if let Some(a) = &self.actual {
            m.serialize_entry("actual", a)?;
        }
        if let Some(e) = &self.expected {
            m.serialize_entry("expected", e)?;
        }
        if let Some(c) = &self.computed {
            m.serialize_entry("computed", c)?;
        }
        if let Some(i) = self.element {
            m.serialize_entry("element", &i)?;
        }
        m.serialize_entry("path", &self.path)?;
        if !self.children.is_empty() || self.kind != Kind::Leaf {
            m.serialize_entry("children", &self.children)?;
        }
        m.end()
    }
}

impl Serialize for RuleTrace {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("matched", &self.matched)?;
        m.serialize_entry("shadow", &self.shadow)?;
        m.serialize_entry("action", &self.action)?;
        m.serialize_entry("label", &self.label)?;
        m.serialize_entry("scoreContribution", &self.score_contribution)?;
        m.serialize_entry("condition", &self.condition)?;
        m.end()
    }
}

impl Serialize for Winner {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("ruleId", &self.rule_id)?;
        m.serialize_entry("why", &self.why)?;
        m.end()
    }
}

impl Serialize for Explanation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("decision", &self.decision)?;
        m.serialize_entry("score", &self.score)?;
        m.serialize_entry("riskBand", self.risk_band)?;
        m.serialize_entry("winningRuleId", &self.winning_rule_id)?;
        m.serialize_entry("ruleSetVersion", &self.rule_set_version)?;
        m.serialize_entry("winner", &self.winner)?;
        m.serialize_entry("rules", &self.rules)?;
        m.end()
    }
}

impl Explanation {
    /// The explanation as service.md §2's `Explanation`, as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
