//! NDJSON framing: which bytes of a buffer are records (rules-reference §5).

use memchr::memchr_iter;

/// Trailing `\r`, spaces and tabs are not part of a record.
#[inline]
pub(crate) fn trim_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    &line[..end]
}

/// Visits the non-empty lines of `buf` as (start, end) byte ranges.
#[inline]
pub(crate) fn for_each_line(buf: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut start = 0;
    // One searcher over the whole buffer: a call per line costs its setup every time.
    for end in memchr_iter(b'\n', buf).chain(std::iter::once(buf.len())) {
        if start >= buf.len() {
            break;
        }
        let line = trim_end(&buf[start..end]);
        if !line.iter().all(|b| matches!(b, b' ' | b'\t')) {
            f(start, start + line.len());
        }
        start = end + 1;
    }
}
