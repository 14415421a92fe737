//! Finishing a batch: the pieces' sinks merged in order into one [`BatchResult`] (as they
//! come, `Merger`), with error samples, dead letters, the `Fail` ingest mode and timing.

use crate::batch::dead_letter::write_dead_letters;
use crate::batch::options::{EvalOptions, IngestErrorMode};
use crate::batch::result::{BatchResult, ErrorSample, EvalError, Timing, WarningSample};
use crate::batch::sink::{Bad, Sink};
use crate::error::ErrorCode;
use crate::ruleset::Inner;
use std::time::Instant;

/// How a batch's pieces number their rows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    /// Each piece's rows go on from the previous piece's (a JSON array's elements).
    Continued,
    /// As `Continued`, and the pieces' lines too (NDJSON): each record gets its line number.
    Lines,
    /// Piece `i`'s rows start at `i * n` (one record per message).
    PerPiece(u64),
}

/// A batch's pieces merged in piece order as they come: each sink is emptied into the
/// batch's result (its buffers kept, for the batch's next piece: `batch/ordered.rs`).
pub(crate) struct Merger {
    m: Merged,
    rows: Rows,
    /// Pieces merged so far, and how many the batch has.
    pieces: usize,
    n_pieces: usize,
    /// The next piece's first row and (`Rows::Lines`) first 0-based line.
    row_base: u64,
    line_base: u64,
    /// (row, 0-based line) wherever a line stops being its row plus the previous difference,
    /// over the whole batch, rows ascending (`Rows::Lines`).
    marks: Vec<(u64, u64)>,
    /// Records applied to window state.
    windowed: u64,
    /// The result has its room (`Merged::reserve`).
    sized: bool,
}

impl Merger {
    /// A merger for `n_pieces` pieces, its result sized at the first piece (that piece's
    /// records and rule hits, times the pieces: pieces are alike in bytes).
    pub fn new(rs: &Inner, rows: Rows, n_pieces: usize) -> Merger {
        Merger {
            m: Merged::new(rs),
            rows,
            pieces: 0,
            n_pieces,
            row_base: 0,
            line_base: 0,
            marks: Vec::new(),
            windowed: 0,
            sized: false,
        }
    }

    /// `sinks` merged, the result sized for them exactly.
    pub fn with_sinks(rs: &Inner, rows: Rows, mut sinks: Vec<Sink>) -> Merger {
        let mut m = Merger::new(rs, rows, sinks.len());
        m.m.reserve(&sinks, 1);
        m.sized = true;
        for s in &mut sinks {
            m.push(s);
        }
        m
    }

    /// Appends the next piece and empties its sink.
    pub fn push(&mut self, s: &mut Sink) {
        if !self.sized {
            self.m.reserve(std::slice::from_ref(s), self.n_pieces);
            self.sized = true;
        }
        let row_base = match self.rows {
            Rows::PerPiece(n) => self.pieces as u64 * n,
            Rows::Continued | Rows::Lines => self.row_base,
        };
        if self.rows == Rows::Lines {
            let (rb, lb) = (row_base, self.line_base);
            self.marks.push((rb, lb));
            self.marks.extend(
                s.line_marks
                    .iter()
                    .map(|&(r, l)| (rb + u64::from(r), lb + u64::from(l))),
            );
            self.line_base += s.newlines;
        }
        self.row_base += s.rows.len() as u64 + s.skipped;
        self.windowed += s.windowed;
        self.pieces += 1;
        self.m.append(s, row_base);
        s.clear();
    }

    /// Records applied to window state, and records skipped.
    pub fn replayed(&self) -> (u64, u64) {
        (self.windowed, self.m.out.messages_skipped)
    }

    /// The batch's result; `tail` (0 or 1, `Rows::Lines`) counts an unterminated last line.
    pub fn finish(
        self,
        opts: &EvalOptions,
        t0: Instant,
        tail: u64,
    ) -> Result<BatchResult, EvalError> {
        let Merger {
            mut m,
            rows,
            line_base,
            marks,
            ..
        } = self;
        m.trim();
        let mut out = m.finish(opts, t0)?;
        if rows == Rows::Lines {
            out.input_line_count = line_base + tail;
            out.input_lines = lines_of(&out.input_rows, &marks);
        }
        Ok(out)
    }
}

/// Each row's 1-based line, from the batch's marks.
fn lines_of(rows: &[u32], marks: &[(u64, u64)]) -> Vec<u32> {
    let mut j = 0;
    rows.iter()
        .map(|&r| {
            let r = u64::from(r);
            while j + 1 < marks.len() && marks[j + 1].0 <= r {
                j += 1;
            }
            let (mr, ml) = marks[j];
            (r + ml - mr + 1) as u32
        })
        .collect()
}

/// The batch so far, as sinks are appended in piece order.
struct Merged {
    out: BatchResult,
    bad: Vec<Bad>,
    parse_ns: u64,
    eval_ns: u64,
}

impl Merged {
    fn new(rs: &Inner) -> Merged {
        let out = BatchResult {
            match_counts: vec![0; rs.rules.len()],
            rule_hits: vec![Vec::new(); rs.rules.len()],
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

    /// Room for `times` times the records and rule hits of `sinks` (each rule's hits sized
    /// once: a batch with windows has many small pieces).
    fn reserve(&mut self, sinks: &[Sink], times: usize) {
        let out = &mut self.out;
        let n = times * sinks.iter().map(|s| s.codes.len()).sum::<usize>();
        out.input_rows.reserve(n);
        out.decision_codes.reserve(n);
        out.scores.reserve(n);
        out.risk_bands.reserve(n);
        out.winners.reserve(n);
        out.matched.reserve(n);
        for (r, hits) in out.rule_hits.iter_mut().enumerate() {
            let total: usize = sinks
                .iter()
                .map(|s| s.hits.get(r).map_or(0, Vec::len))
                .sum();
            hits.reserve(times * total);
        }
    }

    /// Gives back room over twice what was used (sized from a first piece whose records were
    /// smaller than the rest's), so that a result holds at most twice its size.
    fn trim(&mut self) {
        fn trim<T>(v: &mut Vec<T>) {
            if v.capacity() > 2 * v.len() {
                v.shrink_to_fit();
            }
        }
        let out = &mut self.out;
        trim(&mut out.input_rows);
        trim(&mut out.decision_codes);
        trim(&mut out.scores);
        trim(&mut out.risk_bands);
        trim(&mut out.winners);
        trim(&mut out.matched);
        out.rule_hits.iter_mut().for_each(trim);
    }

    /// Appends the next piece, whose rows are numbered from `row_base` (its samples and
    /// counts taken out of it).
    fn append(&mut self, s: &mut Sink, row_base: u64) {
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
        for (r, hits) in s.hits.iter().enumerate() {
            out.rule_hits[r].extend(hits.iter().map(|h| h + rec_base));
        }
        out.messages_skipped += s.skipped;
        for (k, v) in std::mem::take(&mut s.error_counts) {
            *out.error_counts.entry(k).or_insert(0) += v;
        }
        for (k, v) in std::mem::take(&mut s.warning_counts) {
            *out.warning_counts.entry(k).or_insert(0) += v;
        }
        out.warning_samples
            .extend(s.warnings.drain(..).map(|w| WarningSample {
                row_index: w.row + row_base,
                code: w.code,
                key: w.key,
            }));
        self.bad.extend(s.bad.drain(..).map(|mut b| {
            b.row += row_base;
            b
        }));
    }

    /// The batch's result: counts, samples, dead letters, the `Fail` ingest mode, timing.
    fn finish(self, opts: &EvalOptions, t0: Instant) -> Result<BatchResult, EvalError> {
        let Merged {
            mut out,
            bad,
            parse_ns,
            eval_ns,
        } = self;
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
