//! Text -> model. [`load_process`] reads a `.bpel` file and everything it imports into a
//! [`ProcessUnit`]; nothing here fails on bad input, it reports.

pub mod deploy_xml;
pub mod loader;
pub mod process;
pub mod process_draft;
pub mod wsdl;
pub mod xsd;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{codes, Diagnostic};
use crate::model::process::{Import, Process};
use crate::source::FileId;
use crate::syntax::parse_xml;

pub use loader::{Definitions, DiskFs, FileSystem, ImportKind, LoadError, LoadedDocument, Loader, Overlay, ReadError};
pub use process::BPEL_NS;

pub const WSDL_IMPORT_TYPE: &str = "http://schemas.xmlsoap.org/wsdl/";
pub const XSD_IMPORT_TYPE: &str = "http://www.w3.org/2001/XMLSchema";

/// A process file with what it imports, read as far as possible.
#[derive(Debug)]
pub struct ProcessUnit {
    pub file: FileId,
    pub path: PathBuf,
    pub text: Arc<str>,
    /// `None` when the file has no root element or is not a WS-BPEL 2.0 process.
    pub process: Option<Process>,
    /// One entry per `<import>` of the process, in order; `None` where it could not be loaded.
    pub imports: Vec<Option<Arc<LoadedDocument>>>,
    pub definitions: Definitions,
    /// Diagnostics of the process file and of the documents it imports (each carries its file).
    pub diagnostics: Vec<Diagnostic>,
    /// How it was read.
    pub dialect: Dialect,
}

impl ProcessUnit {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads the process at `path` through the loader (its unsaved text, else the file system's).
/// Only an unreadable file is an `Err`.
pub fn load_process(loader: &mut Loader, path: &Path) -> std::io::Result<ProcessUnit> {
    let text = loader.read_text(path).map_err(|error| match error {
        loader::ReadError::Io(error) => error,
        other => std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {other}", path.display())),
    })?;
    Ok(parse_process(loader, path, text))
}

/// Reads a process from `text` (an editor's unsaved buffer, say) as if it were the file at `path`:
/// imports resolve relative to `path`. The text replaces whatever `loader.sources` held for `path`
/// (same `FileId`; spans into the old text are stale).
/// How strictly a process is read: as WS-BPEL 2.0 says (the default), or accepting, with a
/// warning each, what Apache ODE accepted (`true`/`false` for `yes`/`no`, ODE's
/// `ignoreUninitializedFromVariable`, a `messageExchange` used without a declaration). ODE's dialect
/// applies to processes deployed with a `deploy.xml` ([`Dialect::of_folder`]) or chosen with
/// `--dialect ode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    #[default]
    Standard,
    Ode,
}

impl Dialect {
    /// ODE's when the folder holds a `deploy.xml` (an ODE deployment), else the standard.
    pub fn of_folder(loader: &mut Loader, folder: &Path) -> Dialect {
        match loader.read_text(&folder.join(deploy_xml::FILE_NAME)) {
            Ok(_) => Dialect::Ode,
            Err(_) => Dialect::Standard,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Dialect::Standard => "WS-BPEL 2.0 (strict)",
            Dialect::Ode => "Apache ODE's dialect (lenient, with warnings)",
        }
    }
}

pub fn parse_process(loader: &mut Loader, path: &Path, text: impl Into<Arc<str>>) -> ProcessUnit {
    let text: Arc<str> = text.into();
    let file = loader.sources.add(path, text.clone());
    let document = parse_xml(&text);
    let mut diagnostics: Vec<Diagnostic> =
        document.errors.iter().map(|e| Diagnostic::error(codes::XML_SYNTAX, file, e.span, e.message.clone())).collect();
    let draft = process_draft::is_draft(&document);
    let document = if draft { process_draft::translate(file, &document, &mut diagnostics) } else { document };
    let mut process = process::read_process(file, &document, loader.dialect, &mut diagnostics);

    let mut imports = Vec::new();
    if let Some(process) = &process {
        for import in &process.imports {
            let loaded = load_import(loader, file, path, import, &mut diagnostics);
            imports.push(loaded);
        }
    }
    let loaded: Vec<Arc<LoadedDocument>> = imports.iter().flatten().cloned().collect();
    let definitions = Definitions::from_documents(&loaded);
    if let (true, Some(process)) = (draft, process.as_mut()) {
        process_draft::translate_expressions(process, &definitions, &mut diagnostics);
    }
    let mut seen = std::collections::HashSet::new();
    for document in definitions.documents() {
        if seen.insert(document.file) {
            diagnostics.extend(document.diagnostics.iter().cloned());
        }
    }
    ProcessUnit { file, path: path.to_path_buf(), text, process, imports, definitions, diagnostics, dialect: loader.dialect }
}

/// The diagnostic for a document whose root element is not the one expected (`expected` names it,
/// e.g. "a WS-BPEL 2.0 <process>").
pub(crate) fn wrong_root(file: FileId, root: &crate::syntax::Element, expected: &str, help: impl Into<String>) -> Diagnostic {
    Diagnostic::error(
        codes::WRONG_ROOT,
        file,
        root.name_span,
        format!("expected {expected}, found <{}> in namespace `{}`", root.qualified_name(), root.namespace.as_deref().unwrap_or("")),
    )
    .with_help(help)
}

fn load_import(
    loader: &mut Loader,
    file: FileId,
    importing_file: &Path,
    import: &Import,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Arc<LoadedDocument>> {
    let kind = match import.import_type.as_ref().map(|t| t.value.as_str()) {
        Some(WSDL_IMPORT_TYPE) => ImportKind::Wsdl,
        Some(XSD_IMPORT_TYPE) => ImportKind::Schema,
        // An unknown importType is SA00013, reported by the static-analysis rules.
        Some(_) => return None,
        None => return None, // reported by the reader as a missing attribute
    };
    // An import without location names a namespace only; nothing to load.
    let location = import.location.as_ref()?;
    match loader.load_location(importing_file, &location.value, kind) {
        Ok(document) => Some(document),
        Err(error) => {
            let (code, help) = match &error {
                LoadError::NotFound { .. } | LoadError::Unreadable { .. } | LoadError::Remote { .. } => {
                    (codes::IMPORT_NOT_FOUND, "the location is resolved relative to the folder of the importing file")
                }
                LoadError::KindMismatch { .. } => (codes::IMPORT_BROKEN, "make importType match the document: WSDL 1.1 or XML Schema"),
                LoadError::Encoding { .. } | LoadError::TooLarge { .. } => {
                    (codes::IMPORT_BROKEN, "imported documents are UTF-8 (or UTF-16) text")
                }
            };
            diagnostics
                .push(Diagnostic::error(code, file, location.span, format!("cannot import `{}`: {error}", location.value)).with_help(help));
            None
        }
    }
}
