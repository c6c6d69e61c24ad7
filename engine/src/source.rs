//! The texts diagnostics point into: every file read during a run, by [`FileId`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::span::{LineCol, LineIndex, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub u32);

#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub line_index: Arc<LineIndex>,
}

impl SourceFile {
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.line_index.line_col(&self.text, offset)
    }

    /// (start, end) positions of a span.
    pub fn range(&self, span: Span) -> (LineCol, LineCol) {
        (self.line_col(span.start as usize), self.line_col(span.end as usize))
    }
}

/// The current text of every file of a run, one [`FileId`] per path for as long as the `Sources`
/// lives. Setting a path's text again replaces it in place: the path keeps its `FileId`, and the
/// spans of diagnostics made from the old text no longer point into it (re-analyse to get new
/// ones). Memory is bounded by the number of paths, not by how often their texts change.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
    by_path: HashMap<PathBuf, FileId>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Sets the text of the file at `path`: a new `FileId` for a path not seen before, else the
    /// path's own `FileId`, its text replaced.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> FileId {
        let path = path.into();
        let text = text.into();
        let line_index = Arc::new(LineIndex::new(&text));
        if let Some(&id) = self.by_path.get(&path) {
            let file = &mut self.files[id.0 as usize];
            file.text = text;
            file.line_index = line_index;
            return id;
        }
        let id = FileId(self.files.len() as u32);
        self.by_path.insert(path.clone(), id);
        self.files.push(SourceFile { path, text, line_index });
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The bytes of every current text together.
    pub fn total_text_len(&self) -> usize {
        self.files.iter().map(|f| f.text.len()).sum()
    }

    /// An estimate of the heap bytes held: the texts, their line indexes and the paths (twice: in
    /// the list and the index by path).
    pub fn heap_size(&self) -> usize {
        let per_file = |f: &SourceFile| f.text.len() + f.line_index.line_count() * size_of::<u32>() + 2 * f.path.as_os_str().len();
        self.files.iter().map(per_file).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_a_path_again_replaces_its_text_under_the_same_id() {
        let mut sources = Sources::new();
        let a = sources.add("a.bpel", "<process/>");
        let b = sources.add("b.wsdl", "<definitions/>\n");
        let again = sources.add("a.bpel", "<process>\n</process>");
        assert_eq!(again, a);
        assert_ne!(a, b);
        assert_eq!(sources.len(), 2);
        assert_eq!(&*sources.get(a).text, "<process>\n</process>");
        assert_eq!(sources.get(a).line_index.line_count(), 2);
        assert_eq!(sources.find(Path::new("b.wsdl")), Some(b));
        assert_eq!(sources.total_text_len(), "<process>\n</process>".len() + "<definitions/>\n".len());
    }
}
