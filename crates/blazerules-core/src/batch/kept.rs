//! Blocks of a piece whose rule set has windows: read (and their window inputs taken) as the
//! piece is read, then, once the piece's window stage has filled in every record's window
//! values (`window::stage`), evaluated and decided in order. Rule sets without windows never
//! come here.

use crate::batch::block::{evaluate_and_decide, patch_escapes, Block, Bufs};
use crate::batch::pieces::SCRATCH_KEEP_MAX;
use crate::batch::sink::{KeptBufs, Scratch, Sink};
use crate::plan::tree::Record;
use crate::read::reader::Fixup;
use crate::read::shape::Templates;
use crate::rules::compile::Windows;
use crate::ruleset::Inner;
use crate::window::inputs::{Escapes, Inputs};
use simd_json::{Node, Tape};
use std::time::Instant;

/// One block as read: its tape (escaped strings not patched yet), escapes, slots, objects.
struct KeptBlock<'p> {
    tape: Vec<Node<'p>>,
    fixups: Vec<Fixup>,
    esc: String,
    slots: Vec<u32>,
    /// Per object of the block: its row.
    rows: Vec<u64>,
    /// Per object: its index among the block's records (its slots are at `ok[j] * n_slots`).
    ok: Vec<usize>,
}

/// A piece's blocks read so far, and their records' window inputs in order.
pub(crate) struct Kept<'p> {
    blocks: Vec<KeptBlock<'p>>,
    inputs: Inputs,
    /// Per record, a processing time of its own (by row), else the batch's clock.
    times: Option<&'p [i64]>,
}

impl<'p> Kept<'p> {
    pub fn new(w: &Windows) -> Kept<'p> {
        Kept {
            blocks: Vec::new(),
            inputs: Inputs::new(w),
            times: None,
        }
    }

    /// The piece's records' window inputs, in order.
    pub fn inputs(&self) -> &Inputs {
        &self.inputs
    }
}

impl<'p> Block<'p> {
    /// Per-record processing times by row (`EvalOptions::record_times_ms`, this piece's part).
    pub fn with_times(mut self, times: Option<&'p [i64]>) -> Self {
        if let Some(k) = &mut self.kept {
            k.times = times;
        }
        self
    }

    /// Reads the queued records into a kept block and takes their window inputs.
    pub(super) fn keep(&mut self, rs: &Inner, scratch: &mut Scratch, sink: &mut Sink) {
        let t0 = Instant::now();
        self.start_shapes(rs, scratch);
        let ns = rs.trie.n_slots;
        // Sized as the last block this thread kept, per record, plus a quarter: records are
        // alike, and a tape regrown by doubling cost more than the reading itself (per record:
        // a piece's last block is often a few records; from the previous block, not the
        // largest, and at most a node per two bytes of this block's text: one huge record
        // does not oversize later blocks).
        let KeptBufs {
            tape,
            mut fixups,
            mut esc,
            mut slots,
            mut rows,
            mut ok,
        } = scratch.kept_spare.pop().unwrap_or_default();
        let mut tape: Vec<Node<'p>> = tape;
        let bytes: usize = self.lines.iter().map(|l| l.0.len()).sum();
        let nodes = (scratch.kept_tape_per_record * self.lines.len()).min(bytes / 2);
        tape.reserve(nodes + nodes / 4);
        slots.reserve(self.lines.len() * ns);
        ok.reserve(self.lines.len());
        let Scratch {
            key,
            seen,
            dups,
            prio,
            ctx,
            kept_tape_per_record,
            inputs_spare,
            ..
        } = scratch;
        let bufs = Bufs {
            tape: &mut tape,
            fixups: &mut fixups,
            esc: &mut esc,
            key,
            seen,
            dups,
            slots: &mut slots,
            prio,
            ok: &mut ok,
        };
        self.read(rs, bufs, sink);
        *kept_tape_per_record = tape.len().div_ceil(self.lines.len().max(1));
        rows.extend(ok.iter().map(|&k| self.lines[k].2));
        let Some(kept) = self.kept.as_deref_mut() else {
            return;
        };
        let escapes = Escapes {
            esc: &esc,
            fixups: &fixups,
        };
        if kept.inputs.len() == 0 {
            if let Some(spare) = inputs_spare.pop() {
                kept.inputs.reuse(spare);
            }
        }
        let rec = |j: usize| Record {
            tape: &tape,
            slots: &slots[ok[j] * ns..(ok[j] + 1) * ns],
            win: &[],
        };
        let own = |j: usize| kept.times.and_then(|t| t.get(rows[j] as usize).copied());
        let proc_ms = |j: usize| own(j).unwrap_or(ctx.now_ms);
        kept.inputs
            .push_block(&rs.windows, ok.len(), rec, proc_ms, &escapes);
        kept.blocks.push(KeptBlock {
            tape,
            fixups,
            esc,
            slots,
            rows,
            ok,
        });
        sink.parse_ns += t0.elapsed().as_nanos() as u64;
        self.seen += self.lines.len();
        self.lines.clear();
    }

    /// Ends the piece's reading: reads what is queued and, with windows, returns what it
    /// kept for the window stage (`batch/ordered.rs`).
    pub fn finish(
        &mut self,
        rs: &Inner,
        scratch: &mut Scratch,
        sink: &mut Sink,
    ) -> Option<Box<Kept<'p>>> {
        self.flush(rs, scratch, sink);
        // The thread's next piece for this rule set starts from the shapes learnt here,
        // unless most records did not fit them.
        let tpl = std::mem::replace(&mut self.tpl, Templates::new(false));
        scratch.shapes = tpl.fitting().then_some((rs.id, tpl));
        self.kept.take()
    }
}

/// Evaluates and decides a piece's kept blocks, with each record's window values.
pub(crate) fn evaluate_kept(
    rs: &Inner,
    kept: Kept<'_>,
    values: &[f64],
    scratch: &mut Scratch,
    sink: &mut Sink,
) {
    let t0 = Instant::now();
    let (ns, nch) = (rs.trie.n_slots, rs.windows.channels.len());
    let mut first = 0;
    let Kept { blocks, inputs, .. } = kept;
    if scratch.inputs_spare.len() < KEPT_SPARE_MAX {
        scratch.inputs_spare.push(inputs);
    }
    for b in blocks {
        let tp = patch_escapes(b.tape, &b.esc, &b.fixups);
        let recs: Vec<Record<'_, '_>> =
            b.ok.iter()
                .enumerate()
                .map(|(j, &k)| Record {
                    tape: &tp,
                    slots: &b.slots[k * ns..(k + 1) * ns],
                    win: values
                        .get((first + j) * nch..(first + j + 1) * nch)
                        .unwrap_or(&[]),
                })
                .collect();
        let rows = &b.rows;
        evaluate_and_decide(
            rs,
            &recs,
            |j| rows[j],
            &mut scratch.bits,
            &mut scratch.caches,
            &scratch.ctx,
            sink,
        );
        first += b.ok.len();
        drop(recs);
        let tape = Tape(tp).reset().0; // emptied: it no longer borrows the block's text
        spare(
            scratch,
            KeptBufs {
                tape,
                fixups: b.fixups,
                esc: b.esc,
                slots: b.slots,
                rows: b.rows,
                ok: b.ok,
            },
        );
    }
    sink.eval_ns += t0.elapsed().as_nanos() as u64;
}

/// At most this many kept blocks' buffers (and pieces' window inputs) wait a thread for
/// reuse: a thread evaluates a piece (a block or two), then mostly reads the next one.
const KEPT_SPARE_MAX: usize = 4;

/// Keeps an evaluated block's buffers, emptied, for the thread's next kept block of this
/// batch (unless a huge record grew them: they are then freed, as `Scratch` itself would be).
/// (Allocating each block's buffers, and freeing them on whichever thread evaluated it,
/// was several per cent of a batch with windows.)
fn spare(scratch: &mut Scratch, mut bufs: KeptBufs) {
    if scratch.kept_spare.len() >= KEPT_SPARE_MAX || scratch.largest_record > SCRATCH_KEEP_MAX {
        return;
    }
    bufs.fixups.clear();
    bufs.esc.clear();
    bufs.slots.clear();
    bufs.rows.clear();
    bufs.ok.clear();
    scratch.kept_spare.push(bufs);
}

/// The first record of a piece's kept blocks, with its window values, handed to `f`
/// (explaining one record: `batch/one.rs`). None when no record was read.
pub(crate) fn first_record<T>(
    rs: &Inner,
    kept: Kept<'_>,
    values: &[f64],
    f: impl FnOnce(&Record<'_, '_>) -> T,
) -> Option<T> {
    let ns = rs.trie.n_slots;
    let b = kept.blocks.into_iter().next()?;
    let k = *b.ok.first()?;
    let tp = patch_escapes(b.tape, &b.esc, &b.fixups);
    let r = Record {
        tape: &tp,
        slots: b.slots.get(k * ns..(k + 1) * ns)?,
        win: values,
    };
    Some(f(&r))
}
