//! Which entity was seen least recently, exactly, without touching other entities when one is
//! seen: every sighting appends (entity, sighting number) to a queue and stamps the entity
//! with that number; the least recently seen entity is the first queue entry whose number is
//! still its entity's stamp (older entries are stale and dropped). The queue is compacted
//! when it holds twice as many entries as entities, so it stays within 2 entries an entity.

use std::collections::VecDeque;

#[derive(Default)]
pub(crate) struct Recency {
    queue: VecDeque<(u32, u32)>,
    next: u32,
}

impl Recency {
    /// Entity `id` seen now: returns its new stamp.
    pub fn seen(&mut self, id: u32) -> u32 {
        // 0 marks a free slot: never a stamp.
        self.next = self.next.wrapping_add(1).max(1);
        self.queue.push_back((id, self.next));
        self.next
    }

    /// The least recently seen entity (`stamp(id)` gives an entity's stamp, None for a free
    /// slot), dropping the stale entries before it.
    pub fn oldest(&mut self, stamp: impl Fn(u32) -> Option<u32>) -> Option<u32> {
        while let Some(&(id, s)) = self.queue.front() {
            if stamp(id) == Some(s) {
                return Some(id);
            }
            self.queue.pop_front();
        }
        None
    }

    /// Keeps the queue within about two entries per live entity; renumbers the stamps before
    /// they wrap. `stamp(slots, id)` reads an entity's stamp (None: a free slot),
    /// `restamp(slots, id, s)` sets it, `warm(slots, id)` asks for it ahead of the read.
    pub fn compact<S>(
        &mut self,
        live: usize,
        slots: &mut S,
        stamp: impl Fn(&S, u32) -> Option<u32>,
        restamp: impl Fn(&mut S, u32, u32),
        warm: impl Fn(&S, u32),
    ) {
        let wrapping = self.next > u32::MAX - (1 << 20);
        if self.queue.len() <= 2 * live + 1024 && !wrapping {
            return;
        }
        self.drop_stale(slots, stamp, warm);
        if wrapping {
            self.next = 0;
            for e in self.queue.iter_mut() {
                self.next += 1;
                e.1 = self.next;
                restamp(slots, e.0, self.next);
            }
        }
        self.queue.shrink_to(2 * live + 1024);
    }

    /// Drops the entries whose number is no longer their entity's stamp. The entities are in
    /// no order: each one's stamp is asked for `AHEAD` entries before it is read, so that the
    /// cache misses overlap.
    fn drop_stale<S>(
        &mut self,
        slots: &S,
        stamp: impl Fn(&S, u32) -> Option<u32>,
        warm: impl Fn(&S, u32),
    ) {
        const AHEAD: usize = 16;
        let q = &mut self.queue;
        let mut kept = 0;
        for i in 0..q.len() {
            if let Some(&(id, _)) = q.get(i + AHEAD) {
                warm(slots, id);
            }
            let (id, s) = q[i];
            if stamp(slots, id) == Some(s) {
                q[kept] = (id, s);
                kept += 1;
            }
        }
        q.truncate(kept);
    }

    pub fn heap_bytes(&self) -> usize {
        self.queue.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

#[cfg(test)]
mod tests {
    use super::Recency;

    #[test]
    fn the_oldest_is_the_least_recently_seen_through_compactions() {
        let mut r = Recency::default();
        let mut stamps = vec![0u32; 4];
        let stamp = |s: &Vec<u32>, id: u32| s.get(id as usize).copied().filter(|&x| x != 0);
        for round in 0..3000u32 {
            for id in [0, 1, 2, 3, 1, 2, 0] {
                stamps[id as usize] = r.seen(id);
            }
            assert_eq!(r.oldest(|id| stamp(&stamps, id)), Some(3), "round {round}");
            r.compact(
                4,
                &mut stamps,
                stamp,
                |s, id, x| s[id as usize] = x,
                |_, _| {},
            );
        }
        assert!(r.queue.len() <= 2 * 4 + 1024 + 7);
        stamps[3] = 0; // freed
        assert_eq!(r.oldest(|id| stamp(&stamps, id)), Some(1));
    }
}
