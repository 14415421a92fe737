//! What the window stage needs from each record, taken while the record's piece is read (on
//! all cores): each entity as text with its hash, each value field as a number, each
//! event-time field in epoch milliseconds, and the record's processing time.

use crate::plan::tree::{Fields, Record};
use crate::read::fields::MISSING;
use crate::read::reader::Fixup;
use crate::rules::compile::{FieldRef, NumKind, Windows};
use crate::value::{int, num, text};
use simd_json::{Node, StaticNode};
use std::borrow::Cow;
use std::hash::BuildHasher;
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
}

/// The hash an entity is found by: its field and its text, with a per-process seed.
pub(crate) fn entity_hash(field: &str, key: &str) -> u64 {
    static SEED: OnceLock<hashbrown::DefaultHashBuilder> = OnceLock::new();
    SEED.get_or_init(Default::default).hash_one((field, key))
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
        *self = Inputs {
            ents,
            vals,
            times,
            procs,
            keys,
            ..*self
        };
    }

    /// Records taken so far.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// Room for `n` more records (a block's worth, taken at once rather than regrown record
    /// by record).
    pub fn reserve(&mut self, n: usize) {
        self.ents.reserve(n * self.n_ent);
        self.vals.reserve(n * self.n_val);
        self.times.reserve(n * self.n_time);
        self.procs.reserve(n);
    }

    /// Takes record `r`'s inputs; `proc_ms` is its processing time.
    pub fn push<'s>(&mut self, w: &Windows, r: &Record<'_, 's>, esc: &Escapes<'s>, proc_ms: i64) {
        for f in &w.entities {
            let ent = match entity_text(r, f, esc) {
                Some(key) => {
                    let e = Ent {
                        hash: entity_hash(&f.name, &key),
                        at: self.keys.len() as u32,
                        len: key.len() as u32,
                    };
                    self.keys.push_str(&key);
                    e
                }
                None => NO_ENT,
            };
            self.ents.push(ent);
        }
        for (f, kind) in &w.values {
            self.vals
                .push(r.get(f).and_then(|v| number(v, *kind)).unwrap_or(NO_VALUE));
        }
        for f in &w.times {
            self.times.push(r.get(f).and_then(int).unwrap_or(NO_TIME));
        }
        self.procs.push(proc_ms);
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
        // An escaped string is still a placeholder here: its text is in the escape arena.
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
