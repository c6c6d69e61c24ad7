//! Analyses of several processes kept current while texts change: what a long-lived host (the
//! language server, the REPL) stands on. One [`Loader`] serves every process, so a WSDL imported
//! by many is read once; a change to a file re-analyses exactly the processes that read it, the
//! process itself or any document in its import closure, and reuses every other analysis.
//!
//! Analyses are made when asked for ([`Workspace::analysis`], [`Workspace::refresh`]), never
//! ahead: a burst of edits costs one analysis per process affected.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{analyze, Analysis};
use crate::parse::Loader;
use crate::source::Sources;

/// Several processes, their analyses, and what each analysis read.
#[derive(Debug, Default)]
pub struct Workspace {
    loader: Loader,
    /// By the path the process was added with.
    processes: BTreeMap<PathBuf, Tracked>,
    analyses_run: u64,
}

#[derive(Debug, Default)]
struct Tracked {
    /// The current analysis; `None` until the first one and after a change that invalidates it.
    current: Option<Current>,
}

#[derive(Debug)]
struct Current {
    analysis: Arc<Analysis>,
    /// Which analysis of the workspace this is (1 for the first ever made).
    generation: u64,
    /// The [`Loader::key`] of the process file, and those of every file its imports name,
    /// transitively.
    reads: HashSet<PathBuf>,
}

impl Workspace {
    /// A workspace reading from disk.
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// A workspace reading through `loader` (which may hold unsaved texts already).
    pub fn with_loader(loader: Loader) -> Workspace {
        Workspace { loader, ..Workspace::default() }
    }

    /// Keeps the process at `path` analysed from now on (analysed when first asked for).
    pub fn add_process(&mut self, path: impl Into<PathBuf>) {
        self.processes.entry(path.into()).or_default();
    }

    /// Stops keeping the process at `path`. Whether it was kept.
    pub fn remove_process(&mut self, path: &Path) -> bool {
        self.processes.remove(path).is_some()
    }

    /// The processes kept, in path order.
    pub fn processes(&self) -> impl Iterator<Item = &Path> {
        self.processes.keys().map(PathBuf::as_path)
    }

    /// Takes `text` as the content of `path` (a process, WSDL or schema) instead of the file's, and
    /// invalidates the analyses that read it. Returns the processes invalidated.
    pub fn set_text(&mut self, path: &Path, text: impl Into<Arc<str>>) -> Vec<PathBuf> {
        let forgotten = self.loader.set_text(path, text);
        self.invalidate(&forgotten)
    }

    /// Drops the unsaved text of `path` (the file's shows again), invalidating like [`Workspace::set_text`].
    pub fn clear_text(&mut self, path: &Path) -> Vec<PathBuf> {
        let forgotten = self.loader.clear_text(path);
        self.invalidate(&forgotten)
    }

    /// The file at `path` changed (or appeared, or went) on disk: invalidates the analyses that
    /// read it. Returns the processes invalidated.
    pub fn file_changed(&mut self, path: &Path) -> Vec<PathBuf> {
        let forgotten = self.loader.forget(path);
        self.invalidate(&forgotten)
    }

    /// The current analysis of the process at `path`, made now if it has none; a process analysed
    /// is kept from then on. Only a process file that cannot be read is an `Err`.
    pub fn analysis(&mut self, path: &Path) -> io::Result<Arc<Analysis>> {
        if let Some(current) = self.processes.get(path).and_then(|tracked| tracked.current.as_ref()) {
            return Ok(current.analysis.clone());
        }
        // Apache ODE's dialect beside a deploy.xml, as `bpel check` and `bpel serve` read it
        let folder = path.parent().unwrap_or(Path::new("."));
        self.loader.dialect = crate::parse::Dialect::of_folder(&mut self.loader, folder);
        let analysis = Arc::new(analyze(&mut self.loader, path)?);
        let reads = self.reads(path, &analysis);
        self.analyses_run += 1;
        let current = Current { analysis: analysis.clone(), generation: self.analyses_run, reads };
        self.processes.entry(path.to_path_buf()).or_default().current = Some(current);
        Ok(analysis)
    }

    /// Analyses every kept process that has no current analysis. Returns those analysed, each with
    /// its analysis or why its file could not be read.
    pub fn refresh(&mut self) -> Vec<(PathBuf, io::Result<Arc<Analysis>>)> {
        let stale: Vec<PathBuf> = self.processes.iter().filter(|(_, t)| t.current.is_none()).map(|(path, _)| path.clone()).collect();
        stale
            .into_iter()
            .map(|path| {
                let analysis = self.analysis(&path);
                (path, analysis)
            })
            .collect()
    }

    /// Which analysis of the workspace the current one of `path` is (they are numbered from 1 in
    /// the order they were made); `None` when it has none.
    pub fn generation(&self, path: &Path) -> Option<u64> {
        self.processes.get(path)?.current.as_ref().map(|current| current.generation)
    }

    /// How many analyses the workspace has made.
    pub fn analyses_run(&self) -> u64 {
        self.analyses_run
    }

    pub fn loader(&self) -> &Loader {
        &self.loader
    }

    /// The texts the diagnostics of the current analyses point into.
    pub fn sources(&self) -> &Sources {
        &self.loader.sources
    }

    /// What the analysis of the process at `path` read: the process file and its import closure.
    fn reads(&mut self, path: &Path, analysis: &Analysis) -> HashSet<PathBuf> {
        let imports = analysis.unit.process.iter().flat_map(|process| &process.imports);
        let locations = imports.filter_map(|import| import.location.as_ref().map(|location| location.value.as_str()));
        let mut reads = self.loader.import_closure(path, locations);
        reads.insert(self.loader.key(path));
        reads
    }

    /// Drops the analyses that read any of `changed` (loader keys). Returns their processes.
    fn invalidate(&mut self, changed: &[PathBuf]) -> Vec<PathBuf> {
        let mut invalidated = Vec::new();
        for (path, tracked) in &mut self.processes {
            let stale = tracked.current.as_ref().is_some_and(|current| changed.iter().any(|key| current.reads.contains(key)));
            if stale {
                tracked.current = None;
                invalidated.push(path.clone());
            }
        }
        invalidated
    }
}
