//! Batch drivers: split a batch into pieces, evaluate them on all cores, merge in order.

use crate::batch::block::Block;
use crate::batch::options::{EvalOptions, IngestErrorMode};
use crate::batch::result::{BatchResult, ErrorSample, EvalError, Timing};
use crate::batch::sink::{Bad, Scratch, Sink};
use crate::error::ErrorCode;
use crate::read::lines::{for_each_line, trim_end};
use crate::ruleset::Inner;
use crate::value::elements;
use simd_json::Node;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A thread keeps its scratch buffers between batches unless a record was larger than this.
const SCRATCH_KEEP_MAX: usize = 1 << 20;

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

/// Below this many bytes a batch is evaluated on the calling thread.
const PARALLEL_MIN_BYTES: usize = 256 * 1024;
/// Pieces are at least this large, so per-piece overhead stays negligible...
const PIECE_MIN_BYTES: usize = 128 * 1024;
/// ...and at most this large, so a worker's padded copy stays cache-warm and its memory bounded.
const PIECE_MAX_BYTES: usize = 1024 * 1024;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn threads(opts: &EvalOptions) -> usize {
    // available_parallelism reads cgroup files on Linux: ask once, not per batch.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    match opts.threads {
        0 => *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        n => n,
    }
}

fn new_sink(rs: &Inner, opts: &EvalOptions) -> Sink {
    let keep_all = opts.ingest_error_mode == IngestErrorMode::DeadLetter;
    Sink::new(
        rs.rules.len(),
        keep_all,
        opts.max_error_samples,
        opts.max_record_bytes,
    )
}

/// Runs `work(piece_index, scratch, pad)` for every piece on up to `threads` threads and
/// returns the sinks in piece order.
fn run_pieces<W>(rs: &Inner, opts: &EvalOptions, n_pieces: usize, work: W) -> Vec<Sink>
where
    W: Fn(usize, &mut Scratch, &mut Sink) + Sync,
{
    let now = now_ms();
    let n_threads = threads(opts).min(n_pieces).max(1);
    let next = AtomicUsize::new(0);
    let worker = || {
        // Reuse this thread's parser buffers across batches (small batches are mostly setup).
        let mut scratch = SCRATCH
            .with(|c| c.take())
            .unwrap_or_else(|| Scratch::new(now));
        scratch.ctx.now_ms = now;
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n_pieces {
                break;
            }
            let mut sink = new_sink(rs, opts);
            work(i, &mut scratch, &mut sink);
            done.push((i, sink));
        }
        // Keep it only if no huge record inflated its buffers.
        if scratch.largest_record <= SCRATCH_KEEP_MAX {
            SCRATCH.with(|c| c.set(Some(scratch)));
        }
        done
    };
    let mut all: Vec<(usize, Sink)> = if n_threads == 1 {
        worker()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..n_threads).map(|_| s.spawn(worker)).collect();
            // A worker cannot panic on input; if one ever did, the panic goes on to the caller
            // (the napi glue turns it into a JS error) rather than losing that worker's pieces.
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    };
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, s)| s).collect()
}

/// Copies `src` into `pad` followed by the zero padding simd-json reads past a document.
fn fill_pad(pad: &mut Vec<u8>, src: &[u8]) {
    pad.clear();
    pad.reserve(src.len() + simd_json::INPUT_PADDING);
    pad.extend_from_slice(src);
    pad.resize(src.len() + simd_json::INPUT_PADDING, 0);
}

pub(crate) fn ndjson(
    rs: &Inner,
    payload: &[u8],
    opts: &EvalOptions,
) -> Result<BatchResult, EvalError> {
    let t0 = Instant::now();
    let n_threads = threads(opts);
    // Piece boundaries fall just after a newline, so no line is split.
    let mut bounds = vec![0usize];
    let target = if n_threads > 1 && payload.len() >= PARALLEL_MIN_BYTES {
        (payload.len() / (n_threads * 8)).clamp(PIECE_MIN_BYTES, PIECE_MAX_BYTES)
    } else {
        PIECE_MAX_BYTES
    };
    {
        let mut at = 0;
        while at + target < payload.len() {
            match memchr::memchr(b'\n', &payload[at + target..]) {
                Some(i) => {
                    at = at + target + i + 1;
                    bounds.push(at);
                }
                None => break,
            }
        }
    }
    bounds.push(payload.len());
    let n_pieces = bounds.len() - 1;
    let sinks = run_pieces(rs, opts, n_pieces, |i, scratch, sink| {
        let piece = &payload[bounds[i]..bounds[i + 1]];
        sink.reserve(piece.len() / 256);
        let mut block = Block::new(rs);
        let mut row = 0u64;
        // One UTF-8 check for the whole piece; lines are then slices of its text.
        let text = std::str::from_utf8(piece).ok();
        for_each_line(piece, |s, e| {
            let line_text = text.and_then(|t| t.get(s..e));
            block.push(rs, scratch, &piece[s..e], line_text, row, sink);
            row += 1;
        });
        block.flush(rs, scratch, sink);
    });
    finish(rs, sinks, opts, t0)
}

pub(crate) fn messages(
    rs: &Inner,
    msgs: &[&[u8]],
    opts: &EvalOptions,
) -> Result<BatchResult, EvalError> {
    let t0 = Instant::now();
    let total: usize = msgs.iter().map(|m| m.len()).sum();
    let n_threads = threads(opts);
    let per_piece = if n_threads > 1 && total >= PARALLEL_MIN_BYTES {
        msgs.len().div_ceil(n_threads * 8).max(64)
    } else {
        msgs.len().max(1)
    };
    let n_pieces = msgs.len().div_ceil(per_piece).max(1);
    let sinks = run_pieces(rs, opts, n_pieces, |i, scratch, sink| {
        let lo = i * per_piece;
        let hi = ((i + 1) * per_piece).min(msgs.len());
        let Some(chunk) = msgs.get(lo..hi) else {
            return;
        };
        // Rows are message indices within the piece; blank messages are not records.
        let mut block = Block::new(rs);
        for (j, m) in chunk.iter().enumerate() {
            let m = trim_end(m);
            if m.iter().all(|b| matches!(b, b' ' | b'\t')) {
                continue;
            }
            block.push(rs, scratch, m, None, j as u64, sink);
        }
        block.flush(rs, scratch, sink);
    });
    // Message indices are absolute once each piece's base is added; pieces hold per_piece rows.
    finish_with_bases(rs, sinks, opts, t0, |i, _| (i * per_piece) as u64)
}

pub(crate) fn json_array(
    rs: &Inner,
    payload: &[u8],
    opts: &EvalOptions,
) -> Result<BatchResult, EvalError> {
    let t0 = Instant::now();
    let sinks = run_pieces(
        rs,
        &EvalOptions {
            threads: 1,
            ..opts.clone()
        },
        1,
        |_, scratch, sink| {
            let mut pad = Vec::new();
            fill_pad(&mut pad, payload);
            let len = payload.len();
            let mut buffers = simd_json::Buffers::new(len);
            let mut tape = simd_json::Tape(Vec::new());
            match simd_json::fill_tape_padded(&mut pad, len, &mut buffers, &mut tape) {
                Err(_) => sink.bad(
                    0,
                    ErrorCode::MalformedJson,
                    "malformed json array".into(),
                    Some(payload.to_vec()),
                ),
                Ok(()) if !matches!(tape.0.first(), Some(Node::Array { .. })) => sink.bad(
                    0,
                    ErrorCode::MalformedJson,
                    "json-array input must be a top-level array".into(),
                    Some(payload.to_vec()),
                ),
                Ok(()) => {
                    for (row, el) in elements(&tape.0).enumerate() {
                        if matches!(el.first(), Some(Node::Object { .. })) {
                            rs.eval_record(el, scratch, row as u64, sink);
                        } else {
                            sink.bad(
                                row as u64,
                                ErrorCode::MalformedJson,
                                "malformed json array element: not a JSON object".into(),
                                None,
                            );
                        }
                    }
                }
            }
        },
    );
    finish(rs, sinks, opts, t0)
}

fn finish(
    rs: &Inner,
    sinks: Vec<Sink>,
    opts: &EvalOptions,
    t0: Instant,
) -> Result<BatchResult, EvalError> {
    // NDJSON: each piece's rows continue from the previous piece's line count.
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

fn finish_with_bases(
    rs: &Inner,
    sinks: Vec<Sink>,
    opts: &EvalOptions,
    t0: Instant,
    base_of: impl Fn(usize, &Sink) -> u64,
) -> Result<BatchResult, EvalError> {
    let n: usize = sinks.iter().map(|s| s.codes.len()).sum();
    let mut out = BatchResult {
        input_rows: Vec::with_capacity(n),
        decision_codes: Vec::with_capacity(n),
        scores: Vec::with_capacity(n),
        risk_bands: Vec::with_capacity(n),
        winners: Vec::with_capacity(n),
        matched: Vec::with_capacity(n),
        match_counts: vec![0; rs.rules.len()],
        rule_hits: vec![Vec::new(); rs.rules.len()],
        ruleset_version: rs.version.clone(),
        ..BatchResult::default()
    };
    let mut bad: Vec<Bad> = Vec::new();
    let (mut parse_ns, mut eval_ns) = (0u64, 0u64);
    for (i, s) in sinks.into_iter().enumerate() {
        parse_ns += s.parse_ns;
        eval_ns += s.eval_ns;
        let row_base = base_of(i, &s);
        let rec_base = out.decision_codes.len() as u32;
        out.input_rows
            .extend(s.rows.iter().map(|r| r + row_base as u32));
        out.decision_codes.extend_from_slice(&s.codes);
        out.scores.extend_from_slice(&s.scores);
        out.risk_bands.extend_from_slice(&s.bands);
        out.winners.extend_from_slice(&s.winners);
        out.matched.extend_from_slice(&s.matched);
        for (r, hits) in s.hits.into_iter().enumerate() {
            if rec_base == 0 && out.rule_hits[r].is_empty() {
                out.rule_hits[r] = hits;
            } else {
                out.rule_hits[r].extend(hits.iter().map(|h| h + rec_base));
            }
        }
        out.messages_skipped += s.skipped;
        for (k, v) in s.error_counts {
            *out.error_counts.entry(k).or_insert(0) += v;
        }
        bad.extend(s.bad.into_iter().map(|mut b| {
            b.row += row_base;
            b
        }));
    }
    for (r, hits) in out.rule_hits.iter().enumerate() {
        out.match_counts[r] = hits.len() as u64;
    }
    out.messages_processed = out.decision_codes.len() as u64 + out.messages_skipped;
    out.error_samples = bad
        .iter()
        .take(opts.max_error_samples)
        .map(|b| ErrorSample {
            row_index: b.row,
            code: b.code,
            message: b.message.clone(),
            column: b.column.clone(),
        })
        .collect();
    if opts.ingest_error_mode == IngestErrorMode::DeadLetter && !bad.is_empty() {
        write_dead_letters(opts, &bad)?;
    }
    if opts.ingest_error_mode == IngestErrorMode::Fail {
        if let Some(first) = bad.first() {
            return Err(EvalError {
                code: ErrorCode::MalformedJson,
                message: format!(
                    "{} record(s) could not be read; first at row {}: {}",
                    out.messages_skipped, first.row, first.message
                ),
            });
        }
    }
    let total = t0.elapsed().as_secs_f64() * 1000.0;
    // Parse and eval times are CPU time summed over threads.
    let scale = 1.0 / 1e6;
    out.timing = Timing {
        parse_ms: parse_ns as f64 * scale,
        eval_ms: eval_ns as f64 * scale,
        total_ms: total,
    };
    Ok(out)
}

/// Appends one JSON line per skipped record, with the record itself, to the dead-letter file.
fn write_dead_letters(opts: &EvalOptions, bad: &[Bad]) -> Result<(), EvalError> {
    let io_err = |e: std::io::Error| EvalError {
        code: ErrorCode::DeadLetterIo,
        message: format!("dead letter file: {e}"),
    };
    let Some(path) = &opts.dead_letter_path else {
        return Err(EvalError {
            code: ErrorCode::DeadLetterIo,
            message: "ingestErrorMode 'deadLetter' needs deadLetterPath".into(),
        });
    };
    let ts = now_ms();
    let mut buf = Vec::new();
    for b in bad {
        let line = serde_json::json!({
            "ts_ms": ts,
            "code": b.code.as_str(),
            "message": b.message,
            "source": "json",
            "row_index": b.row,
            "column_name": b.column.clone().unwrap_or_default(),
            "record": b.record.as_deref().map(|r| String::from_utf8_lossy(r).into_owned()),
        });
        buf.extend_from_slice(line.to_string().as_bytes());
        buf.push(b'\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err)?;
    f.write_all(&buf).map_err(io_err)
}
