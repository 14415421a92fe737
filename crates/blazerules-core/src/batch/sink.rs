//! Per-thread state of a batch: the reader's scratch buffers and the sink that collects
//! per-record outputs and skipped records.

use crate::error::ErrorCode;
use crate::plan::caches::Caches;
use crate::plan::tree::Ctx;
use crate::read::reader::Fixup;
use crate::read::shape::Templates;
use crate::window::inputs::Inputs;
use simd_json::Tape;
use std::collections::BTreeMap;

/// One skipped record: where, and why.
#[derive(Debug, Clone)]
pub(crate) struct Bad {
    pub row: u64,
    pub code: ErrorCode,
    pub message: String,
    pub column: Option<String>,
    /// The record's bytes (for the dead-letter file).
    pub record: Option<Vec<u8>>,
}

/// One record's warning: decided, with something to know (a repeated key).
#[derive(Debug, Clone)]
pub(crate) struct Warn {
    pub row: u64,
    pub code: ErrorCode,
    pub key: String,
}

/// Per-thread parsing and evaluation state, reused across blocks and pieces.
pub(crate) struct Scratch {
    /// Unescaped text of the block's kept strings that had escapes.
    pub esc: String,
    pub fixups: Vec<Fixup>,
    /// Scratch for unescaping a key.
    pub key: String,
    /// Per field-trie node, and the repeated keys of a record (see `Out`).
    pub seen: Vec<bool>,
    pub dups: Vec<String>,
    /// The block's kept values as simd-json nodes (the evaluator's value representation).
    pub tape: Tape<'static>,
    /// Field slots, `n_slots` per record of a block.
    pub slots: Vec<u32>,
    pub prio: Vec<u8>,
    /// Matched-rule bitsets, one row per record of a block.
    pub bits: Vec<u64>,
    /// Records of the block that parsed to objects.
    pub ok: Vec<usize>,
    /// The evaluator's caches, from one block to the next (`plan/run.rs`): made and zeroed
    /// for every block they cost more than evaluating a small one.
    pub caches: Option<Caches>,
    pub ctx: Ctx,
    /// The longest record these buffers have parsed (they grow to fit it).
    pub largest_record: usize,
    /// Record shapes this thread learnt reading for a rule set (`Inner::id`), which its next
    /// piece for that rule set starts from: pieces and calls are often small (a few records
    /// over HTTP), and learning shapes anew for each cost more than reading their records.
    pub shapes: Option<(u64, Templates)>,
    /// Tape nodes a record took in the last block this thread kept (`batch/kept.rs`): a kept
    /// block's tape is its own, and sized from its predecessor's records it seldom regrows
    /// as it is filled.
    pub kept_tape_per_record: usize,
    /// Buffers of kept blocks already evaluated, for the next blocks this thread keeps
    /// (`batch/kept.rs`): a block's buffers are allocated once a thread, not once a block.
    pub kept_spare: Vec<KeptBufs>,
    /// Window inputs of pieces already evaluated, for the next pieces this thread keeps: a
    /// piece's inputs would otherwise grow from nothing, regrown (and copied) as it is read.
    pub inputs_spare: Vec<Inputs>,
}

/// A kept block's buffers, emptied (`batch/kept.rs`).
#[derive(Default)]
pub(crate) struct KeptBufs {
    pub tape: Vec<simd_json::Node<'static>>,
    pub fixups: Vec<Fixup>,
    pub esc: String,
    pub slots: Vec<u32>,
    pub rows: Vec<u64>,
    pub ok: Vec<usize>,
}

impl Scratch {
    pub fn new(now_ms: i64) -> Scratch {
        Scratch {
            esc: String::new(),
            fixups: Vec::new(),
            key: String::new(),
            seen: Vec::new(),
            dups: Vec::new(),
            tape: Tape(Vec::new()),
            slots: Vec::new(),
            prio: Vec::new(),
            bits: Vec::new(),
            ok: Vec::new(),
            caches: None,
            ctx: Ctx { now_ms },
            largest_record: 0,
            shapes: None,
            kept_tape_per_record: 0,
            kept_spare: Vec::new(),
            inputs_spare: Vec::new(),
        }
    }
}

/// Collects one piece of a batch: per-record outputs and skipped records.
pub(crate) struct Sink {
    pub rows: Vec<u32>,
    pub codes: Vec<i32>,
    pub scores: Vec<f64>,
    pub bands: Vec<u8>,
    pub winners: Vec<i32>,
    pub matched: Vec<u8>,
    pub hits: Vec<Vec<u32>>,
    pub skipped: u64,
    pub error_counts: BTreeMap<ErrorCode, u64>,
    pub bad: Vec<Bad>,
    /// Keep every bad record (dead-letter mode), not just the first `max_samples`.
    pub keep_all_bad: bool,
    pub max_samples: usize,
    pub max_record_bytes: usize,
    /// NDJSON: (row, 0-based line) wherever a line stops being its row plus the previous
    /// difference (after blank lines), and the piece's newline count.
    pub line_marks: Vec<(u32, u32)>,
    pub newlines: u64,
    /// A repeated key skips the record (DUPLICATE_KEY) instead of the last one winning.
    pub reject_dups: bool,
    pub warning_counts: BTreeMap<ErrorCode, u64>,
    /// The first `max_samples` warnings.
    pub warnings: Vec<Warn>,
    /// Time spent parsing / evaluating (per block, so timing costs nothing measurable).
    pub parse_ns: u64,
    pub eval_ns: u64,
    /// Records applied to window state.
    pub windowed: u64,
}

impl Sink {
    pub fn new(
        n_rules: usize,
        keep_all_bad: bool,
        max_samples: usize,
        max_record_bytes: usize,
    ) -> Sink {
        Sink {
            rows: Vec::new(),
            codes: Vec::new(),
            scores: Vec::new(),
            bands: Vec::new(),
            winners: Vec::new(),
            matched: Vec::new(),
            hits: vec![Vec::new(); n_rules],
            skipped: 0,
            error_counts: BTreeMap::new(),
            bad: Vec::new(),
            keep_all_bad,
            max_samples,
            max_record_bytes,
            line_marks: Vec::new(),
            newlines: 0,
            reject_dups: false,
            warning_counts: BTreeMap::new(),
            warnings: Vec::new(),
            parse_ns: 0,
            eval_ns: 0,
            windowed: 0,
        }
    }

    pub fn reserve(&mut self, n: usize) {
        self.rows.reserve(n);
        self.codes.reserve(n);
        self.scores.reserve(n);
        self.bands.reserve(n);
        self.winners.reserve(n);
        self.matched.reserve(n);
    }

    /// Empties the sink for another piece, its buffers' room kept (`batch/ordered.rs`).
    pub fn clear(&mut self) {
        // Every field named: one added later is cleared here too, or kept on purpose.
        let Sink {
            rows,
            codes,
            scores,
            bands,
            winners,
            matched,
            hits,
            skipped,
            error_counts,
            bad,
            keep_all_bad: _,
            max_samples: _,
            max_record_bytes: _,
            line_marks,
            newlines,
            reject_dups: _,
            warning_counts,
            warnings,
            parse_ns,
            eval_ns,
            windowed,
        } = self;
        rows.clear();
        codes.clear();
        scores.clear();
        bands.clear();
        winners.clear();
        matched.clear();
        hits.iter_mut().for_each(Vec::clear);
        error_counts.clear();
        bad.clear();
        line_marks.clear();
        warning_counts.clear();
        warnings.clear();
        (*skipped, *newlines, *parse_ns, *eval_ns, *windowed) = (0, 0, 0, 0, 0);
    }

    /// A decided record's repeated keys (emptied), each a DUPLICATE_KEY warning.
    #[cold]
    pub fn warn_dups(&mut self, row: u64, keys: &mut Vec<String>) {
        let code = ErrorCode::DuplicateKey;
        for key in keys.drain(..) {
            *self.warning_counts.entry(code).or_insert(0) += 1;
            if self.warnings.len() < self.max_samples {
                self.warnings.push(Warn { row, code, key });
            }
        }
    }

    /// Counts a skipped record. Its bytes are copied only when dead letters are kept: a
    /// skipped 1 GiB line must not be held twice.
    pub fn bad(&mut self, row: u64, code: ErrorCode, message: String, record: Option<&[u8]>) {
        self.skipped += 1;
        *self.error_counts.entry(code).or_insert(0) += 1;
        if self.keep_all_bad || self.bad.len() < self.max_samples {
            let record = record.filter(|_| self.keep_all_bad).map(<[u8]>::to_vec);
            self.bad.push(Bad {
                row,
                code,
                message,
                column: None,
                record,
            });
        }
    }
}
