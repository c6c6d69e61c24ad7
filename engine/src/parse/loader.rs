//! Loads WSDL and XSD files with everything they import, each file once per [`Loader`].
//!
//! A run may import the same `TestInterface.wsdl` from hundreds of processes: documents are cached
//! by canonical path and shared as `Arc<LoadedDocument>`. Nothing is ever fetched over the network.
//! A nested import that cannot be loaded, or that loads with errors, is reported on the import
//! element of the importing document; only the top-level file's own failure is a [`LoadError`].
//!
//! Every text is read through the loader's [`Overlay`]: unsaved texts by path
//! ([`Loader::set_text`]) over a [`FileSystem`], the disk unless told otherwise. The loader knows
//! which document imports which, so a changed file is forgotten together with every cached
//! document that imports it, directly or not ([`Loader::forget`]).

mod definitions;
mod files;

pub use definitions::{Component, Conflict, ConflictReason, Def, DefinitionKind, Definitions, Location, Slot};
pub use files::{DiskFs, FileSystem, Overlay, ReadError, MAX_FILE_SIZE};

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Component as PathComponent, Path, PathBuf};
use std::sync::{Arc, Weak};

use definitions::DocumentIndex;

use super::{wsdl, xsd};
use crate::diagnostic::{codes, Diagnostic};
use crate::model::wsdl::{WsdlDocument, WSDL_NS};
use crate::model::xsd::{Schema, XSD_NS};
use crate::source::{FileId, Sources};
use crate::span::{Span, Spanned};
use crate::syntax::parse_xml;

/// Longer chains of nested imports are cut (a cycle is detected long before; this bounds recursion).
const MAX_IMPORT_DEPTH: usize = 64;

/// What a WS-BPEL `<import importType>` says a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImportKind {
    Wsdl,
    Schema,
}

impl ImportKind {
    pub fn from_import_type(uri: &str) -> Option<ImportKind> {
        match uri.trim() {
            WSDL_NS => Some(ImportKind::Wsdl),
            XSD_NS => Some(ImportKind::Schema),
            _ => None,
        }
    }

    /// The `importType` URI.
    pub fn import_type(self) -> &'static str {
        match self {
            ImportKind::Wsdl => WSDL_NS,
            ImportKind::Schema => XSD_NS,
        }
    }
}

impl std::fmt::Display for ImportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ImportKind::Wsdl => "a WSDL 1.1 document",
            ImportKind::Schema => "an XML Schema",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("`{}` does not exist", path.display())]
    NotFound {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot read `{}`: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("`{location}` is a remote location: imports are never fetched over the network; save the document next to the importing file and import it by a relative path")]
    Remote { location: String },
    #[error("`{}` is not text in UTF-8 (or UTF-16 with a byte order mark)", path.display())]
    Encoding { path: PathBuf },
    #[error("`{}` is {size} bytes, more than the {MAX_FILE_SIZE} bytes a WSDL or schema file may have", path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("`{}` is {found}, not {expected}", path.display())]
    KindMismatch { path: PathBuf, expected: ImportKind, found: ImportKind },
}

/// A WSDL or XSD file as read, with the documents it imports.
#[derive(Debug)]
pub struct LoadedDocument {
    pub file: FileId,
    /// The path the file was first reached by, lexically normalised (no `.` or `..`).
    pub path: PathBuf,
    pub text: Arc<str>,
    /// What the root element says the document is; `None` when it is neither (reported).
    pub kind: Option<ImportKind>,
    pub wsdl: Option<WsdlDocument>,
    pub schema: Option<Schema>,
    /// This file's own diagnostics, including those about its imports.
    pub diagnostics: Vec<Diagnostic>,
    /// The documents this one imports (`wsdl:import`, `xsd:import`, `xsd:include`, `xsd:redefine`
    /// with a location), each once.
    pub imports: Vec<Arc<LoadedDocument>>,
    /// Imports that close a cycle: documents that were still being loaded when this one imported
    /// them. Alive as long as the loader (or any [`Definitions`]) holds them.
    pub cyclic_imports: Vec<Weak<LoadedDocument>>,
    pub(crate) index: DocumentIndex,
}

impl LoadedDocument {
    /// The schemas of the document: the WSDL's inline schemas, or the schema itself.
    pub fn schemas(&self) -> &[Schema] {
        match (&self.wsdl, &self.schema) {
            (Some(wsdl), _) => &wsdl.schemas,
            (None, Some(schema)) => std::slice::from_ref(schema),
            (None, None) => &[],
        }
    }

    pub fn target_namespace(&self) -> Option<&str> {
        match (&self.wsdl, &self.schema) {
            (Some(wsdl), _) => wsdl.target_namespace(),
            (None, Some(schema)) => schema.target_namespace(),
            (None, None) => None,
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads documents through its [`Overlay`], once per canonical path.
#[derive(Debug, Default)]
pub struct Loader {
    pub sources: Sources,
    /// How processes are read ([`super::Dialect`]).
    pub dialect: super::Dialect,
    files: Overlay,
    cache: HashMap<PathBuf, Arc<LoadedDocument>>,
    /// For each cached document (by canonical path), the [`Loader::key`]s of the files its imports
    /// name, found or not: who imports whom, to forget the importers of a changed file.
    imports_of: HashMap<PathBuf, Vec<PathBuf>>,
    /// Canonical paths by the (lexically normalised) path they were reached by: resolving symbolic
    /// links costs a system call per path component, and hundreds of processes import one WSDL.
    canonical_paths: HashMap<PathBuf, PathBuf>,
    /// Documents whose imports are being loaded, by canonical path: an import of one of them is a
    /// cycle, closed with a weak reference.
    loading: HashMap<PathBuf, (Weak<LoadedDocument>, Option<ImportKind>)>,
    depth: usize,
}

/// A document that is either finished or still loading its imports (a cycle).
enum Reached {
    Loaded(Arc<LoadedDocument>),
    Loading(Weak<LoadedDocument>, Option<ImportKind>),
}

impl Reached {
    fn kind(&self) -> Option<ImportKind> {
        match self {
            Reached::Loaded(document) => document.kind,
            Reached::Loading(_, kind) => *kind,
        }
    }
}

/// One import, include or redefine of a document, for loading.
struct NestedImport {
    /// The import element.
    span: Span,
    location: Spanned<String>,
    via: Via,
    /// The namespace the imported document must have: the import's `namespace` attribute, or for
    /// an include, the includer's target namespace.
    namespace: Option<Spanned<String>>,
    /// The namespace attribute's span, or the import element's when the namespace is implied.
    namespace_span: Span,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    WsdlImport,
    SchemaImport,
    /// `xsd:include` and `xsd:redefine`: same target namespace.
    Include,
}

impl Loader {
    /// A loader reading from disk.
    pub fn new() -> Loader {
        Loader::default()
    }

    /// A loader reading from `files` (under its own overlay of unsaved texts).
    pub fn with_file_system(files: impl FileSystem + 'static) -> Loader {
        Loader { files: Overlay::new(files), ..Loader::default() }
    }

    /// The text of the file at `path` as the loader sees it (an unsaved text set for it, else the
    /// file system's).
    pub fn read_text(&self, path: &Path) -> Result<Arc<str>, ReadError> {
        self.files.read(path)
    }

    /// Takes `text` as the content of `path` from now on, instead of what the file system holds,
    /// and forgets the cached documents it invalidates (see [`Loader::forget`], whose result this is).
    pub fn set_text(&mut self, path: &Path, text: impl Into<Arc<str>>) -> Vec<PathBuf> {
        self.files.set(path, text.into());
        self.forget(path)
    }

    /// Drops the unsaved text of `path`: the file system's shows again. Forgets like [`Loader::forget`].
    pub fn clear_text(&mut self, path: &Path) -> Vec<PathBuf> {
        let forgotten = self.forget(path);
        self.files.remove(path);
        forgotten
    }

    /// The unsaved texts the loader holds.
    pub fn overlay(&self) -> &Overlay {
        &self.files
    }

    /// The name the loader knows a file by: its canonical path, or, for a file that cannot be
    /// found, its path lexically normalised.
    pub fn key(&mut self, path: &Path) -> PathBuf {
        self.canonical(path).unwrap_or_else(|_| normalize(path))
    }

    /// How many documents are cached.
    pub fn cached_documents(&self) -> usize {
        self.cache.len()
    }

    /// Loads the document at `path` (and, transitively, what it imports) as a document of `kind`.
    ///
    /// Cached: a second call for the same file returns the same `Arc`. An `Err` means the file
    /// itself could not be read or is of the other kind; problems inside it are diagnostics.
    pub fn load(&mut self, path: &Path, kind: ImportKind) -> Result<Arc<LoadedDocument>, LoadError> {
        if let Some(location) = remote_location(path) {
            return Err(LoadError::Remote { location });
        }
        let document = match self.reach(path)? {
            Reached::Loaded(document) => document,
            Reached::Loading(weak, _) => match weak.upgrade() {
                Some(document) => document,
                // Unreachable from outside: `load` is not re-entered while loading.
                None => {
                    return Err(LoadError::NotFound {
                        path: path.to_path_buf(),
                        source: io::Error::other("the document is still being loaded"),
                    })
                }
            },
        };
        match document.kind {
            Some(found) if found != kind => Err(LoadError::KindMismatch { path: document.path.clone(), expected: kind, found }),
            _ => Ok(document),
        }
    }

    /// Loads what `location` (as written in an import of `importing_file`) points to.
    pub fn load_location(&mut self, importing_file: &Path, location: &str, kind: ImportKind) -> Result<Arc<LoadedDocument>, LoadError> {
        let path = resolve_location(importing_file, location)?;
        self.load(&path, kind)
    }

    /// The cached document at `path`, if it was loaded.
    pub fn get(&self, path: &Path) -> Option<&Arc<LoadedDocument>> {
        let canonical = self.files.canonicalize(path).ok()?;
        self.cache.get(&canonical)
    }

    /// Forgets the document at `path` (it changed) and every cached document that imports it,
    /// directly or through other documents (they hold the old version), so that the next load
    /// reads them again. Returns the [`Loader::key`]s of the files forgotten, `path`'s first (it
    /// is there even when it was not cached).
    pub fn forget(&mut self, path: &Path) -> Vec<PathBuf> {
        let changed = self.key(path);
        self.canonical_paths.retain(|_, c| *c != changed);
        let mut forgotten = Vec::new();
        let mut seen = HashSet::new();
        let mut queue = vec![changed];
        while let Some(key) = queue.pop() {
            if !seen.insert(key.clone()) {
                continue;
            }
            let importers = self.imports_of.iter().filter(|(_, imported)| imported.contains(&key)).map(|(importer, _)| importer.clone());
            queue.extend(importers);
            self.cache.remove(&key);
            self.imports_of.remove(&key);
            forgotten.push(key);
        }
        forgotten
    }

    /// The [`Loader::key`]s of every file that a document importing `locations` (as written in
    /// `importing_file`) depends on: the files they name and, through the cached documents, what
    /// those import in turn. Files that could not be loaded are included: creating one changes
    /// the analysis too.
    pub fn import_closure<'a>(&mut self, importing_file: &Path, locations: impl IntoIterator<Item = &'a str>) -> HashSet<PathBuf> {
        let mut closure = HashSet::new();
        let mut queue: Vec<PathBuf> = Vec::new();
        for location in locations {
            if let Ok(path) = resolve_location(importing_file, location) {
                queue.push(self.key(&path));
            }
        }
        while let Some(key) = queue.pop() {
            if let Some(imported) = self.imports_of.get(&key) {
                queue.extend(imported.iter().filter(|k| !closure.contains(*k)).cloned());
            }
            closure.insert(key);
        }
        closure
    }

    fn canonical(&mut self, path: &Path) -> Result<PathBuf, LoadError> {
        let normalized = normalize(path);
        if let Some(canonical) = self.canonical_paths.get(&normalized) {
            return Ok(canonical.clone());
        }
        let canonical = self.files.canonicalize(path).map_err(|source| io_error(path, source))?;
        self.canonical_paths.insert(normalized, canonical.clone());
        Ok(canonical)
    }

    fn reach(&mut self, path: &Path) -> Result<Reached, LoadError> {
        let canonical = self.canonical(path)?;
        if let Some(document) = self.cache.get(&canonical) {
            return Ok(Reached::Loaded(document.clone()));
        }
        if let Some((weak, kind)) = self.loading.get(&canonical) {
            return Ok(Reached::Loading(weak.clone(), *kind));
        }
        let text = self.files.read(&canonical).map_err(|error| read_error(path, error))?;
        let document = self.read(canonical.clone(), normalize(path), text);
        self.cache.insert(canonical, document.clone());
        Ok(Reached::Loaded(document))
    }

    fn read(&mut self, canonical: PathBuf, path: PathBuf, text: Arc<str>) -> Arc<LoadedDocument> {
        let file = self.sources.add(path.clone(), text.clone());
        let xml = parse_xml(&text);
        let mut diagnostics: Vec<Diagnostic> =
            xml.errors.iter().map(|e| Diagnostic::error(codes::XML_SYNTAX, file, e.span, e.message.clone())).collect();
        let root = xml.root.as_ref();
        let kind = match root {
            Some(root) if root.is(WSDL_NS, "definitions") => Some(ImportKind::Wsdl),
            Some(root) if root.is(XSD_NS, "schema") => Some(ImportKind::Schema),
            _ => None,
        };
        let (wsdl, schema) = match (kind, root) {
            (Some(ImportKind::Wsdl), Some(root)) => (Some(wsdl::read_definitions(file, &xml.scopes, root, &mut diagnostics)), None),
            (Some(ImportKind::Schema), Some(root)) => (None, Some(xsd::read_schema(file, &xml.scopes, root, &mut diagnostics))),
            (_, Some(root)) => {
                diagnostics.push(super::wrong_root(
                    file,
                    root,
                    "a WSDL 1.1 <definitions> or an XML Schema <schema>",
                    format!("WSDL 1.1 documents are in the namespace `{WSDL_NS}`, schemas in `{XSD_NS}`"),
                ));
                (None, None)
            }
            (_, None) => (None, None),
        };
        let nested = nested_imports(wsdl.as_ref(), schema.as_ref());

        Arc::new_cyclic(|weak| {
            self.loading.insert(canonical.clone(), (weak.clone(), kind));
            self.depth += 1;
            let mut imports: Vec<Arc<LoadedDocument>> = Vec::new();
            let mut cyclic_imports = Vec::new();
            let mut imported_keys = Vec::new();
            for import in &nested {
                match self.load_nested(file, &path, import, &mut diagnostics, &mut imported_keys) {
                    Some(Reached::Loaded(document)) if !imports.iter().any(|d| d.file == document.file) => imports.push(document),
                    Some(Reached::Loaded(_)) => {}
                    Some(Reached::Loading(weak, _)) => cyclic_imports.push(weak),
                    None => {}
                }
            }
            self.depth -= 1;
            self.loading.remove(&canonical);
            self.imports_of.insert(canonical.clone(), imported_keys);
            let index = DocumentIndex::build(wsdl.as_ref(), schema.as_ref());
            LoadedDocument { file, path, text, kind, wsdl, schema, diagnostics, imports, cyclic_imports, index }
        })
    }

    /// Loads one nested import and checks it against what the import says; problems are reported
    /// on the import element.
    fn load_nested(
        &mut self,
        file: FileId,
        importing_path: &Path,
        import: &NestedImport,
        diagnostics: &mut Vec<Diagnostic>,
        imported_keys: &mut Vec<PathBuf>,
    ) -> Option<Reached> {
        let location = &import.location.value;
        if self.depth > MAX_IMPORT_DEPTH {
            diagnostics.push(Diagnostic::error(
                codes::IMPORT_BROKEN,
                file,
                import.span,
                format!("imports nest more than {MAX_IMPORT_DEPTH} documents deep; `{location}` is not loaded"),
            ));
            return None;
        }
        let resolved = resolve_location(importing_path, location);
        if let Ok(path) = &resolved {
            let key = self.key(path);
            if !imported_keys.contains(&key) {
                imported_keys.push(key);
            }
        }
        let reached = match resolved.and_then(|path| self.reach(&path)) {
            Ok(reached) => reached,
            Err(error) => {
                diagnostics.push(
                    Diagnostic::error(codes::IMPORT_NOT_FOUND, file, import.span, format!("cannot import `{location}`: {error}"))
                        .with_help("a location is resolved relative to the folder of the importing file"),
                );
                return None;
            }
        };
        if import.via != Via::WsdlImport && reached.kind() == Some(ImportKind::Wsdl) {
            diagnostics.push(Diagnostic::error(
                codes::IMPORT_BROKEN,
                file,
                import.span,
                format!("`{location}` is a WSDL document; XML Schema imports, includes and redefines need a schema"),
            ));
            return None;
        }
        if let Reached::Loaded(document) = &reached {
            self.check_namespace(file, import, document, diagnostics);
            if let Some(first) = document.diagnostics.iter().find(|d| d.is_error()) {
                let count = document.diagnostics.iter().filter(|d| d.is_error()).count();
                let errors = if count == 1 { "1 error".to_string() } else { format!("{count} errors") };
                diagnostics.push(
                    Diagnostic::error(codes::IMPORT_BROKEN, file, import.span, format!("the imported document `{location}` has {errors}"))
                        .with_related(first.file, first.span, first.message.clone()),
                );
            }
        }
        Some(reached)
    }

    fn check_namespace(&self, file: FileId, import: &NestedImport, document: &LoadedDocument, diagnostics: &mut Vec<Diagnostic>) {
        if document.kind.is_none() {
            return;
        }
        let expected = import.namespace.as_ref().map(|n| n.value.as_str());
        let found = document.target_namespace();
        if expected == found {
            return;
        }
        let location = &import.location.value;
        let shown = |ns: Option<&str>| ns.map_or("no namespace".to_string(), |ns| format!("`{ns}`"));
        if import.via == Via::Include && found.is_none() {
            diagnostics.push(Diagnostic::warning(
                codes::IMPORT_UNSUPPORTED,
                file,
                import.span,
                format!(
                    "`{location}` has no target namespace and takes the including schema's ({}); such chameleon includes are not supported: its components stay in no namespace",
                    shown(expected)
                ),
            ));
            return;
        }
        diagnostics.push(
            Diagnostic::error(
                codes::IMPORT_BROKEN,
                file,
                import.namespace_span,
                format!("`{location}` has the target namespace {}, but is imported as {}", shown(found), shown(expected)),
            )
            .with_related(document.file, target_namespace_span(document), "the imported document's target namespace"),
        );
    }
}

fn target_namespace_span(document: &LoadedDocument) -> Span {
    let wsdl = document.wsdl.as_ref().and_then(|w| w.target_namespace.as_ref());
    let schema = document.schema.as_ref().and_then(|s| s.target_namespace.as_ref());
    wsdl.or(schema).map_or(Span::default(), |n| n.span)
}

fn nested_imports(wsdl: Option<&WsdlDocument>, schema: Option<&Schema>) -> Vec<NestedImport> {
    let mut out = Vec::new();
    if let Some(wsdl) = wsdl {
        for import in &wsdl.imports {
            if let Some(location) = &import.location {
                out.push(NestedImport {
                    span: import.span,
                    location: location.clone(),
                    via: Via::WsdlImport,
                    namespace: import.namespace.clone(),
                    namespace_span: import.namespace.as_ref().map_or(import.span, |n| n.span),
                });
            }
        }
    }
    let schemas = wsdl.map(|w| w.schemas.as_slice()).unwrap_or_default().iter().chain(schema);
    for schema in schemas {
        for import in &schema.imports {
            // An import without schemaLocation names a namespace that other loaded schemas provide.
            if let Some(location) = &import.schema_location {
                out.push(NestedImport {
                    span: import.span,
                    location: location.clone(),
                    via: Via::SchemaImport,
                    namespace: import.namespace.clone(),
                    namespace_span: import.namespace.as_ref().map_or(import.span, |n| n.span),
                });
            }
        }
        let includes = schema.includes.iter().map(|i| (i.span, &i.schema_location));
        let redefines = schema.redefines.iter().map(|r| (r.span, &r.schema_location));
        for (span, location) in includes.chain(redefines) {
            if let Some(location) = location {
                out.push(NestedImport {
                    span,
                    location: location.clone(),
                    via: Via::Include,
                    namespace: schema.target_namespace.clone(),
                    namespace_span: span,
                });
            }
        }
    }
    out
}

/// The file an import's `location` names, relative to the importing file's folder. A URL with a
/// scheme other than `file:` is a [`LoadError::Remote`].
pub fn resolve_location(importing_file: &Path, location: &str) -> Result<PathBuf, LoadError> {
    let location = location.trim();
    if let Some(scheme_end) = scheme_length(location) {
        let scheme = &location[..scheme_end];
        if !scheme.eq_ignore_ascii_case("file") {
            return Err(LoadError::Remote { location: location.to_string() });
        }
        let rest = &location[scheme_end + 1..];
        // file:///abs/path and file:/abs/path; a host other than localhost is remote.
        let path = match rest.strip_prefix("//") {
            Some(authority_and_path) => {
                let (host, path) = authority_and_path.split_at(authority_and_path.find('/').unwrap_or(authority_and_path.len()));
                if !host.is_empty() && host != "localhost" {
                    return Err(LoadError::Remote { location: location.to_string() });
                }
                path
            }
            None => rest,
        };
        return Ok(PathBuf::from(percent_decode(path)));
    }
    let base = importing_file.parent().unwrap_or(Path::new(""));
    Ok(base.join(percent_decode(location)))
}

/// The length of a URL scheme at the start of `text` (`http` in `http://...`). One letter is a
/// Windows drive, not a scheme.
fn scheme_length(text: &str) -> Option<usize> {
    let colon = text.find(':')?;
    let scheme = &text[..colon];
    let mut chars = scheme.chars();
    let valid = scheme.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(colon)
}

/// A path that a URL was joined into (`base/http://host/x.wsdl`): the URL, from its scheme on.
fn remote_location(path: &Path) -> Option<String> {
    let text = path.to_string_lossy();
    let mut offset = 0;
    for segment in text.split(['/', '\\']) {
        if let Some(length) = scheme_length(segment) {
            if length + 1 == segment.len() && !segment[..length].eq_ignore_ascii_case("file") {
                return Some(text[offset..].to_string());
            }
        }
        offset += segment.len() + 1;
    }
    None
}

fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// Removes `.` and resolves `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            PathComponent::CurDir => {}
            PathComponent::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn io_error(path: &Path, source: io::Error) -> LoadError {
    if source.kind() == io::ErrorKind::NotFound {
        LoadError::NotFound { path: path.to_path_buf(), source }
    } else {
        LoadError::Unreadable { path: path.to_path_buf(), source }
    }
}

fn read_error(path: &Path, error: ReadError) -> LoadError {
    match error {
        ReadError::Io(source) => io_error(path, source),
        ReadError::TooLarge { size } => LoadError::TooLarge { path: path.to_path_buf(), size },
        ReadError::Encoding => LoadError::Encoding { path: path.to_path_buf() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_relative_to_the_importing_file() {
        let importing = Path::new("/p/q/process.bpel");
        assert_eq!(resolve_location(importing, "../x.wsdl").unwrap(), PathBuf::from("/p/q/../x.wsdl"));
        assert_eq!(resolve_location(importing, "a%20b.xsd").unwrap(), PathBuf::from("/p/q/a b.xsd"));
        assert_eq!(resolve_location(importing, "file:///tmp/x.wsdl").unwrap(), PathBuf::from("/tmp/x.wsdl"));
        assert!(matches!(resolve_location(importing, "http://example.com/x.wsdl"), Err(LoadError::Remote { .. })));
        assert!(matches!(resolve_location(importing, "file://server/x.wsdl"), Err(LoadError::Remote { .. })));
        assert!(resolve_location(Path::new("/p/a.bpel"), "C:/x.wsdl").is_ok(), "a drive letter is not a scheme");
    }

    #[test]
    fn a_url_joined_into_a_path_is_remote() {
        let joined = Path::new("/p/q").join("https://example.com/a.wsdl");
        assert_eq!(remote_location(&joined).as_deref(), Some("https://example.com/a.wsdl"));
        assert_eq!(remote_location(Path::new("/p/q/a:b.wsdl")), None);
        assert_eq!(remote_location(Path::new("C:/p/a.wsdl")), None);
    }

    #[test]
    fn paths_are_normalized_lexically() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d.wsdl")), PathBuf::from("/a/c/d.wsdl"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }
}
