//! Reading JSON values off a simd-json tape: a value is the tape slice that starts at its node.

use simd_json::{Node, StaticNode};

pub(crate) type V<'t, 'i> = &'t [Node<'i>];

/// Number of tape nodes the value starting at `n` occupies.
#[inline]
pub(crate) fn span(n: &Node<'_>) -> usize {
    match n {
        Node::Object { count, .. } | Node::Array { count, .. } => *count + 1,
        _ => 1,
    }
}

/// Key/value pairs of an object value (nothing for a non-object).
#[inline]
pub(crate) fn members<'t, 'i>(v: V<'t, 'i>) -> impl Iterator<Item = (&'i str, V<'t, 'i>)> {
    let len = match v.first() {
        Some(Node::Object { len, .. }) => *len,
        _ => 0,
    };
    let mut i = 1;
    (0..len).map_while(move |_| {
        let key = match v.get(i)? {
            Node::String(s) => *s,
            _ => return None,
        };
        let val = v.get(i + 1..)?;
        i += 1 + span(val.first()?);
        Some((key, val))
    })
}

/// Elements of an array value (nothing for a non-array).
#[inline]
pub(crate) fn elements<'t, 'i>(v: V<'t, 'i>) -> impl Iterator<Item = V<'t, 'i>> {
    let len = match v.first() {
        Some(Node::Array { len, .. }) => *len,
        _ => 0,
    };
    let mut i = 1;
    (0..len).map_while(move |_| {
        let val = v.get(i..)?;
        i += span(val.first()?);
        Some(val)
    })
}

#[inline]
pub(crate) fn is_null(v: V<'_, '_>) -> bool {
    matches!(v.first(), None | Some(Node::Static(StaticNode::Null)))
}

#[inline]
pub(crate) fn as_str<'i>(v: V<'_, 'i>) -> Option<&'i str> {
    match v.first() {
        Some(Node::String(s)) => Some(s),
        _ => None,
    }
}

/// A JSON number as f64.
#[inline]
pub(crate) fn scalar_f64(v: V<'_, '_>) -> Option<f64> {
    match v.first()? {
        Node::Static(StaticNode::F64(f)) => Some(*f),
        Node::Static(StaticNode::I64(i)) => Some(*i as f64),
        Node::Static(StaticNode::U64(u)) => Some(*u as f64),
        _ => None,
    }
}

/// A JSON number, or the first numeric element of an array (rules-reference §3.2).
#[inline]
pub(crate) fn num(v: V<'_, '_>) -> Option<f64> {
    match v.first()? {
        Node::Array { .. } => elements(v).find_map(scalar_f64),
        _ => scalar_f64(v),
    }
}

/// A JSON number as an integer: floats truncated toward zero; arrays give their first number.
#[inline]
pub(crate) fn int(v: V<'_, '_>) -> Option<i64> {
    match v.first()? {
        Node::Static(StaticNode::I64(i)) => Some(*i),
        Node::Static(StaticNode::U64(u)) => Some(*u as i64),
        Node::Static(StaticNode::F64(f)) => Some(f.trunc() as i64),
        Node::Array { .. } => elements(v).find_map(|e| match e.first() {
            Some(Node::Array { .. }) => None,
            _ => int(e),
        }),
        _ => None,
    }
}

/// Text of a scalar for categorical comparison: strings as they are, integers `5`,
/// other numbers `5.500000` (six decimals; always six when `six_decimals`), booleans `true`/`false`.
pub(crate) fn text<'i>(v: V<'_, 'i>, six_decimals: bool) -> Option<std::borrow::Cow<'i, str>> {
    use std::borrow::Cow;
    Some(match v.first()? {
        Node::String(s) => Cow::Borrowed(*s),
        Node::Static(StaticNode::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Node::Static(StaticNode::I64(i)) if !six_decimals => Cow::Owned(i.to_string()),
        Node::Static(StaticNode::U64(u)) if !six_decimals => Cow::Owned(u.to_string()),
        Node::Static(StaticNode::I64(i)) => Cow::Owned(format!("{:.6}", *i as f64)),
        Node::Static(StaticNode::U64(u)) => Cow::Owned(format!("{:.6}", *u as f64)),
        Node::Static(StaticNode::F64(f)) => Cow::Owned(format!("{f:.6}")),
        _ => return None,
    })
}

/// Finds a field in an object: a literal key first (first occurrence wins), else the dotted path.
pub(crate) fn get_path<'t, 'i>(
    obj: V<'t, 'i>,
    name: &str,
    parts: &[Box<str>],
) -> Option<V<'t, 'i>> {
    if let Some((_, v)) = members(obj).find(|(k, _)| *k == name) {
        return Some(v);
    }
    if parts.len() < 2 {
        return None;
    }
    let mut cur = obj;
    for p in parts {
        cur = members(cur).find(|(k, _)| *k == &**p)?.1;
    }
    Some(cur)
}
