//! Every rule compiled into one flat plan, run a block of records at a time by
//! `exec::Evaluator`.
//!
//! - Identical leaves of different rules are one leaf, evaluated at most once per record.
//! - Conditions are flat node arrays (no boxes); a node is evaluated for up to 64 records at
//!   once as a bit mask, and an `and` / `or` passes on only the records still undecided, so
//!   short-circuiting is kept per record while the rule's code runs once per 64 records.
//! - Fields are read into per-block columns once (numbers, IPv4 addresses, dictionary ids of
//!   set literals, which patterns of a field's `RegexSet` match).

use crate::rules::compile::{BinOp, Cond, Expr, FieldRef, NumKind, Rhs, Test};
use crate::rules::op::{Cmp, FlagMode, SetMode, StrOp};
use memchr::memmem::Finder;
use regex::{Regex, RegexSet, RegexSetBuilder};
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
    Test(Box<Test>),
    /// `array_any`: element semantics, run by `eval::eval`.
    Cond(Box<Cond>),
}

/// The strings of every set leaf on one field.
pub(crate) struct Dict {
    pub at: Slot,
    pub ids: Ids,
}

/// String → dictionary id. Strings of up to 7 bytes are packed into a word with their length
/// (`pack`): scanned when few, else hashed; longer strings are hashed as they are.
pub(crate) struct Ids {
    short: Box<[u64]>,
    short_ids: Box<[u32]>,
    short_map: HashMap<u64, u32, BuildHasherDefault<FxHasher>>,
    long: Box<[(Box<[u8]>, u32)]>,
    long_map: HashMap<Box<str>, u32, BuildHasherDefault<FxHasher>>,
}

/// Up to this many packed (or longer) strings are scanned rather than hashed.
const SCAN: usize = 16;

/// A string of up to 7 bytes as one word: its bytes (little-endian) and its length on top.
#[inline(always)]
fn pack(s: &[u8]) -> Option<u64> {
    if s.len() > 7 {
        return None;
    }
    let mut w = (s.len() as u64) << 56;
    for (i, &b) in s.iter().enumerate() {
        w |= u64::from(b) << (8 * i);
    }
    Some(w)
}

impl Ids {
    fn new(ids: &HashMap<Box<str>, u32>) -> Ids {
        let mut short: Vec<(u64, u32)> = Vec::new();
        let mut long: Vec<(Box<[u8]>, u32)> = Vec::new();
        for (k, &id) in ids {
            match pack(k.as_bytes()) {
                Some(w) => short.push((w, id)),
                None => long.push((k.as_bytes().into(), id)),
            }
        }
        short.sort_unstable();
        long.sort_unstable();
        let short_map = if short.len() > SCAN {
            short.iter().copied().collect()
        } else {
            HashMap::default()
        };
        let long_map = if long.len() > SCAN {
            long.iter()
                .filter_map(|(k, id)| Some((std::str::from_utf8(k).ok()?.into(), *id)))
                .collect()
        } else {
            HashMap::default()
        };
        Ids {
            short: short.iter().map(|e| e.0).collect(),
            short_ids: short.iter().map(|e| e.1).collect(),
            short_map,
            long: if long.len() > SCAN {
                Box::default()
            } else {
                long.into()
            },
            long_map,
        }
    }

    #[inline(always)]
    pub fn get(&self, s: &str) -> Option<u32> {
        match pack(s.as_bytes()) {
            Some(w) if self.short.len() <= SCAN => {
                let i = self.short.iter().position(|&k| k == w)?;
                self.short_ids.get(i).copied()
            }
            None if self.long_map.is_empty() => {
                let s = s.as_bytes();
                self.long
                    .iter()
                    .find(|(k, _)| k.len() == s.len() && same(k, s))
                    .map(|e| e.1)
            }
            _ => self.hashed(s),
        }
    }

    #[inline(never)]
    fn hashed(&self, s: &str) -> Option<u32> {
        match pack(s.as_bytes()) {
            Some(w) => self.short_map.get(&w).copied(),
            None => self.long_map.get(s).copied(),
        }
    }
}

/// The literal strings a regex can match, where its pattern is only literals, `(…|…)`
/// alternations and `^` / `$` anchors: a haystack matches iff it starts with / ends with / is /
/// contains one of them (by the anchors).
#[derive(Debug)]
pub(crate) struct Lits {
    pub start: bool,
    pub end: bool,
    pub lits: Box<[Box<[u8]>]>,
    /// Per literal: its last (with `end` and not `start`; else first) up to 8 bytes as a word
    /// (`tail` / `head`), and the mask of those bytes.
    words: Box<[(u64, u64)]>,
    /// Unanchored: the first byte every literal starts with, if they share one.
    first: Option<u8>,
}

/// The last `min(8, len)` bytes of `s` in the top bytes of a little-endian word.
#[inline]
fn tail(s: &[u8]) -> u64 {
    match s.len().checked_sub(8) {
        Some(at) => {
            let mut w = [0u8; 8];
            w.copy_from_slice(&s[at..]);
            u64::from_le_bytes(w)
        }
        None => s
            .iter()
            .enumerate()
            .fold(0, |w, (j, &b)| w | u64::from(b) << (8 * (8 - s.len() + j))),
    }
}

/// The first `min(8, len)` bytes of `s` in the low bytes of a little-endian word.
#[inline]
fn head(s: &[u8]) -> u64 {
    match s.get(..8) {
        Some(h) => {
            let mut w = [0u8; 8];
            w.copy_from_slice(h);
            u64::from_le_bytes(w)
        }
        None => s
            .iter()
            .enumerate()
            .fold(0, |w, (j, &b)| w | u64::from(b) << (8 * j)),
    }
}

/// Byte equality, inline (literals are short).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl Lits {
    /// Whether `s` can match (a match is then confirmed by the regex itself).
    #[inline]
    pub fn may_match(&self, s: &[u8]) -> bool {
        let mut pairs = self.lits.iter().zip(self.words.iter());
        match (self.start, self.end) {
            (false, true) => {
                let w = tail(s);
                // Words alone settle most strings.
                if !self.words.iter().any(|&(lw, m)| w & m == lw) {
                    return false;
                }
                pairs.any(|(l, &(lw, m))| {
                    s.len() >= l.len()
                        && w & m == lw
                        && (l.len() <= 8
                            || same(&s[s.len() - l.len()..s.len() - 8], &l[..l.len() - 8]))
                })
            }
            (true, end) => {
                let w = head(s);
                if !self.words.iter().any(|&(lw, m)| w & m == lw) {
                    return false;
                }
                pairs.any(|(l, &(lw, m))| {
                    (if end {
                        s.len() == l.len()
                    } else {
                        s.len() >= l.len()
                    }) && w & m == lw
                        && (l.len() <= 8 || same(&s[8..l.len()], &l[8..]))
                })
            }
            (false, false) => match self.first {
                // At each occurrence of the literals' common first byte, compare words.
                Some(c) => memchr::memchr_iter(c, s).any(|p| {
                    let (s, w) = (&s[p..], head(&s[p..]));
                    let mut pairs = self.lits.iter().zip(self.words.iter());
                    pairs.any(|(l, &(lw, m))| {
                        s.len() >= l.len()
                            && w & m == lw
                            && (l.len() <= 8 || same(&s[8..l.len()], &l[8..]))
                    })
                }),
                None => self
                    .lits
                    .iter()
                    .any(|l| memchr::memmem::find(s, l).is_some()),
            },
        }
    }

    fn new(start: bool, end: bool, lits: Vec<Vec<u8>>) -> Lits {
        let words = lits
            .iter()
            .map(|l| {
                let t = l.len().min(8);
                if t == 0 {
                    (0, 0)
                } else if end && !start {
                    (tail(&l[l.len() - t..]), u64::MAX << (8 * (8 - t)))
                } else {
                    (head(&l[..t]), u64::MAX >> (8 * (8 - t)))
                }
            })
            .collect();
        let first = lits.first().and_then(|l| l.first().copied());
        let first = first.filter(|&c| !start && !end && lits.iter().all(|l| l.first() == Some(&c)));
        Lits {
            start,
            end,
            lits: lits.into_iter().map(Vec::into_boxed_slice).collect(),
            words,
            first,
        }
    }

    /// One `Lits` per anchoring for the literals of `all`: a haystack may match one of `all`
    /// iff it may match one of these. None past `MAX_LITS` literals of one anchoring.
    fn merge(all: &[Lits]) -> Option<Box<[Lits]>> {
        /// (start, end) anchoring, and its literals.
        type Mode = ((bool, bool), Vec<Vec<u8>>);
        let mut by_mode: Vec<Mode> = Vec::new();
        for l in all {
            let mode = (l.start, l.end);
            let i = match by_mode.iter().position(|(m, _)| *m == mode) {
                Some(i) => i,
                None => {
                    by_mode.push((mode, Vec::new()));
                    by_mode.len() - 1
                }
            };
            let list = &mut by_mode[i].1;
            for lit in l.lits.iter() {
                if !list.iter().any(|x| **x == **lit) {
                    list.push(lit.to_vec());
                }
            }
            if list.len() > MAX_LITS {
                return None;
            }
        }
        Some(
            by_mode
                .into_iter()
                .map(|((start, end), lits)| Lits::new(start, end, lits))
                .collect(),
        )
    }

    /// The literals of `pattern`, None where its syntax is beyond this subset (any flag,
    /// class, repetition, `.` or escape other than of punctuation) or it has too many.
    pub fn of(pattern: &str) -> Option<Lits> {
        let b = pattern.as_bytes();
        let (start, b) = match b.strip_prefix(b"^") {
            Some(rest) => (true, rest),
            None => (false, b),
        };
        // `$` as the last byte, unless escaped (preceded by an odd run of backslashes).
        let end = b.ends_with(b"$")
            && b[..b.len() - 1]
                .iter()
                .rev()
                .take_while(|&&c| c == b'\\')
                .count()
                % 2
                == 0;
        let b = if end { &b[..b.len() - 1] } else { b };
        let mut p = LitParser {
            b,
            at: 0,
            top_branches: 0,
        };
        let lits = p.alt(0)?;
        if p.at != b.len() || lits.is_empty() {
            return None;
        }
        // An anchor binds to the first / last top-level alternative only (`^a|b`).
        if (start || end) && p.top_branches > 1 {
            return None;
        }
        Some(Lits::new(start, end, lits))
    }
}

struct LitParser<'p> {
    b: &'p [u8],
    at: usize,
    /// Alternatives at the top level.
    top_branches: usize,
}

/// Limits of literal expansion.
const MAX_LITS: usize = 64;
const MAX_LIT_LEN: usize = 256;

impl LitParser<'_> {
    /// `seq ('|' seq)*`: the union of the alternatives.
    fn alt(&mut self, depth: usize) -> Option<Vec<Vec<u8>>> {
        if depth > 8 {
            return None;
        }
        let mut out = self.seq(depth)?;
        let mut branches = 1;
        while self.b.get(self.at) == Some(&b'|') {
            self.at += 1;
            branches += 1;
            out.extend(self.seq(depth)?);
            if out.len() > MAX_LITS {
                return None;
            }
        }
        if depth == 0 {
            self.top_branches = branches;
        }
        Some(out)
    }

    /// A run of atoms: every combination of their literals.
    fn seq(&mut self, depth: usize) -> Option<Vec<Vec<u8>>> {
        let mut out = vec![Vec::new()];
        while let Some(&c) = self.b.get(self.at) {
            let atom = match c {
                b'|' | b')' => break,
                b'(' => {
                    self.at += 1;
                    // Only plain and `(?:` groups: other `(?` forms set flags or name groups.
                    if self.b.get(self.at) == Some(&b'?') {
                        if self.b.get(self.at + 1) != Some(&b':') {
                            return None;
                        }
                        self.at += 2;
                    }
                    let inner = self.alt(depth + 1)?;
                    if self.b.get(self.at) != Some(&b')') {
                        return None;
                    }
                    self.at += 1;
                    inner
                }
                b'\\' => {
                    let e = *self.b.get(self.at + 1)?;
                    if !b".\\+*?()[]{}|^$-/@#&~".contains(&e) {
                        return None;
                    }
                    self.at += 2;
                    vec![vec![e]]
                }
                b'.' | b'^' | b'$' | b'*' | b'+' | b'?' | b'{' | b'}' | b'[' | b']' => return None,
                _ => {
                    self.at += 1;
                    vec![vec![c]]
                }
            };
            // A repetition of the atom is beyond the subset.
            if matches!(self.b.get(self.at), Some(b'*' | b'+' | b'?' | b'{')) {
                return None;
            }
            let mut next = Vec::with_capacity(out.len() * atom.len());
            for o in &out {
                for a in &atom {
                    let mut l = o.clone();
                    l.extend_from_slice(a);
                    if l.len() > MAX_LIT_LEN {
                        return None;
                    }
                    next.push(l);
                }
            }
            if next.len() > MAX_LITS {
                return None;
            }
            out = next;
        }
        Some(out)
    }
}

/// The regexes of one field, matched together.
pub(crate) struct ReGroup {
    pub at: Slot,
    pub set: RegexSet,
    /// When every pattern is literal (`Lits`): their literals, by anchoring. A string none
    /// of them may match matches no pattern, so the set need not run.
    pub gate: Option<Box<[Lits]>>,
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
                    let mut used = Vec::new();
                    let x = match cexpr(&e, &mut self.nums, cols, &mut used) {
                        Some(c) => {
                            used.sort_unstable();
                            used.dedup();
                            XExpr::Cols {
                                e: c,
                                cols: used.into(),
                            }
                        }
                        None => XExpr::Tree(e),
                    };
                    self.exprs.push(x);
                }
                Leaf::Expr { col, cmp, t }
            }
            Test::Flags { f, mode, mask } if f.slot != u32::MAX => Leaf::Flags {
                col: cols.int(&mut self.ints, slot_of(&f)),
                mode,
                mask,
            },
            Test::IsNull(f) if f.slot != u32::MAX => Leaf::Null {
                at: slot_of(&f),
                negate: false,
            },
            Test::IsNotNull(f) if f.slot != u32::MAX => Leaf::Null {
                at: slot_of(&f),
                negate: true,
            },
            Test::Str {
                f,
                op: StrOp::Contains,
                finder,
                ..
            } if f.slot != u32::MAX => Leaf::Contains {
                at: slot_of(&f),
                finder,
            },
            Test::ArrayLen {
                f,
                cmp,
                n,
                known: None,
                bytes,
            } if f.slot != u32::MAX => Leaf::ArrayLen {
                at: slot_of(&f),
                cmp,
                n,
                bytes,
            },
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
            Test::Regex { f, re, negate } if f.slot != u32::MAX => Leaf::Regex {
                at: slot_of(&f),
                pre: Lits::of(re.as_str()).map(Box::new),
                re,
                negate,
            },
            t => Leaf::Test(Box::new(t)),
        }
    }

    /// A dictionary for every field with any/none-of set leaves.
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
        let mut slots: Vec<_> = by_slot.into_iter().collect();
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
                ids: Ids::new(&ids),
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
            let lits: Option<Vec<Lits>> = patterns.iter().map(|p| Lits::of(p)).collect();
            let gate = lits.and_then(|l| Lits::merge(&l));
            self.groups.push(ReGroup { at, set, gate });
            for (i, p) in patterns.into_iter().enumerate() {
                out.insert((slot, p), (group, i as u32));
            }
        }
        out
    }
}

/// `e` over number columns (registering them, and listing them in `used`); None when a field
/// has no slot.
fn cexpr(e: &Expr, nums: &mut Vec<Slot>, cols: &mut Cols, used: &mut Vec<u32>) -> Option<CExpr> {
    Some(match e {
        Expr::Lit(x) => CExpr::Lit(*x),
        Expr::Field(f) if f.slot != u32::MAX => {
            let c = cols.num(nums, slot_of(f));
            used.push(c);
            CExpr::Col(c)
        }
        Expr::Field(_) => return None,
        Expr::Bin(a, op, b) => CExpr::Bin(
            Box::new(cexpr(a, nums, cols, used)?),
            *op,
            Box::new(cexpr(b, nums, cols, used)?),
        ),
    })
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
