//! Record framing and parsing (rules-reference §5): NDJSON lines, messages, JSON arrays.
//! Bad records are skipped and reported, never aborting the batch.

use crate::ruleset::{Inner, Scratch, Sink, TIMING_SAMPLE};
use memchr::memchr;
use simd_json::{Node, Tape};
use std::time::Instant;

/// One skipped record: where, and why.
#[derive(Debug, Clone)]
pub(crate) struct Bad {
    pub row: u64,
    pub code: &'static str,
    pub message: String,
    pub column: Option<String>,
    /// The record's bytes (for the dead-letter file).
    pub record: Option<Vec<u8>>,
}

/// Trailing `\r`, spaces and tabs are not part of a record.
#[inline]
pub(crate) fn trim_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    &line[..end]
}

/// Visits the non-empty lines of `buf` as (start, end) byte ranges.
#[inline]
pub(crate) fn for_each_line(buf: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut start = 0;
    while start < buf.len() {
        let end = memchr(b'\n', &buf[start..]).map_or(buf.len(), |i| start + i);
        let line = trim_end(&buf[start..end]);
        if !line.iter().all(|b| matches!(b, b' ' | b'\t')) {
            f(start, start + line.len());
        }
        start = end + 1;
    }
}

/// Parses the record in `pad[start..end]` (with `simd_json::INPUT_PADDING` bytes readable
/// after `end`) and hands it to the sink. Returns false when the record was skipped.
pub(crate) fn parse_and_eval(
    rs: &Inner,
    scratch: &mut Scratch,
    pad: &mut [u8],
    start: usize,
    end: usize,
    row: u64,
    sink: &mut Sink,
) {
    let len = end - start;
    if sink.max_record_bytes > 0 && len > sink.max_record_bytes {
        let msg = format!(
            "record of {len} bytes exceeds maxRecordBytes ({})",
            sink.max_record_bytes
        );
        let rec = pad[start..end].to_vec();
        sink.bad(row, "RECORD_TOO_LARGE", msg, Some(rec));
        return;
    }
    let mut tape: Tape<'_> = std::mem::replace(&mut scratch.tape, Tape(Vec::new())).reset();
    let Some(seg) = pad.get_mut(start..end + simd_json::INPUT_PADDING) else {
        scratch.tape = tape.reset();
        return;
    };
    let timed = row.is_multiple_of(TIMING_SAMPLE);
    let t0 = timed.then(Instant::now);
    let parsed = simd_json::fill_tape_padded(seg, len, &mut scratch.buffers, &mut tape);
    let t1 = t0.map(|t| {
        sink.parse_ns += t.elapsed().as_nanos() as u64;
        Instant::now()
    });
    match parsed {
        Ok(()) => {
            if matches!(tape.0.first(), Some(Node::Object { .. })) {
                rs.eval_record(&tape.0, scratch, row, sink);
                if let Some(t) = t1 {
                    sink.eval_ns += t.elapsed().as_nanos() as u64;
                }
            } else {
                scratch.tape = tape.reset();
                let rec = pad[start..end].to_vec();
                sink.bad(
                    row,
                    "MALFORMED_JSON",
                    "record is not a JSON object".into(),
                    Some(rec),
                );
                return;
            }
        }
        Err(e) => {
            scratch.tape = tape.reset();
            let rec = pad[start..end].to_vec();
            sink.bad(
                row,
                "MALFORMED_JSON",
                format!("malformed json: {}", describe(&e)),
                Some(rec),
            );
            return;
        }
    }
    scratch.tape = tape.reset();
}

fn describe(e: &simd_json::Error) -> String {
    // simd-json's Display includes the byte index; keep it short and stable.
    let s = e.to_string();
    s.lines().next().unwrap_or("invalid").to_string()
}
