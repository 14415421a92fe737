//! One state shard: every entity's window series, found by (entity field, entity value),
//! bounded by `max_entities` with the least recently seen entity evicted (and counted).
//!
//! Entities live in a slab (`ents`, free slots reused) threaded on a doubly linked list from
//! the most to the least recently seen; the hash table holds only slab indices. State is kept
//! per window *definition* (`Def`, by its text), so a rules reload keeps the state of every
//! window whose definition did not change.

use super::series::Series;
use crate::rules::compile::{WinFn, Windows};
use hashbrown::HashTable;

const NONE: u32 = u32::MAX;

/// A window definition with state in this shard.
struct Def {
    key: String,
    dur: i64,
    clock: u32,
}

/// The definitions over one entity field: an entity's series, in this order.
struct Group {
    field: String,
    defs: Vec<u32>,
}

struct Entity {
    hash: u64,
    group: u32,
    key: Box<str>,
    prev: u32,
    next: u32,
    series: Box<[Series]>,
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
    table: HashTable<u32>,
    /// The most and the least recently seen entity.
    head: u32,
    tail: u32,
    live: usize,
    max_entities: usize,
    evicted: u64,
    buckets: u64,
    /// Heap bytes of keys, series arrays and bucket lists.
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
            table: HashTable::new(),
            head: NONE,
            tail: NONE,
            live: 0,
            max_entities: max_entities.max(1),
            evicted: 0,
            buckets: 0,
            heap: 0,
        }
    }

    /// Forgets every entity (definitions and the eviction count stay).
    pub fn clear(&mut self) {
        let max = self.max_entities;
        let evicted = self.evicted;
        *self = ShardState::new(max);
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
                        self.groups[group as usize].defs.push(d);
                        d
                    }
                };
                let pos = self.groups[group as usize]
                    .defs
                    .iter()
                    .position(|&x| x == def);
                Bound {
                    pos: pos.unwrap_or(0) as u32,
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

    /// The entity `key` of `group` (created if new, evicting the least recently seen one
    /// when the shard is full), now the most recently seen.
    pub fn touch(&mut self, group: u32, key: &str, hash: u64) -> u32 {
        let ents = &self.ents;
        let found = self.table.find(hash, |&id| {
            let e = &ents[id as usize];
            e.group == group && *e.key == *key
        });
        if let Some(&id) = found {
            self.unlink(id);
            self.push_front(id);
            return id;
        }
        if self.live >= self.max_entities && self.tail != NONE {
            self.remove(self.tail);
            self.evicted += 1;
        }
        let n = self.groups[group as usize].defs.len();
        let e = Entity {
            hash,
            group,
            key: key.into(),
            prev: NONE,
            next: NONE,
            series: vec![Series::default(); n].into(),
        };
        self.heap += key.len() + n * std::mem::size_of::<Series>();
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
        let ents = &self.ents;
        self.table
            .insert_unique(hash, id, |&x| ents[x as usize].hash);
        self.live += 1;
        self.push_front(id);
        id
    }

    /// Series `pos` of entity `id`, with `f` applied; keeps the bucket and byte counts.
    pub fn with_series<T>(&mut self, id: u32, pos: u32, f: impl FnOnce(&mut Series) -> T) -> T {
        let want = self.groups[self.ents[id as usize].group as usize]
            .defs
            .len();
        let e = &mut self.ents[id as usize];
        if e.series.len() < want {
            // A definition added by a reload since this entity was created.
            self.heap += (want - e.series.len()) * std::mem::size_of::<Series>();
            let mut v = std::mem::take(&mut e.series).into_vec();
            v.resize_with(want, Series::default);
            e.series = v.into();
        }
        let s = &mut e.series[pos as usize];
        let (len, heap) = (s.len(), s.heap_bytes());
        let out = f(s);
        self.buckets = self.buckets + s.len() as u64 - len as u64;
        self.heap = self.heap + s.heap_bytes() - heap;
        out
    }

    /// Drops least recently seen entities while every window of theirs has expired: they
    /// would read as new entities anyway (not counted as evicted).
    pub fn sweep(&mut self) {
        while self.tail != NONE && self.expired(self.tail) {
            self.remove(self.tail);
        }
    }

    fn expired(&self, id: u32) -> bool {
        let e = &self.ents[id as usize];
        let defs = &self.groups[e.group as usize].defs;
        e.series.iter().zip(defs).all(|(s, &d)| {
            let def = &self.defs[d as usize];
            let now = self.clocks[def.clock as usize].1;
            s.last()
                .is_none_or(|last| last <= now.saturating_sub(def.dur))
        })
    }

    fn remove(&mut self, id: u32) {
        self.unlink(id);
        let hash = self.ents[id as usize].hash;
        if let Ok(entry) = self.table.find_entry(hash, |&x| x == id) {
            entry.remove();
        }
        let e = std::mem::replace(
            &mut self.ents[id as usize],
            Entity {
                hash: 0,
                group: 0,
                key: Box::default(),
                prev: NONE,
                next: NONE,
                series: Box::default(),
            },
        );
        let held: usize = e.series.iter().map(Series::len).sum();
        let heap: usize = e.series.iter().map(Series::heap_bytes).sum();
        self.buckets -= held as u64;
        self.heap -= e.key.len() + e.series.len() * std::mem::size_of::<Series>() + heap;
        self.live -= 1;
        self.free.push(id);
    }

    fn unlink(&mut self, id: u32) {
        let (prev, next) = {
            let e = &self.ents[id as usize];
            (e.prev, e.next)
        };
        match prev {
            NONE => self.head = next,
            p => self.ents[p as usize].next = next,
        }
        match next {
            NONE => self.tail = prev,
            n => self.ents[n as usize].prev = prev,
        }
    }

    fn push_front(&mut self, id: u32) {
        let old = self.head;
        {
            let e = &mut self.ents[id as usize];
            e.prev = NONE;
            e.next = old;
        }
        match old {
            NONE => self.tail = id,
            h => self.ents[h as usize].prev = id,
        }
        self.head = id;
    }

    pub fn stats(&self) -> WindowStats {
        let fixed = self.ents.capacity() * std::mem::size_of::<Entity>()
            + self.free.capacity() * 4
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1);
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
