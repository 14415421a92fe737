//! The literals of a set or categorical-equality test.

use crate::value::{text, V};
use simd_json::{Node, StaticNode};
use std::collections::HashSet;

/// The literals of a set or categorical-equality test. Small sets are scanned, large ones
/// hashed; literals that are canonical integers are also kept as numbers, so a JSON integer
/// is looked up without formatting it as text.
#[derive(Debug, Clone)]
pub(crate) struct StrSet {
    strs: Strs,
    ints: Box<[i64]>,
}

#[derive(Debug, Clone)]
enum Strs {
    Small(Box<[Box<str>]>),
    Hashed(HashSet<Box<str>>),
}

impl StrSet {
    pub(crate) fn new(items: Vec<String>) -> StrSet {
        let mut seen = HashSet::new();
        let items: Vec<Box<str>> = items
            .into_iter()
            .filter(|s| seen.insert(s.clone()))
            .map(String::into_boxed_str)
            .collect();
        let ints = items
            .iter()
            .filter_map(|s| s.parse::<i64>().ok().filter(|i| i.to_string() == **s))
            .collect();
        let strs = if items.len() <= 8 {
            Strs::Small(items.into_boxed_slice())
        } else {
            Strs::Hashed(items.into_iter().collect())
        };
        StrSet { strs, ints }
    }
    #[inline]
    pub fn contains(&self, s: &str) -> bool {
        match &self.strs {
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
    pub fn items(&self) -> Vec<&str> {
        match &self.strs {
            Strs::Small(items) => items.iter().map(|s| &**s).collect(),
            Strs::Hashed(set) => set.iter().map(|s| &**s).collect(),
        }
    }
}
