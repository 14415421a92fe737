//! The three ways into a batch: NDJSON, one record per message, and one top-level JSON
//! array. Each frames its records, evaluates them piece by piece on all cores (`pieces`) and
//! merges the pieces in order (`finish`).

use crate::batch::block::Block;
use crate::batch::finish::{finish, finish_with_bases};
use crate::batch::options::EvalOptions;
use crate::batch::pieces::{line_bounds, messages_per_piece, run_pieces};
use crate::batch::result::{BatchResult, EvalError};
use crate::batch::sink::{Scratch, Sink};
use crate::error::ErrorCode;
use crate::read::lines::{for_each_line, trim_end};
use crate::read::reader::array_elements;
use crate::ruleset::Inner;
use std::time::Instant;

pub(crate) fn ndjson(
    rs: &Inner,
    payload: &[u8],
    opts: &EvalOptions,
) -> Result<BatchResult, EvalError> {
    let t0 = Instant::now();
    let bounds = line_bounds(payload, opts);
    let sinks = run_pieces(rs, opts, bounds.len() - 1, |i, scratch, sink| {
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
    let per_piece = messages_per_piece(msgs, opts);
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
    let one_thread = EvalOptions {
        threads: 1,
        ..opts.clone()
    };
    let sinks = run_pieces(rs, &one_thread, 1, |_, scratch, sink| {
        array_records(rs, payload, scratch, sink)
    });
    finish(rs, sinks, opts, t0)
}

/// Splits a whole JSON array into its elements and evaluates each as a record, read as an
/// NDJSON record is (an element that is not an object is skipped on its own).
fn array_records(rs: &Inner, payload: &[u8], scratch: &mut Scratch, sink: &mut Sink) {
    let refused = match std::str::from_utf8(payload) {
        Err(e) => format!(
            "malformed json array: at byte {}: invalid UTF-8",
            e.valid_up_to()
        ),
        Ok(text) => match array_elements(text) {
            Err(e) => format!("malformed json array: at byte {}: {}", e.at, e.what),
            Ok(None) => "json-array input must be a top-level array".into(),
            Ok(Some(spans)) => {
                let mut block = Block::new(rs);
                for (row, &(s, e)) in spans.iter().enumerate() {
                    let (line, text) = (&payload[s..e], text.get(s..e));
                    block.push(rs, scratch, line, text, row as u64, sink);
                }
                block.flush(rs, scratch, sink);
                return;
            }
        },
    };
    sink.bad(0, ErrorCode::MalformedJson, refused, Some(payload.to_vec()));
}
