//! The outcome for one record (`RuleEngine.evaluate`): plain values, no typed arrays.

use blazerules_core::result::{RISK_HIGH, RISK_LOW, RISK_MEDIUM};
use blazerules_core::BatchResult;
use napi_derive::napi;

/// The outcome for one record.
#[napi(object)]
pub struct NativeDecision {
    /// False if the record could not be read (then `error_code` / `error_message` say why).
    pub ok: bool,
    pub decision_code: i32,
    pub score: f64,
    pub risk_band: u32,
    /// Winning rule index, or -1.
    pub winner: i32,
    pub matched: bool,
    /// Indices (into `ruleIds`) of every rule that matched, shadow rules included.
    pub matched_rules: Vec<u32>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub ruleset_version: String,
}

/// `default_label` gives the risk band of a record no rule could match (a rule set without
/// rules returns no per-record entries: rules-reference §4.3).
pub fn to_native_decision(r: BatchResult, default_label: &str) -> NativeDecision {
    let default_band = match default_label {
        "BLOCK" => RISK_HIGH,
        "REVIEW" => RISK_MEDIUM,
        _ => RISK_LOW,
    };
    let matched_rules = r
        .rule_hits
        .iter()
        .enumerate()
        .filter(|(_, hits)| !hits.is_empty())
        .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    let sample = r.error_samples.first();
    NativeDecision {
        ok: !r.decision_codes.is_empty() || r.messages_skipped == 0,
        decision_code: r.decision_codes.first().copied().unwrap_or(0),
        score: r.scores.first().copied().unwrap_or(0.0),
        risk_band: u32::from(r.risk_bands.first().copied().unwrap_or(default_band)),
        winner: r.winners.first().copied().unwrap_or(-1),
        matched: r.matched.first().copied().unwrap_or(0) != 0,
        matched_rules,
        error_code: sample.map(|s| s.code.to_string()),
        error_message: sample.map(|s| s.message.clone()),
        ruleset_version: r.ruleset_version,
    }
}
