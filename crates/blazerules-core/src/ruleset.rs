//! The compiled rule set and the per-record decision (rules-reference §4).

use crate::eval::{Ctx, Record};
use crate::exec::Evaluator;
use crate::json::Fixup;
use crate::ndjson::Bad;
use crate::plan::Plan;
use crate::record::FieldTrie;
use crate::result::{RISK_HIGH, RISK_LOW, RISK_MEDIUM};
use simd_json::{Node, Tape};
use std::collections::BTreeMap;

pub(crate) struct CRule {
    pub shadow: bool,
    /// What a match adds to the score.
    pub contrib: f64,
    pub cap: f64,
    pub rank: i32,
    pub severity: i32,
    pub priority: i64,
    pub label: i32,
}

pub(crate) struct Inner {
    pub name: String,
    pub version: String,
    pub rule_ids: Vec<String>,
    pub rule_names: Vec<String>,
    pub labels: Vec<String>,
    pub rules: Vec<CRule>,
    /// Every rule's condition, compiled together (`exec::Evaluator` runs it).
    pub plan: Plan,
    pub trie: FieldTrie,
    pub default_rank: i32,
    /// Per label code: the label is exactly BLOCK / REVIEW (risk band rule §4.3).
    pub label_block: Vec<bool>,
    pub label_review: Vec<bool>,
}

/// Per-thread parsing and evaluation state, reused across blocks and pieces.
pub(crate) struct Scratch {
    /// Unescaped text of the block's kept strings that had escapes.
    pub esc: String,
    pub fixups: Vec<Fixup>,
    /// Scratch for unescaping a key.
    pub key: String,
    /// The block's kept values as simd-json nodes (the evaluator's value representation).
    pub tape: Tape<'static>,
    /// Field slots, `n_slots` per record of a block.
    pub slots: Vec<u32>,
    pub prio: Vec<u8>,
    /// Matched-rule bitsets, one row per record of a block.
    pub bits: Vec<u64>,
    /// Records of the block that parsed to objects.
    pub ok: Vec<usize>,
    pub ctx: Ctx,
    /// The longest record these buffers have parsed (they grow to fit it).
    pub largest_record: usize,
}

impl Scratch {
    pub fn new(now_ms: i64) -> Scratch {
        Scratch {
            esc: String::new(),
            fixups: Vec::new(),
            key: String::new(),
            tape: Tape(Vec::new()),
            slots: Vec::new(),
            prio: Vec::new(),
            bits: Vec::new(),
            ok: Vec::new(),
            ctx: Ctx { now_ms },
            largest_record: 0,
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
    pub error_counts: BTreeMap<String, u64>,
    pub bad: Vec<Bad>,
    /// Keep every bad record (dead-letter mode), not just the first `max_samples`.
    pub keep_all_bad: bool,
    pub max_samples: usize,
    pub max_record_bytes: usize,
    /// Time spent parsing / evaluating (per block, so timing costs nothing measurable).
    pub parse_ns: u64,
    pub eval_ns: u64,
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
            parse_ns: 0,
            eval_ns: 0,
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

    pub fn bad(&mut self, row: u64, code: &'static str, message: String, record: Option<Vec<u8>>) {
        self.skipped += 1;
        *self.error_counts.entry(code.to_string()).or_insert(0) += 1;
        if self.keep_all_bad || self.bad.len() < self.max_samples {
            let record = if self.keep_all_bad { record } else { None };
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

impl Inner {
    /// Evaluates every rule on the object at `tape[0]` (one record at a time: JSON arrays).
    pub fn eval_record(&self, tape: &[Node<'_>], scratch: &mut Scratch, row: u64, sink: &mut Sink) {
        let ns = self.trie.n_slots;
        scratch.slots.resize(ns, 0);
        scratch.prio.resize(ns, 0);
        self.trie
            .extract(tape, &mut scratch.slots[..ns], &mut scratch.prio);
        let rec = Record {
            tape,
            slots: &scratch.slots[..ns],
        };
        let mut bits = vec![0u64; self.rules.len().div_ceil(64).max(1)];
        self.evaluator(&scratch.ctx)
            .run(std::slice::from_ref(&rec), &mut bits);
        self.decide(&bits, row, sink);
    }

    /// Runs the rules over records (its buffers live as long as it does).
    pub fn evaluator<'a>(&'a self, cx: &'a Ctx) -> Evaluator<'a> {
        Evaluator::new(&self.plan, cx)
    }

    /// Decision, score, risk band and winner from a record's matched-rule bitset (§4.2),
    /// visiting matched rules in rule order.
    #[inline]
    pub fn decide(&self, bits: &[u64], row: u64, sink: &mut Sink) {
        let index = sink.codes.len() as u32;
        let mut any = false;
        let mut score = 0.0f64;
        let (mut best_rank, mut best_sev, mut best_pri, mut winner) =
            (self.default_rank, -1i32, i64::MIN, -1i32);
        for (w, &word) in bits.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let i = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let Some(r) = self.rules.get(i) else { break };
                any = true;
                sink.hits[i].push(index);
                if r.shadow {
                    continue;
                }
                score += r.contrib;
                if r.cap > 0.0 && score > r.cap {
                    score = r.cap;
                }
                let wins = r.rank > best_rank
                    || (r.rank == best_rank
                        && (r.severity > best_sev
                            || (r.severity == best_sev && r.priority > best_pri)));
                if wins {
                    best_rank = r.rank;
                    best_sev = r.severity;
                    best_pri = r.priority;
                    winner = i as i32;
                }
            }
        }
        let code = if winner >= 0 {
            self.rules[winner as usize].label
        } else {
            0
        };
        let c = code as usize;
        let band = if self.label_block[c] || score >= 80.0 {
            RISK_HIGH
        } else if self.label_review[c] || score >= 40.0 {
            RISK_MEDIUM
        } else {
            RISK_LOW
        };
        sink.rows.push(row as u32);
        sink.codes.push(code);
        sink.scores.push(score);
        sink.bands.push(band);
        sink.winners.push(winner);
        sink.matched.push(u8::from(any));
    }
}
