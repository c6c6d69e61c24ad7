//! The analysis worker: a thread of its own that owns the engine's [`Workspace`], so analysis never
//! runs on the message loop. When free it takes everything that changed since its last round, at
//! the documents' latest versions: a burst of edits is analysed once, an edit after a pause at once,
//! with no debounce delay. Results for a version that is no longer current are dropped.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use bpel_engine::check::{Analysis, Workspace};
use bpel_engine::parse::loader::ImportKind;
use bpel_engine::parse::Loader;
use tokio::sync::mpsc::UnboundedSender;
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::documents::DocumentKind;
use crate::state::Shared;
use crate::to_proto::{self, RuleDocs};

/// Diagnostics to publish, in the order the worker made them.
#[derive(Debug)]
pub struct Publication {
    pub uri: Uri,
    pub version: Option<i32>,
    pub diagnostics: Vec<lsp::Diagnostic>,
}

pub fn spawn(shared: Arc<Shared>, publish: UnboundedSender<Publication>, docs: RuleDocs) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("bpel-lsp-analysis".to_string()).spawn(move || Worker::new(shared, publish, docs).run())
}

/// An open document as the worker took it.
struct Taken {
    uri: Uri,
    path: PathBuf,
    kind: DocumentKind,
    version: i32,
}

struct Worker {
    shared: Arc<Shared>,
    publish: UnboundedSender<Publication>,
    docs: RuleDocs,
    /// The open processes, kept analysed, over the unsaved texts of every open document.
    workspace: Workspace,
    /// Open WSDL and XSD documents are checked on their own through this loader (a document no
    /// open process imports has diagnostics too).
    documents: Loader,
    /// The diagnostics the latest analysis of each open process made in other files (its
    /// imports: rules that check a WSDL in the process's context), by canonical path of that file.
    foreign: HashMap<PathBuf, Vec<(PathBuf, lsp::Diagnostic)>>,
    /// After a panic the worker starts over from the open texts.
    rebuild: bool,
}

impl Worker {
    fn new(shared: Arc<Shared>, publish: UnboundedSender<Publication>, docs: RuleDocs) -> Worker {
        Worker { shared, publish, docs, workspace: Workspace::new(), documents: Loader::new(), foreign: HashMap::new(), rebuild: false }
    }

    fn run(mut self) {
        loop {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let round = self.take()?;
                self.round(round);
                Some(())
            }));
            match outcome {
                Ok(Some(())) => {}
                Ok(None) => return,
                Err(_) => {
                    tracing::error!("the analysis panicked; starting over from the open documents at the next change");
                    self.rebuild = true;
                }
            }
        }
    }

    /// Takes the work that accumulated, holding the state's lock only while copying the texts,
    /// and puts it into the workspace and the loader.
    fn take(&mut self) -> Option<Round> {
        let mut state = self.shared.wait_for_work()?;
        let changed: Vec<Uri> = if self.rebuild {
            state.changed.clear();
            self.workspace = Workspace::new();
            self.documents = Loader::new();
            self.foreign.clear();
            self.rebuild = false;
            state.documents.keys().cloned().collect()
        } else {
            std::mem::take(&mut state.changed).into_iter().collect()
        };
        let closed = std::mem::take(&mut state.closed);
        let on_disk = std::mem::take(&mut state.on_disk);
        let texts: Vec<(PathBuf, DocumentKind, Arc<str>)> = changed
            .iter()
            .filter_map(|uri| {
                let document = state.documents.get(uri)?;
                Some((document.path.clone(), document.kind?, Arc::from(document.text.as_str())))
            })
            .collect();
        let open: Vec<Taken> = state
            .documents
            .iter()
            .filter_map(|(uri, document)| {
                Some(Taken { uri: uri.clone(), path: document.path.clone(), kind: document.kind?, version: document.version })
            })
            .collect();
        drop(state);

        let mut schemas_touched = false;
        for (path, kind, text) in texts {
            self.workspace.set_text(&path, text.clone());
            match kind {
                DocumentKind::Process => self.workspace.add_process(path),
                DocumentKind::Wsdl | DocumentKind::Schema => {
                    self.documents.set_text(&path, text);
                    schemas_touched = true;
                }
            }
        }
        for (_, path) in &closed {
            let still_open = open.iter().any(|taken| &taken.path == path);
            if !still_open {
                self.workspace.remove_process(path);
                self.workspace.clear_text(path);
                self.documents.clear_text(path);
                // A closed process no longer contributes diagnostics to the documents it imports.
                self.foreign.remove(path);
                schemas_touched = true;
            }
        }
        for path in &on_disk {
            self.workspace.file_changed(path);
            self.documents.forget(path);
            schemas_touched = true;
        }
        Some(Round { open, closed: closed.into_iter().map(|(uri, _)| uri).collect(), schemas_touched })
    }

    fn round(&mut self, round: Round) {
        for uri in round.closed {
            let reopened = round.open.iter().any(|taken| taken.uri == uri);
            if !reopened {
                self.send(Publication { uri, version: None, diagnostics: Vec::new() });
            }
        }
        let by_path: HashMap<&PathBuf, &Taken> = round.open.iter().map(|taken| (&taken.path, taken)).collect();
        let analysed = self.workspace.refresh();
        let any_analysed = !analysed.is_empty();
        for (path, analysis) in analysed {
            let Some(taken) = by_path.get(&path) else { continue };
            match analysis {
                Ok(analysis) => self.publish_process(taken, analysis),
                Err(error) => tracing::warn!("cannot analyse {}: {error}", path.display()),
            }
        }
        if round.schemas_touched || any_analysed {
            for taken in round.open.iter().filter(|taken| taken.kind != DocumentKind::Process) {
                self.publish_document(taken);
            }
        }
    }

    /// The diagnostics of a process's own file (those of its imports show on them when they are
    /// open, and as IMP0002 on the import).
    fn publish_process(&mut self, taken: &Taken, analysis: Arc<Analysis>) {
        let sources = self.workspace.sources();
        let mut diagnostics = Vec::new();
        let mut foreign = Vec::new();
        for diagnostic in analysis.diagnostics() {
            let converted = to_proto::diagnostic(sources, &self.docs, diagnostic);
            if diagnostic.file == analysis.unit.file {
                diagnostics.push(converted);
            } else {
                foreign.push((canonical(&sources.get(diagnostic.file).path), converted));
            }
        }
        self.foreign.insert(taken.path.clone(), foreign);
        let mut state = self.shared.lock();
        if state.version(&taken.uri) != Some(taken.version) {
            return;
        }
        if let Some(report) = state.current_run(&taken.uri) {
            diagnostics.extend(crate::run::diagnostics(sources.get(analysis.unit.file), report));
        }
        state.settings.apply(&mut diagnostics);
        state.analyses.insert(taken.uri.clone(), (taken.version, analysis));
        self.send(Publication { uri: taken.uri.clone(), version: Some(taken.version), diagnostics });
        drop(state);
        self.shared.notify_analysed();
    }

    /// An open WSDL or XSD document's own diagnostics, and those the analyses of open processes
    /// that import it made in it (as `bpel check` on those processes reports them).
    fn publish_document(&mut self, taken: &Taken) {
        let kind = if taken.kind == DocumentKind::Wsdl { ImportKind::Wsdl } else { ImportKind::Schema };
        let mut diagnostics: Vec<lsp::Diagnostic> = match self.documents.load(&taken.path, kind) {
            Ok(document) => {
                let own = document.diagnostics.iter().filter(|diagnostic| diagnostic.file == document.file);
                own.map(|diagnostic| to_proto::diagnostic(&self.documents.sources, &self.docs, diagnostic)).collect()
            }
            Err(error) => vec![lsp::Diagnostic {
                severity: Some(lsp::DiagnosticSeverity::ERROR),
                source: Some("bpel".to_string()),
                message: error.to_string(),
                ..lsp::Diagnostic::default()
            }],
        };
        let this = canonical(&taken.path);
        for (file, diagnostic) in self.foreign.values().flatten() {
            if *file == this && !diagnostics.contains(diagnostic) {
                diagnostics.push(diagnostic.clone());
            }
        }
        diagnostics.sort_by_key(|diagnostic| (diagnostic.range.start, diagnostic.range.end));
        let state = self.shared.lock();
        state.settings.apply(&mut diagnostics);
        if state.version(&taken.uri) == Some(taken.version) {
            self.send(Publication { uri: taken.uri.clone(), version: Some(taken.version), diagnostics });
        }
    }

    fn send(&self, publication: Publication) {
        // The receiver is gone only when the server is stopping.
        let _ = self.publish.send(publication);
    }
}

fn canonical(path: &std::path::Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

struct Round {
    open: Vec<Taken>,
    closed: Vec<Uri>,
    schemas_touched: bool,
}
