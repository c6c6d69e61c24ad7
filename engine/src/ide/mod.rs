//! Editor queries over an analysis: go to definition, references, highlights, rename, symbols,
//! folding and selection ranges, hover, completion, XML editing comfort (links, linked tag names,
//! end tags, formatting), semantic tokens. Engine terms in and out: a [`FileId`] (or a path) and a
//! byte offset in, `(FileId, Span)` locations and small structs out; no editor protocol types.
//! Used by the language server and the REPL. Every query is pure and answers any offset of any
//! text, however broken, without panicking.
//!
//! - [`navigation`]: `definition`, `references`, `highlights` (read/write), `target_at`.
//! - [`rename`]: `prepare_rename`, `rename` (typed refusals: [`rename::RenameError`]).
//! - [`symbols`]: `document_symbols` (process or imported document), `workspace_symbols`,
//!   `folding_ranges`, `selection_ranges`.
//! - [`hover`]: markdown for a name, a QName into WSDL/XSD, or an activity's element name.
//! - [`actions`]: code actions (declare a variable from its use, import a WSDL/XSD beside the
//!   process), and the static-analysis rules behind the diagnostics at an offset.
//!
//! The queries take a [`FileId`] the analysis knows (the process or one of its imported documents;
//! [`file_id`] finds it by path) and a byte offset; the cursor may stand just after a name.

pub mod actions;
pub mod completion;
pub mod editing;
pub mod hover;
mod index;
pub mod navigation;
pub mod rename;
pub mod symbols;
pub mod tokens;

use std::path::Path;
use std::sync::Arc;

pub use index::{Access, Target};

use crate::check::Analysis;
use crate::source::FileId;

/// The file an analysis knows under `path`: its process or one of the documents it imports.
pub fn file_id(analysis: &Analysis, path: &Path) -> Option<FileId> {
    if analysis.unit.path == path {
        return Some(analysis.unit.file);
    }
    analysis.unit.definitions.documents().iter().find(|d| d.path == path).map(|d| d.file)
}

/// The text of `file` as the analysis read it: the process, or one of its imported documents.
pub fn file_text(analysis: &Analysis, file: FileId) -> Option<Arc<str>> {
    if file == analysis.unit.file {
        return Some(analysis.unit.text.clone());
    }
    analysis.unit.definitions.documents().iter().find(|d| d.file == file).map(|d| d.text.clone())
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    use crate::check::{analyze, Analysis};
    use crate::parse::Loader;

    pub fn example_path(relative: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(relative)
    }

    pub fn analyze_example(relative: &str) -> Analysis {
        let mut loader = Loader::new();
        analyze(&mut loader, &example_path(relative)).expect("the example is readable")
    }

    /// The betsy conformance suite: `$BPEL_SHARED/conformance/betsy`, else `../shared` beside the repository.
    pub fn betsy_dir() -> PathBuf {
        let shared = match std::env::var_os("BPEL_SHARED") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        };
        shared.join("conformance/betsy")
    }

    /// The byte offset of the `nth` occurrence of `needle` in `text`.
    pub fn offset_of(text: &str, needle: &str, nth: usize) -> usize {
        text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` #{nth} is in the text")).0
    }
}
