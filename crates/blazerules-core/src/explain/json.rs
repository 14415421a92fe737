//! Explanations as JSON with the names of service.md §2 (`ruleSetVersion`, `scoreContribution`,
//! …), and record values as JSON.

use super::{ConditionTrace, Explanation, RuleTrace};
use crate::value::{elements, members, V};
use serde_json::{json, Map, Number, Value};
use simd_json::{Node, StaticNode};

/// A record's value as JSON, as `JSON.parse` reads it (a number beyond the double range,
/// which reads as ±infinity, is null here as JSON.stringify writes it).
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

impl ConditionTrace {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("kind".into(), json!(self.kind.as_str()));
        m.insert("result".into(), json!(self.result));
        let mut opt = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        };
        opt("op", self.op.clone().map(Value::String));
        opt("field", self.field.clone().map(Value::String));
        opt("actual", self.actual.clone());
        opt("expected", self.expected.clone());
        opt("computed", self.computed.clone().map(Value::String));
        opt("element", self.element.map(|i| json!(i)));
        m.insert("path".into(), json!(self.path));
        if !self.children.is_empty() || self.kind != super::Kind::Leaf {
            let kids = self.children.iter().map(ConditionTrace::to_json).collect();
            m.insert("children".into(), Value::Array(kids));
        }
        Value::Object(m)
    }
}

impl RuleTrace {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "matched": self.matched,
            "shadow": self.shadow,
            "action": self.action,
            "label": self.label,
            "scoreContribution": self.score_contribution,
            "condition": self.condition.to_json(),
        })
    }
}

impl Explanation {
    /// The explanation as service.md §2's `Explanation`.
    pub fn to_json(&self) -> Value {
        json!({
            "decision": self.decision,
            "score": self.score,
            "riskBand": self.risk_band,
            "winningRuleId": self.winning_rule_id,
            "ruleSetVersion": self.rule_set_version,
            "winner": self.winner.as_ref().map(|w| json!({ "ruleId": w.rule_id, "why": w.why })),
            "rules": self.rules.iter().map(RuleTrace::to_json).collect::<Vec<_>>(),
        })
    }
}
