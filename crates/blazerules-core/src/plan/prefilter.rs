//! The literal prefilter of a regex: when a pattern is only literals, alternations and
//! anchors, the strings it can match are compared directly before (or instead of) running it.

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
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
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
    pub(super) fn merge(all: &[Lits]) -> Option<Box<[Lits]>> {
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
