//! The state the message loop and the analysis worker share: the open documents, what changed
//! since the worker last looked, and the latest analysis of each open process.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bpel_engine::check::Analysis;
use bpel_engine::exec::run_in_place::RunReport;
use tower_lsp_server::ls_types::Uri;

use crate::documents::{Document, DocumentKind};
use crate::settings::Settings;

#[derive(Default)]
pub struct Shared {
    state: Mutex<State>,
    /// Signalled when there is work for the analysis worker.
    work: Condvar,
    /// Signalled when an analysis was stored.
    analysed: Condvar,
}

#[derive(Default)]
pub struct State {
    pub documents: HashMap<Uri, Document>,
    /// Documents whose text changed (or that were opened) since the worker last took its work.
    pub changed: BTreeSet<Uri>,
    /// Documents closed since then, with their paths.
    pub closed: Vec<(Uri, PathBuf)>,
    /// Files changed on disk (`workspace/didChangeWatchedFiles`).
    pub on_disk: Vec<PathBuf>,
    /// The latest analysis of each open process, and the version of the text it analysed.
    pub analyses: HashMap<Uri, (i32, Arc<Analysis>)>,
    /// The last run in place of each open process (shown while the text is the one it ran on).
    pub runs: HashMap<Uri, RunView>,
    /// The client's settings as last received.
    pub settings: Settings,
    pub stopping: bool,
}

/// What the editor shows of a process's last run: spans in the text of `version`.
#[derive(Clone, Debug)]
pub struct RunView {
    pub version: i32,
    pub report: RunReport,
}

impl State {
    pub fn has_work(&self) -> bool {
        !self.changed.is_empty() || !self.closed.is_empty() || !self.on_disk.is_empty()
    }

    /// Takes new settings; every open document is analysed and published again under them.
    pub fn set_settings(&mut self, settings: Settings) {
        if settings != self.settings {
            self.settings = settings;
            self.changed.extend(self.documents.keys().cloned());
        }
    }

    pub fn version(&self, uri: &Uri) -> Option<i32> {
        self.documents.get(uri).map(|document| document.version)
    }

    /// The last run of `uri`, if the document has not changed since.
    pub fn current_run(&self, uri: &Uri) -> Option<&RunReport> {
        let run = self.runs.get(uri)?;
        (self.version(uri) == Some(run.version)).then_some(&run.report)
    }
}

impl Shared {
    /// The state, also after a panic elsewhere poisoned the lock: every change to it is a whole
    /// assignment or insertion, so what a panic leaves is consistent.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the state and wakes the worker.
    pub fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.lock());
        self.work.notify_all();
    }

    pub fn stop(&self) {
        self.update(|state| state.stopping = true);
    }

    /// Waits until there is work (`Some`, the state locked) or the server stops (`None`).
    pub fn wait_for_work(&self) -> Option<MutexGuard<'_, State>> {
        let mut state = self.lock();
        while !state.has_work() && !state.stopping {
            state = self.work.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        (!state.stopping).then_some(state)
    }

    pub fn notify_analysed(&self) {
        self.analysed.notify_all();
    }

    /// An analysis of an open process that read the open document `uri` (a WSDL or XSD it
    /// imports) with the text the editor has now, and that document's id in it.
    pub fn importer_of(&self, uri: &Uri) -> Option<(Arc<Analysis>, bpel_engine::source::FileId)> {
        let state = self.lock();
        let document = state.documents.get(uri)?;
        let wanted = document.path.canonicalize().unwrap_or_else(|_| document.path.clone());
        state.analyses.values().find_map(|(_, analysis)| {
            let imported = analysis.unit.definitions.documents().iter().find(|imported| {
                imported.path.canonicalize().unwrap_or_else(|_| imported.path.clone()) == wanted && *imported.text == *document.text
            })?;
            Some((analysis.clone(), imported.file))
        })
    }

    /// The analysis of the open process `uri` at its current version, waiting up to `patience`
    /// for the worker to make it; after that, the latest one (an older version) if any. `None` at
    /// once for a document that is not an open process.
    pub fn current_analysis(&self, uri: &Uri, patience: Duration) -> Option<Arc<Analysis>> {
        let deadline = Instant::now() + patience;
        let mut state = self.lock();
        loop {
            let document = state.documents.get(uri)?;
            if document.kind != Some(DocumentKind::Process) {
                return None;
            }
            let wanted = document.version;
            let latest = state.analyses.get(uri).cloned();
            let now = Instant::now();
            match latest {
                Some((version, analysis)) if version >= wanted || now >= deadline => return Some(analysis),
                None if now >= deadline => return None,
                _ => {}
            }
            state = self.analysed.wait_timeout(state, deadline - now).unwrap_or_else(|poisoned| poisoned.into_inner()).0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpel_engine::check::analyze_text;
    use bpel_engine::parse::Loader;
    use std::path::Path;

    fn uri(path: &str) -> Uri {
        format!("file://{path}").parse().unwrap()
    }

    #[test]
    fn a_query_waits_for_the_current_version_and_not_for_what_is_never_analysed() {
        let shared = Arc::new(Shared::default());
        let (process, wsdl) = (uri("/p/a.bpel"), uri("/p/a.wsdl"));
        shared.update(|state| {
            state.documents.insert(process.clone(), Document::new("/p/a.bpel".into(), 2, "<process/>".into()));
            state.documents.insert(wsdl.clone(), Document::new("/p/a.wsdl".into(), 1, String::new()));
        });
        let started = Instant::now();
        assert!(shared.current_analysis(&wsdl, Duration::from_secs(10)).is_none());
        assert!(shared.current_analysis(&uri("/p/closed.bpel"), Duration::from_secs(10)).is_none());
        assert!(started.elapsed() < Duration::from_secs(5));

        let analysis = Arc::new(analyze_text(&mut Loader::new(), Path::new("/p/a.bpel"), "<process/>"));
        let old = analysis.clone();
        shared.update(|state| _ = state.analyses.insert(process.clone(), (1, old)));
        // Version 1 is stale: the query waits for version 2, which a "worker" stores meanwhile.
        let worker = {
            let (shared, process, analysis) = (shared.clone(), process.clone(), analysis.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                shared.lock().analyses.insert(process, (2, analysis));
                shared.notify_analysed();
            })
        };
        let asked = Instant::now();
        assert!(shared.current_analysis(&process, Duration::from_secs(10)).is_some());
        assert!(asked.elapsed() < Duration::from_secs(5), "answered when version 2 came, not at its patience's end");
        worker.join().unwrap();
        assert_eq!(shared.lock().analyses[&process].0, 2);
        // Past its patience a query takes the latest analysis there is.
        shared.update(|state| state.documents.get_mut(&process).unwrap().version = 3);
        assert!(shared.current_analysis(&process, Duration::from_millis(10)).is_some());
    }
}
