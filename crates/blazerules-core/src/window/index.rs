//! A shard's index from an entity's hash to its slot: one 8-byte word per entry, the upper
//! half of the hash (its tag) and the slot, in an open-addressing table with linear probing,
//! 8 words to a cache line. Finding the slot of a hash reads one line of one page in most
//! cases (a table with control bytes apart from its entries reads two, on two pages: with 1 M
//! entities nearly every lookup misses the cache and the TLB, so this is what a lookup costs).
//!
//! An entry's place follows from its tag alone, so the table grows and deletes (by shifting
//! the entries after it back, no tombstones) without reading any entity. Two entries can have
//! the same tag: the index only says where an entity may be, and its slot is checked.

/// An empty place.
const EMPTY: u64 = 0;

/// At most this share of the places is used (linear probing stays short at half full).
const MAX_LOAD_NUM: usize = 1;
const MAX_LOAD_DEN: usize = 2;

#[derive(Default)]
pub(crate) struct Index {
    /// `tag << 32 | slot + 1`, or `EMPTY`; the length is 0 or a power of two.
    words: Vec<u64>,
    len: usize,
}

fn tag(hash: u64) -> u64 {
    hash >> 32
}

fn word(hash: u64, slot: u32) -> u64 {
    tag(hash) << 32 | (u64::from(slot) + 1)
}

fn slot_of(w: u64) -> u32 {
    (w as u32).wrapping_sub(1)
}

impl Index {
    fn mask(&self) -> usize {
        self.words.len().wrapping_sub(1)
    }

    /// The first place of an entry with tag `t` (Fibonacci hashing of the tag, so that
    /// entries with nearby tags spread out).
    fn home(&self, t: u64) -> usize {
        let bits = self.words.len().trailing_zeros();
        (t.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// The places an entry with tag `t` may be at, in probe order, up to the first empty one.
    fn probe(&self, t: u64) -> impl Iterator<Item = (usize, u64)> + '_ {
        let (mask, start) = (self.mask(), self.home(t));
        (0..self.words.len())
            .map(move |k| (start + k) & mask)
            .map(|i| (i, self.words[i]))
            .take_while(|&(_, w)| w != EMPTY)
    }

    /// The first slot with the tag of `hash` for which `is` holds.
    pub fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let t = tag(hash);
        self.probe(t)
            .map(|(_, w)| w)
            .find(|&w| w >> 32 == t && is(slot_of(w)))
            .map(slot_of)
    }

    /// Adds `slot` under `hash` (the caller knows it is not there yet).
    pub fn insert(&mut self, hash: u64, slot: u32) {
        if (self.len + 1) * MAX_LOAD_DEN > self.words.len() * MAX_LOAD_NUM {
            self.grow();
        }
        self.put(word(hash, slot));
        self.len += 1;
    }

    fn put(&mut self, w: u64) {
        let mask = self.mask();
        let mut i = self.home(w >> 32);
        while self.words[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.words[i] = w;
    }

    fn grow(&mut self) {
        let cap = (self.words.len() * 2).max(16);
        let old = std::mem::replace(&mut self.words, vec![EMPTY; cap]);
        for w in old.into_iter().filter(|&w| w != EMPTY) {
            self.put(w);
        }
    }

    /// Removes `slot`, indexed under `hash`; false if it was not there.
    pub fn remove(&mut self, hash: u64, slot: u32) -> bool {
        let target = word(hash, slot);
        let at = self.probe(tag(hash)).find(|&(_, w)| w == target);
        let Some((mut hole, _)) = at else {
            return false;
        };
        // Backward shift: each later entry of the run moves into the hole unless its home
        // lies (cyclically) after the hole, up to where it is.
        let mask = self.mask();
        let mut i = hole;
        loop {
            i = (i + 1) & mask;
            let w = self.words[i];
            if w == EMPTY {
                break;
            }
            let home = self.home(w >> 32);
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                self.words[hole] = w;
                hole = i;
            }
        }
        self.words[hole] = EMPTY;
        self.len -= 1;
        true
    }

    pub fn capacity(&self) -> usize {
        self.words.capacity()
    }

    pub fn heap_bytes(&self) -> usize {
        self.capacity() * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::Index;
    use std::collections::HashMap;

    /// A hash whose tag is `t` (its lower half differs, and is ignored).
    fn h(t: u32, low: u32) -> u64 {
        u64::from(t) << 32 | u64::from(low)
    }

    fn all(ix: &Index, hash: u64) -> Vec<u32> {
        let mut v = Vec::new();
        ix.find(hash, |s| {
            v.push(s);
            false
        });
        v.sort_unstable();
        v
    }

    #[test]
    fn finds_what_it_holds_through_growth_and_removals() {
        let mut ix = Index::default();
        let mut model: HashMap<u32, u64> = HashMap::new();
        let hash = |k: u32| (u64::from(k)).wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ 0x1234_5678;
        for k in 0..20_000u32 {
            ix.insert(hash(k), k);
            model.insert(k, hash(k));
            if k % 3 == 0 {
                let gone = k / 2;
                if let Some(hs) = model.remove(&gone) {
                    assert!(ix.remove(hs, gone));
                    assert!(!ix.remove(hs, gone), "removed twice");
                }
            }
        }
        assert_eq!(ix.len, model.len());
        assert!(ix.words.len() >= 2 * ix.len && ix.words.len().is_power_of_two());
        for k in 0..20_000u32 {
            let found = ix.find(hash(k), |s| s == k);
            assert_eq!(found.is_some(), model.contains_key(&k), "{k}");
        }
    }

    #[test]
    fn entries_with_the_same_tag_are_all_found_and_removed_one_by_one() {
        let mut ix = Index::default();
        // 40 slots under one tag, and other tags around them: one long probe run.
        for s in 0..40 {
            ix.insert(h(7, s), s);
            ix.insert(h(1000 + s, 0), 100 + s);
        }
        assert_eq!(all(&ix, h(7, 999)), (0..40).collect::<Vec<_>>());
        assert_eq!(ix.find(h(7, 0), |s| s == 23), Some(23));
        for s in (0..40).step_by(2) {
            assert!(ix.remove(h(7, 0), s));
        }
        assert_eq!(all(&ix, h(7, 0)), (1..40).step_by(2).collect::<Vec<_>>());
        for s in 0..40 {
            assert_eq!(ix.find(h(1000 + s, 5), |x| x == 100 + s), Some(100 + s));
        }
        assert_eq!(ix.find(h(8, 0), |_| true), None);
    }

    #[test]
    fn a_removal_keeps_every_other_entry_of_a_wrapped_run_findable() {
        let mut ix = Index::default();
        ix.insert(h(1, 0), 0); // capacity 16
        let cap = ix.words.len();
        // Tags whose home is the last place: their run wraps around to the start.
        let last: Vec<u32> = (2..u32::MAX)
            .filter(|&t| ix.home(u64::from(t)) == cap - 1)
            .take(4)
            .collect();
        for (s, &t) in last.iter().enumerate() {
            ix.insert(h(t, 0), 10 + s as u32);
        }
        assert_eq!(ix.words.len(), cap, "no growth in between");
        assert!(ix.remove(h(last[0], 0), 10));
        for (s, &t) in last.iter().enumerate().skip(1) {
            assert_eq!(ix.find(h(t, 0), |_| true), Some(10 + s as u32));
        }
        assert_eq!(ix.find(h(1, 0), |_| true), Some(0));
        assert_eq!(ix.find(h(last[0], 0), |_| true), None);
    }
}
