//! The grammar of values, objects and arrays, and which values are kept: a referenced
//! field's value becomes tape nodes, every other value is only checked. While a record's
//! shape is being learnt, each value read is also one step of that shape.

use super::{Reader, R};
use crate::limits::{MAX_DEPTH, TOO_DEEP};
use crate::read::fields::Hit;
use crate::read::shape::Step;
use simd_json::{Node, StaticNode};

impl<'p> Reader<'p, '_, '_> {
    /// Any value at `self.i` (whitespace already skipped). `node`: the trie node for an
    /// object's keys; `keep`: build tape nodes for this value.
    pub(super) fn value(&mut self, node: Option<usize>, keep: bool) -> R {
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
            return Err(self.err(TOO_DEEP));
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

    pub(super) fn object(&mut self, node: Option<usize>, keep: bool) -> R {
        self.enter()?;
        let at = keep.then(|| self.push(Node::Object { len: 0, count: 0 }));
        let len = self.items(b'}', |r| {
            if r.peek() != Some(b'"') {
                return Err(r.err("expected a key"));
            }
            r.member(node, keep)
        })?;
        self.leave(at, |count| Node::Object { len, count });
        Ok(())
    }

    /// The members or elements of the container just entered, up to and past `close`, each
    /// read by `item`: how many there were.
    #[inline]
    pub(super) fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> R) -> R<usize> {
        if self.peek() == Some(close) {
            self.i += 1;
            return Ok(0);
        }
        let mut len = 0usize;
        loop {
            item(self)?;
            len += 1;
            if !self.next_or_close(close)? {
                return Ok(len);
            }
        }
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
        if let (Some(n), Some((slot, child))) = (node, hit) {
            if self.repeated(slot, child) {
                self.duplicate(n, child, (at, len, escaped))?;
            }
        }
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

    /// A key of the trie seen before in this object: its slot filled at its own priority, or
    /// the node it leads to seen (and now marked seen).
    #[inline]
    fn repeated(&mut self, slot: Option<(u32, u8)>, child: Option<usize>) -> bool {
        let again = slot.is_some_and(|(s, p)| self.out.prio.get(s as usize) == Some(&p));
        match child.and_then(|c| self.out.seen.get_mut(c)) {
            Some(seen) => std::mem::replace(seen, true) || again,
            None => again,
        }
    }

    /// A repeated key (`at`, `len`, escaped: as `key` gives it) of an object at trie `node`:
    /// noted, and what its earlier value filled below it is forgotten (the last wins), or
    /// the record refused.
    #[cold]
    fn duplicate(&mut self, node: usize, child: Option<usize>, key: (u32, u32, bool)) -> R {
        let (at, len, escaped) = key;
        let text = if escaped {
            self.out.key.clone()
        } else {
            self.t
                .get(at as usize..(at + len) as usize)
                .unwrap_or_default()
                .to_string()
        };
        self.out.dups.push(self.trie.key_path(node, &text));
        if self.out.reject_dups {
            return Err(self.err_at(at.saturating_sub(1) as usize, super::DUPLICATE_KEY));
        }
        self.dup = true;
        if let Some(c) = child {
            let out = &mut self.out;
            self.trie.forget(c, out.slots, out.prio, out.seen);
        }
        Ok(())
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
    /// kept (a literal dotted key over the nested path; a repeated key: the last occurrence).
    #[inline]
    fn kept_or_checked(&mut self, hit: Option<Hit>, keep: bool) -> R {
        let Some((slot, child)) = hit else {
            return self.value(None, keep);
        };
        let take = slot.filter(|&(s, p)| self.out.prio.get(s as usize).is_some_and(|&q| p >= q));
        let idx = self.out.tape.len();
        self.value(child, keep || take.is_some())?;
        if let Some((s, p)) = take {
            self.out.slots[s as usize] = idx as u32;
            self.out.prio[s as usize] = p;
        }
        Ok(())
    }

    fn array(&mut self, keep: bool) -> R {
        self.enter()?;
        let at = keep.then(|| self.push(Node::Array { len: 0, count: 0 }));
        let len = self.items(b']', |r| match r.peek() {
            // Unkept, while learning a shape: containers are read element by element (their
            // punctuation becomes glue), scalars are steps.
            Some(b'{' | b'[') | None => r.value(None, keep),
            Some(_) if !keep && r.rec.is_some() => r.step(None),
            Some(_) => r.value(None, keep),
        })?;
        self.leave(at, |count| Node::Array { len, count });
        Ok(())
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
}
