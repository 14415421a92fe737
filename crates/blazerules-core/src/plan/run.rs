//! Runs a `Plan` over up to 64 records at a time: a node's value is a bit mask over the
//! records, each leaf and column is computed once per record and only for the records some
//! rule still needs, and each rule's code is interpreted once per 64 records.

use crate::plan::build::{CExpr, Leaf, Node, Plan, XExpr};
use crate::plan::caches::Caches;
use crate::plan::caches::Col;
use crate::plan::derived::window_test;
use crate::plan::slot::Slot;
use crate::plan::tree::{eval, expr, ip_of, test, Ctx, Record, DAY_MS};
use crate::read::fields::MISSING;
use crate::rules::compile::{BinOp, Test, Threshold};
use crate::rules::op::{Cmp, FlagMode};
use crate::value::{as_str, elements, int, num, V};
use simd_json::{Node as JNode, StaticNode};

/// A dictionary lookup's outcome (ids are below these).
const CAT_NULL: u32 = u32::MAX;
const CAT_OTHER: u32 = u32::MAX - 1;
const CAT_UNKNOWN: u32 = u32::MAX - 2;
const CAT_ARRAY: u32 = u32::MAX - 3;

/// Evaluation state; every cache is valid for the chunk whose generation it is stamped with,
/// so nothing is cleared between chunks.
pub(crate) struct Evaluator<'a> {
    plan: &'a Plan,
    cx: &'a Ctx,
    c: Caches,
}

impl<'a> Evaluator<'a> {
    pub fn new(plan: &'a Plan, cx: &'a Ctx) -> Self {
        Evaluator::with_caches(plan, cx, None)
    }

    /// An evaluator on caches an earlier one left (`into_caches`), when they fit `plan`.
    /// Nothing in them needs clearing: every entry is stamped with the generation (chunk) it
    /// holds, and the generation goes on from where they were left, so none is current.
    pub fn with_caches(plan: &'a Plan, cx: &'a Ctx, caches: Option<Caches>) -> Self {
        let c = caches
            .filter(|c| c.fit(plan))
            .unwrap_or_else(|| Caches::new(plan));
        Evaluator { plan, cx, c }
    }

    /// The caches, for the next evaluator of this thread.
    pub fn into_caches(self) -> Caches {
        self.c
    }

    /// For each record `j`, sets bit `i` of `bits[j * words..]` when rule `i` matches it,
    /// where `words` = `bits.len() / recs.len()`.
    pub fn run(&mut self, recs: &[Record<'_, '_>], bits: &mut [u64]) {
        let Some(words) = bits.len().checked_div(recs.len()) else {
            return;
        };
        for (c, chunk) in recs.chunks(64).enumerate() {
            self.c.next_gen();
            let live = u64::MAX >> (64 - chunk.len());
            let plan = self.plan;
            for (r, &root) in plan.roots.iter().enumerate() {
                let mut m = self.node(root, live, chunk);
                let (w, bit) = (r / 64, 1u64 << (r % 64));
                while m != 0 {
                    let j = (c * 64 + m.trailing_zeros() as usize) * words + w;
                    m &= m - 1;
                    if let Some(b) = bits.get_mut(j) {
                        *b |= bit;
                    }
                }
            }
        }
    }

    /// The records of `care` for which node `n` is true.
    fn node(&mut self, n: u32, care: u64, recs: &[Record<'_, '_>]) -> u64 {
        let plan = self.plan;
        match plan.nodes[n as usize] {
            Node::Leaf(l) => self.leaf(l as usize, care, recs) & care,
            Node::And(start, len) => {
                let mut m = care;
                for &k in &plan.kids[start as usize..(start + len) as usize] {
                    m &= self.node(k, m, recs);
                    if m == 0 {
                        break;
                    }
                }
                m
            }
            Node::Or(start, len) => {
                let (mut yes, mut rest) = (0, care);
                for &k in &plan.kids[start as usize..(start + len) as usize] {
                    let r = self.node(k, rest, recs);
                    yes |= r;
                    rest &= !r;
                    if rest == 0 {
                        break;
                    }
                }
                yes
            }
            Node::Not(k) => care & !self.node(k, care, recs),
            Node::Const(b) => {
                if b {
                    care
                } else {
                    0
                }
            }
        }
    }

    #[inline]
    fn leaf(&mut self, l: usize, care: u64, recs: &[Record<'_, '_>]) -> u64 {
        let (stamp, done, val) = self.c.leaves[l];
        let (done, val) = if stamp == self.c.gen {
            (done, val)
        } else {
            (0, 0)
        };
        let need = care & !done;
        if need == 0 {
            return val;
        }
        let val = val | (self.compute(l, need, recs) & need);
        self.c.leaves[l] = (self.c.gen, done | need, val);
        val
    }

    fn int_col(&mut self, col: usize, need: u64, recs: &[Record<'_, '_>]) -> &Col<i64> {
        let at = self.plan.ints[col];
        let c = &mut self.c.ints[col];
        c.fill(self.c.gen, need, |i| value(&recs[i], at).and_then(int_of));
        c
    }

    #[inline(always)]
    fn num_col(&mut self, col: usize, need: u64, recs: &[Record<'_, '_>]) -> &Col<f64> {
        let at = self.plan.nums[col];
        let c = &mut self.c.nums[col];
        c.fill(self.c.gen, need, |i| value(&recs[i], at).and_then(num));
        c
    }

    /// Leaf `l` over the `need` records: one arm per leaf kind, the longer ones in the
    /// `#[inline(always)]` methods below (so this stays one match, as fast as before).
    fn compute(&mut self, l: usize, need: u64, recs: &[Record<'_, '_>]) -> u64 {
        let plan = self.plan;
        match &plan.leaves[l] {
            Leaf::Num { col, cmp, t } => {
                let c = self.num_col(*col as usize, need, recs);
                each(need & c.has, |i| cmp.test(c.vals[i], *t))
            }
            Leaf::Range {
                col,
                lo,
                hi,
                inclusive,
            } => self.range(*col as usize, *lo, *hi, *inclusive, need, recs),
            Leaf::Cross { a, b, cmp } => {
                let (ca, cb) = (*a as usize, *b as usize);
                self.num_col(ca, need, recs);
                self.num_col(cb, need, recs);
                let (x, y) = (&self.c.nums[ca], &self.c.nums[cb]);
                each(need & x.has & y.has, |i| cmp.test(x.vals[i], y.vals[i]))
            }
            Leaf::Expr { col, cmp, t } => {
                let c = self.expr_col(*col as usize, need, recs);
                each(need & c.has, |i| cmp.test(c.vals[i], *t))
            }
            Leaf::Flags { col, mode, mask } => self.flags(*col as usize, *mode, *mask, need, recs),
            Leaf::Null { at, negate } => each(need, |i| value(&recs[i], *at).is_none() != *negate),
            Leaf::Contains { at, finder } => each(need, |i| {
                value(&recs[i], *at).and_then(as_str).is_some_and(|v| {
                    let (v, s) = (v.as_bytes(), finder.needle());
                    v.len() >= s.len() && finder.find(v).is_some()
                })
            }),
            Leaf::ArrayLen { at, cmp, n, bytes } => each(need, |i| {
                value(&recs[i], *at).is_some_and(|v| array_len(v, *bytes, *cmp, *n))
            }),
            Leaf::Regex {
                at,
                pre,
                re,
                negate,
            } => each(need, |i| {
                value(&recs[i], *at).and_then(as_str).is_some_and(|s| {
                    let hit = match pre {
                        Some(p) => p.may_match(s.as_bytes()) && re.is_match(s),
                        None => re.is_match(s),
                    };
                    hit != *negate
                })
            }),
            Leaf::DayOfWeek { col, mask } => {
                let c = self.int_col(*col as usize, need, recs);
                each(need & c.has, |i| {
                    let dow = (c.vals[i].div_euclid(DAY_MS) + 4).rem_euclid(7);
                    mask & (1 << dow) != 0
                })
            }
            Leaf::TimeOfDay { col, lo, hi } => {
                self.time_of_day(*col as usize, *lo, *hi, need, recs)
            }
            Leaf::Affix { at, s, end } => each(need, |i| {
                value(&recs[i], *at)
                    .and_then(as_str)
                    .is_some_and(|v| affix(v.as_bytes(), s, *end))
            }),
            Leaf::Ip {
                col,
                net,
                mask,
                negate,
            } => {
                let c = &mut self.c.ips[*col as usize];
                let at = plan.ips[*col as usize];
                c.fill(self.c.gen, need, |i| value(&recs[i], at).and_then(ip_of));
                each(need & c.has, |i| (c.vals[i] & mask == *net) != *negate)
            }
            Leaf::Cat {
                dict,
                members,
                negate,
                test: t,
            } => self.cat(*dict as usize, members, *negate, t, need, recs),
            Leaf::Re {
                group,
                pattern,
                negate,
            } => self.re(*group as usize, *pattern as usize, *negate, need, recs),
            Leaf::Window { ch, count, test } => window(recs, *ch as usize, *count, test, need),
            Leaf::Test(t) => {
                let cx = self.cx;
                each(need, |i| test(t, &recs[i], cx))
            }
            Leaf::Cond(cond) => {
                let cx = self.cx;
                each(need, |i| eval(cond, &recs[i], cx))
            }
        }
    }

    #[inline(always)]
    fn range(
        &mut self,
        col: usize,
        lo: f64,
        hi: f64,
        inclusive: bool,
        need: u64,
        recs: &[Record<'_, '_>],
    ) -> u64 {
        let c = self.num_col(col, need, recs);
        if inclusive {
            each(need & c.has, |i| c.vals[i] >= lo && c.vals[i] <= hi)
        } else {
            each(need & c.has, |i| c.vals[i] > lo && c.vals[i] < hi)
        }
    }

    /// Expression column `col` over the `need` records, filling first only the number
    /// columns it reads that it still lacks.
    #[inline(always)]
    fn expr_col(&mut self, col: usize, need: u64, recs: &[Record<'_, '_>]) -> &Col<f64> {
        let (plan, gen) = (self.plan, self.c.gen);
        let x = &plan.exprs[col];
        if let XExpr::Cols { cols, .. } = x {
            let c = &self.c.exprs[col];
            let todo = if c.stamp == gen { need & !c.done } else { need };
            for &k in cols.iter() {
                self.num_col(k as usize, todo, recs);
            }
        }
        let nums = &self.c.nums;
        let c = &mut self.c.exprs[col];
        match x {
            XExpr::Cols { e, .. } => c.fill(gen, need, |i| cexpr(e, nums, i)),
            XExpr::Tree(e) => c.fill(gen, need, |i| expr(e, &recs[i])),
        }
        c
    }

    #[inline(always)]
    fn flags(
        &mut self,
        col: usize,
        mode: FlagMode,
        mask: i64,
        need: u64,
        recs: &[Record<'_, '_>],
    ) -> u64 {
        let c = self.int_col(col, need, recs);
        match mode {
            FlagMode::Any => each(need & c.has, |i| c.vals[i] & mask != 0),
            FlagMode::All => each(need & c.has, |i| c.vals[i] & mask == mask),
            FlagMode::NotAll => each(need & c.has, |i| c.vals[i] & mask != mask),
            FlagMode::None => each(need & c.has, |i| c.vals[i] & mask == 0),
        }
    }

    #[inline(always)]
    fn time_of_day(
        &mut self,
        col: usize,
        lo: f64,
        hi: f64,
        need: u64,
        recs: &[Record<'_, '_>],
    ) -> u64 {
        let c = self.int_col(col, need, recs);
        each(need & c.has, |i| {
            let h = c.vals[i].rem_euclid(DAY_MS) as f64 / 3_600_000.0;
            if lo <= hi {
                h >= lo && h <= hi
            } else {
                h >= lo || h <= hi
            }
        })
    }

    /// A set leaf through its field's dictionary: strings by id, arrays by their elements'
    /// ids, other values by the tree's test.
    #[inline(always)]
    fn cat(
        &mut self,
        dict: usize,
        members: &[u64],
        negate: bool,
        t: &Test,
        need: u64,
        recs: &[Record<'_, '_>],
    ) -> u64 {
        let d = &self.plan.dicts[dict];
        let c = &mut self.c.cats[dict];
        c.fill(self.c.gen, need, |i| {
            Some(match value(&recs[i], d.at) {
                None => CAT_NULL,
                Some(v) => match v.first() {
                    Some(JNode::String(s)) => d.ids.get(s).unwrap_or(CAT_UNKNOWN),
                    Some(JNode::Array { .. }) => CAT_ARRAY,
                    _ => CAT_OTHER,
                },
            })
        });
        let cx = self.cx;
        let member = |id: u32| {
            members
                .get(id as usize / 64)
                .is_some_and(|w| w & (1 << (id % 64)) != 0)
        };
        each(need, |i| match c.vals[i] {
            CAT_NULL => false,
            CAT_OTHER => test(t, &recs[i], cx),
            CAT_ARRAY => match (t, value(&recs[i], d.at)) {
                // Any member in the set (the tree's `set_test` over elements).
                (Test::Set { set, .. }, Some(v)) => {
                    let any = elements(v).any(|e| match e.first() {
                        Some(JNode::String(s)) => d.ids.get(s).is_some_and(member),
                        _ => set.contains_value(e, false),
                    });
                    any != negate
                }
                _ => test(t, &recs[i], cx),
            },
            CAT_UNKNOWN => negate,
            id => member(id) != negate,
        })
    }

    /// Pattern `pattern` of regex group `group`: the group's set runs once per record for
    /// all its patterns (after its literal gate, if any).
    #[inline(always)]
    fn re(
        &mut self,
        group: usize,
        pattern: usize,
        negate: bool,
        need: u64,
        recs: &[Record<'_, '_>],
    ) -> u64 {
        let g = &self.plan.groups[group];
        let c = &mut self.c.res[group];
        if c.stamp != self.c.gen {
            c.stamp = self.c.gen;
            c.done = 0;
            c.strs = 0;
            c.hits.iter_mut().for_each(|h| *h = 0);
        }
        let mut todo = need & !c.done;
        c.done |= todo;
        while todo != 0 {
            let i = todo.trailing_zeros() as usize;
            todo &= todo - 1;
            if let Some(s) = value(&recs[i], g.at).and_then(as_str) {
                c.strs |= 1 << i;
                if let Some(gate) = &g.gate {
                    if !gate.iter().any(|l| l.may_match(s.as_bytes())) {
                        continue;
                    }
                }
                for p in g.set.matches(s).iter() {
                    if let Some(h) = c.hits.get_mut(p) {
                        *h |= 1 << i;
                    }
                }
            }
        }
        let hit = c.hits.get(pattern).copied().unwrap_or(0);
        if negate {
            c.strs & !hit
        } else {
            hit
        }
    }
}

/// `array_len_*` on one value: an array counts its elements, a string its bytes when
/// `bytes` (else 1), an object nothing (false), other values 1.
#[inline(always)]
fn array_len(v: V<'_, '_>, bytes: bool, cmp: Cmp, n: i64) -> bool {
    let count = match v.first() {
        Some(JNode::String(s)) if bytes => s.len(),
        Some(JNode::Array { .. }) => elements(v).count(),
        Some(JNode::Object { .. }) => return false,
        _ => 1,
    };
    cmp.test(count as i64, n)
}

/// A window leaf over the `need` records: each value read from `Record::win` (NaN: no
/// state, false), compared as `derived::window_test` compares it, with a comparison's
/// threshold cast once per 64 records rather than per record.
#[inline(always)]
fn window(recs: &[Record<'_, '_>], ch: usize, count: bool, t: &Threshold, need: u64) -> u64 {
    #[inline(always)]
    fn on(recs: &[Record<'_, '_>], ch: usize, need: u64, pass: impl Fn(f64) -> bool) -> u64 {
        each(need, |i| {
            recs[i].win.get(ch).is_some_and(|&v| !v.is_nan() && pass(v))
        })
    }
    match *t {
        Threshold::Cmp(cmp, t) if count => on(recs, ch, need, |v| cmp.test(f64::from(v as i32), t)),
        Threshold::Cmp(cmp, t) => {
            let t = t as f32;
            on(recs, ch, need, |v| cmp.test(v as f32, t))
        }
        Threshold::Range { .. } => on(recs, ch, need, |v| window_test(v, count, t)),
    }
}

/// Whether `v` starts (or ends, `end`) with `s`; inline, as affixes are a few bytes.
#[inline]
fn affix(v: &[u8], s: &[u8], end: bool) -> bool {
    if v.len() < s.len() {
        return false;
    }
    let part = if end {
        &v[v.len() - s.len()..]
    } else {
        &v[..s.len()]
    };
    part.iter().zip(s).all(|(a, b)| a == b)
}

/// An expression over number columns for record `i` (`eval::expr` on a record).
fn cexpr(e: &CExpr, nums: &[Col<f64>], i: usize) -> Option<f64> {
    /// An operand: columns and literals without a call.
    #[inline(always)]
    fn operand(e: &CExpr, nums: &[Col<f64>], i: usize) -> Option<f64> {
        match e {
            CExpr::Lit(x) => Some(*x),
            CExpr::Col(c) => {
                let c = nums.get(*c as usize)?;
                (c.has >> i & 1 == 1).then(|| c.vals[i])
            }
            CExpr::Bin(..) => cexpr(e, nums, i),
        }
    }
    match e {
        CExpr::Bin(a, op, b) => {
            let (a, b) = (operand(a, nums, i)?, operand(b, nums, i)?);
            match op {
                BinOp::Add => Some(a + b),
                BinOp::Sub => Some(a - b),
                BinOp::Mul => Some(a * b),
                BinOp::Div if b == 0.0 => None,
                BinOp::Div => Some(a / b),
            }
        }
        _ => operand(e, nums, i),
    }
}

/// `value::int`, with numbers inline.
#[inline]
pub(crate) fn int_of(v: V<'_, '_>) -> Option<i64> {
    match v.first() {
        Some(JNode::Static(StaticNode::U64(u))) => Some(*u as i64),
        Some(JNode::Static(StaticNode::I64(i))) => Some(*i),
        Some(JNode::Static(StaticNode::F64(f))) => Some(f.trunc() as i64),
        _ => int(v),
    }
}

/// The mask of the records of `m` for which `f` holds.
#[inline]
fn each(mut m: u64, mut f: impl FnMut(usize) -> bool) -> u64 {
    let mut out = 0;
    while m != 0 {
        let i = m.trailing_zeros() as usize;
        m &= m - 1;
        out |= u64::from(f(i)) << i;
    }
    out
}

/// The value in a slot, None when missing or null (and "" for a nullable hint).
#[inline]
fn value<'t, 'i>(rec: &Record<'t, 'i>, at: Slot) -> Option<V<'t, 'i>> {
    let idx = *rec.slots.get(at.slot as usize)?;
    if idx == MISSING {
        return None;
    }
    let v = rec.tape.get(idx as usize..)?;
    match v.first()? {
        JNode::Static(StaticNode::Null) => None,
        JNode::String(s) if at.empty_is_null && s.is_empty() => None,
        _ => Some(v),
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
