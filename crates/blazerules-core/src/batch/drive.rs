//! The three ways into a batch: NDJSON, one record per message, and one top-level JSON
//! array. Each frames its records, evaluates them piece by piece on all cores (`pieces`) and
//! merges the pieces in order (`finish`).

use crate::batch::block::{Block, Mode};
use crate::batch::finish::{Merger, Rows};
use crate::batch::kept::Kept;
use crate::batch::options::{EvalOptions, IngestErrorMode};
use crate::batch::ordered::run_ordered;
use crate::batch::pieces::{line_bounds, messages_per_piece, run_pieces};
use crate::batch::result::{BatchResult, EvalError};
use crate::batch::sink::{Scratch, Sink};
use crate::error::ErrorCode;
use crate::read::lines::{for_each_line, trim_end};
use crate::ruleset::Inner;
use crate::window::stage::Stage;
use std::time::Instant;

/// Runs a batch's `n_pieces` pieces and merges them, their rows numbered as `rows` says:
/// `piece(i, mode, scratch, sink)` reads piece `i`, evaluating it too in `Eval` mode, and
/// returns what it kept for the window stage. Without windows the pieces are evaluated at
/// once and merged after; with windows, around the window stage of the batch's shard, which
/// the batch holds throughout (a fresh one when the options name none), evaluated after it
/// or (`replay`) not at all, and merged as they are done (`batch/ordered.rs`). In the `Fail`
/// ingest mode a batch with windows is first only read, so that a refused batch leaves the
/// state as it was.
fn with_windows<'p, P>(
    rs: &Inner,
    opts: &EvalOptions,
    n_pieces: usize,
    replay: bool,
    rows: Rows,
    piece: P,
) -> Merger
where
    P: Fn(usize, Mode, &mut Scratch, &mut Sink) -> Option<Box<Kept<'p>>> + Sync,
{
    let plain = |mode| {
        run_pieces(rs, opts, n_pieces, |i, scratch, sink| {
            piece(i, mode, scratch, sink);
        })
    };
    if rs.windows.is_empty() {
        return Merger::with_sinks(rs, rows, plain(Mode::Eval));
    }
    if opts.ingest_error_mode == IngestErrorMode::Fail {
        let probe = plain(Mode::Probe);
        if probe.iter().any(|s| s.skipped > 0) {
            return Merger::with_sinks(rs, rows, probe); // finishing it refuses the batch
        }
    }
    opts.with_shard(|shard| {
        let mut state = shard.lock();
        let stage = Stage::new(&rs.windows, &mut state);
        let mode = if replay { Mode::Replay } else { Mode::Keep };
        let merger = Merger::new(rs, rows, n_pieces);
        run_ordered(
            rs,
            opts,
            n_pieces,
            &stage,
            mode,
            merger,
            |i, scratch, sink| piece(i, mode, scratch, sink),
        )
    })
}

pub(crate) fn ndjson(
    rs: &Inner,
    payload: &[u8],
    opts: &EvalOptions,
) -> Result<BatchResult, EvalError> {
    let t0 = Instant::now();
    let bounds = line_bounds(payload, opts, !rs.windows.is_empty());
    let merged = with_windows(
        rs,
        opts,
        bounds.len() - 1,
        false,
        Rows::Lines,
        |i, mode, scratch, sink| {
            ndjson_piece(rs, &payload[bounds[i]..bounds[i + 1]], scratch, sink, mode)
        },
    );
    let unterminated = payload.last().is_some_and(|&b| b != b'\n');
    merged.finish(opts, t0, u64::from(unterminated))
}

/// One piece of an NDJSON batch.
fn ndjson_piece<'p>(
    rs: &Inner,
    piece: &'p [u8],
    scratch: &mut Scratch,
    sink: &mut Sink,
    mode: Mode,
) -> Option<Box<Kept<'p>>> {
    sink.reserve(piece.len() / 256);
    let mut block = Block::new(rs, mode);
    let mut row = 0u64;
    let mut lines = LineTrack::default();
    // One UTF-8 check for the whole piece; lines are then slices of its text.
    let text = std::str::from_utf8(piece).ok();
    for_each_line(piece, |s, e| {
        lines.line(piece, s, e, row as u32, sink);
        let line_text = text.and_then(|t| t.get(s..e));
        block.push(rs, scratch, &piece[s..e], line_text, row, sink);
        row += 1;
    });
    sink.newlines = lines.newlines(piece);
    block.finish(rs, scratch, sink)
}

/// Line numbers of a piece's non-empty lines, kept sparsely (the common case, no blank
/// lines, costs one comparison a line).
#[derive(Default)]
struct LineTrack {
    /// Where the previous non-empty line ended (0 before the first).
    from: usize,
    /// The 0-based line of the previous non-empty line.
    line: u32,
    /// `line - row` of the previous non-empty line.
    delta: u32,
}

impl LineTrack {
    #[inline]
    fn line(&mut self, piece: &[u8], s: usize, e: usize, row: u32, sink: &mut Sink) {
        // Between two lines: one newline, unless blank lines or trimmed bytes lie between.
        let gap = if s - self.from == 1 {
            1
        } else {
            memchr::memchr_iter(b'\n', &piece[self.from..s]).count() as u32
        };
        self.line += gap;
        self.from = e;
        if self.line - row != self.delta {
            self.delta = self.line - row;
            sink.line_marks.push((row, self.line));
        }
    }

    /// The piece's newlines.
    fn newlines(&self, piece: &[u8]) -> u64 {
        let rest = memchr::memchr_iter(b'\n', &piece[self.from..]).count() as u64;
        u64::from(self.line) + rest
    }
}

pub(crate) fn messages(
    rs: &Inner,
    msgs: &[&[u8]],
    opts: &EvalOptions,
) -> Result<BatchResult, EvalError> {
    let t0 = Instant::now();
    let per_piece = messages_per_piece(msgs, opts, !rs.windows.is_empty());
    message_pieces(rs, msgs, opts, per_piece, false).finish(opts, t0, 0)
}

/// What a replay did: records applied to window state, records skipped as unreadable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Replayed {
    pub records: u64,
    pub skipped: u64,
}

/// Applies each message to the window state as [`messages`] would, deciding nothing.
pub(crate) fn replay_messages(rs: &Inner, msgs: &[&[u8]], opts: &EvalOptions) -> Replayed {
    if rs.windows.is_empty() {
        return Replayed::default();
    }
    let per_piece = messages_per_piece(msgs, opts, !rs.windows.is_empty());
    let (records, skipped) = message_pieces(rs, msgs, opts, per_piece, true).replayed();
    Replayed { records, skipped }
}

/// Each message as one record, `per_piece` messages a piece (`replay`: state only).
fn message_pieces(
    rs: &Inner,
    msgs: &[&[u8]],
    opts: &EvalOptions,
    per_piece: usize,
    replay: bool,
) -> Merger {
    let n_pieces = msgs.len().div_ceil(per_piece).max(1);
    // Message indices are absolute once each piece's base is added; pieces hold per_piece rows.
    let rows = Rows::PerPiece(per_piece as u64);
    with_windows(
        rs,
        opts,
        n_pieces,
        replay,
        rows,
        |i, mode, scratch, sink| {
            let lo = i * per_piece;
            let hi = ((i + 1) * per_piece).min(msgs.len());
            let chunk = msgs.get(lo..hi).unwrap_or_default();
            let times = opts
                .record_times_ms
                .as_deref()
                .map(|t| t.get(lo.min(t.len())..hi.min(t.len())).unwrap_or_default());
            // Rows are message indices within the piece; blank messages are not records.
            let mut block = Block::new(rs, mode).with_times(times);
            for (j, m) in chunk.iter().enumerate() {
                let m = trim_end(m);
                if m.iter().all(|b| matches!(b, b' ' | b'\t')) {
                    continue;
                }
                block.push(rs, scratch, m, None, j as u64, sink);
            }
            block.finish(rs, scratch, sink)
        },
    )
}

pub(crate) fn json_array(
    rs: &Inner,
    payload: &[u8],
    opts: &EvalOptions,
) -> Result<BatchResult, EvalError> {
    let t0 = Instant::now();
    let one_thread = EvalOptions {
        threads: 1,
        ..opts.clone()
    };
    let rows = Rows::Continued;
    let merged = with_windows(rs, &one_thread, 1, false, rows, |_, mode, scratch, sink| {
        array_records(rs, payload, scratch, sink, mode)
    });
    merged.finish(opts, t0, 0)
}

/// Evaluates each element of a JSON array as one record (row = element index): a bad
/// element skips only itself. An array whose structure is broken (unterminated, unbalanced,
/// trailing bytes) is refused whole, as one bad record at row 0.
fn array_records<'p>(
    rs: &Inner,
    payload: &'p [u8],
    scratch: &mut Scratch,
    sink: &mut Sink,
    mode: Mode,
) -> Option<Box<Kept<'p>>> {
    let refused = match array_elements(payload) {
        Ok(elements) => {
            // Each element is read as an NDJSON record is (our reader: numbers of any size,
            // duplicate keys), and a bad one skips only itself.
            let mut block = Block::new(rs, mode);
            for (row, el) in elements.into_iter().enumerate() {
                block.push(rs, scratch, &payload[el], None, row as u64, sink);
            }
            return block.finish(rs, scratch, sink);
        }
        Err(NOT_ARRAY) => not_array(payload),
        Err(reason) => reason,
    };
    sink.bad(0, ErrorCode::MalformedJson, refused.into(), Some(payload));
    None
}

const NOT_ARRAY: &str = "json-array input must be a top-level array";

/// Why a payload that does not start with `[` is refused.
fn not_array(payload: &[u8]) -> &'static str {
    let mut pad = Vec::new();
    fill_pad(&mut pad, payload);
    let len = payload.len();
    let mut buffers = simd_json::Buffers::new(len);
    let mut tape = simd_json::Tape(Vec::new());
    match simd_json::fill_tape_padded(&mut pad, len, &mut buffers, &mut tape) {
        Err(_) => "malformed json array",
        Ok(()) => NOT_ARRAY,
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The byte ranges of a top-level array's elements (whitespace trimmed), found by its
/// structure alone (strings, brackets, commas); each element is read and checked later.
fn array_elements(p: &[u8]) -> Result<Vec<std::ops::Range<usize>>, &'static str> {
    let Some(open) = p.iter().position(|&b| !is_ws(b)) else {
        return Err(NOT_ARRAY);
    };
    if p[open] != b'[' {
        return Err(NOT_ARRAY);
    }
    let trim = |mut s: usize, mut e: usize| {
        while s < e && is_ws(p[s]) {
            s += 1;
        }
        while e > s && is_ws(p[e - 1]) {
            e -= 1;
        }
        s..e
    };
    let (mut out, mut depth, mut in_str, mut esc) = (Vec::new(), 0usize, false, false);
    let mut start = open + 1;
    for (i, &b) in p.iter().enumerate().skip(open + 1) {
        if in_str {
            (in_str, esc) = (esc || b != b'"', !esc && b == b'\\');
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth > 0 => depth -= 1,
            b',' if depth == 0 => {
                out.push(trim(start, i));
                start = i + 1;
            }
            b']' => {
                let last = trim(start, i);
                if !last.is_empty() || !out.is_empty() {
                    out.push(last);
                }
                if p[i + 1..].iter().all(|&b| is_ws(b)) {
                    return Ok(out);
                }
                return Err("malformed json array: bytes after the closing bracket");
            }
            b'}' => return Err("malformed json array: unbalanced brackets"),
            _ => {}
        }
    }
    Err("malformed json array: the array is not closed")
}

/// Copies `src` into `pad` followed by the zero padding simd-json reads past a document.
fn fill_pad(pad: &mut Vec<u8>, src: &[u8]) {
    pad.clear();
    pad.reserve(src.len() + simd_json::INPUT_PADDING);
    pad.extend_from_slice(src);
    pad.resize(src.len() + simd_json::INPUT_PADDING, 0);
}
