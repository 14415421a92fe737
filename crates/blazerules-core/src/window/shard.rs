//! One state shard: every entity's window series, found by (entity field, entity value),
//! bounded by `max_entities` with the least recently seen entity evicted (and counted).
//!
//! Finding an entity costs as few cache misses as we could make it: the hash table holds slab
//! indices, an entity's slot holds its hash and (inline, when short) its value, and its series
//! sit side by side in its group's pool (no allocation per entity). Which entity was seen
//! least recently is kept by `recency`, which never touches another entity's slot. State is
//! kept per window *definition* (`Def`, by its text), so a rules reload keeps the state of
//! every window whose definition did not change.

use super::index::Index;
use super::key::EntityKey;
use super::prefetch::prefetch;
use super::recency::Recency;
use super::series::Series;
use crate::rules::compile::{WinFn, Windows};

/// A window definition with state in this shard.
struct Def {
    key: String,
    dur: i64,
    clock: u32,
}

/// The definitions over one entity field, and its entities' series: entity row `r` has
/// `series[r * defs.len()..][..defs.len()]`, in the order of `defs`.
struct Group {
    field: String,
    defs: Vec<u32>,
    series: Vec<Series>,
    free_rows: Vec<u32>,
}

impl Group {
    fn stride(&self) -> usize {
        self.defs.len()
    }

    /// A row of empty series.
    fn take_row(&mut self) -> u32 {
        if let Some(r) = self.free_rows.pop() {
            return r;
        }
        let r = self.series.len() / self.stride().max(1);
        self.series
            .resize_with(self.series.len() + self.stride(), Series::default);
        r as u32
    }

    fn row(&mut self, r: u32) -> &mut [Series] {
        let n = self.stride();
        &mut self.series[r as usize * n..(r as usize + 1) * n]
    }

    /// Adds definition `d`: every row gets an empty series for it.
    fn add_def(&mut self, d: u32) {
        let old = self.stride();
        let rows = self.series.len().checked_div(old).unwrap_or(0);
        let mut series = Vec::with_capacity(rows * (old + 1));
        let mut it = std::mem::take(&mut self.series).into_iter();
        for _ in 0..rows {
            series.extend(it.by_ref().take(old));
            series.push(Series::default());
        }
        self.series = series;
        self.defs.push(d);
    }
}

/// One cache line, aligned: finding an entity reads its slot, and a 48-byte slot would
/// straddle two lines every other time.
#[derive(Default)]
#[repr(align(64))]
struct Entity {
    hash: u64,
    group: u32,
    row: u32,
    /// When it was last seen (`Recency`); 0 for a free slot.
    stamp: u32,
    key: EntityKey,
}

/// Each indexed entity's hash, as the index asks for it when it moves entries.
fn hash_of(ents: &[Entity]) -> impl Fn(u32) -> u64 + '_ {
    |id| ents.get(id as usize).map_or(0, |e| e.hash)
}

/// Where a rule set's channel keeps its state in a shard (see [`ShardState::bind`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bound {
    pub pos: u32,
    pub clock: u32,
    pub dur: i64,
    pub func: WinFn,
}

/// A rule set's windows bound to a shard: per entity field its group, per channel its state.
pub(crate) struct Binding {
    pub groups: Vec<u32>,
    pub chans: Vec<Bound>,
}

/// What [`ShardState::stats`] reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowStats {
    /// Entities with state.
    pub entities: u64,
    /// Per-second buckets over every entity and window.
    pub buckets: u64,
    /// Estimated heap bytes of the state.
    pub bytes: u64,
    /// Entities dropped to stay within `maxWindowEntities`.
    pub evicted: u64,
}

pub(crate) struct ShardState {
    defs: Vec<Def>,
    groups: Vec<Group>,
    /// Per clock (processing time "", else an event-time field): the latest second seen.
    clocks: Vec<(String, i64)>,
    ents: Vec<Entity>,
    free: Vec<u32>,
    index: Index,
    recency: Recency,
    live: usize,
    max_entities: usize,
    evicted: u64,
    buckets: u64,
    /// Heap bytes of long keys and bucket lists.
    heap: usize,
}

impl ShardState {
    pub fn new(max_entities: usize) -> ShardState {
        ShardState {
            defs: Vec::new(),
            groups: Vec::new(),
            clocks: Vec::new(),
            ents: Vec::new(),
            free: Vec::new(),
            index: Index::default(),
            recency: Recency::default(),
            live: 0,
            max_entities: max_entities.max(1),
            evicted: 0,
            buckets: 0,
            heap: 0,
        }
    }

    /// Forgets every entity and definition (the eviction count stays).
    pub fn clear(&mut self) {
        let evicted = self.evicted;
        *self = ShardState::new(self.max_entities);
        self.evicted = evicted;
    }

    /// Where each channel of `w` keeps its state here (new definitions start empty).
    pub fn bind(&mut self, w: &Windows) -> Binding {
        let groups: Vec<u32> = w.entities.iter().map(|f| self.group(&f.name)).collect();
        let chans = w
            .channels
            .iter()
            .map(|c| {
                let clock = match c.time {
                    Some(t) => self.clock(&w.times[t as usize].name),
                    None => self.clock(""),
                };
                let group = groups[c.entity as usize];
                let def = match self.defs.iter().position(|d| d.key == c.key) {
                    Some(d) => d as u32,
                    None => {
                        self.defs.push(Def {
                            key: c.key.clone(),
                            dur: c.duration_s,
                            clock,
                        });
                        let d = (self.defs.len() - 1) as u32;
                        self.groups[group as usize].add_def(d);
                        d
                    }
                };
                let g = &self.groups[group as usize];
                Bound {
                    pos: g.defs.iter().position(|&x| x == def).unwrap_or(0) as u32,
                    clock,
                    dur: c.duration_s,
                    func: c.func,
                }
            })
            .collect();
        Binding { groups, chans }
    }

    fn group(&mut self, field: &str) -> u32 {
        let at = self.groups.iter().position(|g| g.field == field);
        at.unwrap_or_else(|| {
            self.groups.push(Group {
                field: field.to_string(),
                defs: Vec::new(),
                series: Vec::new(),
                free_rows: Vec::new(),
            });
            self.groups.len() - 1
        }) as u32
    }

    fn clock(&mut self, source: &str) -> u32 {
        let at = self.clocks.iter().position(|(s, _)| s == source);
        at.unwrap_or_else(|| {
            self.clocks.push((source.to_string(), i64::MIN));
            self.clocks.len() - 1
        }) as u32
    }

    /// Moves clock `c` on to `sec` (it never goes back) and returns it.
    pub fn tick(&mut self, c: u32, sec: i64) -> i64 {
        let t = &mut self.clocks[c as usize].1;
        *t = (*t).max(sec);
        *t
    }

    /// The entity `key` of `group`, if it has state.
    pub fn peek(&self, group: u32, key: &str, hash: u64) -> Option<u32> {
        self.index.find(hash, |&id| self.is(id, group, key, hash))
    }

    /// Where the entity of `hash` probably is: the first entity whose table tag matches,
    /// without reading any entity (so that looking up many at once overlaps their cache
    /// misses). Only a hint: `touch` checks it, and the lookup of an entity that is not
    /// there, or behind another with the same tag, falls back to [`ShardState::peek`].
    pub fn guess(&self, hash: u64) -> Option<u32> {
        self.index.guess(hash)
    }

    /// Where the entity `key` of `group` is, given the [`ShardState::guess`] for its hash:
    /// the guess when it is that entity (its slot read), else the full lookup.
    pub fn resolve(&self, guess: Option<u32>, group: u32, key: &str, hash: u64) -> Option<u32> {
        let id = guess?;
        if self.is(id, group, key, hash) {
            return Some(id);
        }
        self.peek(group, key, hash)
    }

    /// Asks for the index slot where the lookup of `hash` starts, so that `guess` finds it in
    /// cache.
    pub fn warm_index(&self, hash: u64) {
        self.index.prefetch(hash);
    }

    /// Asks for entity slot `id` (a guess: any id), so that what follows finds it in cache.
    pub fn warm_entity(&self, id: u32) {
        if let Some(e) = self.ents.get(id as usize) {
            prefetch(e);
        }
    }

    /// Reads entity `id`'s series, so that a `touch` soon after finds them in cache.
    pub fn warm_series(&self, id: u32) {
        prefetch(self.row_of(id));
    }

    /// Asks for the newest bucket of each of entity `id`'s series (kept apart from the series
    /// when it has more than one), which `add` reads next. (`advance` reads the oldest only
    /// when it expires, rarely: the series keeps its second.)
    pub fn warm_buckets(&self, id: u32) {
        for s in self.row_of(id) {
            if let Some(new) = s.newest() {
                prefetch(new);
            }
        }
    }

    /// Entity `id`'s series (empty for a free or unknown slot).
    fn row_of(&self, id: u32) -> &[Series] {
        let Some(e) = self.ents.get(id as usize) else {
            return &[];
        };
        let g = &self.groups[e.group as usize];
        let n = g.stride();
        let row = g.series.get(e.row as usize * n..(e.row as usize + 1) * n);
        row.unwrap_or_default()
    }

    fn is(&self, id: u32, group: u32, key: &str, hash: u64) -> bool {
        self.ents.get(id as usize).is_some_and(|e| {
            e.hash == hash && e.stamp != 0 && e.group == group && e.key.as_bytes() == key.as_bytes()
        })
    }

    /// The entity `key` of `group` (created if new, evicting the least recently seen one
    /// when the shard is full), now the most recently seen. `hint`: where `peek` found it.
    pub fn touch(&mut self, group: u32, key: &str, hash: u64, hint: Option<u32>) -> u32 {
        let id = match hint.filter(|&id| self.is(id, group, key, hash)) {
            Some(id) => id,
            None => match self.index.find(hash, |&id| self.is(id, group, key, hash)) {
                Some(id) => id,
                None => self.insert(group, key, hash),
            },
        };
        self.ents[id as usize].stamp = self.recency.seen(id);
        id
    }

    fn insert(&mut self, group: u32, key: &str, hash: u64) -> u32 {
        if self.live >= self.max_entities {
            if let Some(old) = self.oldest() {
                self.remove(old);
                self.evicted += 1;
            }
        }
        let key = EntityKey::new(key);
        self.heap += key.heap_bytes();
        let row = self.groups[group as usize].take_row();
        let e = Entity {
            hash,
            group,
            row,
            stamp: 0,
            key,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.ents[id as usize] = e;
                id
            }
            None => {
                self.ents.push(e);
                (self.ents.len() - 1) as u32
            }
        };
        self.index.insert(hash, id, hash_of(&self.ents));
        self.live += 1;
        id
    }

    fn oldest(&mut self) -> Option<u32> {
        let ents = &self.ents;
        self.recency
            .oldest(|id| ents.get(id as usize).map(|e| e.stamp).filter(|&s| s != 0))
    }

    /// The series of entity `id` (in the order of its group's definitions, see `Bound::pos`),
    /// with `f` applied; keeps the bucket and byte counts.
    pub fn with_row<T>(&mut self, id: u32, f: impl FnOnce(&mut [Series]) -> T) -> T {
        let e = &self.ents[id as usize];
        let row = self.groups[e.group as usize].row(e.row);
        let count = |row: &[Series]| -> (usize, usize) {
            row.iter()
                .fold((0, 0), |(n, h), s| (n + s.len(), h + s.heap_bytes()))
        };
        let (len, heap) = count(row);
        let out = f(row);
        let (len2, heap2) = count(row);
        self.buckets = self.buckets + len2 as u64 - len as u64;
        self.heap = self.heap + heap2 - heap;
        out
    }

    /// After a batch: drops least recently seen entities while every window of theirs has
    /// expired (they would read as new entities anyway; not counted as evicted), and keeps
    /// the recency queue compact.
    pub fn sweep(&mut self) {
        while let Some(id) = self.oldest().filter(|&id| self.expired(id)) {
            self.remove(id);
        }
        let stamp = |ents: &Vec<Entity>, id: u32| {
            ents.get(id as usize).map(|e| e.stamp).filter(|&s| s != 0)
        };
        let restamp = |ents: &mut Vec<Entity>, id: u32, s: u32| {
            if let Some(e) = ents.get_mut(id as usize) {
                e.stamp = s;
            }
        };
        let warm = |ents: &Vec<Entity>, id: u32| {
            if let Some(e) = ents.get(id as usize) {
                prefetch(&e.stamp);
            }
        };
        self.recency
            .compact(self.live, &mut self.ents, stamp, restamp, warm);
    }

    fn expired(&self, id: u32) -> bool {
        let e = &self.ents[id as usize];
        let g = &self.groups[e.group as usize];
        let n = g.stride();
        let row = &g.series[e.row as usize * n..(e.row as usize + 1) * n];
        row.iter().zip(&g.defs).all(|(s, &d)| {
            let def = &self.defs[d as usize];
            let now = self.clocks[def.clock as usize].1;
            s.last()
                .is_none_or(|last| last <= now.saturating_sub(def.dur))
        })
    }

    fn remove(&mut self, id: u32) {
        let e = std::mem::take(&mut self.ents[id as usize]);
        self.index.remove(e.hash, id, hash_of(&self.ents));
        let g = &mut self.groups[e.group as usize];
        for s in g.row(e.row) {
            self.buckets -= s.len() as u64;
            self.heap -= s.heap_bytes();
            *s = Series::default();
        }
        g.free_rows.push(e.row);
        self.heap -= e.key.heap_bytes();
        self.live -= 1;
        self.free.push(id);
    }

    /// The latest second clock `source` ("": processing time, else an event-time field) has
    /// seen; None before any record moved it.
    pub fn clock_now(&self, source: &str) -> Option<i64> {
        let at = self.clocks.iter().position(|(s, _)| s == source)?;
        Some(self.clocks[at].1).filter(|&t| t != i64::MIN)
    }

    /// The series the window defined by `def` keeps for entity `key` of field `field`, if it
    /// has one. Only reads (`window::peek`).
    pub fn series_of(&self, field: &str, key: &str, hash: u64, def: &str) -> Option<&Series> {
        let group = self.groups.iter().position(|g| g.field == field)?;
        let d = self.defs.iter().position(|d| d.key == def)?;
        let id = self.peek(group as u32, key, hash)?;
        let e = &self.ents[id as usize];
        let g = &self.groups[group];
        let pos = g.defs.iter().position(|&x| x as usize == d)?;
        g.series.get(e.row as usize * g.stride() + pos)
    }

    pub fn stats(&self) -> WindowStats {
        let series: usize = self.groups.iter().map(|g| g.series.capacity()).sum();
        let rows: usize = self.groups.iter().map(|g| g.free_rows.capacity()).sum();
        let fixed = self.ents.capacity() * std::mem::size_of::<Entity>()
            + (self.free.capacity() + rows) * 4
            + self.index.heap_bytes()
            + series * std::mem::size_of::<Series>()
            + self.recency.heap_bytes();
        WindowStats {
            entities: self.live as u64,
            buckets: self.buckets,
            bytes: (fixed + self.heap) as u64,
            evicted: self.evicted,
        }
    }
}

#[cfg(test)]
#[path = "shard_tests.rs"]
mod tests;
