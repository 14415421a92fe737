//! A batch result handed to JS: its counts and its per-record, per-rule and per-label arrays
//! packed into one Rust-owned buffer (an external ArrayBuffer: nothing is copied into JS
//! memory) laid out as [`crate::layout`] says, which the TypeScript layer views as typed
//! arrays. One buffer and four properties, most of them absent, keep a call's fixed cost low.

use blazerules_core::error::ErrorCode;
use blazerules_core::{output, BatchResult, RuleSet};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::guard::coded_error;
use crate::layout::{put_f64s, Field, Header, Sizes, BYTES, FLOATS, WORDS};

/// One skipped record.
#[napi(object)]
pub struct NativeErrorSample {
    pub row_index: f64,
    pub code: String,
    pub message: String,
    pub column: Option<String>,
}

/// A decided record's warning.
#[napi(object)]
pub struct NativeWarningSample {
    pub row_index: f64,
    pub code: String,
    pub key: String,
}

#[napi(object)]
pub struct NativeErrorCount {
    pub code: String,
    pub count: f64,
}

/// A batch's skipped records and warnings: counts by code and the first samples.
#[napi(object)]
pub struct NativeNotes {
    pub error_counts: Vec<NativeErrorCount>,
    pub error_samples: Vec<NativeErrorSample>,
    pub warning_counts: Vec<NativeErrorCount>,
    pub warning_samples: Vec<NativeWarningSample>,
}

/// A batch result: `data` as [`crate::layout`] lays it out (`src/generated/batch-layout.ts`
/// reads it).
#[napi(object)]
pub struct NativeBatch {
    pub data: Uint32Array,
    pub ruleset_version: String,
    /// Absent when no record was skipped or warned about.
    pub notes: Option<NativeNotes>,
    /// Each record's POST /v1/decide answer, one a line in record order, when the call asked
    /// for them (`NativeCallOptions.answers`).
    pub answers: Option<Buffer>,
}

/// A batch result packed for JS (built off the JS thread).
pub struct Prepared {
    batch: BatchResult,
    answers: Option<Vec<u8>>,
    data: Vec<u32>,
}

pub(crate) fn len32(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| {
        coded_error(
            ErrorCode::Unsupported,
            "batch too large (more than 2^32 entries)",
        )
    })
}

/// Appends `values`, then pads with `fill` up to `n` entries (a short array reads as empty).
#[inline]
fn put<T: Copy>(out: &mut Vec<T>, values: impl Iterator<Item = T>, n: usize, fill: T) {
    let end = out.len() + n;
    out.extend(values.take(n));
    out.resize(end, fill);
}

/// As [`put`], for an f64 section.
#[inline]
fn put_floats(out: &mut Vec<u32>, values: impl Iterator<Item = f64>, n: usize) {
    put_f64s(out, values.chain(std::iter::repeat(0.0)).take(n));
}

/// Packs `batch` into the buffer, header then section by section in the layout's order, with
/// the records' answers when `answers` (written first: packing takes the rule hits).
pub fn prepare(mut batch: BatchResult, answers: Option<&RuleSet>) -> Result<Prepared> {
    let answers = answers.map(|rules| {
        let mut out = Vec::new();
        output::write_answers(&mut out, &batch, rules.labels(), rules.rule_ids());
        out
    });
    let hits = std::mem::take(&mut batch.rule_hits);
    let counts = decision_counts(&batch.decision_codes);
    let sizes = Sizes {
        records: batch.decision_codes.len(),
        rules: batch.match_counts.len().max(hits.len()),
        hits: hits.iter().map(Vec::len).sum(),
        labels: counts.len(),
    };
    let (n, b) = (sizes.records, &batch);
    len32(sizes.hits.max(n).max(sizes.rules))?;
    let mut data: Vec<u32> = Vec::with_capacity(sizes.total_words());
    put_f64s(&mut data, header(b, sizes).values().into_iter());
    for s in FLOATS {
        match s.field {
            Field::Scores => put_floats(&mut data, b.scores.iter().copied(), n),
            Field::MatchCounts => put_floats(
                &mut data,
                b.match_counts.iter().map(|&c| c as f64),
                sizes.rules,
            ),
            Field::DecisionCounts => {
                put_floats(&mut data, counts.iter().map(|&c| c as f64), sizes.labels)
            }
            _ => {}
        }
    }
    for s in WORDS {
        match s.field {
            Field::InputRows => put(&mut data, b.input_rows.iter().copied(), n, 0),
            Field::InputLines => put(&mut data, b.input_lines.iter().copied(), n, 0),
            // `as` between i32 and u32 keeps the bits; JS reads them through an Int32Array.
            Field::DecisionCodes => {
                put(&mut data, b.decision_codes.iter().map(|&c| c as u32), n, 0)
            }
            Field::Winners => put(&mut data, b.winners.iter().map(|&w| w as u32), n, u32::MAX),
            Field::RuleHits => hits.iter().for_each(|list| data.extend_from_slice(list)),
            Field::RuleHitEnds => {
                let ends = hits.iter().scan(0u32, |end, list| {
                    *end += list.len() as u32;
                    Some(*end)
                });
                put(&mut data, ends, sizes.rules, sizes.hits as u32);
            }
            _ => {}
        }
    }
    let mut bytes: Vec<u8> = Vec::with_capacity(sizes.bytes().next_multiple_of(4));
    for s in BYTES {
        match s.field {
            Field::RiskBands => put(&mut bytes, b.risk_bands.iter().copied(), n, 0),
            Field::Matched => put(&mut bytes, b.matched.iter().copied(), n, 0),
            _ => {}
        }
    }
    bytes.resize(sizes.bytes().next_multiple_of(4), 0);
    data.extend(
        bytes
            .chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]])),
    );
    Ok(Prepared {
        answers,
        data,
        batch,
    })
}

/// The header of `b` (its sizes already taken).
fn header(b: &BatchResult, sizes: Sizes) -> Header {
    Header {
        sizes,
        n_matched: b.n_matched() as f64,
        messages_processed: b.messages_processed as f64,
        messages_skipped: b.messages_skipped as f64,
        input_line_count: b.input_line_count as f64,
        parse_ms: b.timing.parse_ms,
        eval_ms: b.timing.eval_ms,
        total_ms: b.timing.total_ms,
    }
}

/// Records per decision code (codes are small: indexes of the rule set's labels).
fn decision_counts(codes: &[i32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for &c in codes {
        let Ok(i) = usize::try_from(c) else { continue };
        if i >= out.len() {
            out.resize(i + 1, 0);
        }
        out[i] += 1;
    }
    out
}

/// Hands the packed batch to JS (on the JS thread).
pub fn to_native_batch(p: Prepared) -> NativeBatch {
    let r = p.batch;
    let quiet = r.error_counts.is_empty()
        && r.error_samples.is_empty()
        && r.warning_counts.is_empty()
        && r.warning_samples.is_empty();
    let notes = (!quiet).then(|| NativeNotes {
        error_counts: counts(r.error_counts),
        warning_counts: counts(r.warning_counts),
        warning_samples: r
            .warning_samples
            .into_iter()
            .map(|w| NativeWarningSample {
                row_index: w.row_index as f64,
                code: w.code.to_string(),
                key: w.key,
            })
            .collect(),
        error_samples: r
            .error_samples
            .into_iter()
            .map(|s| NativeErrorSample {
                row_index: s.row_index as f64,
                code: s.code.to_string(),
                message: s.message,
                column: s.column,
            })
            .collect(),
    });
    NativeBatch {
        data: Uint32Array::new(p.data),
        ruleset_version: r.ruleset_version,
        notes,
        answers: p.answers.map(Buffer::from),
    }
}

fn counts(by_code: std::collections::BTreeMap<ErrorCode, u64>) -> Vec<NativeErrorCount> {
    by_code
        .into_iter()
        .map(|(code, count)| NativeErrorCount {
            code: code.to_string(),
            count: count as f64,
        })
        .collect()
}

/// A batch's arrays given from JS, for the layout round-trip test (`__test__/batch-layout.spec.ts`).
#[napi(object)]
pub struct NativeBatchParts {
    pub input_rows: Vec<u32>,
    pub input_lines: Option<Vec<u32>>,
    pub decision_codes: Vec<i32>,
    pub scores: Vec<f64>,
    pub risk_bands: Vec<u32>,
    pub winners: Vec<i32>,
    pub matched: Vec<u32>,
    pub match_counts: Vec<f64>,
    /// Per rule, the record indices it matched.
    pub rule_hits: Vec<Vec<u32>>,
}

/// Packs arrays given from JS exactly as an evaluation packs its result (round-trip test).
#[napi]
pub fn pack_batch(parts: NativeBatchParts) -> Result<NativeBatch> {
    let batch = BatchResult {
        input_rows: parts.input_rows,
        input_lines: parts.input_lines.unwrap_or_default(),
        decision_codes: parts.decision_codes,
        scores: parts.scores,
        risk_bands: parts.risk_bands.iter().map(|&b| b as u8).collect(),
        winners: parts.winners,
        matched: parts.matched.iter().map(|&m| m as u8).collect(),
        match_counts: parts.match_counts.iter().map(|&c| c as u64).collect(),
        rule_hits: parts.rule_hits,
        ..BatchResult::default()
    };
    prepare(batch, None).map(to_native_batch)
}
