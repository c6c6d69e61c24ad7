//! Engine types to LSP's wire shapes. LSP positions are zero-based lines and UTF-16 columns.

use bpel_engine::source::SourceFile;
use bpel_engine::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub character: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: Position,
    pub end: Position,
}

pub fn position(file: &SourceFile, offset: u32) -> Position {
    let at = file.line_col(offset as usize);
    Position { line: at.line, character: at.col_utf16 }
}

pub fn range(file: &SourceFile, span: Span) -> Range {
    Range { start: position(file, span.start), end: position(file, span.end) }
}

/// The byte offset an LSP position points at.
pub fn offset(file: &SourceFile, position: Position) -> usize {
    file.line_index.offset_utf16(&file.text, position.line, position.character)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpel_engine::Sources;

    #[test]
    fn round_trips_positions_past_non_ascii_text() {
        let mut sources = Sources::new();
        let text = "<a>\n  <!-- \u{1F600} --><b/>\n</a>";
        let id = sources.add("x.bpel", text);
        let file = sources.get(id);
        let b = text.find("<b/>").unwrap();
        let p = position(file, b as u32);
        assert_eq!(p, Position { line: 1, character: 13 });
        assert_eq!(offset(file, p), b);
    }
}
