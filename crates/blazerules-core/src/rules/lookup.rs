//! Lookup sets loaded from CSV files (rules-reference §1.3).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::error::ErrorCode;
use crate::files::{read_limited, LookupLimits};

#[derive(Debug)]
pub(crate) enum LookupSet {
    Str(HashSet<String>),
    Int(HashSet<i64>),
    /// Sorted, merged, inclusive IPv4 ranges.
    Cidr(Vec<(u32, u32)>),
}

impl LookupSet {
    pub(crate) fn contains_str(&self, s: &str) -> bool {
        match self {
            LookupSet::Str(set) => set.contains(s),
            _ => false,
        }
    }
    pub(crate) fn contains_int(&self, v: i64) -> bool {
        match self {
            LookupSet::Int(set) => set.contains(&v),
            _ => false,
        }
    }
    pub(crate) fn contains_ip(&self, ip: u32) -> bool {
        match self {
            LookupSet::Cidr(ranges) => {
                let i = ranges.partition_point(|&(lo, _)| lo <= ip);
                i > 0 && ranges[i - 1].1 >= ip
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupKind {
    Str,
    Int,
    Cidr,
}

impl LookupKind {
    pub(crate) fn parse(s: &str) -> LookupKind {
        match s.to_ascii_lowercase().as_str() {
            "int_set" => LookupKind::Int,
            "ipv4_cidr_set" => LookupKind::Cidr,
            _ => LookupKind::Str,
        }
    }
}

/// Splits one CSV line: commas, `""`-escaped quotes, cells trimmed and unquoted.
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut in_q = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_q && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => {
                in_q = !in_q;
                cur.push('"');
            }
            ',' if !in_q => cells.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    cells.push(cur);
    cells
        .into_iter()
        .map(|c| {
            let t = c.trim_matches(|ch: char| ch.is_whitespace());
            let t = t
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(t);
            t.replace("\"\"", "\"")
        })
        .collect()
}

/// Parses `a.b.c.d` leniently: four decimal parts, else 0 (0.0.0.0). Octets over 255 are
/// OR-ed into the higher octets, as BlazeRules does (`10.0.1.256` reads 10.0.1.0).
#[inline]
pub(crate) fn parse_ipv4(s: &str) -> u32 {
    quick_ipv4(s.as_bytes()).unwrap_or_else(|| parse_ipv4_slow(s))
}

/// The usual form, four groups of one to three digits: what `parse_ipv4_slow` reads, or None
/// for anything else.
#[inline]
fn quick_ipv4(b: &[u8]) -> Option<u32> {
    if !(7..=15).contains(&b.len()) {
        return None;
    }
    let (mut ip, mut v, mut digits, mut dots) = (0u32, 0u32, 0u32, 0u32);
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            v = v.wrapping_mul(10).wrapping_add(u32::from(d));
            digits += 1;
        } else if c == b'.' && (1..=3).contains(&digits) {
            ip = ip << 8 | v;
            v = 0;
            digits = 0;
            dots += 1;
        } else {
            return None;
        }
    }
    (dots == 3 && (1..=3).contains(&digits)).then_some(ip << 8 | v)
}

fn parse_ipv4_slow(s: &str) -> u32 {
    // Octets accumulate into the address as they end: `a << 24 | b << 16 | c << 8 | d`.
    let (mut ip, mut acc, mut n, mut digits) = (0u32, 0u32, 0u32, 0u32);
    for &b in s.as_bytes() {
        let d = b.wrapping_sub(b'0');
        if d < 10 {
            digits += 1;
            if digits > 10 {
                return 0;
            }
            acc = acc.wrapping_mul(10).wrapping_add(u32::from(d));
        } else if b == b'.' && digits > 0 && n < 3 {
            ip |= acc.wrapping_shl(24 - 8 * n);
            acc = 0;
            n += 1;
            digits = 0;
        } else {
            return 0;
        }
    }
    if n != 3 || digits == 0 {
        return 0;
    }
    ip | acc
}

/// Parses a CIDR (`a.b.c.d[/p]`): returns (network, mask). No `/` is /32; the prefix is clamped to 0..32.
pub(crate) fn parse_cidr(s: &str) -> (u32, u32) {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => {
            let p = p.trim().parse::<i64>().unwrap_or(32).clamp(0, 32);
            (a, p as u32)
        }
        None => (s, 32),
    };
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    (parse_ipv4(addr.trim()) & mask, mask)
}

/// Leading integer of a cell (`"12abc"` → 12).
fn leading_int(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut end = 0;
    if end < b.len() && (b[end] == b'-' || b[end] == b'+') {
        end += 1;
    }
    let digits_start = end;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    if end == digits_start {
        return None;
    }
    s[..end].parse::<i64>().ok()
}

/// Lookup texts by the path the rules name them with (a rules bundle: `followRulesTopic`).
pub type LookupTexts = HashMap<String, Vec<u8>>;

/// Where lookup files may be read from while a document loads: confined to `base_dir` and
/// `limits.roots` (symlinks and `..` resolved), each at most `limits.max_bytes`; or, for a
/// rules bundle, only from `bundle` (nothing is read from disk then).
#[derive(Clone, Copy)]
pub(crate) struct LookupScope<'a> {
    pub base_dir: &'a Path,
    pub limits: &'a LookupLimits,
    pub bundle: Option<&'a LookupTexts>,
}

/// A lookup problem: its code and message.
pub(crate) type LookupError = (ErrorCode, String);

/// Reads a lookup file within `scope`: inside the roots first (a file outside them is
/// refused before anything about it is read), then a regular file, bounded.
fn read(path: &Path, scope: LookupScope<'_>) -> Result<Vec<u8>, LookupError> {
    if !scope.limits.allows(scope.base_dir, path) {
        let msg = format!(
            "lookup file {} is outside the rules file's directory and every lookupRoots entry",
            path.display()
        );
        return Err((ErrorCode::LookupOutsideRoots, msg));
    }
    let max = scope.limits.max_bytes;
    read_limited(path, max, "lookup file", "maxLookupFileBytes").map_err(|e| {
        if e.not_found {
            let msg = format!("lookup file not found: {}", path.display());
            (ErrorCode::MissingRequiredField, msg)
        } else {
            (e.code, e.message)
        }
    })
}

/// A bundled lookup's text, by the path the rules name (within `maxLookupFileBytes`).
fn bundled<'b>(named: &str, bundle: &'b LookupTexts, max: u64) -> Result<&'b [u8], LookupError> {
    let Some(text) = bundle.get(named) else {
        let msg = format!("lookup file {named} is not in the rules bundle");
        return Err((ErrorCode::MissingRequiredField, msg));
    };
    if max > 0 && text.len() as u64 > max {
        let msg = format!(
            "bundled lookup file {named} is {} bytes, over the limit of {max} bytes (maxLookupFileBytes)",
            text.len()
        );
        return Err((ErrorCode::FileTooLarge, msg));
    }
    Ok(text)
}

/// Loads the lookup the rules name `named` (at `path` once resolved) within `scope`. A file
/// that cannot be read has the code of why; a file that is not a lookup is
/// MISSING_REQUIRED_FIELD.
pub(crate) fn load(
    kind: LookupKind,
    named: &str,
    path: &Path,
    scope: LookupScope<'_>,
) -> Result<LookupSet, LookupError> {
    let bad = |m| (ErrorCode::MissingRequiredField, m);
    match scope.bundle {
        Some(bundle) => {
            let text = bundled(named, bundle, scope.limits.max_bytes)?;
            parse(kind, Path::new(named), text).map_err(bad)
        }
        None => parse(kind, path, &read(path, scope)?).map_err(bad),
    }
}

/// The set a lookup file's bytes hold.
fn parse(kind: LookupKind, path: &Path, text: &[u8]) -> Result<LookupSet, String> {
    let text = String::from_utf8_lossy(text);
    let mut lines = text.lines();
    let header = match lines.next() {
        Some(h) if !h.trim().is_empty() || text.len() > h.len() => h,
        _ => return Err(format!("lookup file is empty: {}", path.display())),
    };
    let want = if kind == LookupKind::Cidr {
        "cidr"
    } else {
        "value"
    };
    let col = split_csv(header)
        .iter()
        .position(|h| h.eq_ignore_ascii_case(want))
        .unwrap_or(0);
    let cells = lines
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| split_csv(l).into_iter().nth(col))
        .filter(|c| !c.is_empty());
    match kind {
        LookupKind::Str => Ok(LookupSet::Str(cells.collect())),
        LookupKind::Int => {
            let mut set = HashSet::new();
            for c in cells {
                let v = leading_int(&c)
                    .ok_or_else(|| format!("lookup {}: not an integer: '{c}'", path.display()))?;
                set.insert(v);
            }
            Ok(LookupSet::Int(set))
        }
        LookupKind::Cidr => {
            let mut ranges: Vec<(u32, u32)> = cells
                .map(|c| {
                    let (net, mask) = parse_cidr(&c);
                    (net, net | !mask)
                })
                .collect();
            ranges.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
            for (lo, hi) in ranges {
                match merged.last_mut() {
                    Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                    _ => merged.push((lo, hi)),
                }
            }
            Ok(LookupSet::Cidr(merged))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_parsing_is_lenient() {
        assert_eq!(parse_ipv4("10.0.0.1"), 0x0A00_0001);
        assert_eq!(parse_ipv4("10.0.0"), 0);
        assert_eq!(parse_ipv4("10.0.1.256"), 0x0A00_0100);
        assert_eq!(parse_ipv4("10.0.0.300"), 0x0A00_012C);
        assert_eq!(parse_ipv4("a.b.c.d"), 0);
        assert_eq!(parse_cidr("10.1.2.3/8"), (0x0A00_0000, 0xFF00_0000));
        assert_eq!(parse_cidr("10.1.2.3"), (0x0A01_0203, u32::MAX));
        assert_eq!(parse_cidr("1.2.3.4/99").1, u32::MAX);
    }

    /// The straightforward form of `parse_ipv4`.
    fn parse_ipv4_ref(s: &str) -> u32 {
        let mut parts = [0u32; 4];
        let mut n = 0;
        let mut digits = 0;
        for &b in s.as_bytes() {
            match b {
                b'0'..=b'9' => {
                    digits += 1;
                    if digits > 10 {
                        return 0;
                    }
                    parts[n] = parts[n].wrapping_mul(10).wrapping_add(u32::from(b - b'0'));
                }
                b'.' if digits > 0 && n < 3 => {
                    n += 1;
                    digits = 0;
                }
                _ => return 0,
            }
        }
        if n != 3 || digits == 0 {
            return 0;
        }
        parts[0].wrapping_shl(24) | parts[1].wrapping_shl(16) | parts[2].wrapping_shl(8) | parts[3]
    }

    #[test]
    fn ipv4_parsing_matches_reference() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut valid = 0;
        for _ in 0..200_000 {
            // Three to five groups of 0-12 digits, now and then a stray byte.
            let groups = 3 + next(3);
            let mut s = String::new();
            for g in 0..groups {
                if g > 0 {
                    s.push('.');
                }
                let len = match next(8) {
                    0 => next(13),
                    _ => 1 + next(3),
                };
                for _ in 0..len {
                    s.push(char::from(b'0' + next(10) as u8));
                }
            }
            if next(6) == 0 {
                let at = next(s.len() as u64 + 1) as usize;
                s.insert(at, [' ', 'a', '/', ':', '.'][next(5) as usize]);
            }
            assert_eq!(parse_ipv4(&s), parse_ipv4_ref(&s), "{s:?}");
            valid += usize::from(parse_ipv4_ref(&s) != 0);
        }
        assert!(valid > 5_000, "{valid}");
        for s in [
            "1.2.3.4",
            "255.255.255.255",
            "99999999999.1.1.1",
            "4294967295.0.0.1",
        ] {
            assert_eq!(parse_ipv4(s), parse_ipv4_ref(s), "{s:?}");
        }
    }

    #[test]
    fn csv_cells_unquote() {
        assert_eq!(
            split_csv(" a , \"b,c\" ,\"d\"\"e\""),
            vec!["a", "b,c", "d\"e"]
        );
    }
}
