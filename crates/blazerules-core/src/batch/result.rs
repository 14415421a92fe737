//! Batch results as flat per-record arrays (handed to JS as typed arrays).

use crate::error::ErrorCode;
use std::collections::BTreeMap;

/// Risk band codes in `BatchResult::risk_bands`.
pub const RISK_LOW: u8 = 0;
pub const RISK_MEDIUM: u8 = 1;
pub const RISK_HIGH: u8 = 2;
pub const RISK_BAND_NAMES: [&str; 3] = ["LOW", "MEDIUM", "HIGH"];

/// One skipped record, as rules-reference §5.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorSample {
    /// 0-based index among the batch's non-empty lines (or messages / array elements).
    pub row_index: u64,
    pub code: ErrorCode,
    pub message: String,
    /// The JSON key near the error, when known.
    pub column: Option<String>,
}

/// A decided record's warning (a repeated key: DUPLICATE_KEY).
#[derive(Debug, Clone, PartialEq)]
pub struct WarningSample {
    /// As `ErrorSample::row_index`.
    pub row_index: u64,
    pub code: ErrorCode,
    /// The dotted name of the key concerned.
    pub key: String,
}

/// `parse_ms` and `eval_ms` are time summed over the batch's threads; `total_ms` is wall time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    pub parse_ms: f64,
    pub eval_ms: f64,
    pub total_ms: f64,
}

/// The result of one batch. Per-record vectors have one entry per evaluated record, in input order.
#[derive(Debug, Clone, Default)]
pub struct BatchResult {
    /// Index of each evaluated record among the batch's non-empty input rows.
    pub input_rows: Vec<u32>,
    /// NDJSON input: each evaluated record's 1-based line number in the payload (blank lines
    /// counted); empty for messages and JSON arrays.
    pub input_lines: Vec<u32>,
    /// NDJSON input: the payload's lines (newlines, plus one for an unterminated last line).
    pub input_line_count: u64,
    /// Decision label code per record (index into `RuleSet::labels`, 0 = default).
    pub decision_codes: Vec<i32>,
    pub scores: Vec<f64>,
    /// RISK_LOW / RISK_MEDIUM / RISK_HIGH.
    pub risk_bands: Vec<u8>,
    /// Winning rule index into `RuleSet::rule_ids`, or -1.
    pub winners: Vec<i32>,
    /// 1 if any rule (shadow included) matched.
    pub matched: Vec<u8>,
    /// Per rule index: how many records it matched (shadow included).
    pub match_counts: Vec<u64>,
    /// Per rule index: the (ascending) record indices it matched, shadow included.
    pub rule_hits: Vec<Vec<u32>>,
    /// Records evaluated + records skipped.
    pub messages_processed: u64,
    pub messages_skipped: u64,
    pub error_counts: BTreeMap<ErrorCode, u64>,
    pub error_samples: Vec<ErrorSample>,
    /// Warnings of decided records, by code, and the first `max_error_samples` of them.
    pub warning_counts: BTreeMap<ErrorCode, u64>,
    pub warning_samples: Vec<WarningSample>,
    pub timing: Timing,
    /// The version of the rule set that evaluated this batch.
    pub ruleset_version: String,
}

impl BatchResult {
    pub fn n_records(&self) -> usize {
        self.decision_codes.len()
    }
    pub fn n_matched(&self) -> usize {
        self.matched.iter().filter(|&&m| m != 0).count()
    }
}

/// A batch that could not be evaluated at all (HARD_FAIL ingest mode, dead-letter IO).
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub code: ErrorCode,
    pub message: String,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for EvalError {}
