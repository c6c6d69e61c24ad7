//! Byte spans into a source text, and the conversion to lines and columns.

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end.max(start) as u32 }
    }

    pub fn empty_at(offset: usize) -> Span {
        Span::new(offset, offset)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn contains(self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset <= (self.end as usize)
    }

    /// The text this span covers, or "" when the span does not fit `text`.
    pub fn slice(self, text: &str) -> &str {
        text.get(self.range()).unwrap_or("")
    }
}

/// A value with the span of the source text it was read from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }
}

impl Spanned<String> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// A position as editors show it: zero-based line, and the column both in UTF-8 bytes and in
/// UTF-16 code units (what LSP counts by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col_utf8: u32,
    pub col_utf16: u32,
}

/// Maps byte offsets of one text to lines and columns, and back.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        LineIndex { line_starts }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Offsets past the end of `text` are clamped to its end; offsets inside a UTF-8 sequence are
    /// moved back to the start of their character.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start as usize <= offset) - 1;
        let line_start = self.line_starts[line] as usize;
        let prefix = &text[line_start..offset];
        LineCol { line: line as u32, col_utf8: prefix.len() as u32, col_utf16: prefix.encode_utf16().count() as u32 }
    }

    /// The byte offset of a (line, UTF-16 column) position, clamped to the line's end.
    pub fn offset_utf16(&self, text: &str, line: u32, col_utf16: u32) -> usize {
        let Some(&start) = self.line_starts.get(line as usize) else {
            return text.len();
        };
        let start = start as usize;
        let end = self.line_starts.get(line as usize + 1).map_or(text.len(), |&e| e as usize);
        let mut units = 0u32;
        for (i, ch) in text[start..end].char_indices() {
            if units >= col_utf16 || ch == '\n' {
                return start + i;
            }
            units += ch.len_utf16() as u32;
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_utf16_units() {
        let text = "ab\nc\u{e9}\u{1F600}x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.line_col(text, x), LineCol { line: 1, col_utf8: 7, col_utf16: 4 });
        assert_eq!(index.offset_utf16(text, 1, 4), x);
        assert_eq!(index.line_col(text, 0), LineCol { line: 0, col_utf8: 0, col_utf16: 0 });
        assert_eq!(index.line_col(text, 999).line, 2);
    }
}
