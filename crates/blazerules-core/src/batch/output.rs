//! Decision lines: the one writer of every line a decision is written as — the `rows` line
//! (`BatchResult.toJSONLines`, runStream's `rows` output), the CLI's `decisions-jsonl` line,
//! runStream's `enriched` and `grouped` lines (docs/kafka.md, "runStream"), and the answer of
//! `blazerules serve`'s POST /v1/decide (docs/serve.md).
//!
//! The text is what the TypeScript layer used to build: strings escaped as `JSON.stringify`
//! escapes them, `rows` scores as C's `printf("%.6f")` (ties to even), `decisions-jsonl` scores
//! in JavaScript's shortest form (`String(x)`). JSON has no NaN or Infinity, so a non-finite
//! score is written as `null` in every format.

use std::io::Write as _;

use super::result::{BatchResult, RISK_BAND_NAMES};

/// What one evaluated record decided, with names resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decided<'a> {
    pub matched: bool,
    pub decision: &'a str,
    pub score: f64,
    pub risk_band: &'a str,
    /// "" when no rule won.
    pub winning_rule_id: &'a str,
    /// The record's 1-based input line (NDJSON; 0 = not known).
    pub line: u32,
}

/// A record's raw outcome as the per-record arrays of a [`BatchResult`] hold it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawDecision {
    pub decision_code: i32,
    pub score: f64,
    pub risk_band: u8,
    pub winner: i32,
    pub matched: bool,
    /// The record's 1-based input line (NDJSON; 0 = not known).
    pub line: u32,
}

impl RawDecision {
    /// Record `k` of `r` (missing entries read as "nothing matched").
    #[inline]
    pub fn of(r: &BatchResult, k: usize) -> RawDecision {
        RawDecision {
            decision_code: r.decision_codes.get(k).copied().unwrap_or(0),
            score: r.scores.get(k).copied().unwrap_or(0.0),
            risk_band: r.risk_bands.get(k).copied().unwrap_or(0),
            winner: r.winners.get(k).copied().unwrap_or(-1),
            matched: r.matched.get(k).copied().unwrap_or(0) != 0,
            line: r.input_lines.get(k).copied().unwrap_or(0),
        }
    }

    /// Resolves codes against the rule set's decision labels and rule ids. An unknown label
    /// code reads as the default label (`APPROVE` without labels), an unknown band as `LOW`.
    #[inline]
    pub fn resolve<'a>(self, labels: &'a [String], rule_ids: &'a [String]) -> Decided<'a> {
        Decided {
            matched: self.matched,
            decision: usize::try_from(self.decision_code)
                .ok()
                .and_then(|c| labels.get(c))
                .or_else(|| labels.first())
                .map_or("APPROVE", String::as_str),
            score: self.score,
            risk_band: RISK_BAND_NAMES
                .get(usize::from(self.risk_band))
                .copied()
                .unwrap_or(RISK_BAND_NAMES[0]),
            winning_rule_id: usize::try_from(self.winner)
                .ok()
                .and_then(|w| rule_ids.get(w))
                .map_or("", String::as_str),
            line: self.line,
        }
    }
}

/// Record `k` of `r`, resolved (see [`RawDecision::resolve`]).
#[inline]
pub fn decided<'a>(
    r: &BatchResult,
    k: usize,
    labels: &'a [String],
    rule_ids: &'a [String],
) -> Decided<'a> {
    RawDecision::of(r, k).resolve(labels, rule_ids)
}

/// Which per-record line to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStyle {
    /// `{"batch_row","matched","decision","score","risk_band","winning_rule_id","ruleset_version"}`,
    /// as BlazeRules writes it: score with six decimals; `winning_rule_id` omitted when no
    /// rule won, `ruleset_version` when empty or not wanted.
    Rows,
    /// The CLI's `decisions-jsonl`: `{"row","line","matched","decision","score","risk_band","winning_rule_id"}`,
    /// score in shortest form, `winning_rule_id` always present ("" when no rule won), no version;
    /// `line` (the record's 1-based input line plus `line_offset`) only for NDJSON input.
    Decisions,
}

/// Options of [`write_line`] / [`write_lines`] (`JSONLinesOptions` in `src/types.ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineOptions {
    pub style: LineStyle,
    /// Added to each record's row number (the CLI's global row across batches).
    pub row_offset: u64,
    /// Added to each record's line number (the lines of earlier chunks of the same input).
    pub line_offset: u64,
    /// `Rows` only: write `ruleset_version` (it is omitted anyway when empty).
    pub include_version: bool,
}

impl Default for LineOptions {
    fn default() -> Self {
        LineOptions {
            style: LineStyle::Rows,
            row_offset: 0,
            line_offset: 0,
            include_version: true,
        }
    }
}

/// Appends the line of the record at `row` (before `opts.row_offset` is added).
pub fn write_line(out: &mut Vec<u8>, row: u64, d: &Decided<'_>, version: &str, opts: &LineOptions) {
    let row = row.saturating_add(opts.row_offset);
    let key = match opts.style {
        LineStyle::Rows => "batch_row",
        LineStyle::Decisions => "row",
    };
    let _ = write!(out, "{{\"{key}\":{row}");
    if opts.style == LineStyle::Decisions && d.line != 0 {
        let line = u64::from(d.line).saturating_add(opts.line_offset);
        let _ = write!(out, ",\"line\":{line}");
    }
    let _ = write!(out, ",\"matched\":{}", d.matched);
    out.extend_from_slice(b",\"decision\":");
    json_str(out, d.decision);
    out.extend_from_slice(b",\"score\":");
    match opts.style {
        LineStyle::Rows => fixed6(out, d.score),
        LineStyle::Decisions => shortest(out, d.score),
    }
    out.extend_from_slice(b",\"risk_band\":");
    json_str(out, d.risk_band);
    let show_winner = opts.style == LineStyle::Decisions || !d.winning_rule_id.is_empty();
    if show_winner {
        out.extend_from_slice(b",\"winning_rule_id\":");
        json_str(out, d.winning_rule_id);
    }
    if opts.style == LineStyle::Rows && opts.include_version && !version.is_empty() {
        out.extend_from_slice(b",\"ruleset_version\":");
        json_str(out, version);
    }
    out.extend_from_slice(b"}\n");
}

/// Appends one line per record of `records` (the outcomes in record order).
pub fn write_lines(
    out: &mut Vec<u8>,
    records: impl ExactSizeIterator<Item = RawDecision>,
    labels: &[String],
    rule_ids: &[String],
    version: &str,
    opts: &LineOptions,
) {
    out.reserve(records.len() * 128);
    for (i, raw) in records.enumerate() {
        write_line(out, i as u64, &raw.resolve(labels, rule_ids), version, opts);
    }
}

/// Every record of `r`, as [`write_lines`] writes them.
pub fn write_batch_lines(
    out: &mut Vec<u8>,
    r: &BatchResult,
    labels: &[String],
    rule_ids: &[String],
    opts: &LineOptions,
) {
    let records = (0..r.decision_codes.len()).map(|k| RawDecision::of(r, k));
    write_lines(out, records, labels, rule_ids, &r.ruleset_version, opts);
}

/// runStream's `enriched` line: `{"source_topic","partition","offset","decision","score",
/// "risk_band","winning_rule_id","ruleset_version"}`, every key always present.
pub fn enriched_line(
    topic: &str,
    partition: i32,
    offset: i64,
    d: &Decided<'_>,
    version: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(200);
    out.extend_from_slice(b"{\"source_topic\":");
    json_str(&mut out, topic);
    let _ = write!(
        out,
        ",\"partition\":{partition},\"offset\":{offset},\"decision\":"
    );
    json_str(&mut out, d.decision);
    out.extend_from_slice(b",\"score\":");
    fixed6(&mut out, d.score);
    out.extend_from_slice(b",\"risk_band\":");
    json_str(&mut out, d.risk_band);
    out.extend_from_slice(b",\"winning_rule_id\":");
    json_str(&mut out, d.winning_rule_id);
    out.extend_from_slice(b",\"ruleset_version\":");
    json_str(&mut out, version);
    out.extend_from_slice(b"}\n");
    out
}

/// POST /v1/decide's answer (docs/serve.md): `{"decision","score","risk_band",
/// "winning_rule_id","matched_rule_ids","ruleset_version"}`, every key always present, score in
/// shortest form, `matched_rule_ids` (shadow rules included) in the order given; then `\n`.
pub fn answer_line<'r>(
    out: &mut Vec<u8>,
    d: &Decided<'_>,
    matched_rule_ids: impl IntoIterator<Item = &'r str>,
    version: &str,
) {
    out.extend_from_slice(b"{\"decision\":");
    json_str(out, d.decision);
    out.extend_from_slice(b",\"score\":");
    shortest(out, d.score);
    out.extend_from_slice(b",\"risk_band\":");
    json_str(out, d.risk_band);
    out.extend_from_slice(b",\"winning_rule_id\":");
    json_str(out, d.winning_rule_id);
    out.extend_from_slice(b",\"matched_rule_ids\":[");
    for (i, id) in matched_rule_ids.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, id);
    }
    out.extend_from_slice(b"],\"ruleset_version\":");
    json_str(out, version);
    out.extend_from_slice(b"}\n");
}

/// Every record's [`answer_line`], in record order: what `blazerules serve` answers (the
/// napi glue writes them in the evaluate call that asks for them, `NativeBatch.answers`).
pub fn write_answers(out: &mut Vec<u8>, r: &BatchResult, labels: &[String], rule_ids: &[String]) {
    let (starts, rules) = rules_by_record(r);
    out.reserve(r.decision_codes.len() * 160);
    for (k, w) in starts.windows(2).enumerate() {
        let ids = rules[w[0] as usize..w[1] as usize]
            .iter()
            .map(|&i| rule_ids.get(i as usize).map_or("", String::as_str));
        answer_line(
            out,
            &decided(r, k, labels, rule_ids),
            ids,
            &r.ruleset_version,
        );
    }
}

/// `r.rule_hits` (per rule, the records it matched) turned per record, flat: record `k`
/// matched `rules[starts[k]..starts[k + 1]]`, in rule order (a counting sort: no list per
/// record).
fn rules_by_record(r: &BatchResult) -> (Vec<u32>, Vec<u32>) {
    let n = r.decision_codes.len();
    let mut starts = vec![0u32; n + 1];
    let known = |k: &&u32| (**k as usize) < n;
    for &k in r.rule_hits.iter().flatten().filter(known) {
        starts[k as usize + 1] += 1;
    }
    for k in 0..n {
        starts[k + 1] += starts[k];
    }
    let mut next = starts.clone();
    let mut rules = vec![0u32; starts[n] as usize];
    for (rule, records) in (0u32..).zip(&r.rule_hits) {
        for &k in records.iter().filter(known) {
            let at = &mut next[k as usize];
            rules[*at as usize] = rule;
            *at += 1;
        }
    }
    (starts, rules)
}

/// runStream's `grouped` line: `{"decision","count","batch_records","ruleset_version"}`
/// (version omitted when empty).
pub fn grouped_line(decision: &str, count: u64, batch_records: u64, version: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(120);
    out.extend_from_slice(b"{\"decision\":");
    json_str(&mut out, decision);
    let _ = write!(out, ",\"count\":{count},\"batch_records\":{batch_records}");
    if !version.is_empty() {
        out.extend_from_slice(b",\"ruleset_version\":");
        json_str(&mut out, version);
    }
    out.extend_from_slice(b"}\n");
    out
}

/// Appends `s` as a JSON string literal, escaped as `JSON.stringify` escapes it.
pub fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// `%.6f` as C prints it (Rust's exact formatting also rounds ties to even); `null` when not
/// finite. Zero has no sign, as in JavaScript's `toFixed`.
pub fn fixed6(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        out.extend_from_slice(b"null");
    } else if x == 0.0 {
        out.extend_from_slice(b"0.000000");
    } else {
        let _ = write!(out, "{x:.6}");
    }
}

/// A number as JavaScript's `String(x)` writes it (shortest round-trip digits, exponent from
/// 1e21 and below 1e-6); `null` when not finite.
pub fn shortest(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if x == 0.0 {
        out.push(b'0');
        return;
    }
    if x < 0.0 {
        out.push(b'-');
    }
    // `{:e}` gives the shortest round-trip digits as `d.ddde<exp>`.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let k = digits.len() as i64;
    // The decimal point sits after `n` digits (ECMA-262 Number::toString).
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    if k <= n && n <= 21 {
        out.extend_from_slice(&digits);
        out.resize(out.len() + (n - k) as usize, b'0');
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else if -6 < n && n <= 0 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-n) as usize, b'0');
        out.extend_from_slice(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.extend_from_slice(first);
        if !rest.is_empty() {
            out.push(b'.');
            out.extend_from_slice(rest);
        }
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{}", (n - 1).abs());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Vec<u8>) -> String {
        String::from_utf8(v).unwrap_or_default()
    }

    fn d(winner: &str) -> Decided<'_> {
        Decided {
            matched: !winner.is_empty(),
            decision: "BLOCK",
            score: 30.0,
            risk_band: "HIGH",
            winning_rule_id: winner,
            line: 0,
        }
    }

    fn line(row: u64, d: &Decided<'_>, version: &str, opts: &LineOptions) -> String {
        let mut out = Vec::new();
        write_line(&mut out, row, d, version, opts);
        text(out)
    }

    #[test]
    fn rows_as_blazerules() {
        let rows = LineOptions::default();
        assert_eq!(
            line(3, &d("r\"1"), "v2", &rows),
            "{\"batch_row\":3,\"matched\":true,\"decision\":\"BLOCK\",\"score\":30.000000,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"r\\\"1\",\"ruleset_version\":\"v2\"}\n"
        );
        assert_eq!(
            line(0, &d(""), "", &rows),
            "{\"batch_row\":0,\"matched\":false,\"decision\":\"BLOCK\",\"score\":30.000000,\"risk_band\":\"HIGH\"}\n"
        );
        let shifted = LineOptions {
            row_offset: 100,
            include_version: false,
            ..rows
        };
        assert_eq!(
            line(3, &d("a"), "v2", &shifted),
            "{\"batch_row\":103,\"matched\":true,\"decision\":\"BLOCK\",\"score\":30.000000,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"a\"}\n"
        );
    }

    #[test]
    fn decisions_jsonl_as_the_cli() {
        let opts = LineOptions {
            style: LineStyle::Decisions,
            row_offset: 7,
            line_offset: 0,
            include_version: true,
        };
        let mut x = d("");
        x.score = 72.5;
        assert_eq!(
            line(1, &x, "v2", &opts),
            "{\"row\":8,\"matched\":false,\"decision\":\"BLOCK\",\"score\":72.5,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"\"}\n"
        );
        // NDJSON input: the input line, after earlier chunks' lines; `rows` lines never show it.
        x.line = 3;
        let later = LineOptions {
            line_offset: 100,
            ..opts
        };
        assert_eq!(
            line(1, &x, "v2", &later),
            "{\"row\":8,\"line\":103,\"matched\":false,\"decision\":\"BLOCK\",\"score\":72.5,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"\"}\n"
        );
        assert!(!line(1, &x, "v2", &LineOptions::default()).contains("line"));
    }

    #[test]
    fn scores() {
        let fixed = |x: f64| {
            let mut v = Vec::new();
            fixed6(&mut v, x);
            text(v)
        };
        // printf rounds exact ties to even.
        assert_eq!(fixed(0.0078125), "0.007812");
        assert_eq!(fixed(0.0234375), "0.023438");
        assert_eq!(fixed(0.1), "0.100000");
        assert_eq!(fixed(-0.0), "0.000000");
        assert_eq!(fixed(1e21), "1000000000000000000000.000000");
        assert_eq!(fixed(f64::NAN), "null");
        assert_eq!(fixed(f64::INFINITY), "null");
        let short = |x: f64| {
            let mut v = Vec::new();
            shortest(&mut v, x);
            text(v)
        };
        for (x, js) in [
            (30.0, "30"),
            (72.5, "72.5"),
            (-0.0, "0"),
            (0.1, "0.1"),
            (-1.5, "-1.5"),
            (1e21, "1e+21"),
            (1.5e22, "1.5e+22"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-6, "0.000001"),
            (1.25e-7, "1.25e-7"),
            (f64::NEG_INFINITY, "null"),
        ] {
            assert_eq!(short(x), js, "{x}");
        }
    }

    #[test]
    fn enriched_and_grouped() {
        assert_eq!(
            text(enriched_line("in", 2, 41, &d(""), "7")),
            "{\"source_topic\":\"in\",\"partition\":2,\"offset\":41,\"decision\":\"BLOCK\",\"score\":30.000000,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"\",\"ruleset_version\":\"7\"}\n"
        );
        assert_eq!(
            text(grouped_line("REVIEW", 2, 5, "7")),
            "{\"decision\":\"REVIEW\",\"count\":2,\"batch_records\":5,\"ruleset_version\":\"7\"}\n"
        );
        let mut s = Vec::new();
        json_str(&mut s, "a\u{1}\n\u{8}\u{c}é");
        assert_eq!(text(s), "\"a\\u0001\\n\\b\\fé\"");
    }

    #[test]
    fn decide_answer() {
        let mut out = Vec::new();
        let mut x = d("r\"1");
        x.score = 72.5;
        answer_line(&mut out, &x, ["a", "r\"1"], "v2");
        answer_line(&mut out, &d(""), [], "");
        assert_eq!(
            text(out),
            "{\"decision\":\"BLOCK\",\"score\":72.5,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"r\\\"1\",\"matched_rule_ids\":[\"a\",\"r\\\"1\"],\"ruleset_version\":\"v2\"}\n\
             {\"decision\":\"BLOCK\",\"score\":30,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"\",\"matched_rule_ids\":[],\"ruleset_version\":\"\"}\n"
        );
    }

    #[test]
    fn answers_list_each_records_rules_in_rule_order() {
        let labels = vec!["APPROVE".to_string(), "BLOCK".to_string()];
        let ids = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let r = BatchResult {
            decision_codes: vec![1, 0, 1],
            scores: vec![50.0, 0.0, 12.5],
            risk_bands: vec![2, 0, 0],
            winners: vec![2, -1, 0],
            matched: vec![1, 0, 1],
            // Per rule, the records it matched (record 9 is not in the batch: ignored).
            rule_hits: vec![vec![0, 2], vec![9], vec![0]],
            ruleset_version: "v1".to_string(),
            ..BatchResult::default()
        };
        let mut out = Vec::new();
        write_answers(&mut out, &r, &labels, &ids);
        assert_eq!(
            text(out),
            concat!(
                "{\"decision\":\"BLOCK\",\"score\":50,\"risk_band\":\"HIGH\",\"winning_rule_id\":\"c\",\"matched_rule_ids\":[\"a\",\"c\"],\"ruleset_version\":\"v1\"}\n",
                "{\"decision\":\"APPROVE\",\"score\":0,\"risk_band\":\"LOW\",\"winning_rule_id\":\"\",\"matched_rule_ids\":[],\"ruleset_version\":\"v1\"}\n",
                "{\"decision\":\"BLOCK\",\"score\":12.5,\"risk_band\":\"LOW\",\"winning_rule_id\":\"a\",\"matched_rule_ids\":[\"a\"],\"ruleset_version\":\"v1\"}\n",
            )
        );
    }

    #[test]
    fn resolves_codes() {
        let labels = vec!["APPROVE".to_string(), "BLOCK".to_string()];
        let ids = vec!["r0".to_string()];
        let raw = RawDecision {
            decision_code: 7,
            score: 1.0,
            risk_band: 9,
            winner: 0,
            matched: true,
            line: 0,
        };
        let got = raw.resolve(&labels, &ids);
        assert_eq!(
            (got.decision, got.risk_band, got.winning_rule_id),
            ("APPROVE", "LOW", "r0")
        );
        let none = RawDecision { winner: -1, ..raw }.resolve(&[], &ids);
        assert_eq!((none.decision, none.winning_rule_id), ("APPROVE", ""));
    }
}
