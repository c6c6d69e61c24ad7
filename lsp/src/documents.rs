//! The documents open in the editor: their text as the editor has it (unsaved), and its version.

use std::path::{Path, PathBuf};

use bpel_engine::span::LineIndex;
use tower_lsp_server::ls_types::{Position, TextDocumentContentChangeEvent};

/// What the server analyses a document as, by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    Process,
    Wsdl,
    Schema,
}

impl DocumentKind {
    pub fn of(path: &Path) -> Option<DocumentKind> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "bpel" => Some(DocumentKind::Process),
            "wsdl" => Some(DocumentKind::Wsdl),
            "xsd" => Some(DocumentKind::Schema),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Document {
    pub path: PathBuf,
    /// `None` for a file the server does not analyse (it still keeps its text).
    pub kind: Option<DocumentKind>,
    pub version: i32,
    pub text: String,
}

impl Document {
    pub fn new(path: PathBuf, version: i32, text: String) -> Document {
        Document { kind: DocumentKind::of(&path), path, version, text }
    }

    /// Applies the changes of one `didChange`, in order: each replaces a range of the text as the
    /// previous ones left it (positions in UTF-16 code units), or, without a range, the whole text.
    /// Positions past a line's end or the text's end are clamped, never a panic.
    pub fn apply(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        for change in changes {
            match change.range {
                None => self.text = change.text,
                Some(range) => {
                    let index = LineIndex::new(&self.text);
                    let start = self.offset(&index, range.start);
                    let end = self.offset(&index, range.end).max(start);
                    self.text.replace_range(start..end, &change.text);
                }
            }
        }
        self.version = version;
    }

    fn offset(&self, index: &LineIndex, position: Position) -> usize {
        index.offset_utf16(&self.text, position.line, position.character)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Range;

    fn edit(start: (u32, u32), end: (u32, u32), text: &str) -> TextDocumentContentChangeEvent {
        let at = |(line, character)| Position { line, character };
        TextDocumentContentChangeEvent { range: Some(Range { start: at(start), end: at(end) }), range_length: None, text: text.to_string() }
    }

    #[test]
    fn applies_changes_in_order_counting_utf16_units() {
        let mut document = Document::new(PathBuf::from("a.bpel"), 1, "<a>\n\u{1F600}x\n</a>".to_string());
        // The emoji is two UTF-16 units: column 2 is just before `x`.
        document.apply(2, vec![edit((1, 2), (1, 3), "yz"), edit((1, 0), (1, 2), ""), edit((0, 1), (0, 2), "b")]);
        assert_eq!(document.text, "<b>\nyz\n</a>");
        assert_eq!(document.version, 2);
    }

    #[test]
    fn clamps_positions_outside_the_text_and_takes_full_replacements() {
        let mut document = Document::new(PathBuf::from("a.wsdl"), 1, "ab\ncd".to_string());
        document.apply(2, vec![edit((0, 99), (7, 3), "!")]);
        assert_eq!(document.text, "ab!");
        // An end before the start inserts at the start; a column inside a surrogate pair snaps forward.
        document.apply(3, vec![edit((0, 2), (0, 1), "\u{1F600}"), edit((0, 3), (0, 3), "-")]);
        assert_eq!(document.text, "ab\u{1F600}-!");
        document.apply(4, vec![TextDocumentContentChangeEvent { range: None, range_length: None, text: "new".to_string() }]);
        assert_eq!((document.text.as_str(), document.version), ("new", 4));
        assert_eq!(document.kind, Some(DocumentKind::Wsdl));
    }
}
