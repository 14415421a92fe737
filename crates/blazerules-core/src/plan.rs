//! Every rule compiled into one flat plan, run a block of records at a time by
//! `exec::Evaluator`.
//!
//! - Identical leaves of different rules are one leaf, evaluated at most once per record.
//! - Conditions are flat node arrays (no boxes); a node is evaluated for up to 64 records at
//!   once as a bit mask, and an `and` / `or` passes on only the records still undecided, so
//!   short-circuiting is kept per record while the rule's code runs once per 64 records.
//! - Fields are read into per-block columns once (numbers, IPv4 addresses, dictionary ids of
//!   set literals, which patterns of a field's `RegexSet` match).

use crate::compile::{Cmp, Cond, Expr, FieldRef, NumKind, Rhs, SetMode, StrOp, Test};
use regex::{RegexSet, RegexSetBuilder};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// A condition node. `And` / `Or` children are `kids[start..start + len]` (never empty).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Node {
    Leaf(u32),
    And(u32, u32),
    Or(u32, u32),
    Not(u32),
    Const(bool),
}

/// A field's value as read by fast leaves: its slot, and whether "" reads as null.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    pub slot: u32,
    pub empty_is_null: bool,
}

pub(crate) enum Leaf {
    /// A float64 comparison (no type hint) on number column `col`.
    Num {
        col: u32,
        cmp: Cmp,
        t: f64,
    },
    /// A float64 range on number column `col`.
    Range {
        col: u32,
        lo: f64,
        hi: f64,
        inclusive: bool,
    },
    /// `field op other_field` on two number columns.
    Cross {
        a: u32,
        b: u32,
        cmp: Cmp,
    },
    /// An arithmetic expression (expression column `col`) against a constant.
    Expr {
        col: u32,
        cmp: Cmp,
        t: f64,
    },
    /// Temporal tests on integer column `col`.
    DayOfWeek {
        col: u32,
        mask: u8,
    },
    TimeOfDay {
        col: u32,
        lo: f64,
        hi: f64,
    },
    /// starts_with (`end` false) / ends_with (`end` true).
    Affix {
        at: Slot,
        s: Box<[u8]>,
        end: bool,
    },
    /// IPv4 CIDR on address column `col`.
    Ip {
        col: u32,
        net: u32,
        mask: u32,
        negate: bool,
    },
    /// Set membership of a string through dictionary `dict` (bit set over its ids);
    /// other values (numbers, arrays) take `test`.
    Cat {
        dict: u32,
        members: Box<[u64]>,
        negate: bool,
        test: Box<Test>,
    },
    /// Pattern `pattern` of regex group `group`.
    Re {
        group: u32,
        pattern: u32,
        negate: bool,
    },
    Test(Box<Test>),
    /// `array_any`: element semantics, run by `eval::eval`.
    Cond(Box<Cond>),
}

/// The strings of every set leaf on one field.
pub(crate) struct Dict {
    pub at: Slot,
    pub ids: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
}

/// The regexes of one field, matched together.
pub(crate) struct ReGroup {
    pub at: Slot,
    pub set: RegexSet,
}

pub(crate) struct Plan {
    pub nodes: Vec<Node>,
    pub kids: Vec<u32>,
    /// Per rule: its root node.
    pub roots: Vec<u32>,
    pub leaves: Vec<Leaf>,
    /// Per number column / address column: the field it reads.
    pub nums: Vec<Slot>,
    pub ints: Vec<Slot>,
    pub ips: Vec<Slot>,
    pub exprs: Vec<Expr>,
    pub dicts: Vec<Dict>,
    pub groups: Vec<ReGroup>,
}

/// Leaves with the same key test the same thing.
fn key(t: &Test) -> String {
    match t {
        Test::Set { f, set, mode } => {
            let mut items = set.items();
            items.sort_unstable();
            format!("set {f:?} {mode:?} {items:?}")
        }
        Test::Str { f, op, s, .. } => format!("str {f:?} {op:?} {s:?}"),
        Test::Regex { f, re, negate } => format!("re {f:?} {negate} {:?}", re.as_str()),
        Test::Lookup { f, set, negate } => {
            format!("lookup {f:?} {negate} {:p}", Arc::as_ptr(set))
        }
        Test::ArrayLen {
            f,
            cmp,
            n,
            known,
            bytes,
        } => format!(
            "alen {f:?} {cmp:?} {n} {bytes} {:?}",
            known.as_ref().map(Arc::as_ptr)
        ),
        // Derived Debug prints every field (f64 exactly).
        other => format!("{other:?}"),
    }
}

/// Relative cost of a leaf, per record.
fn cost_of(t: &Test) -> u32 {
    match t {
        Test::Regex { .. } => 8,
        Test::Distance { .. } | Test::Lookup { .. } | Test::ArrayLen { .. } => 4,
        Test::Str { .. } | Test::Expr { .. } | Test::CrossEq { .. } | Test::Set { .. } => 2,
        _ => 1,
    }
}

#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    /// Per node: a rough cost, to run cheap children of `and` / `or` first.
    costs: Vec<u32>,
    kids: Vec<u32>,
    tests: Vec<Option<Test>>,
    conds: Vec<(u32, Cond)>,
    by_key: HashMap<String, u32>,
}

impl Builder {
    fn node(&mut self, c: &Cond) -> u32 {
        let mut cost = 1;
        let n = match c {
            Cond::Const(b) => Node::Const(*b),
            // An empty `and` / `or` is false.
            Cond::And(k) | Cond::Or(k) if k.is_empty() => Node::Const(false),
            Cond::And(k) | Cond::Or(k) if k.len() == 1 => return self.node(&k[0]),
            Cond::And(k) | Cond::Or(k) => {
                let mut ids: Vec<u32> = k.iter().map(|c| self.node(c)).collect();
                // Leaves are pure, so order changes only the cost, never the result.
                ids.sort_by_key(|&i| self.costs[i as usize]);
                cost = ids.iter().map(|&i| self.costs[i as usize]).sum();
                let start = self.kids.len() as u32;
                self.kids.extend(ids);
                if matches!(c, Cond::And(_)) {
                    Node::And(start, k.len() as u32)
                } else {
                    Node::Or(start, k.len() as u32)
                }
            }
            Cond::Not(k) => {
                let k = self.node(k);
                cost = self.costs[k as usize];
                Node::Not(k)
            }
            Cond::Leaf(test) => {
                cost = cost_of(test);
                Node::Leaf(self.leaf(test))
            }
            Cond::ArrayAny(..) => {
                cost = 16;
                let leaf = self.tests.len() as u32;
                self.tests.push(None);
                self.conds.push((leaf, c.clone()));
                Node::Leaf(leaf)
            }
        };
        self.nodes.push(n);
        self.costs.push(cost);
        (self.nodes.len() - 1) as u32
    }

    fn leaf(&mut self, test: &Test) -> u32 {
        let next = self.tests.len() as u32;
        let id = *self.by_key.entry(key(test)).or_insert(next);
        if id == next {
            self.tests.push(Some(test.clone()));
        }
        id
    }
}

impl Plan {
    pub fn new(rules: &[Cond]) -> Plan {
        let mut b = Builder::default();
        let roots = rules.iter().map(|c| b.node(c)).collect();
        let mut plan = Plan {
            nodes: b.nodes,
            kids: b.kids,
            roots,
            leaves: Vec::new(),
            nums: Vec::new(),
            ints: Vec::new(),
            ips: Vec::new(),
            exprs: Vec::new(),
            dicts: Vec::new(),
            groups: Vec::new(),
        };
        let dict_of = plan.build_dicts(&b.tests);
        let group_of = plan.build_groups(&b.tests);
        let mut cols = Cols::default();
        let mut conds = b.conds.into_iter().peekable();
        for (i, t) in b.tests.into_iter().enumerate() {
            let leaf = match t {
                None => match conds.next_if(|(l, _)| *l as usize == i) {
                    Some((_, c)) => Leaf::Cond(Box::new(c)),
                    None => Leaf::Cond(Box::new(Cond::Const(false))),
                },
                Some(t) => plan.fast(t, &dict_of, &group_of, &mut cols),
            };
            plan.leaves.push(leaf);
        }
        plan
    }

    /// The specialised form of a leaf, where one applies.
    fn fast(
        &mut self,
        t: Test,
        dict_of: &HashMap<u32, (u32, HashMap<Box<str>, u32>)>,
        group_of: &HashMap<(u32, String), (u32, u32)>,
        cols: &mut Cols,
    ) -> Leaf {
        match t {
            Test::Num {
                f,
                cmp,
                t,
                kind: NumKind::F64,
            } if f.slot != u32::MAX => Leaf::Num {
                col: cols.num(&mut self.nums, slot_of(&f)),
                cmp,
                t,
            },
            Test::Range {
                f,
                lo,
                hi,
                inclusive,
                kind: NumKind::F64,
            } if f.slot != u32::MAX => Leaf::Range {
                col: cols.num(&mut self.nums, slot_of(&f)),
                lo,
                hi,
                inclusive,
            },
            Test::CrossNum { a, b, cmp } if a.slot != u32::MAX && b.slot != u32::MAX => {
                Leaf::Cross {
                    a: cols.num(&mut self.nums, slot_of(&a)),
                    b: cols.num(&mut self.nums, slot_of(&b)),
                    cmp,
                }
            }
            Test::Expr {
                e,
                cmp,
                rhs: Rhs::Value(t),
            } => {
                let k = format!("{e:?}");
                let next = self.exprs.len() as u32;
                let col = *cols.expr.entry(k).or_insert(next);
                if col == next {
                    self.exprs.push(e);
                }
                Leaf::Expr { col, cmp, t }
            }
            Test::DayOfWeek { f, mask } if f.slot != u32::MAX => Leaf::DayOfWeek {
                col: cols.int(&mut self.ints, slot_of(&f)),
                mask,
            },
            Test::TimeOfDay { f, lo, hi } if f.slot != u32::MAX => Leaf::TimeOfDay {
                col: cols.int(&mut self.ints, slot_of(&f)),
                lo,
                hi,
            },
            Test::Str {
                f,
                op: op @ (StrOp::StartsWith | StrOp::EndsWith),
                s,
                ..
            } if f.slot != u32::MAX => Leaf::Affix {
                at: slot_of(&f),
                s: s.as_bytes().into(),
                end: op == StrOp::EndsWith,
            },
            Test::Ip {
                f,
                net,
                mask,
                negate,
            } if f.slot != u32::MAX => Leaf::Ip {
                col: cols.ip(&mut self.ips, slot_of(&f)),
                net,
                mask,
                negate,
            },
            Test::Set {
                ref f,
                ref set,
                mode: mode @ (SetMode::Any | SetMode::NoneOf),
            } if dict_of.contains_key(&f.slot) => {
                let (dict, ids) = &dict_of[&f.slot];
                let mut members = vec![0u64; ids.len().div_ceil(64)];
                for it in set.items() {
                    if let Some(&id) = ids.get(it) {
                        members[id as usize / 64] |= 1 << (id % 64);
                    }
                }
                Leaf::Cat {
                    dict: *dict,
                    members: members.into(),
                    negate: mode == SetMode::NoneOf,
                    test: Box::new(t),
                }
            }
            Test::Regex {
                ref f,
                ref re,
                negate,
            } if group_of.contains_key(&(f.slot, re.as_str().to_string())) => {
                let (group, pattern) = group_of[&(f.slot, re.as_str().to_string())];
                Leaf::Re {
                    group,
                    pattern,
                    negate,
                }
            }
            t => Leaf::Test(Box::new(t)),
        }
    }

    /// A dictionary for every field with two or more any/none-of set leaves.
    fn build_dicts(
        &mut self,
        tests: &[Option<Test>],
    ) -> HashMap<u32, (u32, HashMap<Box<str>, u32>)> {
        let mut by_slot: HashMap<u32, (Slot, usize, Vec<&str>)> = HashMap::new();
        for t in tests.iter().flatten() {
            if let Test::Set {
                f,
                set,
                mode: SetMode::Any | SetMode::NoneOf,
            } = t
            {
                if f.slot != u32::MAX {
                    let e = by_slot.entry(f.slot).or_insert_with(|| {
                        let at = Slot {
                            slot: f.slot,
                            empty_is_null: f.empty_is_null,
                        };
                        (at, 0, Vec::new())
                    });
                    e.1 += 1;
                    e.2.extend(set.items());
                }
            }
        }
        let mut slots: Vec<_> = by_slot.into_iter().filter(|(_, e)| e.1 >= 2).collect();
        slots.sort_by_key(|(s, _)| *s);
        let mut out = HashMap::new();
        for (slot, (at, _, items)) in slots {
            let mut ids: HashMap<Box<str>, u32> = HashMap::new();
            for it in items {
                let next = ids.len() as u32;
                ids.entry(it.into()).or_insert(next);
            }
            let dict = self.dicts.len() as u32;
            self.dicts.push(Dict {
                at,
                ids: ids.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            });
            out.insert(slot, (dict, ids));
        }
        out
    }

    /// A RegexSet for every field with two or more distinct patterns; (slot, pattern) →
    /// (group, index in the set).
    fn build_groups(&mut self, tests: &[Option<Test>]) -> HashMap<(u32, String), (u32, u32)> {
        let mut by_slot: HashMap<u32, (Slot, Vec<String>)> = HashMap::new();
        for t in tests.iter().flatten() {
            if let Test::Regex { f, re, .. } = t {
                if f.slot != u32::MAX {
                    let e = by_slot.entry(f.slot).or_insert_with(|| {
                        let at = Slot {
                            slot: f.slot,
                            empty_is_null: f.empty_is_null,
                        };
                        (at, Vec::new())
                    });
                    if !e.1.iter().any(|p| p == re.as_str()) {
                        e.1.push(re.as_str().to_string());
                    }
                }
            }
        }
        let mut slots: Vec<_> = by_slot
            .into_iter()
            .filter(|(_, e)| e.1.len() >= 2)
            .collect();
        slots.sort_by_key(|(s, _)| *s);
        let mut out = HashMap::new();
        for (slot, (at, patterns)) in slots {
            // Same size limit as a single regex; a set too large stays as separate regexes.
            let Ok(set) = RegexSetBuilder::new(&patterns).size_limit(1 << 24).build() else {
                continue;
            };
            let group = self.groups.len() as u32;
            self.groups.push(ReGroup { at, set });
            for (i, p) in patterns.into_iter().enumerate() {
                out.insert((slot, p), (group, i as u32));
            }
        }
        out
    }
}

fn slot_of(f: &FieldRef) -> Slot {
    Slot {
        slot: f.slot,
        empty_is_null: f.empty_is_null,
    }
}

/// Column numbers by slot.
#[derive(Default)]
struct Cols {
    num: HashMap<u32, u32>,
    int: HashMap<u32, u32>,
    ip: HashMap<u32, u32>,
    /// By the expression's Debug text.
    expr: HashMap<String, u32>,
}

impl Cols {
    fn num(&mut self, list: &mut Vec<Slot>, at: Slot) -> u32 {
        *self.num.entry(at.slot).or_insert_with(|| {
            list.push(at);
            (list.len() - 1) as u32
        })
    }
    fn int(&mut self, list: &mut Vec<Slot>, at: Slot) -> u32 {
        *self.int.entry(at.slot).or_insert_with(|| {
            list.push(at);
            (list.len() - 1) as u32
        })
    }
    fn ip(&mut self, list: &mut Vec<Slot>, at: Slot) -> u32 {
        *self.ip.entry(at.slot).or_insert_with(|| {
            list.push(at);
            (list.len() - 1) as u32
        })
    }
}

/// FxHash (rustc's): a few multiply-rotates per word, plenty for short dictionary keys.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}
