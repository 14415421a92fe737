//! A validating single-pass JSON reader for one record that keeps only what the rules read.
//!
//! A record is accepted or refused exactly as simd-json's full parse would (strict RFC 8259:
//! UTF-8, escapes and surrogate pairs, control characters, number grammar and range, nesting
//! deeper than 1024), but tape nodes are built only for the values of referenced fields; every
//! other value is checked and dropped. Building the full tape for ~40 values to read ~15 was
//! most of the cost of a record. Keys are matched against the field trie while reading, so
//! there is no second walk over the record either.

use crate::read::fields::MISSING;
use crate::read::fields::{FieldTrie, Hit};
use crate::read::shape::{Step, Templates, NONE};
use simd_json::{Node, StaticNode};

/// Maximum nesting of arrays and objects (simd-json's default, which rules-reference §5 and
/// our compatibility notes quote).
const MAX_DEPTH: u32 = 1024;

/// A kept string that had escapes: its node at `node` is a placeholder until the block is
/// read, then points at `esc[at..at + len]` (the arena can only be borrowed once it stops
/// growing).
#[derive(Clone, Copy)]
pub(crate) struct Fixup {
    pub node: u32,
    pub at: u32,
    pub len: u32,
}

/// Why a record is not valid JSON, and the byte where that was found.
#[derive(Debug, PartialEq)]
pub(crate) struct Malformed {
    pub at: usize,
    pub what: &'static str,
}

/// A reader method failed; what and where is in `Reader::error` (a zero-sized error keeps
/// every `?` on the hot path a flag test).
struct Stop;

type R<T = ()> = Result<T, Stop>;

/// What a record turned out to be.
#[derive(Debug, PartialEq)]
pub(crate) enum Read {
    Object,
    /// Valid JSON, but an array or a scalar.
    NotObject,
}

/// Where one record's output goes.
pub(crate) struct Out<'o, 'p> {
    /// The block's kept values: strings borrow the record's text.
    pub tape: &'o mut Vec<Node<'p>>,
    pub fixups: &'o mut Vec<Fixup>,
    /// Unescaped text of kept strings that had escapes.
    pub esc: &'o mut String,
    pub slots: &'o mut [u32],
    pub prio: &'o mut [u8],
    /// Scratch for unescaping keys.
    pub key: &'o mut String,
}

/// Reads one record (already checked to be UTF-8), filling `out.slots` with indices into
/// `out.tape` for the fields of `trie`. The caller resets slots (to MISSING) and prio (to 0)
/// first; on error, `out.tape` and `out.fixups` may hold a partial record that the caller
/// truncates. Known shapes in `tpl` are tried first; new ones are learnt (from the piece's
/// record `nth` = 1 on).
#[inline]
pub(crate) fn read_record<'p>(
    line: &'p str,
    nth: usize,
    trie: &FieldTrie,
    out: Out<'_, 'p>,
    tpl: &mut Templates,
) -> Result<Read, Malformed> {
    let mut r = Reader {
        s: line.as_bytes(),
        t: line,
        i: 0,
        depth: 0,
        trie,
        out,
        rec: None,
        last: 0,
        error: None,
    };
    if tpl.trying() {
        let (mark, fixed) = (r.out.tape.len(), r.out.fixups.len());
        if r.replay(tpl).is_some() {
            tpl.hits += 1;
            return Ok(Read::Object);
        }
        tpl.misses += 1;
        r.out.tape.truncate(mark);
        r.out.fixups.truncate(fixed);
        r.out.slots.fill(MISSING);
        r.out.prio.fill(0);
        r.i = 0;
        r.depth = 0;
    }
    if tpl.learning(nth) {
        let mut steps = std::mem::take(&mut tpl.recording);
        steps.clear();
        r.rec = Some(steps);
    }
    let obj = match r.whole() {
        Ok(obj) => obj,
        Err(Stop) => {
            return Err(r.error.take().unwrap_or(Malformed {
                at: r.i,
                what: "invalid JSON",
            }))
        }
    };
    if let (true, Some(mut steps)) = (obj, r.rec.take()) {
        steps.push(Step {
            glue: (r.last as u32, r.s.len() as u32),
            hit: None,
            depth: 0,
            end: true,
        });
        tpl.recording = steps;
        tpl.learn(r.s);
    }
    Ok(if obj { Read::Object } else { Read::NotObject })
}

struct Reader<'p, 't, 'o> {
    s: &'p [u8],
    /// The same bytes as text: slices between ASCII delimiters are valid UTF-8.
    t: &'p str,
    i: usize,
    depth: u32,
    trie: &'t FieldTrie,
    out: Out<'o, 'p>,
    /// Steps of this record's shape, while learning it.
    rec: Option<Vec<Step>>,
    /// Where the current glue started (after the last recorded value).
    last: usize,
    error: Option<Malformed>,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The index of the first `"`, `\` or control character at or after `i` (or `s.len()`),
/// eight bytes at a time: in each mask the lowest flagged byte is exact (borrows only carry
/// upward), so the lowest bit of their union is the first special byte.
#[inline]
fn special(s: &[u8], mut i: usize) -> usize {
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

impl<'p> Reader<'p, '_, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    /// The whole record: is it an object?
    fn whole(&mut self) -> R<bool> {
        self.ws();
        let obj = self.peek() == Some(b'{');
        if obj {
            self.object(Some(0), false)?;
        } else {
            self.value(None, false)?;
        }
        self.ws();
        if self.i < self.s.len() {
            return Err(self.err("unexpected data after the JSON value"));
        }
        Ok(obj)
    }

    #[cold]
    fn err(&mut self, what: &'static str) -> Stop {
        self.err_at(self.i, what)
    }

    #[cold]
    fn err_at(&mut self, at: usize, what: &'static str) -> Stop {
        self.error = Some(Malformed { at, what });
        Stop
    }

    #[inline]
    fn push(&mut self, n: Node<'p>) -> usize {
        self.out.tape.push(n);
        self.out.tape.len() - 1
    }

    /// A kept string: `at`, `len` in the record, or in the escape arena when `escaped`.
    #[inline]
    fn push_str(&mut self, at: u32, len: u32, escaped: bool) {
        if escaped {
            let node = self.out.tape.len() as u32;
            self.out.fixups.push(Fixup { node, at, len });
            self.push(Node::String(""));
        } else {
            let text = self
                .t
                .get(at as usize..(at + len) as usize)
                .unwrap_or_default();
            self.push(Node::String(text));
        }
    }

    /// Any value at `self.i` (whitespace already skipped). `node`: the trie node for an
    /// object's keys; `keep`: build tape nodes for this value.
    fn value(&mut self, node: Option<usize>, keep: bool) -> R {
        match self.peek() {
            Some(b'{') => self.object(node, keep),
            Some(b'[') => self.array(keep),
            Some(b'"') => {
                let (at, len, escaped) = self.string(keep)?;
                if keep {
                    self.push_str(at, len, escaped);
                }
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => self.number(keep),
            Some(b't') => self.literal(b"true", StaticNode::Bool(true), keep),
            Some(b'f') => self.literal(b"false", StaticNode::Bool(false), keep),
            Some(b'n') => self.literal(b"null", StaticNode::Null, keep),
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("unexpected end of record")),
        }
    }

    fn enter(&mut self) -> R {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("nesting deeper than 1024"));
        }
        self.i += 1;
        self.ws();
        Ok(())
    }

    /// Closes a container: its kept node at `at` gets its final size.
    #[inline]
    fn leave(&mut self, at: Option<usize>, node: impl FnOnce(usize) -> Node<'p>) {
        if let Some(at) = at {
            let count = self.out.tape.len() - at - 1;
            self.out.tape[at] = node(count);
        }
        self.depth -= 1;
    }

    /// After a member or element: `,` (true), the closing byte (false), or an error.
    #[inline]
    fn next_or_close(&mut self, close: u8) -> R<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                self.ws();
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ if close == b'}' => Err(self.err("expected ',' or '}'")),
            _ => Err(self.err("expected ',' or ']'")),
        }
    }

    fn object(&mut self, node: Option<usize>, keep: bool) -> R {
        self.enter()?;
        let at = keep.then(|| self.push(Node::Object { len: 0, count: 0 }));
        let mut len = 0usize;
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                if self.peek() != Some(b'"') {
                    return Err(self.err("expected a key"));
                }
                self.member(node, keep)?;
                len += 1;
                if !self.next_or_close(b'}')? {
                    break;
                }
            }
        }
        self.leave(at, |count| Node::Object { len, count });
        Ok(())
    }

    /// One `"key": value`, the key matched against trie `node`.
    fn member(&mut self, node: Option<usize>, keep: bool) -> R {
        let (at, len, escaped) = self.key()?;
        let hit = match node {
            None => None,
            Some(n) if escaped => self
                .trie
                .key_at(n, self.out.key.as_bytes(), 0, len as usize),
            Some(n) => self.trie.key_at(n, self.s, at as usize, len as usize),
        };
        if keep {
            let at = if escaped {
                let a = self.out.esc.len() as u32;
                self.out.esc.push_str(self.out.key);
                a
            } else {
                at
            };
            self.push_str(at, len, escaped);
        }
        self.ws();
        if self.peek() != Some(b':') {
            return Err(self.err("expected ':' after a key"));
        }
        self.i += 1;
        self.ws();
        if keep {
            return self.kept_or_checked(hit, keep);
        }
        // An object nothing keeps whole is read key by key (while learning a shape, its keys
        // become glue); any other value is one step of the record's shape.
        if let None | Some((None, _)) = hit {
            if let Some(b'{' | b'[') = self.peek() {
                return self.value(hit.and_then(|h| h.1), false);
            }
        }
        self.step(hit)
    }

    /// A value that is one step of the record's shape (when learning one).
    fn step(&mut self, hit: Option<Hit>) -> R {
        let Some(mut steps) = self.rec.take() else {
            return self.kept_or_checked(hit, false);
        };
        steps.push(Step {
            glue: (self.last as u32, self.i as u32),
            hit,
            depth: self.depth,
            end: false,
        });
        // Nothing inside a step's value is part of the shape.
        let r = self.kept_or_checked(hit, false);
        self.rec = Some(steps);
        self.last = self.i;
        r
    }

    /// The value of a key that `hit` says the rules read or not: a referenced field's value is
    /// kept (first occurrence, literal dotted key over nested path, as `FieldTrie::walk`).
    #[inline]
    fn kept_or_checked(&mut self, hit: Option<Hit>, keep: bool) -> R {
        let Some((slot, child)) = hit else {
            return self.value(None, keep);
        };
        let take = slot.filter(|&(s, p)| self.out.prio.get(s as usize).is_some_and(|&q| p > q));
        let idx = self.out.tape.len();
        self.value(child, keep || take.is_some())?;
        if let Some((s, p)) = take {
            self.out.slots[s as usize] = idx as u32;
            self.out.prio[s as usize] = p;
        }
        Ok(())
    }

    /// Reads the record along a known shape; None at the first difference (or any error:
    /// the general reader then reads the record again and reports it). Plain strings and
    /// numbers are read inline; whatever ends them must be the next glue, which is checked.
    #[inline]
    fn replay(&mut self, tpl: &Templates) -> Option<()> {
        let s = self.s;
        let mut k = tpl.first;
        let mut pos = 0;
        loop {
            let op = tpl.find(k, s, pos)?;
            pos += op.len as usize;
            if op.end {
                return Some(());
            }
            k = op.kid;
            if !op.value {
                continue;
            }
            let slot = op.slot as usize;
            let take = op.slot != NONE && self.out.prio.get(slot).is_some_and(|&q| op.prio > q);
            let idx = self.out.tape.len();
            let quick = match s.get(pos) {
                Some(b'"') => {
                    let end = special(s, pos + 1);
                    if s.get(end) == Some(&b'"') {
                        if take {
                            let text = self.t.get(pos + 1..end).unwrap_or_default();
                            self.out.tape.push(Node::String(text));
                        }
                        Some(end + 1)
                    } else {
                        None
                    }
                }
                Some(b'-' | b'0'..=b'9') => match quick_number(s, pos) {
                    Some((v, end)) => {
                        if take {
                            self.out.tape.push(Node::Static(v));
                        }
                        Some(end)
                    }
                    None => None,
                },
                Some(b'[') if take && op.depth < MAX_DEPTH => self.quick_strings(pos),
                _ => None,
            };
            pos = match quick {
                Some(end) => end,
                None => {
                    self.i = pos;
                    self.depth = op.depth;
                    self.value(op.child, take).ok()?;
                    self.i
                }
            };
            if take {
                self.out.slots[slot] = idx as u32;
                self.out.prio[slot] = op.prio;
            }
        }
    }

    /// A kept array of plain strings (`["a","b"]`: no escapes, no spaces) at `s[pos]`, read
    /// without the general dispatch; where it ends, or None (nothing kept) for the general
    /// reader.
    #[inline]
    fn quick_strings(&mut self, pos: usize) -> Option<usize> {
        let s = self.s;
        let at = self.out.tape.len();
        self.out.tape.push(Node::Array { len: 0, count: 0 });
        let mut i = pos + 1;
        let mut len = 0;
        if s.get(i) == Some(&b']') {
            i += 1;
        } else {
            loop {
                let end = special(s, i + 1);
                if s.get(i) != Some(&b'"') || s.get(end) != Some(&b'"') {
                    self.out.tape.truncate(at);
                    return None;
                }
                let text = self.t.get(i + 1..end).unwrap_or_default();
                self.out.tape.push(Node::String(text));
                len += 1;
                i = end + 1;
                match s.get(i) {
                    Some(b',') => i += 1,
                    Some(b']') => {
                        i += 1;
                        break;
                    }
                    _ => {
                        self.out.tape.truncate(at);
                        return None;
                    }
                }
            }
        }
        self.out.tape[at] = Node::Array { len, count: len };
        Some(i)
    }

    fn array(&mut self, keep: bool) -> R {
        self.enter()?;
        let at = keep.then(|| self.push(Node::Array { len: 0, count: 0 }));
        let mut len = 0usize;
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            loop {
                match self.peek() {
                    // Unkept, while learning a shape: containers are read element by element
                    // (their punctuation becomes glue), scalars are steps.
                    Some(b'{' | b'[') | None => self.value(None, keep)?,
                    Some(_) if !keep && self.rec.is_some() => self.step(None)?,
                    Some(_) => self.value(None, keep)?,
                }
                len += 1;
                if !self.next_or_close(b']')? {
                    break;
                }
            }
        }
        self.leave(at, |count| Node::Array { len, count });
        Ok(())
    }

    /// A key: (at, len, escaped). Escaped keys are unescaped into `out.key`, and then
    /// `len` is the unescaped length.
    fn key(&mut self) -> R<(u32, u32, bool)> {
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
    fn string(&mut self, keep: bool) -> R<(u32, u32, bool)> {
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
            let c = match self.s.get(end + 1) {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => {
                    let (c, used) = self.codepoint(end)?;
                    if let Some(t) = to.as_deref_mut() {
                        t.push(c);
                    }
                    i = end + used;
                    continue;
                }
                _ => return Err(self.err("invalid escape")),
            };
            if let Some(t) = to.as_deref_mut() {
                t.push(c);
            }
            i = end + 2;
        }
    }

    /// A `\uXXXX` escape at `at`, or a surrogate pair: the character and the bytes used.
    fn codepoint(&mut self, at: usize) -> R<(char, usize)> {
        let hex = |from: usize| hex4(self.s.get(from..).unwrap_or_default());
        let Some(hi) = hex(at + 2) else {
            return Err(self.err_at(at, "invalid \\u escape"));
        };
        if (0xdc00..0xe000).contains(&hi) {
            return Err(self.err_at(at, "lone low surrogate in a \\u escape"));
        }
        let (c, used) = if (0xd800..0xdc00).contains(&hi) {
            let lo = (self.s.get(at + 6..at + 8) == Some(b"\\u"))
                .then(|| hex(at + 8))
                .flatten()
                .filter(|lo| (0xdc00..0xe000).contains(lo));
            let Some(lo) = lo else {
                return Err(self.err_at(at, "high surrogate without a low surrogate"));
            };
            ((((hi - 0xd800) << 10) | (lo - 0xdc00)) + 0x10000, 12)
        } else {
            (hi, 6)
        };
        match char::from_u32(c) {
            Some(c) => Ok((c, used)),
            None => Err(self.err_at(at, "invalid \\u escape")),
        }
    }

    fn literal(&mut self, word: &[u8], v: StaticNode, keep: bool) -> R {
        if self.s.get(self.i..self.i + word.len()) != Some(word) {
            return Err(self.err("invalid literal"));
        }
        self.i += word.len();
        if keep {
            self.push(Node::Static(v));
        }
        Ok(())
    }

    /// A number (RFC 8259 grammar). Kept: integers as U64 (non-negative) or I64 (negative),
    /// anything with a fraction or exponent as F64, as simd-json does. Integers beyond 64 bits
    /// and floats beyond f64's range are refused even when not kept.
    fn number(&mut self, keep: bool) -> R {
        let s = self.s;
        let start = self.i;
        let mut i = start;
        let neg = s.get(i) == Some(&b'-');
        i += usize::from(neg);
        let int_start = i;
        // Mantissa of all digits: exact while there are at most 19 of them.
        let mut m: u64 = 0;
        let digits = |i: &mut usize, m: &mut u64| {
            let from = *i;
            while let Some(&d) = s.get(*i) {
                if !d.is_ascii_digit() {
                    break;
                }
                *m = m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                *i += 1;
            }
            *i - from
        };
        match s.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digits(&mut i, &mut m);
            }
            _ => {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        let int_digits = i - int_start;
        let mut frac = 0;
        if s.get(i) == Some(&b'.') {
            i += 1;
            frac = digits(&mut i, &mut m);
            if frac == 0 {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        let exp = matches!(s.get(i), Some(b'e' | b'E'));
        if exp {
            i += 1;
            if matches!(s.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let mut ignored = 0;
            if digits(&mut i, &mut ignored) == 0 {
                self.i = i;
                return Err(self.err("invalid number"));
            }
        }
        self.i = i;
        if !matches!(
            s.get(i),
            None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
        ) {
            return Err(self.err("invalid number"));
        }
        let v = if frac == 0 && !exp {
            if int_digits > 18 {
                // m may have wrapped: redo it checked.
                let mut n: u64 = 0;
                for &d in s.get(int_start..i).unwrap_or_default() {
                    match n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(d - b'0')))
                    {
                        Some(x) => n = x,
                        None => return Err(self.err("integer out of range")),
                    }
                }
                m = n;
                if neg && m > 1 << 63 {
                    return Err(self.err("integer out of range"));
                }
            }
            if !neg {
                StaticNode::U64(m)
            } else {
                StaticNode::I64((m as i64).wrapping_neg())
            }
        } else if !exp && int_digits + frac <= 19 && m <= 1 << 53 && frac < POW10.len() {
            // Both operands exact, so the quotient is the correctly rounded value (Clinger).
            let f = m as f64 / POW10[frac];
            StaticNode::F64(if neg { -f } else { f })
        } else if keep || exp || int_digits > 300 {
            // Only an exponent or hundreds of digits can leave f64's range.
            let text = self.t.get(start..i).unwrap_or_default();
            match text.parse::<f64>() {
                Ok(f) if f.is_finite() => StaticNode::F64(f),
                Ok(_) => return Err(self.err("number out of range")),
                Err(_) => return Err(self.err("invalid number")),
            }
        } else {
            return Ok(());
        };
        if keep {
            self.push(Node::Static(v));
        }
        Ok(())
    }
}

/// A number of the common forms at `s[i..]`: an integer of at most 18 digits, or one with a
/// fraction whose digits make an exactly representable mantissa. None for anything else
/// (the general reader decides). What ends it is not checked here.
#[inline]
fn quick_number(s: &[u8], mut i: usize) -> Option<(StaticNode, usize)> {
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

/// Powers of ten that are exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
