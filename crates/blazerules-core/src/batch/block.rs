//! A block of records read and evaluated together: the reader fills slots for up to
//! `BLOCK` records, then the plan runs over all of them while their values are in cache.

use crate::batch::kept::Kept;
use crate::batch::sink::{Scratch, Sink};
use crate::error::ErrorCode;
use crate::plan::caches::Caches;
use crate::plan::tree::{Ctx, Record};
use crate::read::fields::MISSING;
use crate::read::reader::{read_record, Fixup, Out, Read, DUPLICATE_KEY};
use crate::read::shape::Templates;
use crate::ruleset::Inner;
use simd_json::{Node, Tape};
use std::time::Instant;

/// Records are read and evaluated a block at a time: the evaluator runs each rule's plan over
/// 64 records at once (see `exec`), and the block's values stay in cache between the two.
pub(crate) const BLOCK: usize = 128;

/// What a block does once read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Evaluates at once (rule sets without windows).
    Eval,
    /// Keeps the records until the piece's window stage (`batch/kept.rs`).
    Keep,
    /// As `Keep`, but only updates window state: nothing is decided (a replay).
    Replay,
    /// Only reads (to find a batch's bad records before it touches window state).
    Probe,
}

/// A block of records waiting to be evaluated, read straight from the caller's bytes.
pub(crate) struct Block<'p> {
    /// (record bytes, its text when already known to be UTF-8, row)
    pub(super) lines: Vec<(&'p [u8], Option<&'p str>, u64)>,
    /// Record shapes seen in this piece.
    pub(super) tpl: Templates,
    /// Records of this piece in earlier blocks.
    pub(super) seen: usize,
    pub(super) mode: Mode,
    /// `Keep`: the piece's blocks read so far, with their window inputs.
    pub(super) kept: Option<Box<Kept<'p>>>,
}

impl<'p> Block<'p> {
    pub fn new(rs: &Inner, mode: Mode) -> Self {
        Block {
            lines: Vec::with_capacity(BLOCK),
            tpl: Templates::new(rs.trie.disjoint),
            seen: 0,
            mode,
            kept: matches!(mode, Mode::Keep | Mode::Replay)
                .then(|| Box::new(Kept::new(&rs.windows))),
        }
    }

    /// Queues one record; evaluates the block when it is full.
    #[inline]
    pub fn push(
        &mut self,
        rs: &Inner,
        scratch: &mut Scratch,
        line: &'p [u8],
        text: Option<&'p str>,
        row: u64,
        sink: &mut Sink,
    ) {
        if sink.max_record_bytes > 0 && line.len() > sink.max_record_bytes {
            let msg = format!(
                "record of {} bytes exceeds maxRecordBytes ({})",
                line.len(),
                sink.max_record_bytes
            );
            sink.bad(row, ErrorCode::RecordTooLarge, msg, Some(line));
            return;
        }
        scratch.largest_record = scratch.largest_record.max(line.len());
        self.lines.push((line, text, row));
        if self.lines.len() == BLOCK {
            self.flush(rs, scratch, sink);
        }
    }

    /// Reads, evaluates and decides every queued record, in order (`Keep`: only reads).
    pub fn flush(&mut self, rs: &Inner, scratch: &mut Scratch, sink: &mut Sink) {
        if self.lines.is_empty() {
            return;
        }
        if self.kept.is_some() {
            return self.keep(rs, scratch, sink);
        }
        let t0 = Instant::now();
        self.start_shapes(rs, scratch);
        let Scratch {
            esc,
            fixups,
            key,
            seen,
            dups,
            tape,
            slots,
            prio,
            bits,
            ok,
            caches,
            ctx,
            ..
        } = scratch;
        let mut tp: Vec<Node<'p>> = std::mem::replace(tape, Tape(Vec::new())).reset().0;
        let bufs = Bufs {
            tape: &mut tp,
            fixups: &mut *fixups,
            esc: &mut *esc,
            key: &mut *key,
            seen: &mut *seen,
            dups: &mut *dups,
            slots: &mut *slots,
            prio: &mut *prio,
            ok: &mut *ok,
        };
        self.read(rs, bufs, sink);
        let tp = patch_escapes(tp, esc, fixups);
        let t1 = Instant::now();
        sink.parse_ns += (t1 - t0).as_nanos() as u64;
        if self.mode == Mode::Eval {
            let ns = rs.trie.n_slots;
            let recs: Vec<Record<'_, '_>> = ok
                .iter()
                .map(|&k| Record {
                    tape: &tp,
                    slots: &slots[k * ns..(k + 1) * ns],
                    win: &[],
                })
                .collect();
            let lines = &self.lines;
            evaluate_and_decide(rs, &recs, |j| lines[ok[j]].2, bits, caches, ctx, sink);
            sink.eval_ns += t1.elapsed().as_nanos() as u64;
        }
        *tape = Tape(tp).reset();
        self.seen += self.lines.len();
        self.lines.clear();
    }

    /// On the piece's first block: start from the shapes this thread learnt for the rule set.
    pub(super) fn start_shapes(&mut self, rs: &Inner, scratch: &mut Scratch) {
        if self.seen == 0 {
            if let Some((_, tpl)) = scratch.shapes.take().filter(|(id, _)| *id == rs.id) {
                self.tpl = tpl;
            }
        }
    }

    /// Reads every queued record into `b`: its kept values, its slots, and (when it is an
    /// object) its index in `b.ok`; a record that is not is skipped with its reason.
    #[inline]
    pub(super) fn read(&mut self, rs: &Inner, b: Bufs<'_, 'p>, sink: &mut Sink) {
        let ns = rs.trie.n_slots;
        let n = self.lines.len();
        b.esc.clear();
        b.fixups.clear();
        b.slots.clear();
        b.slots.resize(n * ns, MISSING);
        b.prio.clear();
        b.prio.resize(n * ns, 0);
        b.ok.clear();
        b.seen.resize(rs.trie.n_nodes(), false);
        for (k, &(line, text, row)) in self.lines.iter().enumerate() {
            let text = match text.map_or_else(|| std::str::from_utf8(line), Ok) {
                Ok(t) => t,
                Err(e) => {
                    let msg = format!("malformed json: at byte {}: invalid UTF-8", e.valid_up_to());
                    sink.bad(row, ErrorCode::MalformedJson, msg, Some(line));
                    continue;
                }
            };
            let (mark, fixed) = (b.tape.len(), b.fixups.len());
            let out = Out {
                tape: &mut *b.tape,
                fixups: &mut *b.fixups,
                esc: &mut *b.esc,
                slots: &mut b.slots[k * ns..(k + 1) * ns],
                prio: &mut b.prio[k * ns..(k + 1) * ns],
                key: &mut *b.key,
                seen: &mut *b.seen,
                dups: &mut *b.dups,
                reject_dups: sink.reject_dups,
            };
            let (code, bad) = match read_record(text, self.seen + k, &rs.trie, out, &mut self.tpl) {
                Ok(Read::Object) => {
                    b.ok.push(k);
                    if !b.dups.is_empty() {
                        sink.warn_dups(row, b.dups);
                    }
                    continue;
                }
                Ok(Read::NotObject) => (
                    ErrorCode::MalformedJson,
                    "record is not a JSON object".into(),
                ),
                Err(e) if e.what == DUPLICATE_KEY => (
                    ErrorCode::DuplicateKey,
                    format!(
                        "duplicate key {:?} at byte {}",
                        b.dups.last().map_or("", |k| k),
                        e.at
                    ),
                ),
                Err(e) => (
                    ErrorCode::MalformedJson,
                    format!("malformed json: at byte {}: {}", e.at, e.what),
                ),
            };
            b.dups.clear();
            b.tape.truncate(mark);
            b.fixups.truncate(fixed);
            sink.bad(row, code, bad, Some(line));
        }
    }
}

/// Evaluates all rules over a block's objects into a per-record bitset of matched rules, then
/// decides each record in order (`row_of(j)` is `recs[j]`'s row).
#[inline]
pub(super) fn evaluate_and_decide(
    rs: &Inner,
    recs: &[Record<'_, '_>],
    row_of: impl Fn(usize) -> u64,
    bits: &mut Vec<u64>,
    caches: &mut Option<Caches>,
    ctx: &Ctx,
    sink: &mut Sink,
) {
    let words = rs.rules.len().div_ceil(64).max(1);
    bits.clear();
    bits.resize(recs.len() * words, 0);
    rs.match_rules(recs, bits, ctx, caches);
    for j in 0..recs.len() {
        rs.decide(&bits[j * words..(j + 1) * words], row_of(j), sink);
    }
}

/// The reader's buffers for one block, borrowed apart from the rest of the scratch.
pub(super) struct Bufs<'b, 'p> {
    pub tape: &'b mut Vec<Node<'p>>,
    pub fixups: &'b mut Vec<Fixup>,
    pub esc: &'b mut String,
    pub key: &'b mut String,
    pub seen: &'b mut Vec<bool>,
    pub dups: &'b mut Vec<String>,
    pub slots: &'b mut Vec<u32>,
    pub prio: &'b mut Vec<u8>,
    pub ok: &'b mut Vec<usize>,
}

/// Once the block's escape arena is complete, points escaped strings' nodes at it.
#[inline]
pub(super) fn patch_escapes<'a>(
    tp: Vec<Node<'a>>,
    esc: &'a str,
    fixups: &[Fixup],
) -> Vec<Node<'a>> {
    let mut tp = tp;
    for f in fixups {
        if let Some(n) = tp.get_mut(f.node as usize) {
            *n = Node::String(
                esc.get(f.at as usize..(f.at + f.len) as usize)
                    .unwrap_or_default(),
            );
        }
    }
    tp
}
