//! Strings and keys: the fast scan for a string's end, and the checked slow path that
//! decodes escapes (`\uXXXX` and surrogate pairs included).

use super::{Reader, R};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The index of the first `"`, `\` or control character at or after `i` (or `s.len()`),
/// eight bytes at a time: in each mask the lowest flagged byte is exact (borrows only carry
/// upward), so the lowest bit of their union is the first special byte.
#[inline]
pub(super) fn special(s: &[u8], mut i: usize) -> usize {
    while let Some(w) = s.get(i..).and_then(|t| t.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*w);
        let q = w ^ (ONES * b'"' as u64);
        let b = w ^ (ONES * b'\\' as u64);
        let m = (q.wrapping_sub(ONES) & !q)
            | (b.wrapping_sub(ONES) & !b)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        let m = m & HIGH;
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = s.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

#[inline]
fn hex4(s: &[u8]) -> Option<u32> {
    let h = s.get(..4)?;
    let mut v = 0u32;
    for &c in h {
        v = (v << 4) | (c as char).to_digit(16)?;
    }
    Some(v)
}

impl Reader<'_, '_, '_> {
    /// A key: (at, len, escaped). Escaped keys are unescaped into `out.key`, and then
    /// `len` is the unescaped length.
    pub(super) fn key(&mut self) -> R<(u32, u32, bool)> {
        let start = self.i + 1;
        let end = special(self.s, start);
        if self.s.get(end) == Some(&b'"') {
            self.i = end + 1;
            return Ok((start as u32, (end - start) as u32, false));
        }
        let mut key = std::mem::take(self.out.key);
        key.clear();
        let r = self.unescape(start, Some(&mut key));
        let len = key.len() as u32;
        *self.out.key = key;
        r.map(|()| (0, len, true))
    }

    /// A string value: (at, len, escaped); with `keep`, an escaped string's text is appended
    /// to the escape arena and (at, len) are its range there.
    #[inline]
    pub(super) fn string(&mut self, keep: bool) -> R<(u32, u32, bool)> {
        let start = self.i + 1;
        let end = special(self.s, start);
        if self.s.get(end) == Some(&b'"') {
            self.i = end + 1;
            return Ok((start as u32, (end - start) as u32, false));
        }
        if !keep {
            return self.unescape(start, None).map(|()| (0, 0, true));
        }
        let mut esc = std::mem::take(self.out.esc);
        let at = esc.len();
        let r = self.unescape(start, Some(&mut esc));
        let len = esc.len() - at;
        *self.out.esc = esc;
        r.map(|()| (at as u32, len as u32, true))
    }

    /// The slow path of a string from `start` (after its opening quote) to its closing quote:
    /// escapes decoded into `to` (when given), every escape and character checked.
    #[cold]
    fn unescape(&mut self, start: usize, mut to: Option<&mut String>) -> R {
        let mut i = start;
        loop {
            let end = special(self.s, i);
            if let Some(t) = to.as_deref_mut() {
                t.push_str(self.t.get(i..end).unwrap_or_default());
            }
            self.i = end;
            match self.s.get(end) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i = end + 1;
                    return Ok(());
                }
                Some(b'\\') => {}
                Some(_) => return Err(self.err("control character in a string")),
            }
            let (c, used) = self.escape(end)?;
            if let Some(t) = to.as_deref_mut() {
                t.push(c);
            }
            i = end + used;
        }
    }

    /// The escape at `at` (a backslash): the character and the bytes used.
    #[inline]
    fn escape(&mut self, at: usize) -> R<(char, usize)> {
        let c = match self.s.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.codepoint(at),
            _ => return Err(self.err("invalid escape")),
        };
        Ok((c, 2))
    }

    /// A `\uXXXX` escape at `at`, or a surrogate pair: the character and the bytes used.
    /// An unpaired surrogate reads as U+FFFD: JSON.parse and BlazeRules accept the record, and
    /// refusing it would leave a valid record undecided (a Rust string cannot hold the
    /// surrogate itself).
    fn codepoint(&mut self, at: usize) -> R<(char, usize)> {
        let hex = |from: usize| hex4(self.s.get(from..).unwrap_or_default());
        let Some(hi) = hex(at + 2) else {
            return Err(self.err_at(at, "invalid \\u escape"));
        };
        let (c, used) = if (0xd800..0xdc00).contains(&hi) {
            let lo = (self.s.get(at + 6..at + 8) == Some(b"\\u"))
                .then(|| hex(at + 8))
                .flatten()
                .filter(|lo| (0xdc00..0xe000).contains(lo));
            match lo {
                Some(lo) => ((((hi - 0xd800) << 10) | (lo - 0xdc00)) + 0x10000, 12),
                None => (0xfffd, 6),
            }
        } else if (0xdc00..0xe000).contains(&hi) {
            (0xfffd, 6)
        } else {
            (hi, 6)
        };
        match char::from_u32(c) {
            Some(c) => Ok((c, used)),
            None => Err(self.err_at(at, "invalid \\u escape")),
        }
    }
}
