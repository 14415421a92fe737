//! Regex groups: the distinct patterns on one field run together as one `RegexSet`.

use crate::plan::prefilter::Lits;
use crate::plan::slot::{slot_of, Slot};
use crate::rules::compile::Test;
use regex::{RegexSet, RegexSetBuilder};
use std::collections::HashMap;

/// The regex group of each (slot, pattern): (group, index in its set).
pub(super) type GroupOf = HashMap<(u32, String), (u32, u32)>;

/// The regexes of one field, matched together.
pub(crate) struct ReGroup {
    pub at: Slot,
    pub set: RegexSet,
    /// When every pattern is literal (`Lits`): their literals, by anchoring. A string none
    /// of them may match matches no pattern, so the set need not run.
    pub gate: Option<Box<[Lits]>>,
}

/// A RegexSet for every field with two or more distinct patterns, and (slot, pattern) →
/// (group, index in the set).
pub(super) fn build_groups(tests: &[Option<Test>]) -> (Vec<ReGroup>, GroupOf) {
    let mut groups = Vec::new();
    let mut by_slot: HashMap<u32, (Slot, Vec<String>)> = HashMap::new();
    for t in tests.iter().flatten() {
        if let Test::Regex { f, re, .. } = t {
            if f.slot != u32::MAX {
                let e = by_slot
                    .entry(f.slot)
                    .or_insert_with(|| (slot_of(f), Vec::new()));
                if !e.1.iter().any(|p| p == re.as_str()) {
                    e.1.push(re.as_str().to_string());
                }
            }
        }
    }
    let mut slots: Vec<_> = by_slot
        .into_iter()
        .filter(|(_, e)| e.1.len() >= 2)
        .collect();
    slots.sort_by_key(|(s, _)| *s);
    let mut out = HashMap::new();
    for (slot, (at, patterns)) in slots {
        // Same size limit as a single regex; a set too large stays as separate regexes.
        let Ok(set) = RegexSetBuilder::new(&patterns).size_limit(1 << 24).build() else {
            continue;
        };
        let group = groups.len() as u32;
        let lits: Option<Vec<Lits>> = patterns.iter().map(|p| Lits::of(p)).collect();
        let gate = lits.and_then(|l| Lits::merge(&l));
        groups.push(ReGroup { at, set, gate });
        for (i, p) in patterns.into_iter().enumerate() {
            out.insert((slot, p), (group, i as u32));
        }
    }
    (groups, out)
}
