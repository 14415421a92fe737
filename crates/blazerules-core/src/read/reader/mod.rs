//! A validating single-pass JSON reader for one record that keeps only what the rules read.
//!
//! A record is accepted or refused exactly as simd-json's full parse would (strict RFC 8259:
//! UTF-8, escapes and surrogate pairs, control characters, number grammar and range, nesting
//! deeper than [`MAX_DEPTH`](crate::limits::MAX_DEPTH)), but tape nodes are built only for the
//! values of referenced fields; every other value is checked and dropped. Building the full
//! tape for ~40 values to read ~15 was most of the cost of a record. Keys are matched against
//! the field trie while reading, so there is no second walk over the record either.
//!
//! One concern a file: `value` (the grammar of values, objects and arrays, and which values
//! are kept), `replay` (reading along a learnt record shape), `string` (strings, keys and
//! escapes), `number` (the number grammar and its values). This file holds the entry point
//! and the reader's state.

mod number;
mod replay;
mod string;
mod value;

use crate::read::fields::FieldTrie;
use crate::read::fields::MISSING;
use crate::read::shape::{Step, Templates};
use simd_json::Node;

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
    /// Per trie node: a key leading to it was read in this record (reset by the reader).
    pub seen: &'o mut [bool],
    /// The dotted names of the record's repeated keys (the caller clears it).
    pub dups: &'o mut Vec<String>,
    /// A repeated key refuses the record ([`DUPLICATE_KEY`]) instead of the last one winning.
    pub reject_dups: bool,
}

/// What a record refused for a repeated key says (`Malformed::what`).
pub(crate) const DUPLICATE_KEY: &str = "duplicate key";

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
        dup: false,
    };
    if tpl.trying() && r.replay_or_rewind(tpl) {
        return Ok(Read::Object);
    }
    // Only the general reader marks keys seen: along a shape (learnt from a record without
    // repeated keys), no step's value holds a key of the trie.
    r.out.seen.fill(false);
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
    if obj {
        r.learnt(tpl);
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
    /// A key was repeated: the record's shape is not learnt (replay assumes none).
    dup: bool,
}

impl<'p> Reader<'p, '_, '_> {
    /// Reads the record along a known shape of `tpl`: true if it fit; otherwise whatever it
    /// kept is undone, for the general reader to read the record again from its start.
    #[inline]
    fn replay_or_rewind(&mut self, tpl: &mut Templates) -> bool {
        let (mark, fixed) = (self.out.tape.len(), self.out.fixups.len());
        if self.replay(tpl).is_some() {
            tpl.hits += 1;
            return true;
        }
        tpl.misses += 1;
        self.out.tape.truncate(mark);
        self.out.fixups.truncate(fixed);
        self.out.slots.fill(MISSING);
        self.out.prio.fill(0);
        self.i = 0;
        self.depth = 0;
        false
    }

    /// A record read whole while learning its shape: the steps recorded become a template.
    #[inline]
    fn learnt(&mut self, tpl: &mut Templates) {
        if let Some(mut steps) = self.rec.take().filter(|_| !self.dup) {
            steps.push(Step {
                glue: (self.last as u32, self.s.len() as u32),
                hit: None,
                depth: 0,
                end: true,
            });
            tpl.recording = steps;
            tpl.learn(self.s);
        }
    }

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
}

#[cfg(test)]
mod tests;
