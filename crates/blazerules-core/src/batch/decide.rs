//! The per-record decision (rules-reference §4): decision, score, risk band and winner
//! from the matched-rule bitset the plan produced.

use crate::batch::result::{RISK_HIGH, RISK_LOW, RISK_MEDIUM};
use crate::batch::sink::Sink;
use crate::plan::caches::Caches;
use crate::plan::run::Evaluator;
use crate::plan::tree::{Ctx, Record};
use crate::ruleset::Inner;

/// Room a rule's list of matched records starts with in a piece.
const FIRST_HITS: usize = 64;

impl Inner {
    /// Runs the rules over records (its buffers live as long as it does).
    pub fn evaluator<'a>(&'a self, cx: &'a Ctx) -> Evaluator<'a> {
        Evaluator::new(&self.plan, cx)
    }

    /// Sets each record's matched-rule bits (`Evaluator::run`) with the evaluator's caches
    /// kept in `caches`, for the thread's next block.
    pub fn match_rules(
        &self,
        recs: &[Record<'_, '_>],
        bits: &mut [u64],
        cx: &Ctx,
        caches: &mut Option<Caches>,
    ) {
        let mut ev = Evaluator::with_caches(&self.plan, cx, caches.take());
        ev.run(recs, bits);
        *caches = Some(ev.into_caches());
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
                let hits = &mut sink.hits[i];
                if hits.capacity() == 0 {
                    // A rule that matches once mostly matches again: skip the smallest
                    // regrowths (a piece with windows is a few hundred records).
                    hits.reserve(FIRST_HITS);
                }
                hits.push(index);
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
