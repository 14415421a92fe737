//! Where each node of a rules document starts in its source text, kept compactly (a few
//! integers a node, key texts in one arena) so that a problem's document path
//! (`ruleset.rules[3].conditions.op`) can be turned into a line and column after loading.

use super::lines::LineIndex;
use serde_json::Value;

/// How a scalar was written: where a `sql:` offset inside it falls depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    /// Single or double quoted: the value starts one character after the node.
    Quoted,
    /// Literal or folded block: the value starts on the line after the header.
    Block,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Scalar(Style),
    Map,
    Seq,
    /// An alias, and the node it names.
    Alias(u32),
    /// A key without a value node (`{a}`, `? a`): the value is null and has no place.
    Absent,
}

#[derive(Clone, Copy, Debug)]
struct PNode {
    /// Byte offset of the node's first character.
    at: u32,
    kind: Kind,
    /// The node's children: `kids[first..first + len]`.
    first: u32,
    len: u32,
}

/// One child of a mapping or sequence; a mapping's child has a key.
#[derive(Clone, Copy, Debug)]
struct Kid {
    node: u32,
    /// Byte offset of the key, or `NO_KEY` (sequences).
    key_at: u32,
    /// The key is a scalar (a missing key is reported at the mapping's first key if so).
    scalar_key: bool,
    /// The key's text: `keys[key_start..key_start + key_len]`.
    key_start: u32,
    key_len: u32,
}

const NO_KEY: u32 = u32::MAX;

/// The positions of a document's nodes (node 0 is the root, if any).
#[derive(Default, Debug)]
pub struct Positions {
    nodes: Vec<PNode>,
    kids: Vec<Kid>,
    keys: String,
    root: Option<u32>,
}

/// A mapping entry seen twice: where its key was first.
pub(crate) struct Repeated {
    pub first_at: u32,
}

/// One open mapping or sequence while positions are recorded.
struct Open {
    node: u32,
    /// Where its children start in `Builder::pending`.
    mark: usize,
    /// A mapping's key waiting for its value: (start, len) in `keys`, its offset, and
    /// whether it is a scalar.
    key: Option<(u32, u32, u32, bool)>,
}

/// Records positions as a document is read, children after their parent opened (or, not
/// `recording`, nothing: the document is read again with positions only if it has a problem).
#[derive(Default)]
pub(crate) struct Builder {
    recording: bool,
    pos: Positions,
    pending: Vec<Kid>,
    open: Vec<Open>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Builder {
    pub fn new(recording: bool) -> Builder {
        Builder {
            recording,
            ..Builder::default()
        }
    }

    fn push(&mut self, at: usize, kind: Kind, attach: bool) -> u32 {
        if !self.recording {
            return 0;
        }
        let id = to_u32(self.pos.nodes.len());
        self.pos.nodes.push(PNode {
            at: to_u32(at),
            kind,
            first: 0,
            len: 0,
        });
        match self.open.last_mut().filter(|_| attach) {
            None if !attach => {}
            None => {
                if self.pos.root.is_none() {
                    self.pos.root = Some(id);
                }
            }
            Some(parent) => {
                let (key_start, key_len, key_at, scalar_key) =
                    parent.key.take().unwrap_or((0, 0, NO_KEY, false));
                self.pending.push(Kid {
                    node: id,
                    key_at,
                    scalar_key,
                    key_start,
                    key_len,
                });
            }
        }
        id
    }

    /// A scalar, alias or absent value, as the next child of the open collection.
    pub fn leaf(&mut self, at: usize, kind: Kind) -> u32 {
        self.push(at, kind, true)
    }

    /// Opens a mapping or sequence (closed by [`Builder::close`]); `attach` = false for a
    /// collection used as a key, which is no child of the mapping it is a key of.
    pub fn open(&mut self, at: usize, map: bool, attach: bool) -> u32 {
        let id = self.push(at, if map { Kind::Map } else { Kind::Seq }, attach);
        if !self.recording {
            return id;
        }
        self.open.push(Open {
            node: id,
            mark: self.pending.len(),
            key: None,
        });
        id
    }

    /// Closes the innermost open collection.
    pub fn close(&mut self) {
        let Some(o) = self.open.pop() else { return };
        let first = to_u32(self.pos.kids.len());
        let len = to_u32(self.pending.len() - o.mark);
        self.pos.kids.extend(self.pending.drain(o.mark..));
        if let Some(n) = self.pos.nodes.get_mut(o.node as usize) {
            n.first = first;
            n.len = len;
        }
    }

    /// The key of the next child of the open mapping, at byte `at`: `Err` if the mapping has
    /// it already (`seen` says so; the first place is then looked up).
    pub fn key(&mut self, text: &str, at: usize, scalar: bool, seen: bool) -> Result<(), Repeated> {
        let Some(o) = self.open.last() else {
            return match seen {
                true => Err(Repeated { first_at: NO_KEY }),
                false => Ok(()),
            };
        };
        if seen {
            let first = self.pending[o.mark..]
                .iter()
                .find(|k| self.pos.key_text(k) == text)
                .map_or(NO_KEY, |k| k.key_at);
            return Err(Repeated { first_at: first });
        }
        let start = to_u32(self.pos.keys.len());
        self.pos.keys.push_str(text);
        let key = (start, to_u32(text.len()), to_u32(at), scalar);
        if let Some(o) = self.open.last_mut() {
            o.key = Some(key);
        }
        Ok(())
    }

    /// The positions recorded.
    pub fn finish(self) -> Positions {
        self.pos
    }
}

/// A step of a document path through the value tree.
enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

/// What a walk along a document path found.
struct Found<'p> {
    /// The deepest node reached.
    node: Option<u32>,
    /// Whether the whole path was followed.
    complete: bool,
    steps: Vec<Step<'p>>,
}

impl Positions {
    fn key_text(&self, k: &Kid) -> &str {
        let s = k.key_start as usize;
        self.keys.get(s..s + k.key_len as usize).unwrap_or("")
    }

    fn node(&self, id: u32) -> Option<&PNode> {
        self.nodes.get(id as usize)
    }

    fn kids_of(&self, n: &PNode) -> &[Kid] {
        let s = n.first as usize;
        self.kids.get(s..s + n.len as usize).unwrap_or(&[])
    }

    /// The node an alias names (any other node: itself).
    fn resolve(&self, id: u32) -> u32 {
        match self.node(id).map(|n| n.kind) {
            Some(Kind::Alias(target)) => target,
            _ => id,
        }
    }

    fn is_value(&self, id: u32) -> bool {
        !matches!(self.node(id).map(|n| n.kind), Some(Kind::Absent) | None)
    }

    /// Follows `path` (`a.b[2].c`, `["k"]`; keys may themselves contain dots: the longest
    /// key that the path continues with is taken) as far as it goes.
    fn walk<'p>(&self, path: &'p str) -> Found<'p> {
        let mut node = self.root;
        let mut last = self.root;
        let mut steps = Vec::new();
        let mut pos = usize::from(path.starts_with('$'));
        let b = path.as_bytes();
        let stop = |last, steps| Found {
            node: last,
            complete: false,
            steps,
        };
        while pos < b.len() {
            let here = node.map(|n| self.resolve(n));
            if b[pos] == b'.' {
                pos += 1;
            }
            if b.get(pos) == Some(&b'[') {
                let Some(close) = path[pos..].find(']').map(|c| c + pos) else {
                    return stop(last, steps);
                };
                let inner = &path[pos + 1..close];
                pos = close + 1;
                let next = if !inner.is_empty() && inner.bytes().all(|c| c.is_ascii_digit()) {
                    let i = inner.parse::<usize>().unwrap_or(usize::MAX);
                    steps.push(Step::Index(i));
                    here.and_then(|h| self.item(h, i))
                } else {
                    let key = inner.trim_start_matches(['"', '\'']);
                    let key = key.strip_suffix(['"', '\'']).unwrap_or(key);
                    steps.push(Step::Key(key));
                    here.and_then(|h| self.entry(h, key))
                };
                let Some(next) = next else {
                    return stop(last, steps);
                };
                node = Some(next);
                if self.is_value(next) {
                    last = Some(next);
                }
                continue;
            }
            let Some((len, next)) = here.and_then(|h| self.longest_key(h, path, pos)) else {
                return stop(last, steps);
            };
            steps.push(Step::Key(&path[pos..pos + len]));
            pos += len;
            node = Some(next);
            if self.is_value(next) {
                last = Some(next);
            } else {
                return Found {
                    node: last,
                    complete: pos >= b.len(),
                    steps,
                };
            }
        }
        Found {
            node: last,
            complete: true,
            steps,
        }
    }

    fn item(&self, seq: u32, i: usize) -> Option<u32> {
        let n = self.node(seq)?;
        if !matches!(n.kind, Kind::Seq) {
            return None;
        }
        self.kids_of(n).get(i).map(|k| k.node)
    }

    fn entry(&self, map: u32, key: &str) -> Option<u32> {
        let n = self.node(map)?;
        if !matches!(n.kind, Kind::Map) {
            return None;
        }
        let kids = self.kids_of(n);
        kids.iter()
            .find(|k| self.key_text(k) == key)
            .map(|k| k.node)
    }

    /// The longest non-empty key of mapping `map` that `path` continues with at `pos`.
    fn longest_key(&self, map: u32, path: &str, pos: usize) -> Option<(usize, u32)> {
        let n = self.node(map)?;
        if !matches!(n.kind, Kind::Map) {
            return None;
        }
        let rest = &path[pos..];
        let mut best: Option<(usize, u32)> = None;
        for k in self.kids_of(n) {
            let key = self.key_text(k);
            if key.is_empty() || !rest.starts_with(key) {
                continue;
            }
            if !matches!(rest.as_bytes().get(key.len()), None | Some(b'.' | b'[')) {
                continue;
            }
            if best.is_none_or(|(len, _)| key.len() > len) {
                best = Some((key.len(), k.node));
            }
        }
        best
    }

    /// The 1-based line and column (UTF-16 units, as JavaScript counts) of the node at
    /// `path` — for a path that goes on past the document, of the deepest node on it (a
    /// mapping's first key for a missing key; of the start of an empty document) — and, for a
    /// `sql:` problem, of the byte `sql_offset` inside the scalar. `doc` is the document's
    /// value, for the scalar's text.
    pub fn locate(
        &self,
        path: &str,
        sql_offset: Option<usize>,
        doc: &Value,
        lines: &LineIndex<'_>,
    ) -> Option<(u32, u32)> {
        let found = self.walk(path);
        // An empty document: its problem is at its start.
        let Some(id) = found.node else {
            return Some(lines.position(0));
        };
        let n = self.node(id)?;
        if let (true, Some(off), Kind::Scalar(style)) = (found.complete, sql_offset, n.kind) {
            let text = scalar_at(doc, &found.steps)?;
            return Some(in_scalar(lines, n.at, style, text, off));
        }
        let mut at = n.at;
        if !found.complete && matches!(n.kind, Kind::Map) {
            // A missing key: point at the mapping's first key, not at the space before it.
            if let Some(k) = self.kids_of(n).first().filter(|k| k.scalar_key) {
                at = k.key_at;
            }
        }
        Some(lines.position(at as usize))
    }
}

/// The text of the scalar reached by `steps` (numbers and booleans as JSON writes them).
fn scalar_at(doc: &Value, steps: &[Step<'_>]) -> Option<String> {
    let mut v = doc;
    for s in steps {
        v = match s {
            Step::Key(k) => v.get(*k)?,
            Step::Index(i) => v.get(*i)?,
        };
    }
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Line and column of byte `off` of a scalar's value, the scalar starting at byte `at`.
fn in_scalar(
    lines: &LineIndex<'_>,
    at: u32,
    style: Style,
    value: String,
    off: usize,
) -> (u32, u32) {
    let mut cut = off.min(value.len());
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &value[..cut];
    let units = |s: &str| s.encode_utf16().count();
    match style {
        Style::Block => {
            let header_line = lines.position(at as usize).0;
            let line_delta = before.matches('\n').count();
            let last_line = before.rfind('\n').map_or(before, |i| &before[i + 1..]);
            let indent = lines.indent_of(header_line as usize + 1);
            let line = header_line as usize + 1 + line_delta;
            let col = indent + units(last_line) + 1;
            (to_u32(line), to_u32(col))
        }
        Style::Plain | Style::Quoted => {
            let quoted = usize::from(style == Style::Quoted);
            let unit = lines.utf16_offset(at as usize) + quoted + units(before);
            lines.position_of_utf16(unit)
        }
    }
}
