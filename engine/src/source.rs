//! The texts diagnostics point into: every file read during a run, by [`FileId`].

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

/// Every source text of a run. Files are added once per path and never removed.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> FileId {
        let text = text.into();
        let line_index = Arc::new(LineIndex::new(&text));
        self.files.push(SourceFile { path: path.into(), text, line_index });
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
