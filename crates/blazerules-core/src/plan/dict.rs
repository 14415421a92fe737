//! Set dictionaries: every string of a field's set leaves gets an id, so a record's value is
//! looked up once per block and each set leaf tests a bit.

use crate::plan::prefilter::same;
use crate::plan::slot::{slot_of, Slot};
use crate::rules::compile::Test;
use crate::rules::op::SetMode;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The dictionary of each field with set leaves, by slot: (dictionary, string → id), the
/// strings borrowed from the leaves.
pub(super) type DictOf<'t> = HashMap<u32, (u32, HashMap<&'t str, u32>)>;

/// The strings of every set leaf on one field.
pub(crate) struct Dict {
    pub at: Slot,
    pub ids: Ids,
}

/// String → dictionary id. Strings of up to 7 bytes are packed into a word with their length
/// (`pack`): scanned when few, else hashed; longer strings are hashed as they are.
pub(crate) struct Ids {
    short: Box<[u64]>,
    short_ids: Box<[u32]>,
    short_map: HashMap<u64, u32, BuildHasherDefault<FxHasher>>,
    long: Box<[(Box<[u8]>, u32)]>,
    long_map: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
}

/// Up to this many packed (or longer) strings are scanned rather than hashed.
const SCAN: usize = 16;

/// A string of up to 7 bytes as one word: its bytes (little-endian) and its length on top.
#[inline(always)]
fn pack(s: &[u8]) -> Option<u64> {
    if s.len() > 7 {
        return None;
    }
    let mut w = (s.len() as u64) << 56;
    for (i, &b) in s.iter().enumerate() {
        w |= u64::from(b) << (8 * i);
    }
    Some(w)
}

impl Ids {
    fn new(ids: &HashMap<&str, u32>) -> Ids {
        let mut short: Vec<(u64, u32)> = Vec::new();
        let mut long: Vec<(&str, u32)> = Vec::new();
        for (&k, &id) in ids {
            match pack(k.as_bytes()) {
                Some(w) => short.push((w, id)),
                None => long.push((k, id)),
            }
        }
        short.sort_unstable();
        long.sort_unstable();
        let short_map = if short.len() > SCAN {
            short.iter().copied().collect()
        } else {
            HashMap::default()
        };
        // Long strings are copied once: into the map, or (few) into the scanned list.
        let (long, long_map) = if long.len() > SCAN {
            let map = long.into_iter().map(|(k, id)| (k.into(), id)).collect();
            (Box::default(), map)
        } else {
            let list = long
                .into_iter()
                .map(|(k, id)| (k.as_bytes().into(), id))
                .collect();
            (list, HashMap::default())
        };
        Ids {
            short: short.iter().map(|e| e.0).collect(),
            short_ids: short.iter().map(|e| e.1).collect(),
            short_map,
            long,
            long_map,
        }
    }

    #[inline(always)]
    pub fn get(&self, s: &str) -> Option<u32> {
        match pack(s.as_bytes()) {
            Some(w) if self.short.len() <= SCAN => {
                let i = self.short.iter().position(|&k| k == w)?;
                self.short_ids.get(i).copied()
            }
            None if self.long_map.is_empty() => {
                let s = s.as_bytes();
                self.long
                    .iter()
                    .find(|(k, _)| k.len() == s.len() && same(k, s))
                    .map(|e| e.1)
            }
            _ => self.hashed(s),
        }
    }

    #[inline(never)]
    fn hashed(&self, s: &str) -> Option<u32> {
        match pack(s.as_bytes()) {
            Some(w) => self.short_map.get(&w).copied(),
            None => self.long_map.get(s).copied(),
        }
    }
}

/// A dictionary for every field with any/none-of set leaves, and where each field's is.
pub(super) fn build_dicts(tests: &[Option<Test>]) -> (Vec<Dict>, DictOf<'_>) {
    let mut dicts = Vec::new();
    let mut by_slot: HashMap<u32, (Slot, usize, Vec<&str>)> = HashMap::new();
    for t in tests.iter().flatten() {
        if let Test::Set {
            f,
            set,
            mode: SetMode::Any | SetMode::NoneOf,
        } = t
        {
            if f.slot != u32::MAX {
                let e = by_slot
                    .entry(f.slot)
                    .or_insert_with(|| (slot_of(f), 0, Vec::new()));
                e.1 += 1;
                e.2.extend(set.items());
            }
        }
    }
    let mut slots: Vec<_> = by_slot.into_iter().collect();
    slots.sort_by_key(|(s, _)| *s);
    let mut out = HashMap::new();
    for (slot, (at, _, items)) in slots {
        let mut ids: HashMap<&str, u32> = HashMap::with_capacity(items.len());
        for it in items {
            let next = ids.len() as u32;
            ids.entry(it).or_insert(next);
        }
        let dict = dicts.len() as u32;
        dicts.push(Dict {
            at,
            ids: Ids::new(&ids),
        });
        out.insert(slot, (dict, ids));
    }
    (dicts, out)
}

/// FxHash (rustc's): a few multiply-rotates per word, plenty for short dictionary keys.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits, which pick the bucket, depending only on the low
        // bits of the input: keys that differ only in later bytes ("v1000001", "v1000002", …)
        // would share buckets and make a large dictionary quadratic to build. Rotating the
        // well-mixed high bits down fixes that (as rustc-hash 2 does).
        self.hash.rotate_left(26)
    }
}
