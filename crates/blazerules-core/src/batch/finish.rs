//! Finishing a batch: the pieces' sinks merged in order into one [`BatchResult`], with error
//! samples, dead letters, the `Fail` ingest mode and timing.

use crate::batch::dead_letter::write_dead_letters;
use crate::batch::options::{EvalOptions, IngestErrorMode};
use crate::batch::result::{BatchResult, ErrorSample, EvalError, Timing, WarningSample};
use crate::batch::sink::{Bad, Sink};
use crate::error::ErrorCode;
use crate::ruleset::Inner;
use std::time::Instant;

/// Finishes an NDJSON batch: each piece's rows continue from the previous piece's line count.
pub(crate) fn finish(
    rs: &Inner,
    sinks: Vec<Sink>,
    opts: &EvalOptions,
    t0: Instant,
) -> Result<BatchResult, EvalError> {
    let mut base = 0u64;
    let bases: Vec<u64> = sinks
        .iter()
        .map(|s| {
            let b = base;
            base += s.rows.len() as u64 + s.skipped;
            b
        })
        .collect();
    finish_with_bases(rs, sinks, opts, t0, |i, _| bases[i])
}

/// Finishes an NDJSON batch as [`finish`] does, with each record's line number: pieces
/// continue each other's lines, and `tail` (0 or 1) counts an unterminated last line.
pub(crate) fn finish_lines(
    rs: &Inner,
    sinks: Vec<Sink>,
    opts: &EvalOptions,
    t0: Instant,
    tail: u64,
) -> Result<BatchResult, EvalError> {
    // Marks over the whole batch: (row, 0-based line), rows ascending.
    let mut marks: Vec<(u64, u64)> = Vec::new();
    let (mut row_base, mut line_base) = (0u64, 0u64);
    for s in &sinks {
        marks.push((row_base, line_base));
        marks.extend(
            s.line_marks
                .iter()
                .map(|&(r, l)| (row_base + u64::from(r), line_base + u64::from(l))),
        );
        row_base += s.rows.len() as u64 + s.skipped;
        line_base += s.newlines;
    }
    let mut out = finish(rs, sinks, opts, t0)?;
    out.input_line_count = line_base + tail;
    let mut j = 0;
    out.input_lines = out
        .input_rows
        .iter()
        .map(|&r| {
            let r = u64::from(r);
            while j + 1 < marks.len() && marks[j + 1].0 <= r {
                j += 1;
            }
            let (mr, ml) = marks[j];
            (r + ml - mr + 1) as u32
        })
        .collect();
    Ok(out)
}

/// Finishes a batch whose piece `i` numbers its rows from `base_of(i, sink)`.
pub(crate) fn finish_with_bases(
    rs: &Inner,
    sinks: Vec<Sink>,
    opts: &EvalOptions,
    t0: Instant,
    base_of: impl Fn(usize, &Sink) -> u64,
) -> Result<BatchResult, EvalError> {
    let mut m = Merged::new(rs, &sinks);
    for (i, s) in sinks.into_iter().enumerate() {
        let row_base = base_of(i, &s);
        m.append(s, row_base);
    }
    let Merged {
        mut out,
        bad,
        parse_ns,
        eval_ns,
    } = m;
    for (r, hits) in out.rule_hits.iter().enumerate() {
        out.match_counts[r] = hits.len() as u64;
    }
    out.messages_processed = out.decision_codes.len() as u64 + out.messages_skipped;
    out.error_samples = samples(&bad, opts.max_error_samples);
    out.warning_samples.truncate(opts.max_error_samples);
    if opts.ingest_error_mode == IngestErrorMode::DeadLetter && !bad.is_empty() {
        write_dead_letters(opts, &bad)?;
    }
    if opts.ingest_error_mode == IngestErrorMode::Fail {
        if let Some(first) = bad.first() {
            return Err(refused(&out, first));
        }
    }
    // Parse and eval times are CPU time summed over threads.
    let scale = 1.0 / 1e6;
    out.timing = Timing {
        parse_ms: parse_ns as f64 * scale,
        eval_ms: eval_ns as f64 * scale,
        total_ms: t0.elapsed().as_secs_f64() * 1000.0,
    };
    Ok(out)
}

/// The batch so far, as sinks are appended in piece order.
struct Merged {
    out: BatchResult,
    bad: Vec<Bad>,
    parse_ns: u64,
    eval_ns: u64,
}

impl Merged {
    /// Room for the records and rule hits of `sinks`.
    fn new(rs: &Inner, sinks: &[Sink]) -> Merged {
        let n = sinks.iter().map(|s| s.codes.len()).sum();
        // Each rule's hits, sized once (a batch with windows has many small pieces).
        let mut totals = vec![0; rs.rules.len()];
        for s in sinks {
            for (t, &n) in totals.iter_mut().zip(&s.hit_counts) {
                *t += n as usize;
            }
        }
        let rule_hits = totals.into_iter().map(Vec::with_capacity).collect();
        let out = BatchResult {
            input_rows: Vec::with_capacity(n),
            decision_codes: Vec::with_capacity(n),
            scores: Vec::with_capacity(n),
            risk_bands: Vec::with_capacity(n),
            winners: Vec::with_capacity(n),
            matched: Vec::with_capacity(n),
            match_counts: vec![0; rs.rules.len()],
            rule_hits,
            ruleset_version: rs.version.clone(),
            ..BatchResult::default()
        };
        Merged {
            out,
            bad: Vec::new(),
            parse_ns: 0,
            eval_ns: 0,
        }
    }

    /// Appends the next piece, whose rows are numbered from `row_base`.
    fn append(&mut self, s: Sink, row_base: u64) {
        let out = &mut self.out;
        self.parse_ns += s.parse_ns;
        self.eval_ns += s.eval_ns;
        let rec_base = out.decision_codes.len() as u32;
        out.input_rows
            .extend(s.rows.iter().map(|r| r + row_base as u32));
        out.decision_codes.extend_from_slice(&s.codes);
        out.scores.extend_from_slice(&s.scores);
        out.risk_bands.extend_from_slice(&s.bands);
        out.winners.extend_from_slice(&s.winners);
        out.matched.extend_from_slice(&s.matched);
        for &(r, h) in &s.hits {
            if let Some(hits) = out.rule_hits.get_mut(r as usize) {
                hits.push(h + rec_base);
            }
        }
        out.messages_skipped += s.skipped;
        for (k, v) in s.error_counts {
            *out.error_counts.entry(k).or_insert(0) += v;
        }
        for (k, v) in s.warning_counts {
            *out.warning_counts.entry(k).or_insert(0) += v;
        }
        out.warning_samples
            .extend(s.warnings.into_iter().map(|w| WarningSample {
                row_index: w.row + row_base,
                code: w.code,
                key: w.key,
            }));
        self.bad.extend(s.bad.into_iter().map(|mut b| {
            b.row += row_base;
            b
        }));
    }
}

/// The first `max` skipped records, as the result reports them.
fn samples(bad: &[Bad], max: usize) -> Vec<ErrorSample> {
    bad.iter()
        .take(max)
        .map(|b| ErrorSample {
            row_index: b.row,
            code: b.code,
            message: b.message.clone(),
            column: b.column.clone(),
        })
        .collect()
}

/// The error of a batch refused in the `Fail` ingest mode, naming its first skipped record.
fn refused(out: &BatchResult, first: &Bad) -> EvalError {
    EvalError {
        code: ErrorCode::MalformedJson,
        message: format!(
            "{} record(s) could not be read; first at row {}: {}",
            out.messages_skipped, first.row, first.message
        ),
    }
}
