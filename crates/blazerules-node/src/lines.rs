//! `BatchResult.toJSONLines`: the core's decision-line writer over a batch's buffer.

use blazerules_core::error::ErrorCode;
use blazerules_core::output::{self, LineOptions, LineStyle, RawDecision};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::guard::{coded_error, guard};
use crate::layout::{Field, Views};

/// `JSONLinesOptions` (src/types.ts).
#[napi(object)]
pub struct NativeLineOptions {
    /// Added to each row number (default 0).
    pub row_offset: Option<f64>,
    /// Added to each line number (`decisions-jsonl`; default 0).
    pub line_offset: Option<f64>,
    /// Write `ruleset_version` (`rows` only; default true).
    pub include_rule_set_version: Option<bool>,
    /// "rows" (default) | "decisions-jsonl"
    pub format: Option<String>,
}

fn line_options(o: Option<NativeLineOptions>) -> Result<LineOptions> {
    let d = LineOptions::default();
    let Some(o) = o else {
        return Ok(d);
    };
    let style = match o.format.as_deref() {
        None | Some("rows") => LineStyle::Rows,
        Some("decisions-jsonl") => LineStyle::Decisions,
        Some(other) => {
            return Err(coded_error(
                ErrorCode::InvalidArgument,
                &format!("format must be 'rows' or 'decisions-jsonl', not '{other}'"),
            ))
        }
    };
    Ok(LineOptions {
        style,
        // Saturating: a negative or fractional offset is not a row number.
        row_offset: o.row_offset.map_or(0, |x| x as u64),
        line_offset: o.line_offset.map_or(0, |x| x as u64),
        include_version: o.include_rule_set_version.unwrap_or(d.include_version),
    })
}

fn views(data: &[u32]) -> Result<Views<'_>> {
    Views::new(data).ok_or_else(|| {
        coded_error(
            ErrorCode::InvalidArgument,
            "the buffer does not hold a batch",
        )
    })
}

/// Each record's outcome as the batch's sections hold it (the layout guarantees every
/// section is `records` long).
fn raw_decisions<'v>(v: &'v Views<'_>) -> impl ExactSizeIterator<Item = RawDecision> + 'v {
    let (codes, winners) = (v.words(Field::DecisionCodes), v.words(Field::Winners));
    let (scores, bands) = (v.floats(Field::Scores), v.bytes(Field::RiskBands));
    let (matched, lines) = (v.bytes(Field::Matched), v.words(Field::InputLines));
    (0..v.sizes.records).map(move |i| RawDecision {
        decision_code: codes.get(i).map_or(0, |&c| c as i32),
        score: scores.get(i).copied().unwrap_or(0.0),
        risk_band: bands.get(i).copied().unwrap_or(0),
        winner: winners.get(i).map_or(-1, |&w| w as i32),
        matched: matched.get(i).is_some_and(|&m| m != 0),
        line: lines.get(i).copied().unwrap_or(0),
    })
}

/// The names a batch's lines are written with: its rule set's decision labels, rule ids and
/// version. Made once per rule set (src/batch-result.ts keeps it), so that writing a batch's
/// lines does not convert every rule id from JS again (with 1000 rules, most of a small call).
#[napi]
pub struct NativeLineNames {
    labels: Vec<String>,
    rule_ids: Vec<String>,
    version: String,
}

#[napi]
impl NativeLineNames {
    #[napi(constructor)]
    pub fn new(labels: Vec<String>, rule_ids: Vec<String>, version: String) -> Self {
        NativeLineNames {
            labels,
            rule_ids,
            version,
        }
    }
}

/// What writing a batch's lines reads: its records, its rule set's names, the options.
struct Lines<'a> {
    records: Views<'a>,
    labels: &'a [String],
    rule_ids: &'a [String],
    version: &'a str,
    opts: LineOptions,
}

/// Runs `write` over the batch in `data` (a `NativeBatch`'s buffer), as `toJSONLines`: a bad
/// option or buffer is a coded error, and nothing unwinds.
fn with_lines<T>(
    data: &[u32],
    names: &NativeLineNames,
    opts: Option<NativeLineOptions>,
    write: impl FnOnce(Lines<'_>) -> Result<T>,
) -> Result<T> {
    let opts = line_options(opts)?;
    guard("toJSONLines", || {
        let records = views(data)?;
        write(Lines {
            records,
            labels: &names.labels,
            rule_ids: &names.rule_ids,
            version: &names.version,
            opts,
        })
    })
}

/// The batch in `data` (a `NativeBatch`'s buffer) as decision lines, one per record.
#[napi]
pub fn batch_lines(
    data: Uint32Array,
    names: &NativeLineNames,
    opts: Option<NativeLineOptions>,
) -> Result<Buffer> {
    with_lines(&data, names, opts, |l| {
        let mut out = Vec::new();
        let records = raw_decisions(&l.records);
        output::write_lines(&mut out, records, l.labels, l.rule_ids, l.version, &l.opts);
        Ok(Buffer::from(out))
    })
}

/// The decision lines of records `from..` of the batch in `data`, written into `target` as
/// many whole lines as fit (each exactly as `batch_lines` writes it): `[the next record, bytes
/// written]`. No line fits when the next record is `from` (the caller grows `target`). For a
/// writer that reuses one buffer rather than allocate one the size of every batch's lines.
#[napi]
pub fn batch_lines_into(
    data: Uint32Array,
    names: &NativeLineNames,
    opts: Option<NativeLineOptions>,
    from: u32,
    mut target: Buffer,
) -> Result<Vec<f64>> {
    with_lines(&data, names, opts, |l| {
        let out: &mut [u8] = target.as_mut();
        let (mut next, mut at) = (from as usize, 0usize);
        let mut line = Vec::with_capacity(256);
        for raw in raw_decisions(&l.records).skip(next) {
            line.clear();
            let d = raw.resolve(l.labels, l.rule_ids);
            output::write_line(&mut line, next as u64, &d, l.version, &l.opts);
            let Some(dst) = out.get_mut(at..at + line.len()) else {
                break;
            };
            dst.copy_from_slice(&line);
            at += line.len();
            next += 1;
        }
        Ok(vec![next as f64, at as f64])
    })
}
