//! Every rule compiled into one flat plan, run a block of records at a time by
//! `run::Evaluator`.
//!
//! - Identical leaves of different rules are one leaf, evaluated at most once per record.
//! - Conditions are flat node arrays (no boxes); a node is evaluated for up to 64 records at
//!   once as a bit mask, and an `and` / `or` passes on only the records still undecided, so
//!   short-circuiting is kept per record while the rule's code runs once per 64 records.
//! - Fields are read into per-block columns once (numbers, IPv4 addresses, dictionary ids of
//!   set literals, which patterns of a field's `RegexSet` match).
//!
//! This module holds the plan's shape and its builder; the specialised leaves are chosen in
//! `fast`, set dictionaries built in `dict`, regex groups in `regroup` (with the literal
//! prefilter of `prefilter`).

use crate::plan::dict::{build_dicts, Dict};
use crate::plan::prefilter::Lits;
use crate::plan::regroup::{build_groups, ReGroup};
use crate::plan::slot::Slot;
use crate::rules::compile::{BinOp, Cond, Expr, Test, Threshold};
use crate::rules::op::{Cmp, FlagMode};
use memchr::memmem::Finder;
use regex::Regex;
use std::collections::HashMap;
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
    /// flags_* on integer column `col`.
    Flags {
        col: u32,
        mode: FlagMode,
        mask: i64,
    },
    /// is_null (`negate` false) / is_not_null.
    Null {
        at: Slot,
        negate: bool,
    },
    /// `contains` on a string.
    Contains {
        at: Slot,
        finder: Box<Finder<'static>>,
    },
    /// array_len_* without a known-values filter: an array counts its elements, a string
    /// its bytes when `bytes` (else 1), an object nothing (false), other values 1.
    ArrayLen {
        at: Slot,
        cmp: Cmp,
        n: i64,
        bytes: bool,
    },
    /// A regex alone on its field; a string `pre` rules out cannot match.
    Regex {
        at: Slot,
        pre: Option<Box<Lits>>,
        re: Box<Regex>,
        negate: bool,
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
    /// A window's value, channel `ch` of `Record::win` (NaN: no state, never true), against
    /// `test` as `derived::window_test` compares it (an int32 when it `count`s).
    Window {
        ch: u32,
        count: bool,
        test: Threshold,
    },
    Test(Box<Test>),
    /// `array_any`: element semantics, run by `eval::eval`.
    Cond(Box<Cond>),
}

/// An arithmetic expression over number columns (or, when a field has no slot, the tree).
pub(crate) enum XExpr {
    Cols { e: CExpr, cols: Box<[u32]> },
    Tree(Expr),
}

pub(crate) enum CExpr {
    Lit(f64),
    Col(u32),
    Bin(Box<CExpr>, BinOp, Box<CExpr>),
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
    pub exprs: Vec<XExpr>,
    pub dicts: Vec<Dict>,
    pub groups: Vec<ReGroup>,
}

/// Sets longer than this are keyed by their size and fingerprint (and compared when two
/// keys meet) rather than by their sorted literals.
const LISTED_SET: usize = 64;

/// Leaves with the same key test the same thing (a long set's key: only probably).
fn key(t: &Test) -> String {
    match t {
        Test::Set { f, set, mode } if set.len() > LISTED_SET => {
            format!("set {f:?} {mode:?} #{} {:x}", set.len(), set.fingerprint())
        }
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

/// Whether a leaf of the same key is this test (only long sets' keys can meet by chance).
fn same_leaf(known: Option<&Test>, t: &Test) -> bool {
    match (known, t) {
        (Some(Test::Set { set: a, .. }), Test::Set { set: b, .. }) if b.len() > LISTED_SET => {
            a.same(b)
        }
        _ => true,
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
        let mut k = key(test);
        if let Some(&id) = self.by_key.get(&k) {
            if same_leaf(self.tests[id as usize].as_ref(), test) {
                return id;
            }
            // Two long sets with one fingerprint: this one gets a key of its own.
            k = format!("{k} @{next}");
        }
        self.by_key.insert(k, next);
        self.tests.push(Some(test.clone()));
        next
    }
}

impl Plan {
    pub fn new(rules: &[Cond]) -> Plan {
        let mut b = Builder::default();
        let roots = rules.iter().map(|c| b.node(c)).collect();
        let (dicts, dict_of) = build_dicts(&b.tests);
        let (groups, group_of) = build_groups(&b.tests);
        let mut plan = Plan {
            nodes: b.nodes,
            kids: b.kids,
            roots,
            leaves: Vec::new(),
            nums: Vec::new(),
            ints: Vec::new(),
            ips: Vec::new(),
            exprs: Vec::new(),
            dicts,
            groups,
        };
        let mut cols = Cols::default();
        let mut conds = b.conds.into_iter().peekable();
        // The dictionaries borrow the leaves' strings, so each leaf is cloned (cheaply: a set
        // is shared) rather than moved.
        for (i, t) in b.tests.iter().enumerate() {
            let leaf = match t {
                None => match conds.next_if(|(l, _)| *l as usize == i) {
                    Some((_, c)) => Leaf::Cond(Box::new(c)),
                    None => Leaf::Cond(Box::new(Cond::Const(false))),
                },
                Some(t) => plan.fast(t.clone(), &dict_of, &group_of, &mut cols),
            };
            plan.leaves.push(leaf);
        }
        plan
    }
}

/// Column numbers by slot.
#[derive(Default)]
pub(super) struct Cols {
    pub num: HashMap<u32, u32>,
    pub int: HashMap<u32, u32>,
    pub ip: HashMap<u32, u32>,
    /// By the expression's Debug text.
    pub expr: HashMap<String, u32>,
}

impl Cols {
    pub fn num(&mut self, list: &mut Vec<Slot>, at: Slot) -> u32 {
        *self.num.entry(at.slot).or_insert_with(|| {
            list.push(at);
            (list.len() - 1) as u32
        })
    }
    pub fn int(&mut self, list: &mut Vec<Slot>, at: Slot) -> u32 {
        *self.int.entry(at.slot).or_insert_with(|| {
            list.push(at);
            (list.len() - 1) as u32
        })
    }
    pub fn ip(&mut self, list: &mut Vec<Slot>, at: Slot) -> u32 {
        *self.ip.entry(at.slot).or_insert_with(|| {
            list.push(at);
            (list.len() - 1) as u32
        })
    }
}
