//! One window's state for one entity (rules-reference §2.16): per-second buckets, and running
//! totals for the additive functions, kept as BlazeRules keeps them (in double, expired
//! buckets subtracted, everything cleared once the last advance is a whole window old), so
//! that the same records give the same doubles.

use crate::rules::compile::WinFn;
use std::collections::VecDeque;

/// The records of one second: Σ value (or its min / max) and Σ count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bucket {
    pub sec: i64,
    pub val: f64,
    pub cnt: f64,
}

/// The buckets of a series, oldest first. Most entities are seen once or twice a window, so
/// a single bucket is kept inline.
#[derive(Debug, Clone, Default)]
enum Buckets {
    #[default]
    Empty,
    One(Bucket),
    Many(VecDeque<Bucket>),
}

/// A second no series has been advanced to.
const NEVER: i64 = i64::MIN;
/// The oldest second of a series without buckets (later than any cutoff).
const NO_BUCKET: i64 = i64::MAX;

/// A series is one cache line, aligned: an entity's series are read in whole lines by the
/// stage, and its oldest second is kept here, so that an advance that expires nothing (most
/// of them) reads no bucket.
#[derive(Debug, Clone)]
#[repr(align(64))]
pub(crate) struct Series {
    total: f64,
    count: f64,
    /// The second the series was last advanced to (`NEVER` before its first record).
    last: i64,
    /// The oldest bucket's second (`NO_BUCKET` without buckets).
    oldest: i64,
    buckets: Buckets,
}

impl Default for Series {
    fn default() -> Self {
        Series {
            total: 0.0,
            count: 0.0,
            last: NEVER,
            oldest: NO_BUCKET,
            buckets: Buckets::Empty,
        }
    }
}

/// What one record adds to a series: `val` (1 for count) and `cnt` (avg's count, ratio's
/// denominator).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Delta {
    pub val: f64,
    pub cnt: f64,
}

impl Series {
    /// Brings the series to second `now`, dropping buckets at or before `now - dur`. Returns
    /// how many buckets were dropped.
    pub fn advance(&mut self, now: i64, dur: i64, f: WinFn) -> usize {
        if self.last == NEVER {
            self.last = now;
            return 0;
        }
        let elapsed = now.saturating_sub(self.last);
        if elapsed <= 0 {
            return 0;
        }
        self.last = now;
        if elapsed >= dur {
            let n = self.len();
            (self.total, self.count, self.buckets) = (0.0, 0.0, Buckets::Empty);
            self.oldest = NO_BUCKET;
            return n;
        }
        let cutoff = now - dur;
        let mut dropped = 0;
        while self.oldest <= cutoff {
            let Some(b) = self.front() else { break };
            if f.additive() {
                self.total -= b.val;
                self.count -= b.cnt;
            }
            self.pop_front();
            self.oldest = self.front().map_or(NO_BUCKET, |b| b.sec);
            dropped += 1;
        }
        dropped
    }

    /// The window's value as of the last advance (0 with nothing in it).
    pub fn value(&self, f: WinFn) -> f64 {
        match f {
            WinFn::Count | WinFn::Sum => self.total,
            WinFn::Avg | WinFn::Ratio if self.count > 0.0 => self.total / self.count,
            WinFn::Avg | WinFn::Ratio => 0.0,
            WinFn::Min | WinFn::Max => {
                let vals = self.iter().map(|b| b.val);
                let best = if f == WinFn::Min {
                    vals.reduce(f64::min)
                } else {
                    vals.reduce(f64::max)
                };
                best.unwrap_or(0.0)
            }
        }
    }

    /// Adds one record at second `sec`; returns 1 when that made a new bucket.
    pub fn add(&mut self, sec: i64, d: Delta, f: WinFn) -> usize {
        // Buckets are in order of seconds: the oldest is the smallest.
        self.oldest = self.oldest.min(sec);
        if f.additive() {
            self.total += d.val;
            self.count += d.cnt;
        }
        let combine = |b: &mut Bucket| {
            b.val = match f {
                WinFn::Min => b.val.min(d.val),
                WinFn::Max => b.val.max(d.val),
                _ => b.val + d.val,
            };
            b.cnt += d.cnt;
        };
        let new = Bucket {
            sec,
            val: d.val,
            cnt: d.cnt,
        };
        match &mut self.buckets {
            Buckets::Empty => {
                self.buckets = Buckets::One(new);
                1
            }
            Buckets::One(b) if b.sec == sec => {
                combine(b);
                0
            }
            Buckets::One(b) => {
                // Room to grow a little before the first reallocation.
                let mut q = VecDeque::with_capacity(4);
                q.push_back(*b);
                self.buckets = Buckets::Many(q);
                self.add_many(new, combine)
            }
            Buckets::Many(_) => self.add_many(new, combine),
        }
    }

    /// Adds `new` to a list of buckets kept in order of seconds (records of an earlier
    /// second than the newest, late event times, go in their place).
    fn add_many(&mut self, new: Bucket, combine: impl Fn(&mut Bucket)) -> usize {
        let Buckets::Many(q) = &mut self.buckets else {
            return 0;
        };
        // Records come mostly in time order: the newest second is the common place (and
        // is found without a search that would read the older buckets).
        match q.back_mut() {
            Some(b) if b.sec == new.sec => {
                combine(b);
                return 0;
            }
            Some(b) if b.sec > new.sec => {}
            _ => {
                q.push_back(new);
                return 1;
            }
        }
        let at = q.partition_point(|b| b.sec < new.sec);
        match q.get_mut(at) {
            Some(b) if b.sec == new.sec => {
                combine(b);
                0
            }
            _ => {
                q.insert(at, new);
                1
            }
        }
    }

    /// The newest bucket when it is on the heap (the series has more than one): where the
    /// next record goes.
    pub fn newest(&self) -> Option<&Bucket> {
        match &self.buckets {
            Buckets::Many(q) => q.back(),
            _ => None,
        }
    }

    /// The second of the last advance; None before the first record.
    pub fn last(&self) -> Option<i64> {
        (self.last != NEVER).then_some(self.last)
    }

    pub fn len(&self) -> usize {
        match &self.buckets {
            Buckets::Empty => 0,
            Buckets::One(_) => 1,
            Buckets::Many(q) => q.len(),
        }
    }

    /// Heap bytes beyond the series itself.
    pub fn heap_bytes(&self) -> usize {
        match &self.buckets {
            Buckets::Many(q) => q.capacity() * std::mem::size_of::<Bucket>(),
            _ => 0,
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Bucket> {
        let (one, many) = match &self.buckets {
            Buckets::Empty => (None, None),
            Buckets::One(b) => (Some(b), None),
            Buckets::Many(q) => (None, Some(q.iter())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    fn front(&self) -> Option<Bucket> {
        self.iter().next().copied()
    }

    fn pop_front(&mut self) {
        match &mut self.buckets {
            Buckets::Empty => {}
            Buckets::One(_) => self.buckets = Buckets::Empty,
            Buckets::Many(q) => {
                q.pop_front();
                if q.is_empty() {
                    self.buckets = Buckets::Empty;
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "series_tests.rs"]
mod tests;
