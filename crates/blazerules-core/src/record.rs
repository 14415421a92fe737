//! Pulls the fields the rules reference out of a parsed record, in one pass over its keys.
//!
//! A dotted name resolves per record: a literal top-level key `"a.b.c"` first, else the
//! nested path (choices.md). Duplicate keys: the first occurrence wins.

use crate::eval::MISSING;
use crate::value::span;
use simd_json::Node;

const LITERAL: u8 = 2;
const NESTED: u8 = 1;

struct Entry {
    key: Box<str>,
    /// The key's first byte: most mismatches end here without a memcmp.
    head: u8,
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
    /// Open-addressing table over `entries` (index + 1; 0 = empty), keyed by `key_hash`.
    table: Vec<u16>,
}

/// A cheap hash of a key from its length and first and last bytes: enough to tell apart
/// the handful of field names a node holds.
#[inline]
fn key_hash(k: &[u8]) -> usize {
    let (first, last) = (
        k.first().copied().unwrap_or(0) as usize,
        k.last().copied().unwrap_or(0) as usize,
    );
    (k.len().wrapping_mul(0x9E37) ^ first.wrapping_mul(0x85EB) ^ last.wrapping_mul(0xC2B2)) >> 3
}

impl TrieNode {
    fn build_table(&mut self) {
        let size = (self.entries.len() * 4).next_power_of_two().max(16);
        self.table = vec![0; size];
        for (i, e) in self.entries.iter().enumerate() {
            let mut h = key_hash(e.key.as_bytes()) & (size - 1);
            while self.table[h] != 0 {
                h = (h + 1) & (size - 1);
            }
            self.table[h] = (i + 1) as u16;
        }
    }

    #[inline]
    fn find(&self, k: &str) -> Option<&Entry> {
        let mask = self.table.len().wrapping_sub(1);
        let mut h = key_hash(k.as_bytes()) & mask;
        loop {
            let i = *self.table.get(h)? as usize;
            let e = self.entries.get(i.checked_sub(1)?)?;
            if e.key.len() == k.len()
                && e.head == k.as_bytes().first().copied().unwrap_or(0)
                && *e.key == *k
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
}

impl FieldTrie {
    pub fn new(fields: &[String]) -> FieldTrie {
        let mut t = FieldTrie {
            nodes: vec![TrieNode::default()],
            n_slots: fields.len(),
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
                            t.nodes.push(TrieNode::default());
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
        t
    }

    fn entry(&mut self, node: usize, key: &str) -> &mut Entry {
        let n = &mut self.nodes[node];
        n.len_mask |= 1u64 << key.len().min(63);
        let pos = match n.entries.iter().position(|e| &*e.key == key) {
            Some(p) => p,
            None => {
                n.entries.push(Entry {
                    key: key.into(),
                    head: key.bytes().next().unwrap_or(0),
                    slot: None,
                    child: None,
                });
                n.entries.len() - 1
            }
        };
        &mut n.entries[pos]
    }

    /// Fills `slots` (tape indices, MISSING when absent) for the object at `tape[0]`.
    #[inline]
    pub fn extract(&self, tape: &[Node<'_>], slots: &mut [u32], prio: &mut [u8]) {
        slots.fill(MISSING);
        prio.fill(0);
        self.walk(0, tape, 0, slots, prio);
    }

    fn walk(&self, node: usize, tape: &[Node<'_>], at: usize, slots: &mut [u32], prio: &mut [u8]) {
        let Some(Node::Object { len, .. }) = tape.get(at) else {
            return;
        };
        let tn = &self.nodes[node];
        let mut i = at + 1; // the current key
        for _ in 0..*len {
            let (Some(Node::String(k)), Some(v)) = (tape.get(i), tape.get(i + 1)) else {
                return;
            };
            let val_at = i + 1;
            i = val_at + span(v);
            if tn.len_mask & (1u64 << k.len().min(63)) == 0 {
                continue;
            }
            let Some(e) = tn.find(k) else {
                continue;
            };
            if let Some((slot, p)) = e.slot {
                let s = slot as usize;
                if p > prio[s] {
                    slots[s] = val_at as u32;
                    prio[s] = p;
                }
            }
            if let (Some(child), Node::Object { .. }) = (e.child, v) {
                self.walk(child, tape, val_at, slots, prio);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract(json: &str, fields: &[&str]) -> Vec<Option<String>> {
        let fields: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        let trie = FieldTrie::new(&fields);
        let mut bytes = json.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut bytes).expect("valid json");
        let mut slots = vec![0u32; fields.len()];
        let mut prio = vec![0u8; fields.len()];
        trie.extract(&tape.0, &mut slots, &mut prio);
        slots
            .iter()
            .map(|&i| {
                (i != MISSING).then(|| match &tape.0[i as usize] {
                    Node::String(s) => s.to_string(),
                    Node::Static(s) => s.to_string(),
                    other => format!("{other:?}"),
                })
            })
            .collect()
    }

    #[test]
    fn literal_then_nested_then_first_wins() {
        let got = extract(
            r#"{"a":{"b":{"c":1}},"a.b.c":2,"x":3,"x":4,"y":{"z":"q"}}"#,
            &["a.b.c", "x", "y.z", "nope", "a.b"],
        );
        assert_eq!(got[0].as_deref(), Some("2"));
        assert_eq!(got[1].as_deref(), Some("3"));
        assert_eq!(got[2].as_deref(), Some("q"));
        assert_eq!(got[3], None);
        assert!(got[4].as_deref().is_some_and(|s| s.starts_with("Object")));
        let nested = extract(r#"{"a":{"b":{"c":5}}}"#, &["a.b.c"]);
        assert_eq!(nested[0].as_deref(), Some("5"));
    }
}
