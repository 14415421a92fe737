//! The specialised form of each leaf: column leaves read a per-block column of numbers,
//! integers or addresses; value leaves read the field in place; indexed leaves share a
//! field's set dictionary or regex group. Any other test runs as the tree evaluates it.

use crate::plan::build::{CExpr, Cols, Leaf, Plan, XExpr};
use crate::plan::dict::DictOf;
use crate::plan::prefilter::Lits;
use crate::plan::regroup::GroupOf;
use crate::plan::slot::{slot_of, Slot};
use crate::rules::compile::{Expr, NumKind, Rhs, Test};
use crate::rules::op::{SetMode, StrOp};

impl Plan {
    /// The specialised form of a leaf, where one applies.
    pub(super) fn fast(
        &mut self,
        t: Test,
        dict_of: &DictOf<'_>,
        group_of: &GroupOf,
        cols: &mut Cols,
    ) -> Leaf {
        match t {
            Test::Num { .. }
            | Test::Range { .. }
            | Test::CrossNum { .. }
            | Test::Expr { .. }
            | Test::Flags { .. }
            | Test::DayOfWeek { .. }
            | Test::TimeOfDay { .. }
            | Test::Ip { .. } => self.column_leaf(t, cols),
            Test::Set { .. } | Test::Regex { .. } => indexed_leaf(t, dict_of, group_of),
            Test::IsNull(_) | Test::IsNotNull(_) | Test::Str { .. } | Test::ArrayLen { .. } => {
                value_leaf(t)
            }
            Test::Window { ch, count, test } => Leaf::Window { ch, count, test },
            t => Leaf::Test(Box::new(t)),
        }
    }

    /// Leaves over a per-block column (numbers, integers, addresses, expressions).
    fn column_leaf(&mut self, t: Test, cols: &mut Cols) -> Leaf {
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
            } => Leaf::Expr {
                col: self.expr_col(e, cols),
                cmp,
                t,
            },
            Test::Flags { f, mode, mask } if f.slot != u32::MAX => Leaf::Flags {
                col: cols.int(&mut self.ints, slot_of(&f)),
                mode,
                mask,
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
            t => Leaf::Test(Box::new(t)),
        }
    }

    /// The expression column of `e`, shared by every leaf with the same expression.
    fn expr_col(&mut self, e: Expr, cols: &mut Cols) -> u32 {
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
        col
    }
}

/// Leaves that read the field's value in place.
fn value_leaf(t: Test) -> Leaf {
    match t {
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
        t => Leaf::Test(Box::new(t)),
    }
}

/// Set leaves through their field's dictionary; regexes through their field's group, or
/// alone with their literal prefilter.
fn indexed_leaf(t: Test, dict_of: &DictOf<'_>, group_of: &GroupOf) -> Leaf {
    match t {
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
