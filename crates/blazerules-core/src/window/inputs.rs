//! What the window stage needs from each record, taken while the record's piece is read (on
//! all cores): each entity as text with its hash, each value field as a number, each
//! event-time field in epoch milliseconds, and the record's processing time.

use crate::plan::run::int_of;
use crate::plan::tree::{Fields, Record};
use crate::read::fields::MISSING;
use crate::read::reader::Fixup;
use crate::rules::compile::{FieldRef, NumKind, Windows};
use crate::value::{int, num, text};
use simd_json::{Node, StaticNode};
use std::borrow::Cow;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::OnceLock;

/// No value (a missing or null field, no event time).
pub(crate) const NO_VALUE: f64 = f64::NAN;
pub(crate) const NO_TIME: i64 = i64::MIN;

/// An entity: its text at `keys[at..at + len]`, and the hash it is found by.
#[derive(Clone, Copy)]
struct Ent {
    hash: u64,
    at: u32,
    len: u32,
}

const NO_ENT: Ent = Ent {
    hash: 0,
    at: 0,
    len: u32::MAX,
};

/// One piece's window inputs, per record in order.
#[derive(Default)]
pub(crate) struct Inputs {
    n_ent: usize,
    n_val: usize,
    n_time: usize,
    ents: Vec<Ent>,
    vals: Vec<f64>,
    times: Vec<i64>,
    procs: Vec<i64>,
    keys: String,
    /// Per entity field: its part of the entities' hash.
    fields: Vec<FieldHash>,
}

/// The per-process seed of entities' hashes.
fn seed() -> &'static hashbrown::DefaultHashBuilder {
    static SEED: OnceLock<hashbrown::DefaultHashBuilder> = OnceLock::new();
    SEED.get_or_init(Default::default)
}

/// The hash an entity is found by: its field and its text, with a per-process seed (what
/// `FieldHash::of` computes).
#[cfg(test)]
pub(crate) fn entity_hash(field: &str, key: &str) -> u64 {
    seed().hash_one((field, key))
}

/// The entities' hash for one field: the hasher's state after the field, cloned for each
/// text (hashing the pair `(field, key)` is hashing `field`, then `key`), so the field is
/// hashed once per piece rather than once per record.
pub(crate) struct FieldHash(<hashbrown::DefaultHashBuilder as BuildHasher>::Hasher);

impl FieldHash {
    pub fn new(field: &str) -> FieldHash {
        let mut h = seed().build_hasher();
        field.hash(&mut h);
        FieldHash(h)
    }

    #[inline]
    pub fn of(&self, key: &str) -> u64 {
        let mut h = self.0.clone();
        key.hash(&mut h);
        h.finish()
    }
}

/// The text of an escaped string the block's tape does not point at yet.
pub(crate) struct Escapes<'a> {
    pub esc: &'a str,
    pub fixups: &'a [Fixup],
}

impl Inputs {
    pub fn new(w: &Windows) -> Inputs {
        Inputs {
            n_ent: w.entities.len(),
            n_val: w.values.len(),
            n_time: w.times.len(),
            fields: w.entities.iter().map(|f| FieldHash::new(&f.name)).collect(),
            ..Inputs::default()
        }
    }

    /// Takes `spare`'s buffers (emptied, their capacity kept) for this piece's inputs.
    pub fn reuse(&mut self, spare: Inputs) {
        let Inputs {
            mut ents,
            mut vals,
            mut times,
            mut procs,
            mut keys,
            ..
        } = spare;
        ents.clear();
        vals.clear();
        times.clear();
        procs.clear();
        keys.clear();
        (self.ents, self.vals, self.times) = (ents, vals, times);
        (self.procs, self.keys) = (procs, keys);
    }

    /// Records taken so far.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// Takes the inputs of `n` more records: `rec(j)` is the `j`th, `proc_ms(j)` its
    /// processing time. A block at a time and field by field (each field's setup paid once a
    /// block rather than once a record), into rows sized for the block at once.
    pub fn push_block<'t, 's: 't>(
        &mut self,
        w: &Windows,
        n: usize,
        rec: impl Fn(usize) -> Record<'t, 's>,
        proc_ms: impl Fn(usize) -> i64,
        esc: &Escapes<'s>,
    ) {
        let base = self.len();
        let (n_ent, n_val, n_time) = (self.n_ent, self.n_val, self.n_time);
        self.ents.resize((base + n) * n_ent, NO_ENT);
        for (e, (f, field)) in w.entities.iter().zip(&self.fields).enumerate() {
            let rows = self.ents.iter_mut().skip(base * n_ent + e).step_by(n_ent);
            for (j, ent) in rows.enumerate() {
                if let Some(key) = entity_text(&rec(j), f, esc) {
                    *ent = Ent {
                        hash: field.of(&key),
                        at: self.keys.len() as u32,
                        len: key.len() as u32,
                    };
                    self.keys.push_str(&key);
                }
            }
        }
        self.vals.resize((base + n) * n_val, NO_VALUE);
        for (v, (f, kind)) in w.values.iter().enumerate() {
            let rows = self.vals.iter_mut().skip(base * n_val + v).step_by(n_val);
            for (j, x) in rows.enumerate() {
                *x = rec(j)
                    .get(f)
                    .and_then(|v| number(v, *kind))
                    .unwrap_or(NO_VALUE);
            }
        }
        self.times.resize((base + n) * n_time, NO_TIME);
        for (t, f) in w.times.iter().enumerate() {
            let rows = self
                .times
                .iter_mut()
                .skip(base * n_time + t)
                .step_by(n_time);
            for (j, x) in rows.enumerate() {
                *x = rec(j).get(f).and_then(int_of).unwrap_or(NO_TIME);
            }
        }
        self.procs.extend((0..n).map(proc_ms));
    }

    /// Record `i`'s entity `e` (text, hash); None when it has none.
    pub fn entity(&self, i: usize, e: usize) -> Option<(&str, u64)> {
        let ent = self.ents[i * self.n_ent + e];
        if ent.len == u32::MAX {
            return None;
        }
        let key = self
            .keys
            .get(ent.at as usize..(ent.at + ent.len) as usize)?;
        Some((key, ent.hash))
    }

    /// Record `i`'s value field `v` (NaN when it has none).
    pub fn value(&self, i: usize, v: usize) -> f64 {
        self.vals[i * self.n_val + v]
    }

    /// Record `i`'s event time `t` in ms (`NO_TIME` when it has none).
    pub fn time(&self, i: usize, t: usize) -> i64 {
        self.times[i * self.n_time + t]
    }

    pub fn processing_ms(&self, i: usize) -> i64 {
        self.procs[i]
    }
}

/// A value field as its hint reads it (§2.3): float32 rounded, integers truncated.
fn number(v: crate::value::V<'_, '_>, kind: NumKind) -> Option<f64> {
    match kind {
        NumKind::F64 => num(v),
        NumKind::F32 => num(v).map(|x| f64::from(x as f32)),
        NumKind::I32 => int(v).map(|x| f64::from(x as i32)),
        NumKind::I64 => int(v).map(|x| x as f64),
    }
}

/// The entity of a record: a string, or a number or boolean as its text ("5", "5.500000");
/// None when missing, null, an array or an object (or "" when the hint says nullable).
fn entity_text<'s>(r: &Record<'_, 's>, f: &FieldRef, esc: &Escapes<'s>) -> Option<Cow<'s, str>> {
    let idx = *r.slots.get(f.slot as usize)?;
    let v = r.tape.get(idx as usize..).filter(|_| idx != MISSING)?;
    let s = match v.first()? {
        Node::String(s) if !s.is_empty() => s,
        // An escaped string is still a placeholder ("") here: its text is in the escape arena.
        Node::String(s) => match esc.fixups.binary_search_by_key(&idx, |x| x.node) {
            Ok(i) => {
                let x = esc.fixups.get(i)?;
                esc.esc.get(x.at as usize..(x.at + x.len) as usize)?
            }
            Err(_) => s,
        },
        Node::Static(StaticNode::Null) | Node::Array { .. } | Node::Object { .. } => return None,
        _ => return text(v, false),
    };
    (!(s.is_empty() && f.empty_is_null)).then_some(Cow::Borrowed(s))
}

#[cfg(test)]
mod tests {
    use super::{entity_hash, FieldHash};

    /// An entity's hash, its field hashed once, is the hash of the pair (field, text) that
    /// the shard tests look entities up by.
    #[test]
    fn field_hash_is_the_pairs_hash() {
        for field in [
            "card",
            "acct",
            "",
            "user.id",
            "a-much-longer-field-name-than-16-bytes",
        ] {
            let h = FieldHash::new(field);
            for key in ["a", "", "a1234567", "a123456789012345678", "5.500000", "é"] {
                assert_eq!(h.of(key), entity_hash(field, key), "{field} {key}");
            }
        }
        // The field is part of the hash: the same text under two fields differs.
        assert_ne!(
            FieldHash::new("card").of("a"),
            FieldHash::new("acct").of("a")
        );
    }
}
