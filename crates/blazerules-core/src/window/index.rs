//! A shard's entity index: entity ids by hash, one 8-byte word a slot (the hash's high 32 bits
//! as a tag, the id + 1), open addressing with linear probing. Where a lookup starts is known
//! from the hash alone and that slot holds both tag and id, so the stage can prefetch the
//! slots of a whole piece's entities before it reads any of them (a table of control bytes
//! beside one of ids costs two dependent misses a lookup).

use super::prefetch::prefetch;

#[derive(Default)]
pub(crate) struct Index {
    words: Vec<u64>,
    len: usize,
}

const EMPTY: u64 = 0;
const MIN_SLOTS: usize = 16;

fn tag(hash: u64) -> u64 {
    hash >> 32
}

/// The slot word of entity `id` (ids are below `u32::MAX`: they index the shard's slots).
fn word(hash: u64, id: u32) -> u64 {
    (tag(hash) << 32) | (u64::from(id) + 1)
}

fn id_of(w: u64) -> u32 {
    ((w & 0xffff_ffff) as u32).wrapping_sub(1)
}

impl Index {
    fn mask(&self) -> usize {
        self.words.len().wrapping_sub(1)
    }

    fn home(&self, hash: u64) -> usize {
        hash as usize & self.mask()
    }

    /// The ids whose tag matches `hash`'s, in probe order.
    fn candidates(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let (t, mask) = (tag(hash), self.mask());
        let mut at = (!self.words.is_empty()).then(|| self.home(hash));
        std::iter::from_fn(move || loop {
            let i = at?;
            let w = self.words[i];
            if w == EMPTY {
                at = None;
                return None;
            }
            at = Some((i + 1) & mask);
            if w >> 32 == t {
                return Some(id_of(w));
            }
        })
    }

    /// The first id whose tag matches: a guess, right unless two entities share a tag.
    pub fn guess(&self, hash: u64) -> Option<u32> {
        self.candidates(hash).next()
    }

    /// The id of `hash` that `is` accepts.
    pub fn find(&self, hash: u64, is: impl FnMut(&u32) -> bool) -> Option<u32> {
        self.candidates(hash).find(is)
    }

    /// Asks for the slot where a lookup of `hash` starts.
    pub fn prefetch(&self, hash: u64) {
        if let Some(w) = self.words.get(self.home(hash)) {
            prefetch(w);
        }
    }

    /// Adds `id` (not in the index) under `hash`; `hash_of` gives the others' hashes when the
    /// index grows. At most three quarters of the slots are used.
    pub fn insert(&mut self, hash: u64, id: u32, hash_of: impl Fn(u32) -> u64) {
        if (self.len + 1) * 4 > self.words.len() * 3 {
            let n = (self.words.len() * 2).max(MIN_SLOTS);
            let old = std::mem::replace(&mut self.words, vec![EMPTY; n]);
            for w in old.into_iter().filter(|&w| w != EMPTY) {
                self.place(hash_of(id_of(w)), w);
            }
        }
        self.place(hash, word(hash, id));
        self.len += 1;
    }

    fn place(&mut self, hash: u64, w: u64) {
        let mask = self.mask();
        let mut i = self.home(hash);
        while self.words[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.words[i] = w;
    }

    /// Removes `id` of `hash`, moving later entries of its run back into the hole (no
    /// tombstones: lookups stay as short as the load allows); `hash_of` as for `insert`.
    pub fn remove(&mut self, hash: u64, id: u32, hash_of: impl Fn(u32) -> u64) {
        let (target, mask) = (word(hash, id), self.mask());
        let mut i = self.home(hash);
        loop {
            match self.words.get(i) {
                Some(&w) if w == target => break,
                Some(&w) if w != EMPTY => i = (i + 1) & mask,
                _ => return,
            }
        }
        self.words[i] = EMPTY;
        self.len -= 1;
        let (mut hole, mut j) = (i, (i + 1) & mask);
        while self.words[j] != EMPTY {
            let home = self.home(hash_of(id_of(self.words[j])));
            // The entry may move back to the hole when the hole is between its home and it.
            if j.wrapping_sub(home) & mask >= j.wrapping_sub(hole) & mask {
                self.words[hole] = std::mem::replace(&mut self.words[j], EMPTY);
                hole = j;
            }
            j = (j + 1) & mask;
        }
    }

    /// Heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * std::mem::size_of::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Hashes whose low bits collide a lot (long runs), with distinct tags.
    fn hash(id: u32) -> u64 {
        (u64::from(id.wrapping_mul(2_654_435_761)) << 32) | u64::from(id % 7)
    }

    #[test]
    fn finds_what_was_inserted_and_not_what_was_removed() {
        let mut ix = Index::default();
        let mut live = HashMap::new();
        for id in 0..5000u32 {
            ix.insert(hash(id), id, hash);
            live.insert(id, ());
        }
        for id in (0..5000u32).filter(|id| id % 3 == 0) {
            ix.remove(hash(id), id, hash);
            live.remove(&id);
        }
        for id in 0..5000u32 {
            let found = ix.find(hash(id), |&x| x == id);
            assert_eq!(found.is_some(), live.contains_key(&id), "id {id}");
            if live.contains_key(&id) {
                assert_eq!(ix.guess(hash(id)), Some(id), "tags are distinct here");
            }
        }
        assert_eq!(ix.len, live.len());
        // Interleaved: the removed come back while others go.
        for id in 0..5000u32 {
            if id % 3 == 0 {
                ix.insert(hash(id), id, hash);
                live.insert(id, ());
            } else if id % 5 == 0 {
                ix.remove(hash(id), id, hash);
                live.remove(&id);
            }
        }
        for id in 0..5000u32 {
            let found = ix.find(hash(id), |&x| x == id);
            assert_eq!(found.is_some(), live.contains_key(&id), "id {id}");
        }
        assert_eq!(ix.len, live.len());
    }

    #[test]
    fn same_tag_entries_are_all_found() {
        let mut ix = Index::default();
        // One tag, and a home in the last slot: the run wraps around the end.
        let same = |_: u32| 0xabcd_0000_ffff_ffffu64;
        for id in 0..40u32 {
            ix.insert(same(id), id, same);
        }
        ix.remove(same(7), 7, same);
        assert_eq!(ix.find(same(0), |&x| x == 39), Some(39));
        assert_eq!(ix.find(same(0), |&x| x == 7), None);
        assert_eq!(ix.candidates(same(0)).count(), 39);
    }

    #[test]
    fn empty_index_finds_nothing() {
        let mut ix = Index::default();
        assert_eq!(ix.guess(1), None);
        ix.remove(1, 0, |_| 1);
        ix.prefetch(1);
    }
}
