//! The window stage of a batch: each piece, once read (on all cores), takes its turn in
//! piece order and applies its records to the shard one by one, in input order. A record
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
use std::sync::{Condvar, Mutex, MutexGuard};

/// The turn of each piece of one batch on the batch's shard.
pub(crate) struct Stage<'s> {
    windows: &'s Windows,
    turn: Mutex<Turn<'s>>,
    next_up: Condvar,
}

struct Turn<'s> {
    /// The piece whose turn it is.
    next: usize,
    /// A worker stopped before its piece's turn (it panicked): later pieces give up.
    failed: bool,
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
                next: 0,
                failed: false,
                shard,
                binding,
                by_entity,
            }),
            next_up: Condvar::new(),
        }
    }

    /// Waits for piece `piece`'s turn, then applies its records, filling `out` with each
    /// record's channel values (NaN: no state). False when an earlier piece failed.
    pub fn apply(&self, piece: usize, inputs: &Inputs, out: &mut Vec<f64>) -> bool {
        let mut t = self.wait_for(piece);
        if t.failed {
            return false;
        }
        apply(&mut t, self.windows, inputs, out);
        t.next += 1;
        drop(t);
        self.next_up.notify_all();
        true
    }

    /// Marks piece `piece` as never taking its turn (its worker is unwinding).
    pub fn abandon(&self, piece: usize) {
        let mut t = self.lock();
        if t.next <= piece {
            t.failed = true;
        }
        drop(t);
        self.next_up.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, Turn<'s>> {
        // A panic while applying leaves the turn poisoned: later pieces then fail too.
        self.turn.lock().unwrap_or_else(|p| {
            let mut t = p.into_inner();
            t.failed = true;
            t
        })
    }

    fn wait_for(&self, piece: usize) -> MutexGuard<'_, Turn<'s>> {
        let mut t = self.lock();
        while t.next != piece && !t.failed {
            t = self.next_up.wait(t).unwrap_or_else(|p| {
                let mut t = p.into_inner();
                t.failed = true;
                t
            });
        }
        t
    }
}

/// Applies one piece's records to the shard, in order.
fn apply(t: &mut Turn<'_>, w: &Windows, inputs: &Inputs, out: &mut Vec<f64>) {
    let nch = w.channels.len();
    out.clear();
    out.resize(inputs.len() * nch, f64::NAN);
    for i in 0..inputs.len() {
        for (e, chans) in t.by_entity.iter().enumerate() {
            let Some((key, hash)) = inputs.entity(i, e) else {
                continue; // no entity: no state (the null rule)
            };
            let id = t.shard.touch(t.binding.groups[e], key, hash);
            for &c in chans {
                let ch = &w.channels[c as usize];
                let ms = match ch.time {
                    Some(tf) => inputs.time(i, tf as usize),
                    None => inputs.processing_ms(i),
                };
                if ms == NO_TIME {
                    continue;
                }
                let b = t.binding.chans[c as usize];
                let sec = ms.div_euclid(1000);
                let now = t.shard.tick(b.clock, sec);
                let delta = delta(ch, inputs, i);
                out[i * nch + c as usize] = t.shard.with_series(id, b.pos, |s| {
                    s.advance(now, b.dur, b.func);
                    let v = s.value(b.func);
                    if let Some(d) = delta.filter(|_| sec > now - b.dur) {
                        s.add(sec, d, b.func);
                    }
                    v
                });
            }
        }
    }
    t.shard.sweep();
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
