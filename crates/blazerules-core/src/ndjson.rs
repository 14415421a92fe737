//! Record framing and parsing (rules-reference §5): NDJSON lines, messages, JSON arrays.
//! Bad records are skipped and reported, never aborting the batch.

use crate::eval::{eval, Record};
use crate::ruleset::{Inner, Scratch, Sink};
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

/// Records are parsed and evaluated a block at a time, rule-major: each rule's compiled tree
/// stays in cache while it runs over the whole block, which matters with hundreds of rules.
pub(crate) const BLOCK: usize = 128;

/// A block of records waiting to be evaluated: each copied into `buf` with its own padding,
/// so every record can be parsed in place independently.
pub(crate) struct Block<'p> {
    /// (source bytes, offset in `buf`, row)
    lines: Vec<(&'p [u8], usize, u64)>,
}

impl<'p> Block<'p> {
    pub fn new() -> Self {
        Block {
            lines: Vec::with_capacity(BLOCK),
        }
    }

    /// Queues one record; evaluates the block when it is full.
    #[inline]
    pub fn push(
        &mut self,
        rs: &Inner,
        scratch: &mut Scratch,
        line: &'p [u8],
        row: u64,
        sink: &mut Sink,
    ) {
        if sink.max_record_bytes > 0 && line.len() > sink.max_record_bytes {
            let msg = format!(
                "record of {} bytes exceeds maxRecordBytes ({})",
                line.len(),
                sink.max_record_bytes
            );
            sink.bad(row, "RECORD_TOO_LARGE", msg, Some(line.to_vec()));
            return;
        }
        scratch.largest_record = scratch.largest_record.max(line.len());
        let at = scratch.buf.len();
        scratch.buf.extend_from_slice(line);
        scratch
            .buf
            .resize(scratch.buf.len() + simd_json::INPUT_PADDING, 0);
        self.lines.push((line, at, row));
        if self.lines.len() == BLOCK {
            self.flush(rs, scratch, sink);
        }
    }

    /// Parses, evaluates and decides every queued record, in order.
    pub fn flush(&mut self, rs: &Inner, scratch: &mut Scratch, sink: &mut Sink) {
        if self.lines.is_empty() {
            return;
        }
        let t0 = Instant::now();
        let n = self.lines.len();
        let ns = rs.trie.n_slots;
        let Scratch {
            buffers,
            tapes,
            buf,
            slots,
            prio,
            bits,
            ok,
            ctx,
            ..
        } = scratch;
        let mut tp: Vec<Tape<'_>> = std::mem::take(tapes).into_iter().map(Tape::reset).collect();
        tp.resize_with(n, || Tape(Vec::new()));
        slots.resize(n * ns, 0);
        prio.resize(ns, 0);
        ok.clear();
        // Parse: hand out disjoint mutable segments of `buf`, one per record.
        let mut rest: &mut [u8] = &mut buf[..];
        let mut consumed = 0;
        for (k, (tape, &(line, at, row))) in tp.iter_mut().zip(&self.lines).enumerate() {
            let len = line.len();
            let Some((_, tail)) = std::mem::take(&mut rest).split_at_mut_checked(at - consumed)
            else {
                break;
            };
            let Some((seg, tail)) = tail.split_at_mut_checked(len + simd_json::INPUT_PADDING)
            else {
                break;
            };
            rest = tail;
            consumed = at + len + simd_json::INPUT_PADDING;
            match simd_json::fill_tape_padded(seg, len, buffers, tape) {
                Ok(()) if matches!(tape.0.first(), Some(Node::Object { .. })) => {
                    rs.trie
                        .extract(&tape.0, &mut slots[k * ns..(k + 1) * ns], prio);
                    ok.push(k);
                }
                Ok(()) => sink.bad(
                    row,
                    "MALFORMED_JSON",
                    "record is not a JSON object".into(),
                    Some(line.to_vec()),
                ),
                Err(e) => sink.bad(
                    row,
                    "MALFORMED_JSON",
                    format!("malformed json: {}", describe(&e)),
                    Some(line.to_vec()),
                ),
            }
        }
        let t1 = Instant::now();
        sink.parse_ns += (t1 - t0).as_nanos() as u64;
        // Evaluate rule-major into a per-record bitset of matched rules.
        let words = rs.rules.len().div_ceil(64).max(1);
        bits.clear();
        bits.resize(n * words, 0);
        for (ri, rule) in rs.rules.iter().enumerate() {
            let (w, bit) = (ri / 64, 1u64 << (ri % 64));
            for &k in ok.iter() {
                let rec = Record {
                    tape: &tp[k].0,
                    slots: &slots[k * ns..(k + 1) * ns],
                };
                if eval(&rule.cond, &rec, ctx) {
                    bits[k * words + w] |= bit;
                }
            }
        }
        for &k in ok.iter() {
            rs.decide(&bits[k * words..(k + 1) * words], self.lines[k].2, sink);
        }
        sink.eval_ns += t1.elapsed().as_nanos() as u64;
        *tapes = tp.into_iter().map(Tape::reset).collect();
        buf.clear();
        self.lines.clear();
    }
}

/// "malformed json" and where: the byte offset within the record and what the parser expected.
fn describe(e: &simd_json::Error) -> String {
    format!("at byte {}: {:?}", e.index(), e.error())
}
