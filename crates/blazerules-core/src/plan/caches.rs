//! What an evaluator computes once per chunk of 64 records and keeps until the next chunk:
//! each leaf's outcome and each column's values, stamped with the chunk's generation so that
//! nothing is cleared between chunks (or between blocks: a thread keeps its `Caches`).

use crate::plan::build::Plan;

/// Per-chunk values of one column: `done` records were read, `has` have a value.
pub(super) struct Col<T> {
    pub(super) stamp: u32,
    pub(super) done: u64,
    pub(super) has: u64,
    pub(super) vals: [T; 64],
}

impl<T: Copy + Default> Col<T> {
    pub(super) fn new() -> Self {
        Col {
            stamp: 0,
            done: 0,
            has: 0,
            vals: [T::default(); 64],
        }
    }
    /// Fills the `need` records not read yet in this chunk with `read`.
    #[inline]
    pub(super) fn fill(&mut self, gen: u32, need: u64, mut read: impl FnMut(usize) -> Option<T>) {
        if self.stamp != gen {
            self.stamp = gen;
            self.done = 0;
            self.has = 0;
        }
        let mut todo = need & !self.done;
        self.done |= todo;
        while todo != 0 {
            let i = todo.trailing_zeros() as usize;
            todo &= todo - 1;
            if let Some(v) = read(i) {
                self.vals[i] = v;
                self.has |= 1 << i;
            }
        }
    }
}

/// Which patterns of a regex group matched, per chunk.
pub(super) struct ReCol {
    pub(super) stamp: u32,
    pub(super) done: u64,
    /// Records whose field is a string.
    pub(super) strs: u64,
    pub(super) hits: Vec<u64>,
}

/// An evaluator's caches without the plan: a thread keeps them between blocks
/// (`Scratch::caches`) rather than allocating and zeroing them for every block.
pub(crate) struct Caches {
    pub(super) gen: u32,
    /// Per leaf: (stamp, records computed, records true).
    pub(super) leaves: Vec<(u32, u64, u64)>,
    pub(super) nums: Vec<Col<f64>>,
    pub(super) ints: Vec<Col<i64>>,
    pub(super) exprs: Vec<Col<f64>>,
    pub(super) ips: Vec<Col<u32>>,
    pub(super) cats: Vec<Col<u32>>,
    pub(super) res: Vec<ReCol>,
}

impl Caches {
    pub(super) fn new(plan: &Plan) -> Caches {
        Caches {
            gen: 0,
            leaves: vec![(0, 0, 0); plan.leaves.len()],
            nums: plan.nums.iter().map(|_| Col::new()).collect(),
            ints: plan.ints.iter().map(|_| Col::new()).collect(),
            exprs: plan.exprs.iter().map(|_| Col::new()).collect(),
            ips: plan.ips.iter().map(|_| Col::new()).collect(),
            cats: plan.dicts.iter().map(|_| Col::new()).collect(),
            res: plan
                .groups
                .iter()
                .map(|g| ReCol {
                    stamp: 0,
                    done: 0,
                    strs: 0,
                    hits: vec![0; g.set.len()],
                })
                .collect(),
        }
    }

    /// Sized for `plan` (its columns, leaves and regex groups).
    pub(super) fn fit(&self, plan: &Plan) -> bool {
        self.leaves.len() == plan.leaves.len()
            && self.nums.len() == plan.nums.len()
            && self.ints.len() == plan.ints.len()
            && self.exprs.len() == plan.exprs.len()
            && self.ips.len() == plan.ips.len()
            && self.cats.len() == plan.dicts.len()
            && self.res.len() == plan.groups.len()
            && self
                .res
                .iter()
                .zip(&plan.groups)
                .all(|(c, g)| c.hits.len() == g.set.len())
    }

    /// The next chunk's generation: every entry stamped with an earlier one is stale.
    pub(super) fn next_gen(&mut self) {
        // Start over before the generation wraps.
        if self.gen == u32::MAX {
            self.gen = 0;
            self.leaves.iter_mut().for_each(|l| l.0 = 0);
            self.nums.iter_mut().for_each(|c| c.stamp = 0);
            self.ints.iter_mut().for_each(|c| c.stamp = 0);
            self.exprs.iter_mut().for_each(|c| c.stamp = 0);
            self.ips.iter_mut().for_each(|c| c.stamp = 0);
            self.cats.iter_mut().for_each(|c| c.stamp = 0);
            self.res.iter_mut().for_each(|c| c.stamp = 0);
        }
        self.gen += 1;
    }
}
