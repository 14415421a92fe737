//! The literals of a set or categorical-equality test.

use crate::value::{text, V};
use simd_json::{Node, StaticNode};
use std::collections::HashSet;
use std::sync::Arc;

/// The literals of a set or categorical-equality test. Small sets are scanned, large ones
/// hashed; literals that are canonical integers are also kept as numbers, so a JSON integer
/// is looked up without formatting it as text. Shared: the plan's copies of a leaf cost
/// nothing however long the list.
#[derive(Debug, Clone)]
pub(crate) struct StrSet {
    strs: Arc<Strs>,
    ints: Arc<[i64]>,
}

#[derive(Debug, Clone)]
enum Strs {
    Small(Box<[Box<str>]>),
    Hashed(HashSet<Box<str>>),
}

impl StrSet {
    pub(crate) fn new(items: Vec<String>) -> StrSet {
        let ints = items
            .iter()
            .filter_map(|s| s.parse::<i64>().ok().filter(|i| i.to_string() == **s))
            .collect::<HashSet<i64>>()
            .into_iter()
            .collect();
        let strs = if items.len() <= 8 {
            let mut small: Vec<Box<str>> = Vec::with_capacity(items.len());
            for s in items {
                if !small.iter().any(|x| **x == *s) {
                    small.push(s.into_boxed_str());
                }
            }
            Strs::Small(small.into_boxed_slice())
        } else {
            Strs::Hashed(items.into_iter().map(String::into_boxed_str).collect())
        };
        StrSet {
            strs: Arc::new(strs),
            ints,
        }
    }
    #[inline]
    pub fn contains(&self, s: &str) -> bool {
        match &*self.strs {
            Strs::Small(items) => {
                // Length and first byte settle most misses without a memcmp call.
                let (len, first) = (s.len(), s.as_bytes().first());
                items
                    .iter()
                    .any(|x| x.len() == len && x.as_bytes().first() == first && &**x == s)
            }
            Strs::Hashed(set) => set.contains(s),
        }
    }
    /// Whether a scalar JSON value's text (see `value::text`) is in the set.
    #[inline]
    pub fn contains_value(&self, v: V<'_, '_>, six_decimals: bool) -> bool {
        match v.first() {
            Some(Node::String(s)) => self.contains(s),
            Some(Node::Static(StaticNode::I64(i))) if !six_decimals => self.ints.contains(i),
            Some(Node::Array { .. } | Node::Object { .. }) | None => false,
            _ => text(v, six_decimals).is_some_and(|t| self.contains(&t)),
        }
    }
    /// How many distinct literals.
    pub fn len(&self) -> usize {
        match &*self.strs {
            Strs::Small(items) => items.len(),
            Strs::Hashed(set) => set.len(),
        }
    }

    /// A hash of the literals, whatever their order (equal sets, equal fingerprints).
    pub fn fingerprint(&self) -> u64 {
        let one = |s: &str| {
            let mut h = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(s, &mut h);
            std::hash::Hasher::finish(&h)
        };
        self.items()
            .into_iter()
            .fold(0u64, |acc, s| acc.wrapping_add(one(s)))
    }

    /// Whether both hold the same literals.
    pub fn same(&self, other: &StrSet) -> bool {
        Arc::ptr_eq(&self.strs, &other.strs)
            || (self.len() == other.len() && self.items().into_iter().all(|s| other.contains(s)))
    }

    pub fn items(&self) -> Vec<&str> {
        match &*self.strs {
            Strs::Small(items) => items.iter().map(|s| &**s).collect(),
            Strs::Hashed(set) => set.iter().map(|s| &**s).collect(),
        }
    }
}
