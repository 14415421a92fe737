//! Numbers: the RFC 8259 grammar, and the value simd-json would give (integers as U64 or
//! I64, anything with a fraction or exponent as F64). JSON sets no range: an integer beyond
//! 64 bits reads as the nearest f64 and a float beyond f64's range as ±infinity, as
//! `JSON.parse` does (choices.md: a record is never skipped for a number's range).

use super::{Reader, R};
use simd_json::{Node, StaticNode};

/// Powers of ten that are exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A number's text as the grammar scan found it.
struct Scanned {
    /// Where the number starts (its sign included) and ends.
    start: usize,
    end: usize,
    /// Where its integer digits start.
    int_start: usize,
    neg: bool,
    /// Mantissa of all digits: exact while there are at most 19 of them.
    m: u64,
    int_digits: usize,
    frac: usize,
    exp: bool,
}

impl Reader<'_, '_, '_> {
    /// A number (RFC 8259 grammar). Kept: integers as U64 (non-negative) or I64 (negative),
    /// anything with a fraction or exponent as F64, as simd-json does; an integer beyond
    /// 64 bits as the nearest F64, a float beyond f64's range as ±infinity (`JSON.parse`'s
    /// values). An unkept number is only checked against the grammar.
    pub(super) fn number(&mut self, keep: bool) -> R {
        let n = self.scan_number()?;
        if !keep {
            return Ok(());
        }
        let v = if n.frac == 0 && !n.exp {
            self.integer(&n)
        } else if !n.exp && n.int_digits + n.frac <= 19 && n.m <= 1 << 53 && n.frac < POW10.len() {
            // Both operands exact, so the quotient is the correctly rounded value (Clinger).
            let f = n.m as f64 / POW10[n.frac];
            StaticNode::F64(if n.neg { -f } else { f })
        } else {
            self.float(&n)
        };
        self.push(Node::Static(v));
        Ok(())
    }

    /// Checks the grammar of the number at `self.i` and what ends it, and moves past it.
    #[inline]
    fn scan_number(&mut self) -> R<Scanned> {
        let s = self.s;
        let start = self.i;
        let mut i = start;
        let neg = s.get(i) == Some(&b'-');
        i += usize::from(neg);
        let int_start = i;
        let mut m: u64 = 0;
        match s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digit_run(s, &mut i, &mut m);
            }
            _ => return Err(self.invalid_number(i)),
        }
        let int_digits = i - int_start;
        let mut frac = 0;
        if s.get(i) == Some(&b'.') {
            i += 1;
            frac = digit_run(s, &mut i, &mut m);
            if frac == 0 {
                return Err(self.invalid_number(i));
            }
        }
        let exp = matches!(s.get(i), Some(b'e' | b'E'));
        if exp {
            i += 1;
            if matches!(s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digit_run(s, &mut i, &mut 0) == 0 {
                return Err(self.invalid_number(i));
            }
        }
        self.i = i;
        if !matches!(
            s.get(i),
            None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
        ) {
            return Err(self.err("invalid number"));
        }
        Ok(Scanned {
            start,
            end: i,
            int_start,
            neg,
            m,
            int_digits,
            frac,
            exp,
        })
    }

    #[cold]
    fn invalid_number(&mut self, at: usize) -> super::Stop {
        self.i = at;
        self.err("invalid number")
    }

    /// An integer's value; beyond 64 bits, the nearest f64.
    #[inline]
    fn integer(&self, n: &Scanned) -> StaticNode {
        let mut m = n.m;
        if n.int_digits > 18 {
            // m may have wrapped: redo it checked.
            let mut x: Option<u64> = Some(0);
            for &d in self.s.get(n.int_start..n.end).unwrap_or_default() {
                x = x
                    .and_then(|x| x.checked_mul(10))
                    .and_then(|x| x.checked_add(u64::from(d - b'0')));
            }
            match x {
                Some(x) if !n.neg || x <= 1 << 63 => m = x,
                _ => return self.float(n),
            }
        }
        if !n.neg {
            StaticNode::U64(m)
        } else {
            StaticNode::I64((m as i64).wrapping_neg())
        }
    }

    /// A float's value by the standard library's correctly rounded parse: ±infinity beyond
    /// f64's range (the grammar was checked by the scan).
    #[cold]
    fn float(&self, n: &Scanned) -> StaticNode {
        let text = self.t.get(n.start..n.end).unwrap_or_default();
        StaticNode::F64(text.parse::<f64>().unwrap_or(f64::NAN))
    }
}

/// A number of the common forms at `s[i..]`: an integer of at most 18 digits, or one with a
/// fraction whose digits make an exactly representable mantissa. None for anything else
/// (the general reader decides). What ends it is not checked here.
#[inline]
pub(super) fn quick_number(s: &[u8], mut i: usize) -> Option<(StaticNode, usize)> {
    let neg = s.get(i) == Some(&b'-');
    i += usize::from(neg);
    let d0 = i;
    let mut m = 0u64;
    let nd = digit_run(s, &mut i, &mut m);
    if nd == 0 || nd > 18 || (nd > 1 && s.get(d0) == Some(&b'0')) {
        return None;
    }
    let v = if s.get(i) == Some(&b'.') {
        i += 1;
        let frac = digit_run(s, &mut i, &mut m);
        if frac == 0 || nd + frac > 19 || m > 1 << 53 || frac >= POW10.len() {
            return None;
        }
        let f = m as f64 / POW10[frac];
        StaticNode::F64(if neg { -f } else { f })
    } else if neg {
        StaticNode::I64((m as i64).wrapping_neg())
    } else {
        StaticNode::U64(m)
    };
    if matches!(s.get(i), Some(b'e' | b'E')) {
        return None;
    }
    Some((v, i))
}

/// Reads the digits at `s[*i..]` into `m` (wrapping past 19 digits); how many there were.
#[inline]
fn digit_run(s: &[u8], i: &mut usize, m: &mut u64) -> usize {
    let from = *i;
    while let Some(&c) = s.get(*i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        *i += 1;
    }
    *i - from
}
