//! A rules document given as YAML: read event by event (saphyr-parser, a YAML 1.2 parser that
//! keeps no tree of its own) straight into the document value and a compact table of node
//! positions. Scalars resolve as the `yaml` package resolves them (`yaml_scalar`), and each
//! node is placed where that package places it, so that positions read as before.

use super::positions::{Builder, Kind, Style};
use super::{yaml_scalar, Source, SourceError};
use crate::limits::MAX_DOCUMENT_DEPTH;
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;

/// Nodes reached through aliases beyond this many mean an alias bomb.
const MAX_EXPANDED_NODES: usize = 200_000;

/// The document, or its first problem. A text the parser refuses (or holding several
/// documents, or directives) is `unreadable`: its error is the parser's.
pub(crate) fn read(text: &str, positions: bool) -> Result<Source, SourceError> {
    if has_directive(text) {
        return Err(SourceError::unreadable(
            text,
            0,
            "YAML directives are not supported",
        ));
    }
    let mut r = Reader::new(text, positions);
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((Event::StreamEnd, _)) => break,
            Ok((ev, span)) if r.error.is_none() => r.event(ev, span),
            Ok(_) => {}
            Err(e) => {
                let at = r.offsets.byte(e.marker().index());
                return Err(SourceError::unreadable(text, at, e.info()));
            }
        }
    }
    if let Some(e) = r.error {
        return Err(e);
    }
    Ok(Source {
        value: r.root.unwrap_or(Value::Null),
        positions: r.pos.finish(),
    })
}

/// Whether the text starts with a directive (`%YAML 1.1`, `%TAG`): they change how the
/// document reads, so such a text is left to the reference parser.
fn has_directive(text: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with('%'))
}

/// Character index (the parser's markers) → byte offset, for markers that mostly move forward.
struct Offsets<'t> {
    text: &'t str,
    ascii: bool,
    ch: usize,
    byte: usize,
}

impl Offsets<'_> {
    fn byte(&mut self, ch: usize) -> usize {
        if self.ascii {
            return ch.min(self.text.len());
        }
        while self.ch < ch && self.byte < self.text.len() {
            self.byte += self.text[self.byte..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
            self.ch += 1;
        }
        while self.ch > ch && self.byte > 0 {
            self.byte -= 1;
            while !self.text.is_char_boundary(self.byte) {
                self.byte -= 1;
            }
            self.ch -= 1;
        }
        self.byte
    }
}

/// An open collection: its value so far.
enum Body {
    /// A mapping, and the key of the value to come (`None`: a key comes next).
    Map(Map<String, Value>, Option<String>),
    Seq(Vec<Value>),
}

struct Frame {
    body: Body,
    anchor: usize,
    /// The position node.
    node: u32,
    /// A collection used as a key (its JSON text is the key).
    is_key: bool,
    at: usize,
}

/// An anchored node: its value, position node and, for a scalar, its text as a key.
struct Anchor {
    value: Value,
    node: u32,
    key: Option<String>,
}

struct Reader<'t> {
    text: &'t str,
    offsets: Offsets<'t>,
    pos: Builder,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchor>,
    expanded: usize,
    docs: usize,
    root: Option<Value>,
    /// The first problem; later events are only read for a syntax error before the end.
    error: Option<SourceError>,
}

impl<'t> Reader<'t> {
    fn new(text: &'t str, positions: bool) -> Reader<'t> {
        Reader {
            text,
            offsets: Offsets {
                text,
                ascii: text.is_ascii(),
                ch: 0,
                byte: 0,
            },
            pos: Builder::new(positions),
            stack: Vec::new(),
            anchors: HashMap::new(),
            expanded: 0,
            docs: 0,
            root: None,
            error: None,
        }
    }

    fn fail(&mut self, at: usize, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(SourceError::at(self.text, at, message));
        }
    }

    fn event(&mut self, ev: Event<'_>, span: Span) {
        match ev {
            Event::DocumentStart(_) => {
                self.docs += 1;
                if self.docs > 1 {
                    let at = self.offsets.byte(span.start.index());
                    let msg = "the rules file holds more than one YAML document";
                    self.error = Some(SourceError::unreadable(self.text, at, msg));
                }
            }
            Event::Scalar(text, style, anchor, tag) => self.scalar(&text, style, anchor, tag, span),
            Event::Alias(id) => self.alias(id, span),
            Event::SequenceStart(anchor, tag) => self.open(false, anchor, tag.is_some(), span),
            Event::MappingStart(anchor, tag) => self.open(true, anchor, tag.is_some(), span),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            _ => {}
        }
    }

    /// Whether the next node is a mapping's key.
    fn at_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                body: Body::Map(_, None),
                ..
            })
        )
    }

    fn scalar(
        &mut self,
        text: &str,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        span: Span,
    ) {
        let plain = style == ScalarStyle::Plain;
        let props = anchor != 0 || tag.is_some();
        let empty = plain && text.is_empty();
        let tag = tag.as_deref();
        if self.at_key() {
            // An empty key is where its `:` is.
            let at = match empty && !props {
                true => self.offsets.byte(span.start.index()),
                false => self.scalar_at(span, style, props, empty).0,
            };
            let key = yaml_scalar::key(text, plain, tag);
            if anchor != 0 {
                let value = yaml_scalar::value(text, plain, tag).unwrap_or(Value::Null);
                let node = u32::MAX;
                self.anchors.insert(
                    anchor,
                    Anchor {
                        value,
                        node,
                        key: Some(key.clone()),
                    },
                );
            }
            self.set_key(key, at, true);
            return;
        }
        let (at, absent) = self.scalar_at(span, style, props, empty);
        let value = match yaml_scalar::value(text, plain, tag) {
            Ok(v) => v,
            Err(message) => return self.fail(at, message),
        };
        let kind = if absent {
            Kind::Absent
        } else {
            Kind::Scalar(match style {
                ScalarStyle::Plain => Style::Plain,
                ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                _ => Style::Block,
            })
        };
        let node = self.pos.leaf(at, kind);
        if anchor != 0 {
            let key = Some(yaml_scalar::key(text, plain, tag));
            self.anchors.insert(
                anchor,
                Anchor {
                    value: value.clone(),
                    node,
                    key,
                },
            );
        }
        self.deliver(value);
    }

    /// Where the `yaml` package places a scalar, and whether it makes no node of it (a key
    /// without a value: `{a}`, `? a`).
    fn scalar_at(
        &mut self,
        span: Span,
        style: ScalarStyle,
        props: bool,
        empty: bool,
    ) -> (usize, bool) {
        let start = self.offsets.byte(span.start.index());
        let end = self.offsets.byte(span.end.index());
        let b = self.text.as_bytes();
        if empty {
            // After the `:` (and any properties) and the spaces that follow.
            let absent = !props && b.get(start) != Some(&b':') && self.in_map_value();
            let mut p = if props { end } else { start };
            if b.get(p) == Some(&b':') {
                p += 1;
            }
            while matches!(b.get(p), Some(b' ' | b'\t')) {
                p += 1;
            }
            return (p, absent);
        }
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded => (block_header(self.text, start), false),
            _ if props => (skip_props(self.text, start), false),
            _ => (start, false),
        }
    }

    fn in_map_value(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                body: Body::Map(_, Some(_)),
                ..
            })
        )
    }

    fn alias(&mut self, id: usize, span: Span) {
        let at = self.offsets.byte(span.start.index());
        let Some(a) = self.anchors.get(&id) else {
            return self.fail(at, "unresolved alias");
        };
        self.expanded += count_nodes(&a.value);
        if self.expanded > MAX_EXPANDED_NODES {
            return self.fail(at, "too many alias expansions in the rules document");
        }
        if self.at_key() {
            let key = a.key.clone().unwrap_or_else(|| a.value.to_string());
            return self.set_key(key, at, a.key.is_some());
        }
        let (value, target) = (a.value.clone(), a.node);
        self.pos.leaf(at, Kind::Alias(target));
        self.deliver(value);
    }

    fn open(&mut self, map: bool, anchor: usize, tagged: bool, span: Span) {
        let start = self.offsets.byte(span.start.index());
        if self.stack.len() >= MAX_DOCUMENT_DEPTH {
            let msg = format!("document nesting too deep (limit {MAX_DOCUMENT_DEPTH})");
            return self.fail(start, msg);
        }
        let at = if anchor != 0 || tagged {
            skip_props(self.text, start)
        } else {
            start
        };
        let is_key = self.at_key();
        let node = self.pos.open(at, map, !is_key);
        let body = if map {
            Body::Map(Map::new(), None)
        } else {
            Body::Seq(Vec::new())
        };
        self.stack.push(Frame {
            body,
            anchor,
            node,
            is_key,
            at,
        });
    }

    fn close(&mut self) {
        let Some(f) = self.stack.pop() else { return };
        self.pos.close();
        let value = match f.body {
            Body::Map(m, _) => Value::Object(m),
            Body::Seq(items) => Value::Array(items),
        };
        if f.anchor != 0 {
            let anchor = Anchor {
                value: value.clone(),
                node: f.node,
                key: None,
            };
            self.anchors.insert(f.anchor, anchor);
        }
        if f.is_key {
            // A collection as a key (`? [a, b]`): its JSON text.
            return self.set_key(value.to_string(), f.at, false);
        }
        self.deliver(value);
    }

    /// The key of the open mapping's next value; a key it has had is an error.
    fn set_key(&mut self, key: String, at: usize, scalar: bool) {
        let Some(Frame {
            body: Body::Map(m, slot),
            ..
        }) = self.stack.last_mut()
        else {
            return;
        };
        let seen = m.contains_key(&key);
        if !seen {
            *slot = Some(key.clone());
        }
        if let Err(r) = self.pos.key(&key, at, scalar, seen) {
            self.error = Some(super::repeated_key(&key, r.first_at, at, self.text));
        }
    }

    /// A finished node's value, to its parent (or as the document).
    fn deliver(&mut self, value: Value) {
        match self.stack.last_mut().map(|f| &mut f.body) {
            Some(Body::Map(m, key)) => {
                if let Some(k) = key.take() {
                    m.insert(k, value);
                }
            }
            Some(Body::Seq(items)) => items.push(value),
            None => self.root = Some(value),
        }
    }
}

fn count_nodes(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count_nodes).sum::<usize>(),
        _ => 1,
    }
}

/// Past a node's properties (`&anchor`, `!tag`), the spaces, line breaks and comments
/// around them: where the node's content starts.
fn skip_props(text: &str, mut p: usize) -> usize {
    let b = text.as_bytes();
    loop {
        while let Some(&c) = b.get(p) {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => p += 1,
                b'#' => p = text[p..].find('\n').map_or(b.len(), |n| p + n),
                _ => break,
            }
        }
        match b.get(p) {
            Some(b'!') if b.get(p + 1) == Some(&b'<') => {
                p = text[p..].find('>').map_or(b.len(), |n| p + n + 1);
            }
            Some(b'&' | b'!') => {
                while !matches!(
                    b.get(p),
                    None | Some(b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}')
                ) {
                    p += 1;
                }
            }
            _ => return p,
        }
    }
}

/// The `|` or `>` header of the block scalar whose content starts at `content`: on the
/// last line before it that is not blank (the parser places a block scalar at its content).
fn block_header(text: &str, content: usize) -> usize {
    let mut line_start = text[..content.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    while line_start > 0 {
        let prev_start = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[prev_start..line_start - 1];
        line_start = prev_start;
        if line.trim().is_empty() {
            continue;
        }
        // The last `|`/`>` followed only by indicators, spaces and a comment.
        let header = line.char_indices().rev().find(|&(i, c)| {
            let rest = line[i + c.len_utf8()..]
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
            let rest = rest.trim_start();
            (c == '|' || c == '>') && (rest.is_empty() || rest.starts_with('#'))
        });
        if let Some((i, _)) = header {
            return prev_start + i;
        }
        break;
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::source::lines::LineIndex;
    use serde_json::json;

    fn at(text: &str, path: &str) -> Option<(u32, u32)> {
        let src = read(text, true).expect("reads");
        let lines = LineIndex::new(text);
        src.positions.locate(path, None, &src.value, &lines)
    }

    #[test]
    fn values_as_the_yaml_package_reads_them() {
        let text = "a: 1\nb: [x, \"q\", {k: v}]\nc: |\n  lit\nd: &anc\n  e: ~\n  f:\ng: *anc\nh: !!str 5\n? [1, 2]\n: z\n";
        let src = read(text, true).expect("reads");
        let want = json!({"a": 1, "b": ["x", "q", {"k": "v"}], "c": "lit\n",
            "d": {"e": null, "f": null}, "g": {"e": null, "f": null}, "h": "5", "[1,2]": "z"});
        assert_eq!(src.value, want);
    }

    #[test]
    fn nodes_placed_as_the_yaml_package_places_them() {
        let text = "a: 1\nb:\n  - x\n  - {k: v}\nc: |\n  lit\nd: &anc\n  e: ~\n  f:\ng: *anc\nh: !!str 5\n";
        assert_eq!(at(text, "a"), Some((1, 4)));
        assert_eq!(at(text, "b"), Some((3, 3)));
        assert_eq!(at(text, "b[1].k"), Some((4, 9)));
        assert_eq!(at(text, "c"), Some((5, 4)));
        // Properties are skipped: the mapping starts at its first key.
        assert_eq!(at(text, "d"), Some((8, 3)));
        // An empty value: after the colon.
        assert_eq!(at(text, "d.f"), Some((9, 5)));
        assert_eq!(at(text, "g"), Some((10, 4)));
        assert_eq!(at(text, "g.e"), Some((8, 6)));
        assert_eq!(at(text, "h"), Some((11, 10)));
        // A missing key: the mapping's first key.
        assert_eq!(at(text, "b[1].nope"), Some((4, 6)));
    }

    #[test]
    fn problems_of_the_text() {
        let e = read("a: 1\nb:\n  c: 2\n  c: 3\n", true).expect_err("repeated");
        assert_eq!(e.message, "duplicate key \"c\" (first at line 3, column 3)");
        assert_eq!(e.line_column, Some((4, 3)));
        assert!(!e.unreadable);
        let e = read("a:\n  - b: 1e400\n", false).expect_err("range");
        assert_eq!(
            (e.message.as_str(), e.line_column),
            ("number out of range: 1e400", Some((2, 8)))
        );
        let e = read("a: [1, 2\nb: 3\n", false).expect_err("syntax");
        assert!(e.unreadable);
        let deep: String = (0..MAX_DOCUMENT_DEPTH + 1)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        let e = read(&deep, false).expect_err("deep");
        assert_eq!(
            e.message,
            format!("document nesting too deep (limit {MAX_DOCUMENT_DEPTH})")
        );
        assert_eq!(
            e.line_column,
            Some((MAX_DOCUMENT_DEPTH as u32 + 1, MAX_DOCUMENT_DEPTH as u32 + 1))
        );
    }
}
