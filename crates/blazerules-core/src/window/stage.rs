//! The window stage of a batch: each piece, once read (on all cores), is applied in piece
//! order to the shard, its records one by one, in input order. A record
//! reads every window before adding itself, so it sees exactly the records before it, in
//! this batch and in earlier ones; where the batch was cut into pieces (or calls) changes
//! nothing. The values it read are then compared by the plan, again on all cores.
//!
//! Time: a window's clock is the latest second its records carried (processing time: the
//! batch's clock or the record's own; event time: the `time_field`, epoch ms). A record
//! reads the window as of that clock, and adds itself at its own second unless that second
//! is already a whole window old.

use super::inputs::{Inputs, NO_TIME};
use super::series::Delta;
use super::shard::{Binding, ShardState};
use crate::rules::compile::{Channel, WinFn, Windows};
use std::sync::Mutex;

/// A batch's hold on its shard, with the batch's windows bound to it. Pieces are applied one
/// at a time, in order (`batch/ordered.rs` sees to the order).
pub(crate) struct Stage<'s> {
    windows: &'s Windows,
    turn: Mutex<Turn<'s>>,
}

struct Turn<'s> {
    shard: &'s mut ShardState,
    binding: Binding,
    /// Per entity field: the channels over it.
    by_entity: Vec<Vec<u32>>,
}

impl<'s> Stage<'s> {
    /// The stage of a batch holding `shard` (locked by the caller for the whole batch).
    pub fn new(windows: &'s Windows, shard: &'s mut ShardState) -> Stage<'s> {
        let binding = shard.bind(windows);
        let mut by_entity = vec![Vec::new(); windows.entities.len()];
        for (c, ch) in windows.channels.iter().enumerate() {
            by_entity[ch.entity as usize].push(c as u32);
        }
        Stage {
            windows,
            turn: Mutex::new(Turn {
                shard,
                binding,
                by_entity,
            }),
        }
    }

    /// Applies the next piece's records, filling `out` with each record's channel values
    /// (NaN: no state).
    pub fn apply(&self, inputs: &Inputs, out: &mut Vec<f64>) {
        // A panic while applying stops the batch (and `Shard::lock` clears the shard).
        let mut t = self.turn.lock().unwrap_or_else(|p| p.into_inner());
        apply(&mut t, self.windows, inputs, out);
    }
}

/// Applies one piece's records to the shard, in order.
fn apply(t: &mut Turn<'_>, w: &Windows, inputs: &Inputs, out: &mut Vec<f64>) {
    let nch = w.channels.len();
    out.clear();
    out.resize(inputs.len() * nch, f64::NAN);
    let hints = peek_all(t, inputs);
    let n_ent = t.by_entity.len();
    let mut steps = Vec::new();
    for i in 0..inputs.len() {
        for (e, chans) in t.by_entity.iter().enumerate() {
            let Some((key, hash)) = inputs.entity(i, e) else {
                continue; // no entity: no state (the null rule)
            };
            let hint = hints.get(i * n_ent + e).copied().flatten();
            let id = t.shard.touch(t.binding.groups[e], key, hash, hint);
            // Each channel's clock first, then the entity's series in one go.
            steps.clear();
            for &c in chans {
                let ch = &w.channels[c as usize];
                let ms = match ch.time {
                    Some(tf) => inputs.time(i, tf as usize),
                    None => inputs.processing_ms(i),
                };
                if ms != NO_TIME {
                    let sec = ms.div_euclid(1000);
                    let now = t.shard.tick(t.binding.chans[c as usize].clock, sec);
                    steps.push((c, sec, now, delta(ch, inputs, i)));
                }
            }
            let chans = &t.binding.chans;
            let row_out = &mut out[i * nch..(i + 1) * nch];
            t.shard.with_row(id, |row| {
                for &(c, sec, now, delta) in &steps {
                    let b = chans[c as usize];
                    let s = &mut row[b.pos as usize];
                    s.advance(now, b.dur, b.func);
                    row_out[c as usize] = s.value(b.func);
                    if let Some(d) = delta.filter(|_| sec > now - b.dur) {
                        s.add(sec, d, b.func);
                    }
                }
            });
        }
    }
    t.shard.sweep();
}

/// Where each record's entities are now, looked up before any is updated, in passes over
/// the whole piece so that the cache misses of one record's lookup overlap those of the
/// others: the table (`guess`), then the entities' slots (`resolve`), then their series,
/// then their oldest and newest buckets. Each pass only reads, and its loads do not depend
/// on each other (`touch` checks each hint).
fn peek_all(t: &Turn<'_>, inputs: &Inputs) -> Vec<Option<u32>> {
    let n_ent = t.by_entity.len();
    let entity = |k: usize| inputs.entity(k / n_ent, k % n_ent);
    for (_, hash) in (0..inputs.len() * n_ent).filter_map(entity) {
        t.shard.warm_index(hash);
    }
    let mut hints: Vec<Option<u32>> = (0..inputs.len() * n_ent)
        .map(|k| entity(k).and_then(|(_, hash)| t.shard.guess(hash)))
        .collect();
    for id in hints.iter().flatten() {
        t.shard.warm_entity(*id);
    }
    for (k, hint) in hints.iter_mut().enumerate() {
        let group = t.binding.groups[k % n_ent];
        *hint = entity(k).and_then(|(key, hash)| t.shard.resolve(*hint, group, key, hash));
    }
    for id in hints.iter().flatten() {
        t.shard.warm_series(*id);
    }
    for id in hints.iter().flatten() {
        t.shard.warm_buckets(*id);
    }
    hints
}

/// What record `i` adds to channel `ch`: nothing for a missing value (choices.md; BlazeRules
/// adds 1), except count, which counts every record of the entity.
fn delta(ch: &Channel, inputs: &Inputs, i: usize) -> Option<Delta> {
    let value = |f: Option<u32>| f.map(|f| inputs.value(i, f as usize));
    let present = |x: f64| (!x.is_nan()).then_some(x);
    match ch.func {
        WinFn::Count => Some(Delta { val: 1.0, cnt: 1.0 }),
        // A sum without a value field counts, as in BlazeRules.
        WinFn::Sum if ch.value.is_none() => Some(Delta { val: 1.0, cnt: 1.0 }),
        WinFn::Sum | WinFn::Avg | WinFn::Min | WinFn::Max => {
            let v = present(value(ch.value)?)?;
            Some(Delta { val: v, cnt: 1.0 })
        }
        WinFn::Ratio => {
            let (n, d) = (value(ch.value)?, value(ch.denominator)?);
            if n.is_nan() && d.is_nan() {
                return None;
            }
            Some(Delta {
                val: present(n).unwrap_or(0.0),
                cnt: present(d).unwrap_or(0.0),
            })
        }
    }
}
