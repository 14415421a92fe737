//! Closed categorical lists (§3.8), gathered once every rule is compiled.

use super::{Cond, Test};
use crate::rules::load::Hint;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Closed categorical lists (§3.8): hint `values` plus every literal of the field's set and
/// equality tests. `array_len` counts only known members of such a list, and the bytes of a
/// string when the field is also read by string operators (a STRING column in BlazeRules).
/// Only the fields some `array_len` test reads get a list: a large `in` list on any other
/// field is not copied.
pub(crate) fn close_categoricals(rules: &mut [Cond], hints: &HashMap<String, Hint>) {
    fn counted(c: &Cond, out: &mut HashSet<String>) {
        match c {
            Cond::And(k) | Cond::Or(k) => k.iter().for_each(|c| counted(c, out)),
            Cond::Not(c) => counted(c, out),
            Cond::Leaf(t) => {
                if let Test::ArrayLen { f, .. } = &**t {
                    if f.slot != u32::MAX {
                        out.insert(f.name.to_string());
                    }
                }
            }
            Cond::ArrayAny(..) | Cond::Const(_) => {}
        }
    }
    fn collect(
        c: &Cond,
        out: &mut HashMap<String, HashSet<String>>,
        strings: &mut HashSet<String>,
    ) {
        match c {
            Cond::And(k) | Cond::Or(k) => k.iter().for_each(|c| collect(c, out, strings)),
            Cond::Not(c) => collect(c, out, strings),
            Cond::Leaf(t) => match &**t {
                Test::Set { f, set, .. } if f.slot != u32::MAX => {
                    if let Some(list) = out.get_mut(&*f.name) {
                        list.extend(set.items().into_iter().map(str::to_string));
                    }
                }
                Test::Str { f, .. } | Test::Len { f, .. } | Test::Regex { f, .. }
                    if f.slot != u32::MAX =>
                {
                    strings.insert(f.name.to_string());
                }
                _ => {}
            },
            Cond::ArrayAny(..) | Cond::Const(_) => {}
        }
    }
    fn apply(
        c: &mut Cond,
        known: &HashMap<String, Arc<HashSet<String>>>,
        strings: &HashSet<String>,
    ) {
        match c {
            Cond::And(k) | Cond::Or(k) => k.iter_mut().for_each(|c| apply(c, known, strings)),
            Cond::Not(c) => apply(c, known, strings),
            Cond::Leaf(t) => {
                if let Test::ArrayLen {
                    f, known: k, bytes, ..
                } = &mut **t
                {
                    if f.slot != u32::MAX {
                        *k = known.get(&*f.name).cloned();
                        *bytes = strings.contains(&*f.name);
                    }
                }
            }
            Cond::ArrayAny(..) | Cond::Const(_) => {}
        }
    }
    let mut fields = HashSet::new();
    rules.iter().for_each(|c| counted(c, &mut fields));
    if fields.is_empty() {
        return;
    }
    let mut lists: HashMap<String, HashSet<String>> =
        fields.into_iter().map(|f| (f, HashSet::new())).collect();
    for (name, h) in hints {
        if let Some(list) = lists.get_mut(name) {
            list.extend(h.values.iter().cloned());
        }
    }
    let mut strings = HashSet::new();
    rules
        .iter()
        .for_each(|c| collect(c, &mut lists, &mut strings));
    let known: HashMap<String, Arc<HashSet<String>>> = lists
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, Arc::new(v)))
        .collect();
    rules.iter_mut().for_each(|c| apply(c, &known, &strings));
}
