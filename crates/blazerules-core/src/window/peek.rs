//! A record's window values as its shard holds them now, without applying the record
//! (`engine.explain`): each channel's value is the one the window stage would give the record
//! if it were evaluated next (`stage::apply` reads before it adds), and the shard is left
//! exactly as it was.

use super::inputs::{Inputs, NO_TIME};
use super::shard::ShardState;
use crate::rules::compile::Windows;

/// Record `i`'s value of every channel of `w` (NaN: no state, as the stage leaves it).
pub(crate) fn values(shard: &ShardState, w: &Windows, inputs: &Inputs, i: usize) -> Vec<f64> {
    w.channels
        .iter()
        .map(|ch| {
            let e = ch.entity as usize;
            let Some((key, hash)) = inputs.entity(i, e) else {
                return f64::NAN; // no entity: no state (the null rule)
            };
            let (ms, clock) = match ch.time {
                Some(t) => (inputs.time(i, t as usize), &*w.times[t as usize].name),
                None => (inputs.processing_ms(i), ""),
            };
            if ms == NO_TIME {
                return f64::NAN;
            }
            let sec = ms.div_euclid(1000);
            // The clock the stage would move on to, and the series as it would advance it.
            let now = shard.clock_now(clock).map_or(sec, |t| t.max(sec));
            let name = &w.entities[e].name;
            let mut s = shard
                .series_of(name, key, hash, &ch.key)
                .cloned()
                .unwrap_or_default();
            s.advance(now, ch.duration_s, ch.func);
            s.value(ch.func)
        })
        .collect()
}
