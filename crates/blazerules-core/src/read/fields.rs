//! Pulls the fields the rules reference out of a parsed record, in one pass over its keys.
//!
//! A dotted name resolves per record: a literal top-level key `"a.b.c"` first, else the
//! nested path (choices.md). Duplicate keys: the last occurrence wins, as `JSON.parse`
//! (the reader detects repeats of the keys in this trie; see `TrieNode::below`).

const LITERAL: u8 = 2;
pub(crate) const NESTED: u8 = 1;

/// A field slot whose field the record does not have.
pub(crate) const MISSING: u32 = u32::MAX;

struct Entry {
    key: Box<str>,
    /// (slot, priority) when this key is a referenced field.
    slot: Option<(u32, u8)>,
    /// Trie node for keys below this one.
    child: Option<usize>,
}

#[derive(Default)]
struct TrieNode {
    entries: Vec<Entry>,
    /// Bit `len` set when some entry's key has that length (cheap rejection of other keys).
    len_mask: u64,
    /// Open-addressing table over `entries` keyed by the key's first 16 bytes: most field
    /// names fit, so a lookup is two word compares and no memcmp.
    table: Vec<Bucket>,
    /// The dotted path of the objects this node's keys are in ("" at the top).
    path: Box<str>,
    /// Nested slots and nodes below this node, itself excluded: what a repeated key leading
    /// here replaces (its earlier object's fields are forgotten, as `JSON.parse` would).
    slots_below: Vec<u32>,
    nodes_below: Vec<u32>,
}

#[derive(Clone, Copy, Default)]
struct Bucket {
    words: [u64; 2],
    len: u32,
    /// Index + 1 into `entries`; 0 = empty.
    entry: u32,
}

/// What a key leads to: its (slot, priority) when it is a referenced field, and the trie node
/// for the keys below it.
pub(crate) type Hit = (Option<(u32, u8)>, Option<usize>);

/// The first 16 bytes of `s[at..at + len]`, zero-filled past `len`.
#[inline]
fn words(s: &[u8], at: usize, len: usize) -> [u64; 2] {
    let mask = |n: usize| {
        if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        }
    };
    let chunk = match s.get(at..).and_then(|t| t.first_chunk::<16>()) {
        Some(c) => *c,
        None => {
            let mut c = [0u8; 16];
            let n = len.min(16);
            if let (Some(d), Some(src)) = (c.get_mut(..n), s.get(at..at + n)) {
                d.copy_from_slice(src);
            }
            c
        }
    };
    let (lo, hi) = chunk.split_at(8);
    let w = |b: &[u8]| b.first_chunk::<8>().map_or(0, |b| u64::from_le_bytes(*b));
    [w(lo) & mask(len), w(hi) & mask(len.saturating_sub(8))]
}

#[inline]
fn bucket_of(w: [u64; 2], len: usize, mask: usize) -> usize {
    let h = (w[0] ^ w[1].rotate_left(29) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 40) as usize & mask
}

impl TrieNode {
    fn build_table(&mut self) {
        let size = (self.entries.len() * 4).next_power_of_two().max(16);
        self.table = vec![Bucket::default(); size];
        for (i, e) in self.entries.iter().enumerate() {
            let k = e.key.as_bytes();
            let w = words(k, 0, k.len());
            let mut h = bucket_of(w, k.len(), size - 1);
            while self.table[h].entry != 0 {
                h = (h + 1) & (size - 1);
            }
            self.table[h] = Bucket {
                words: w,
                len: k.len() as u32,
                entry: (i + 1) as u32,
            };
        }
    }

    /// The entry for key `s[at..at + len]`.
    #[inline]
    fn find_at(&self, s: &[u8], at: usize, len: usize) -> Option<&Entry> {
        if self.len_mask & (1u64 << len.min(63)) == 0 {
            return None;
        }
        let w = words(s, at, len);
        let mask = self.table.len().wrapping_sub(1);
        let mut h = bucket_of(w, len, mask);
        loop {
            let b = self.table.get(h)?;
            let e = self.entries.get((b.entry as usize).checked_sub(1)?)?;
            if b.words == w
                && b.len as usize == len
                && (len <= 16 || e.key.as_bytes() == s.get(at..at + len)?)
            {
                return Some(e);
            }
            h = (h + 1) & mask;
        }
    }
}

pub(crate) struct FieldTrie {
    nodes: Vec<TrieNode>,
    pub n_slots: usize,
    /// No referenced field is also an object with referenced fields below it (`a` and `a.b`):
    /// then which values a record keeps depends on its keys alone (see `json::Templates`).
    pub disjoint: bool,
}

impl FieldTrie {
    pub fn new(fields: &[String]) -> FieldTrie {
        let mut t = FieldTrie {
            nodes: vec![TrieNode::default()],
            n_slots: fields.len(),
            disjoint: true,
        };
        for (slot, name) in fields.iter().enumerate() {
            let slot = slot as u32;
            t.entry(0, name).slot = Some((slot, LITERAL));
            let parts: Vec<&str> = name.split('.').collect();
            if parts.len() > 1 {
                let mut node = 0;
                for p in &parts[..parts.len() - 1] {
                    let next = t.nodes.len();
                    let e = t.entry(node, p);
                    node = match e.child {
                        Some(c) => c,
                        None => {
                            e.child = Some(next);
                            let path = match &*t.nodes[node].path {
                                "" => p.to_string(),
                                up => format!("{up}.{p}"),
                            };
                            t.nodes.push(TrieNode {
                                path: path.into(),
                                ..TrieNode::default()
                            });
                            next
                        }
                    };
                }
                let last = parts[parts.len() - 1];
                let e = t.entry(node, last);
                if e.slot.is_none() {
                    e.slot = Some((slot, NESTED));
                }
            }
        }
        for n in &mut t.nodes {
            n.build_table();
        }
        for n in (0..t.nodes.len()).rev() {
            t.collect_below(n);
        }
        t.disjoint = !t
            .nodes
            .iter()
            .flat_map(|n| &n.entries)
            .any(|e| e.slot.is_some() && e.child.is_some());
        t
    }

    /// Fills `n`'s `slots_below` and `nodes_below` (its children's are filled: they come
    /// after it).
    fn collect_below(&mut self, n: usize) {
        let (mut slots, mut nodes) = (Vec::new(), Vec::new());
        for e in &self.nodes[n].entries {
            if let Some((s, NESTED)) = e.slot {
                slots.push(s);
            }
            if let Some(c) = e.child {
                let kid = &self.nodes[c];
                nodes.push(c as u32);
                nodes.extend_from_slice(&kid.nodes_below);
                slots.extend_from_slice(&kid.slots_below);
            }
        }
        self.nodes[n].slots_below = slots;
        self.nodes[n].nodes_below = nodes;
    }

    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// A key leading to node `child` was repeated: the fields read below its earlier value
    /// are forgotten (not a literal dotted key's), and so are the nodes seen below it.
    #[cold]
    pub fn forget(&self, child: usize, slots: &mut [u32], prio: &mut [u8], seen: &mut [bool]) {
        let Some(n) = self.nodes.get(child) else {
            return;
        };
        for &s in &n.slots_below {
            if let (Some(p), Some(v)) = (prio.get_mut(s as usize), slots.get_mut(s as usize)) {
                if *p == NESTED {
                    (*p, *v) = (0, MISSING);
                }
            }
        }
        for &c in &n.nodes_below {
            if let Some(b) = seen.get_mut(c as usize) {
                *b = false;
            }
        }
    }

    /// The dotted name of key `key` of an object at node `node`.
    #[cold]
    pub fn key_path(&self, node: usize, key: &str) -> String {
        match self.nodes.get(node).map_or("", |n| &n.path) {
            "" => key.to_string(),
            up => format!("{up}.{key}"),
        }
    }

    fn entry(&mut self, node: usize, key: &str) -> &mut Entry {
        let n = &mut self.nodes[node];
        n.len_mask |= 1u64 << key.len().min(63);
        let pos = match n.entries.iter().position(|e| &*e.key == key) {
            Some(p) => p,
            None => {
                n.entries.push(Entry {
                    key: key.into(),
                    slot: None,
                    child: None,
                });
                n.entries.len() - 1
            }
        };
        &mut n.entries[pos]
    }

    /// What key `s[at..at + len]` of an object at trie node `node` leads to.
    #[inline]
    pub fn key_at(&self, node: usize, s: &[u8], at: usize, len: usize) -> Option<Hit> {
        let e = self.nodes.get(node)?.find_at(s, at, len)?;
        Some((e.slot, e.child))
    }
}
