//! Byte offsets in a source text → 1-based line and column, the column counted in UTF-16
//! units as JavaScript (and so every position the package reports) counts it. Lines end at
//! `\n` only.

/// The start of every line of a text, in bytes and in UTF-16 units.
pub struct LineIndex<'t> {
    text: &'t str,
    /// (byte offset, UTF-16 offset) of each line's first character.
    starts: Vec<(usize, usize)>,
}

fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut starts = vec![(0, 0)];
        let mut last = 0;
        let mut units = 0;
        for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
            units += utf16_len(&text[last..=nl]);
            last = nl + 1;
            starts.push((last, units));
        }
        LineIndex { text, starts }
    }

    /// The index in `starts` of the line holding byte `at`.
    fn line_of(&self, at: usize) -> usize {
        self.starts
            .partition_point(|&(b, _)| b <= at)
            .saturating_sub(1)
    }

    /// The text from a line's start to byte `at` (cut back to a character boundary).
    fn head(&self, line: usize, at: usize) -> &'t str {
        let start = self.starts[line].0;
        let mut end = at.min(self.text.len()).max(start);
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        &self.text[start..end]
    }

    /// 1-based line and column of byte `at`.
    pub fn position(&self, at: usize) -> (u32, u32) {
        let line = self.line_of(at);
        let col = utf16_len(self.head(line, at)) + 1;
        (to_u32(line + 1), to_u32(col))
    }

    /// The UTF-16 offset of byte `at` from the start of the text.
    pub fn utf16_offset(&self, at: usize) -> usize {
        let line = self.line_of(at);
        self.starts[line].1 + utf16_len(self.head(line, at))
    }

    /// 1-based line and column of the UTF-16 offset `unit`.
    pub fn position_of_utf16(&self, unit: usize) -> (u32, u32) {
        let line = self
            .starts
            .partition_point(|&(_, u)| u <= unit)
            .saturating_sub(1);
        (to_u32(line + 1), to_u32(unit - self.starts[line].1 + 1))
    }

    /// How many spaces 1-based line `line` starts with (0 past the end).
    pub fn indent_of(&self, line: usize) -> usize {
        let Some(&(start, _)) = line.checked_sub(1).and_then(|i| self.starts.get(i)) else {
            return 0;
        };
        self.text.as_bytes()[start..]
            .iter()
            .take_while(|&&b| b == b' ')
            .count()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        let text = "a: 1\n  é😀 x\n\nlast";
        let lines = LineIndex::new(text);
        assert_eq!(lines.position(0), (1, 1));
        assert_eq!(lines.position(3), (1, 4));
        let x = text.find('x').expect("x");
        // Two spaces, é (1 unit), 😀 (2 units), a space: x is the 7th unit.
        assert_eq!(lines.position(x), (2, 7));
        assert_eq!(lines.position_of_utf16(lines.utf16_offset(x)), (2, 7));
        assert_eq!(lines.position(text.len()), (4, 5));
        assert_eq!(lines.indent_of(2), 2);
        assert_eq!(lines.indent_of(9), 0);
    }
}
