//! The decision of an explained record, by the engine's own `decide` (rules-reference §4):
//! the decision, score, band and winner; what each matched rule added to the score (the
//! score after each matched rule, in rule order: caps apply at a rule's turn); and why the
//! winner won (which of precedence, severity, priority or rule order put it above the rule
//! that would win without it).

use super::Winner;
use crate::batch::result::RISK_BAND_NAMES;
use crate::batch::sink::Sink;
use crate::rules::load::SEVERITIES;
use crate::ruleset::{CRule, Inner};

/// One record's outcome (`decide` on a record's matched-rule bitset).
pub(crate) struct Outcome {
    pub code: i32,
    pub score: f64,
    pub band: &'static str,
    /// Index of the winning rule.
    pub winner: Option<usize>,
}

pub(crate) fn outcome(rs: &Inner, bits: &[u64]) -> Outcome {
    let mut sink = Sink::new(rs.rules.len(), false, 0, 0);
    rs.decide(bits, 0, &mut sink);
    Outcome {
        code: sink.codes.first().copied().unwrap_or(0),
        score: sink.scores.first().copied().unwrap_or(0.0),
        band: RISK_BAND_NAMES[usize::from(sink.bands.first().copied().unwrap_or(0)).min(2)],
        winner: sink.winners.first().and_then(|&w| usize::try_from(w).ok()),
    }
}

/// What each rule added to the score (0 unless it matched and is not shadow).
pub(crate) fn contributions(rs: &Inner, bits: &[u64]) -> Vec<f64> {
    let mut out = vec![0.0; rs.rules.len()];
    let mut prefix = vec![0u64; bits.len()];
    let mut before = 0.0;
    for i in set_bits(bits) {
        prefix[i / 64] |= 1 << (i % 64);
        if rs.rules.get(i).is_some_and(|r| !r.shadow) {
            let after = outcome(rs, &prefix).score;
            out[i] = after - before;
            before = after;
        }
    }
    out
}

fn set_bits(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(w, &word)| {
        (0..64)
            .filter(move |b| word & (1 << b) != 0)
            .map(move |b| w * 64 + b)
    })
}

/// The winner and why it beat the rule that would win without it.
pub(crate) fn winner(rs: &Inner, bits: &[u64], won: usize) -> Winner {
    let w = &rs.rules[won];
    let label = |r: &CRule| rs.labels.get(r.label as usize).map_or("", String::as_str);
    let severity = |r: &CRule| {
        SEVERITIES
            .get(r.severity as usize)
            .copied()
            .unwrap_or("LOW")
    };
    let mut without = bits.to_vec();
    without[won / 64] &= !(1 << (won % 64));
    let mut why = format!("highest precedence {}", label(w));
    match outcome(rs, &without).winner {
        None => {
            let shadow = set_bits(bits).any(|i| rs.rules.get(i).is_some_and(|r| r.shadow));
            why.push_str(if shadow {
                "; the only matching rule that is not shadow"
            } else {
                "; the only matching rule"
            });
        }
        Some(next) => {
            let (n, id) = (&rs.rules[next], &rs.rule_ids[next]);
            why.push_str(&if w.rank != n.rank {
                format!("; {} ranks above {} of rule {id}", label(w), label(n))
            } else if w.severity != n.severity {
                format!("; severity {} beats {} of rule {id}", severity(w), severity(n))
            } else if w.priority != n.priority {
                format!("; priority {} beats {} of rule {id}", w.priority, n.priority)
            } else {
                format!("; ties with rule {id} on precedence, severity and priority: the earlier rule wins")
            });
        }
    }
    Winner {
        rule_id: rs.rule_ids[won].clone(),
        why,
    }
}
