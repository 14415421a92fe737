//! Output record formats (values end with `\n`; see docs/kafka.md, "runStream").

use std::fmt::Write as _;

use blazerules_core::result::RISK_BAND_NAMES;
use blazerules_core::BatchResult;

/// Appends `s` as a JSON string literal.
pub fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// What one evaluated record decided, with names resolved.
pub struct Decided<'a> {
    pub matched: bool,
    pub decision: &'a str,
    pub score: f64,
    pub risk_band: &'a str,
    pub winning_rule_id: &'a str,
}

/// Resolves record `k` of `r` against the rule set's labels and rule ids.
pub fn decided<'a>(
    r: &BatchResult,
    k: usize,
    labels: &'a [String],
    rule_ids: &'a [String],
) -> Decided<'a> {
    let code = r.decision_codes.get(k).copied().unwrap_or(0);
    let decision = usize::try_from(code)
        .ok()
        .and_then(|c| labels.get(c))
        .or_else(|| labels.first())
        .map_or("APPROVE", String::as_str);
    let band = r.risk_bands.get(k).copied().unwrap_or(0) as usize;
    let winner = r.winners.get(k).copied().unwrap_or(-1);
    Decided {
        matched: r.matched.get(k).copied().unwrap_or(0) != 0,
        decision,
        score: r.scores.get(k).copied().unwrap_or(0.0),
        risk_band: RISK_BAND_NAMES.get(band).copied().unwrap_or("LOW"),
        winning_rule_id: usize::try_from(winner)
            .ok()
            .and_then(|w| rule_ids.get(w))
            .map_or("", String::as_str),
    }
}

fn score(out: &mut String, s: f64) {
    if s.is_finite() {
        let _ = write!(out, "{s:.6}");
    } else {
        out.push_str("0.000000");
    }
}

/// `rows`: `{"batch_row","matched","decision","score","risk_band","winning_rule_id","ruleset_version"}`
/// as BlazeRules writes it (score with six decimals; empty winner / version omitted).
pub fn row_line(batch_row: usize, d: &Decided<'_>, version: &str) -> Vec<u8> {
    let mut out = String::with_capacity(160);
    let _ = write!(out, "{{\"batch_row\":{batch_row},\"matched\":{}", d.matched);
    decision_fields(&mut out, d);
    tail(&mut out, d.winning_rule_id, version);
    out.into_bytes()
}

/// `,"decision":…,"score":…,"risk_band":…`, common to both formats.
fn decision_fields(out: &mut String, d: &Decided<'_>) {
    out.push_str(",\"decision\":");
    json_str(out, d.decision);
    out.push_str(",\"score\":");
    score(out, d.score);
    out.push_str(",\"risk_band\":");
    json_str(out, d.risk_band);
}

fn tail(out: &mut String, winner: &str, version: &str) {
    if !winner.is_empty() {
        out.push_str(",\"winning_rule_id\":");
        json_str(out, winner);
    }
    if !version.is_empty() {
        out.push_str(",\"ruleset_version\":");
        json_str(out, version);
    }
    out.push_str("}\n");
}

/// `enriched`: `{"source_topic","partition","offset","decision","score","risk_band","winning_rule_id","ruleset_version"}`.
/// Every key is always present (`winning_rule_id` is "" when nothing matched).
pub fn enriched_line(
    topic: &str,
    partition: i32,
    offset: i64,
    d: &Decided<'_>,
    version: &str,
) -> Vec<u8> {
    let mut out = String::with_capacity(200);
    out.push_str("{\"source_topic\":");
    json_str(&mut out, topic);
    let _ = write!(out, ",\"partition\":{partition},\"offset\":{offset}");
    decision_fields(&mut out, d);
    out.push_str(",\"winning_rule_id\":");
    json_str(&mut out, d.winning_rule_id);
    out.push_str(",\"ruleset_version\":");
    json_str(&mut out, version);
    out.push_str("}\n");
    out.into_bytes()
}

/// `grouped`: `{"decision","count","batch_records","ruleset_version"}` (version omitted when empty).
pub fn grouped_line(decision: &str, count: u64, batch_records: u64, version: &str) -> Vec<u8> {
    let mut out = String::with_capacity(120);
    out.push_str("{\"decision\":");
    json_str(&mut out, decision);
    let _ = write!(out, ",\"count\":{count},\"batch_records\":{batch_records}");
    if !version.is_empty() {
        out.push_str(",\"ruleset_version\":");
        json_str(&mut out, version);
    }
    out.push_str("}\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d<'a>(winner: &'a str) -> Decided<'a> {
        Decided {
            matched: !winner.is_empty(),
            decision: "BLOCK",
            score: 30.0,
            risk_band: "HIGH",
            winning_rule_id: winner,
        }
    }

    #[test]
    fn rows_as_blazerules() {
        assert_eq!(
            String::from_utf8(row_line(3, &d("r\"1"), "v2")).unwrap_or_default(),
            "{\"batch_row\":3,\"matched\":true,\"decision\":\"BLOCK\",\"score\":30.000000,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"r\\\"1\",\"ruleset_version\":\"v2\"}\n"
        );
        assert_eq!(
            String::from_utf8(row_line(0, &d(""), "")).unwrap_or_default(),
            "{\"batch_row\":0,\"matched\":false,\"decision\":\"BLOCK\",\"score\":30.000000,\"risk_band\":\"HIGH\"}\n"
        );
    }

    #[test]
    fn enriched_and_grouped() {
        assert_eq!(
            String::from_utf8(enriched_line("in", 2, 41, &d(""), "7")).unwrap_or_default(),
            "{\"source_topic\":\"in\",\"partition\":2,\"offset\":41,\"decision\":\"BLOCK\",\"score\":30.000000,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"\",\"ruleset_version\":\"7\"}\n"
        );
        assert_eq!(
            String::from_utf8(grouped_line("REVIEW", 2, 5, "7")).unwrap_or_default(),
            "{\"decision\":\"REVIEW\",\"count\":2,\"batch_records\":5,\"ruleset_version\":\"7\"}\n"
        );
        let mut s = String::new();
        json_str(&mut s, "a\u{1}\n");
        assert_eq!(s, "\"a\\u0001\\n\"");
    }
}
