//! Record shapes seen before, so that most records are read without looking at their keys.
//!
//! NDJSON producers write every record with the same keys in the same order. Reading a record
//! with the general reader, we note the bytes between one value and the next ("glue": commas,
//! keys, colons, braces) and what the next value is to the rules. Later records are matched
//! glue by glue against that; values are still read (and checked) by the general value
//! reader. Identical glue means an identical parser state, so the result is the general
//! reader's, byte for byte; on the first difference the record is read again by the general
//! reader, and its shape is added. Shapes form a tree: records that differ only near their end
//! (an optional key) share their first steps.

use crate::read::fields::Hit;

/// Enough for a few dozen shapes of a wide record; past it, new shapes are not learnt.
const MAX_OPS: usize = 4096;
/// Glue bytes one op holds; longer glue takes several ops.
const SPAN: usize = 32;
pub(crate) const NONE: u32 = u32::MAX;

/// One step of a shape while it is recorded: glue (a range of the line), then a value.
pub(crate) struct Step {
    pub glue: (u32, u32),
    /// What the value is to the rules (None: checked and dropped).
    pub hit: Option<Hit>,
    /// Nesting depth at the value.
    pub depth: u32,
    /// The glue ends the record (no value follows).
    pub end: bool,
}

/// Up to 32 bytes of glue, then a value, the end of the record, or more glue.
pub(crate) struct Op {
    words: [u64; 4],
    masks: [u64; 4],
    pub len: u32,
    pub end: bool,
    pub value: bool,
    pub depth: u32,
    /// What the value is to the rules, unpacked: the slot (NONE: not kept) and its priority, and the trie node below.
    pub slot: u32,
    pub prio: u8,
    pub child: Option<usize>,
    /// First op of the next step, and the next alternative to this one.
    pub kid: u32,
    sibling: u32,
}

impl Op {
    /// `s[pos..]` starts with this op's glue (and, for an end op, is exactly it).
    #[inline]
    pub fn fits(&self, s: &[u8], pos: usize) -> bool {
        let len = self.len as usize;
        let Some(rest) = s.get(pos..) else {
            return false;
        };
        if self.end && rest.len() != len {
            return false;
        }
        match rest.first_chunk::<SPAN>() {
            Some(c) => {
                let w = |j: usize| {
                    c.get(8 * j..8 * j + 8)
                        .and_then(|b| b.first_chunk::<8>())
                        .map_or(0, |b| u64::from_le_bytes(*b))
                };
                ((w(0) & self.masks[0]) ^ self.words[0])
                    | ((w(1) & self.masks[1]) ^ self.words[1])
                    | ((w(2) & self.masks[2]) ^ self.words[2])
                    | ((w(3) & self.masks[3]) ^ self.words[3])
                    == 0
            }
            // Within 32 bytes of the record's end.
            None => rest.get(..len).is_some_and(|g| {
                g.chunks(8).zip(self.words).all(|(c, w)| {
                    let got = match c.first_chunk::<8>() {
                        Some(c) => u64::from_le_bytes(*c),
                        None => c.iter().rev().fold(0, |acc, &b| (acc << 8) | u64::from(b)),
                    };
                    got == w
                })
            }),
        }
    }
}

/// Glue bytes (at most 32) as little-endian words, zero-filled, and their masks.
fn words(b: &[u8]) -> ([u64; 4], [u64; 4]) {
    let (mut w, mut m) = ([0u64; 4], [0u64; 4]);
    for (i, &x) in b.iter().take(SPAN).enumerate() {
        w[i / 8] |= u64::from(x) << (8 * (i % 8));
        m[i / 8] |= 0xff << (8 * (i % 8));
    }
    (w, m)
}

pub(crate) struct Templates {
    ops: Vec<Op>,
    /// The first op of every shape's first step (and its alternatives).
    pub first: u32,
    /// Off when the field trie has overlapping fields (`FieldTrie::disjoint`).
    pub enabled: bool,
    /// Steps of the record being recorded (kept to reuse the allocation).
    pub recording: Vec<Step>,
    /// Records read along a shape, and records where that failed.
    pub hits: u64,
    pub misses: u64,
}

impl Templates {
    pub fn new(enabled: bool) -> Templates {
        Templates {
            ops: Vec::new(),
            first: NONE,
            enabled,
            recording: Vec::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// Whether to try known shapes first (records without a common shape would be read twice).
    #[inline]
    pub fn trying(&self) -> bool {
        self.first != NONE && self.fitting()
    }

    /// Not on a piece's first record: a one-record batch would pay for a shape it never uses.
    pub fn learning(&self, nth: usize) -> bool {
        self.enabled && nth > 0 && self.ops.len() < MAX_OPS && self.fitting()
    }

    /// Not when most records have failed to fit a shape.
    #[inline]
    pub fn fitting(&self) -> bool {
        self.misses < 64 || self.misses < self.hits
    }

    /// The op at `k` or one of its alternatives whose glue starts `s[pos..]`.
    #[inline]
    pub fn find(&self, mut k: u32, s: &[u8], pos: usize) -> Option<&Op> {
        loop {
            let op = self.ops.get(k as usize)?;
            if op.fits(s, pos) {
                return Some(op);
            }
            k = op.sibling;
        }
    }

    /// Adds the shape in `recording` (glue ranges into `line`), sharing existing ops.
    pub fn learn(&mut self, line: &[u8]) {
        let steps = std::mem::take(&mut self.recording);
        let mut parent = NONE;
        'steps: for st in &steps {
            let glue = line
                .get(st.glue.0 as usize..st.glue.1 as usize)
                .unwrap_or_default();
            let mut chunks: Vec<&[u8]> = glue.chunks(SPAN).collect();
            if chunks.is_empty() {
                chunks.push(&[]);
            }
            let last = chunks.len() - 1;
            for (ci, chunk) in chunks.into_iter().enumerate() {
                if self.ops.len() >= MAX_OPS {
                    break 'steps;
                }
                let (end, value) = if ci == last {
                    (st.end, !st.end)
                } else {
                    (false, false)
                };
                parent = self.child(parent, chunk, st, end, value);
            }
        }
        self.recording = steps;
        self.recording.clear();
    }

    /// The op under `parent` (NONE: the first ops) that matches `chunk` of step `st`'s
    /// glue, added after its siblings if there is none yet.
    fn child(&mut self, parent: u32, chunk: &[u8], st: &Step, end: bool, value: bool) -> u32 {
        let (w, m) = words(chunk);
        let head = match parent {
            NONE => self.first,
            p => self.ops[p as usize].kid,
        };
        let mut k = head;
        let mut last = NONE;
        while let Some(op) = self.ops.get(k as usize) {
            if op.words == w && op.len as usize == chunk.len() && op.end == end && op.value == value
            {
                return k;
            }
            last = k;
            k = op.sibling;
        }
        // Alternatives are tried in the order they were learnt: the first shape seen is
        // usually the common one.
        let found = self.ops.len() as u32;
        self.ops.push(Op {
            words: w,
            masks: m,
            len: chunk.len() as u32,
            end,
            value,
            depth: st.depth,
            slot: st.hit.and_then(|h| h.0).map_or(NONE, |(s, _)| s),
            prio: st.hit.and_then(|h| h.0).map_or(0, |(_, p)| p),
            child: st.hit.and_then(|h| h.1),
            kid: NONE,
            sibling: NONE,
        });
        match (last, parent) {
            (NONE, NONE) => self.first = found,
            (NONE, p) => self.ops[p as usize].kid = found,
            (l, _) => self.ops[l as usize].sibling = found,
        }
        found
    }
}
