//! The LSP face: tower-lsp-server's `LanguageServer`. Notifications update the shared state under
//! its lock and return; analysis happens on the worker thread, queries on tokio's blocking pool.
//!
//! Order: tower-lsp-server starts the handlers of incoming messages in arrival order and may run
//! them concurrently; the notification handlers here do their whole work before their first
//! `.await` (none has one), so text changes apply in the order they were sent.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};
use tower_lsp_server::{NotCancellable, OngoingProgress, Unbounded};

use crate::documents::Document;
use crate::queries;
use crate::run::{self, LastRuns};
use crate::settings::Settings;
use crate::state::Shared;

/// How long a query waits for the analysis of the document's current version before it answers
/// from the latest one.
const ANALYSIS_PATIENCE: Duration = Duration::from_secs(5);

/// LSP's `RequestFailed`: a well-formed request that failed for a reason of its own.
const REQUEST_FAILED: i64 = -32803;

pub struct Backend {
    client: Client,
    shared: Arc<Shared>,
    /// Whether a `shutdown` request came (the exit code after `exit` says so).
    pub(crate) shut_down: Arc<AtomicBool>,
    /// Whether the client can have `workspace/didChangeWatchedFiles` registered dynamically.
    watch_files: AtomicBool,
    /// Whether the client takes completion items in snippet syntax.
    snippets: Arc<AtomicBool>,
    /// The checkpoints of each process's last run in place.
    last_runs: Arc<LastRuns>,
    /// Whether the client takes server-created `$/progress` tokens (`window.workDoneProgress`).
    work_done_progress: AtomicBool,
    /// Numbers the progress tokens of runs.
    runs_started: AtomicU64,
    /// Whether the client answers `workspace/configuration`.
    pull_configuration: AtomicBool,
    /// What was wrong with the initialization options, shown once the client is initialized.
    initial_problems: std::sync::Mutex<Vec<String>>,
}

impl Backend {
    pub fn new(client: Client, shared: Arc<Shared>, shut_down: Arc<AtomicBool>) -> Backend {
        Backend {
            client,
            shared,
            shut_down,
            watch_files: AtomicBool::new(false),
            snippets: Arc::new(AtomicBool::new(false)),
            last_runs: Arc::default(),
            work_done_progress: AtomicBool::new(false),
            runs_started: AtomicU64::new(0),
            pull_configuration: AtomicBool::new(false),
            initial_problems: std::sync::Mutex::default(),
        }
    }

    /// Runs a notification's state change; a panic in it is logged and the server goes on.
    fn notification(&self, method: &str, change: impl FnOnce(&Shared)) {
        if catch_unwind(AssertUnwindSafe(|| change(&self.shared))).is_err() {
            tracing::error!("{method} panicked; the notification was ignored");
        }
    }

    /// Runs a query on the blocking pool; a panic becomes an internal-error response.
    async fn query<T: Send + 'static>(&self, method: &'static str, query: impl FnOnce(&Shared) -> T + Send + 'static) -> Result<T> {
        let shared = self.shared.clone();
        guarded(method, tokio::task::spawn_blocking(move || query(&shared)).await.map_err(|error| error.is_panic()))
    }

    /// Takes the settings in `value` (see `settings`); what was wrong with them is shown to the user.
    async fn take_settings(&self, value: &serde_json::Value) {
        let (settings, problems) = Settings::read(value);
        self.notification("settings", |shared| shared.update(|state| state.set_settings(settings)));
        self.show_setting_problems(problems).await;
    }

    async fn show_setting_problems(&self, problems: Vec<String>) {
        for problem in problems {
            tracing::warn!("{problem}");
            self.client.show_message(MessageType::WARNING, problem).await;
        }
    }

    /// Asks the client for the `bpel` section of its configuration, when it offers that.
    async fn pull_settings(&self) {
        if !self.pull_configuration.load(Ordering::Relaxed) {
            return;
        }
        let item = ConfigurationItem { scope_uri: None, section: Some("bpel".to_string()) };
        match self.client.configuration(vec![item]).await {
            Ok(mut values) if !values.is_empty() => self.take_settings(&values.swap_remove(0)).await,
            Ok(_) => {}
            Err(error) => tracing::info!("the client did not give its configuration: {error}"),
        }
    }

    /// A `$/progress` begun for a run, when the client declared `window.workDoneProgress` and
    /// accepted the token.
    async fn begin_run_progress(&self) -> Option<OngoingProgress<Unbounded, NotCancellable>> {
        if !self.work_done_progress.load(Ordering::Relaxed) {
            return None;
        }
        let token = NumberOrString::String(format!("bpel.run/{}", self.runs_started.fetch_add(1, Ordering::Relaxed)));
        if let Err(error) = self.client.create_work_done_progress(token.clone()).await {
            tracing::info!("the client refused a progress token: {error}");
            return None;
        }
        Some(self.client.progress(token, "Running the process").begin().await)
    }
}

/// The answer of a query that may have panicked (`Err(true)`) or been cancelled (`Err(false)`).
pub(crate) fn guarded<T>(method: &str, outcome: std::result::Result<T, bool>) -> Result<T> {
    outcome.map_err(|panicked| {
        if panicked {
            tracing::error!("{method} panicked; answered with an internal error");
        }
        Error {
            code: ErrorCode::InternalError,
            message: format!("internal error in {method}: the server logged it and goes on").into(),
            data: None,
        }
    })
}

/// The path and current text of an open process, WSDL or XSD document.
fn open_document(shared: &Shared, uri: &Uri) -> Option<(std::path::PathBuf, String)> {
    let state = shared.lock();
    let document = state.documents.get(uri).filter(|document| document.kind.is_some())?;
    Some((document.path.clone(), document.text.clone()))
}

fn file_path(uri: &Uri) -> Option<std::path::PathBuf> {
    (uri.scheme().as_str() == "file").then(|| uri.to_file_path().map(|path| path.into_owned())).flatten()
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let dynamic_watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.did_change_watched_files.as_ref())
            .and_then(|watched| watched.dynamic_registration)
            .unwrap_or(false);
        self.watch_files.store(dynamic_watch, Ordering::Relaxed);
        let snippets = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|text| text.completion.as_ref())
            .and_then(|completion| completion.completion_item.as_ref())
            .and_then(|item| item.snippet_support)
            .unwrap_or(false);
        self.snippets.store(snippets, Ordering::Relaxed);
        let progress = params.capabilities.window.as_ref().and_then(|window| window.work_done_progress).unwrap_or(false);
        self.work_done_progress.store(progress, Ordering::Relaxed);
        let pull = params.capabilities.workspace.as_ref().and_then(|workspace| workspace.configuration).unwrap_or(false);
        self.pull_configuration.store(pull, Ordering::Relaxed);
        let (settings, problems) = Settings::read(params.initialization_options.as_ref().unwrap_or(&serde_json::Value::Null));
        self.shared.update(|state| state.set_settings(settings));
        *self.initial_problems.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = problems;
        let sync = TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            ..TextDocumentSyncOptions::default()
        };
        Ok(InitializeResult {
            server_info: Some(ServerInfo { name: "bpel".to_string(), version: Some(env!("CARGO_PKG_VERSION").to_string()) }),
            capabilities: ServerCapabilities {
                position_encoding: Some(PositionEncodingKind::UTF16),
                text_document_sync: Some(TextDocumentSyncCapability::Options(sync)),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_highlight_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Left(true)),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                inlay_hint_provider: Some(OneOf::Left(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(["<", "\"", "$", ".", ":", " "].map(String::from).to_vec()),
                    ..CompletionOptions::default()
                }),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
                code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
                code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: vec![run::RUN.to_string(), run::SAVE_CHECKPOINT.to_string(), queries::EXPLAIN_RULE.to_string()],
                    ..ExecuteCommandOptions::default()
                }),
                document_link_provider: Some(DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: Default::default(),
                }),
                linked_editing_range_provider: Some(LinkedEditingRangeServerCapabilities::Simple(true)),
                document_on_type_formatting_provider: Some(DocumentOnTypeFormattingOptions {
                    first_trigger_character: ">".to_string(),
                    more_trigger_character: None,
                }),
                document_formatting_provider: Some(OneOf::Left(true)),
                document_range_formatting_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
                    legend: SemanticTokensLegend { token_types: queries::SEMANTIC_TOKEN_TYPES.to_vec(), token_modifiers: Vec::new() },
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: Default::default(),
                })),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let problems = std::mem::take(&mut *self.initial_problems.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        self.show_setting_problems(problems).await;
        self.pull_settings().await;
        if !self.watch_files.load(Ordering::Relaxed) {
            return;
        }
        let watchers = ["**/*.bpel", "**/*.wsdl", "**/*.xsd"]
            .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String(glob.to_string()), kind: None })
            .to_vec();
        let options = serde_json::to_value(DidChangeWatchedFilesRegistrationOptions { watchers }).ok();
        let registration = Registration {
            id: "bpel-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: options,
        };
        if let Err(error) = self.client.register_capability(vec![registration]).await {
            tracing::warn!("the client refused to watch files: {error}");
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down.store(true, Ordering::SeqCst);
        self.shared.stop();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let Some(path) = file_path(&item.uri) else {
            tracing::info!("not analysing {}: not a file URI", item.uri.as_str());
            return;
        };
        self.notification("textDocument/didOpen", |shared| {
            shared.update(|state| {
                state.documents.insert(item.uri.clone(), Document::new(path, item.version, item.text));
                state.changed.insert(item.uri);
            })
        });
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        self.notification("textDocument/didChange", |shared| {
            shared.update(|state| {
                let Some(document) = state.documents.get_mut(&uri) else {
                    tracing::warn!("didChange for {}, which is not open", uri.as_str());
                    return;
                };
                if version <= document.version {
                    tracing::warn!("didChange for {} at version {version}, not after {}", uri.as_str(), document.version);
                }
                document.apply(version, params.content_changes);
                // What the editor shows of the last run belongs to the text it ran on.
                state.runs.remove(&uri);
                state.changed.insert(uri);
            })
        });
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.notification("textDocument/didClose", |shared| {
            shared.update(|state| {
                state.changed.remove(&uri);
                state.analyses.remove(&uri);
                state.runs.remove(&uri);
                if let Some(document) = state.documents.remove(&uri) {
                    state.closed.push((uri, document.path));
                }
            })
        });
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        // Clients that pull send an empty notification as a signal to ask again.
        let pushed = params.settings.as_object().is_some_and(|settings| !settings.is_empty());
        if pushed || !self.pull_configuration.load(Ordering::Relaxed) {
            self.take_settings(&params.settings).await;
        } else {
            self.pull_settings().await;
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let paths: Vec<_> = params.changes.iter().filter_map(|change| file_path(&change.uri)).collect();
        self.notification("workspace/didChangeWatchedFiles", |shared| shared.update(|state| state.on_disk.extend(paths)));
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let uri = params.text_document.uri;
        self.query("textDocument/documentSymbol", move |shared| {
            let analysis = shared.current_analysis(&uri, ANALYSIS_PATIENCE)?;
            queries::document_symbols(&analysis, analysis.unit.file)
        })
        .await
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        self.query("workspace/symbol", move |shared| {
            let analyses: Vec<Arc<bpel_engine::check::Analysis>> = shared.lock().analyses.values().map(|(_, a)| a.clone()).collect();
            Some(WorkspaceSymbolResponse::Flat(queries::workspace_symbols(analyses.iter().map(|a| &**a), &params.query)))
        })
        .await
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        self.query("textDocument/definition", move |shared| {
            let analysis = shared.current_analysis(&at.text_document.uri, ANALYSIS_PATIENCE)?;
            queries::definition(&analysis, at.position)
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let at = params.text_document_position;
        let include_declaration = params.context.include_declaration;
        self.query("textDocument/references", move |shared| {
            let analysis = shared.current_analysis(&at.text_document.uri, ANALYSIS_PATIENCE)?;
            queries::references(&analysis, at.position, include_declaration)
        })
        .await
    }

    async fn document_highlight(&self, params: DocumentHighlightParams) -> Result<Option<Vec<DocumentHighlight>>> {
        let at = params.text_document_position_params;
        self.query("textDocument/documentHighlight", move |shared| {
            let analysis = shared.current_analysis(&at.text_document.uri, ANALYSIS_PATIENCE)?;
            queries::highlights(&analysis, at.position)
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let at = params.text_document_position;
        let new_name = params.new_name;
        let answer = self
            .query("textDocument/rename", move |shared| match shared.current_analysis(&at.text_document.uri, ANALYSIS_PATIENCE) {
                Some(analysis) => queries::rename(&analysis, at.position, &new_name),
                None => Ok(None),
            })
            .await?;
        // a refused rename is an error the editor shows, with the engine's reason
        answer.map_err(|reason| Error { code: ErrorCode::InvalidParams, message: reason.into(), data: None })
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        self.query("textDocument/hover", move |shared| {
            let analysis = shared.current_analysis(&at.text_document.uri, ANALYSIS_PATIENCE)?;
            let disabled = shared.lock().settings.disabled.clone();
            let mut hover = queries::hover(&analysis, at.position, &disabled)?;
            let state = shared.lock();
            let analysed_current = state
                .analyses
                .get(&at.text_document.uri)
                .is_some_and(|(version, _)| Some(*version) == state.version(&at.text_document.uri));
            if let (true, Some(report)) = (analysed_current, state.current_run(&at.text_document.uri)) {
                let offset = queries::source_file(&analysis, analysis.unit.file).map(|file| crate::to_proto::offset(&file, at.position));
                let value = offset.and_then(|offset| run::variable_value(&analysis, offset, report));
                if let (Some(value), HoverContents::Markup(markup)) = (value, &mut hover.contents) {
                    markup.value.push_str("\n\n---\n\n");
                    markup.value.push_str(&value);
                }
            }
            Some(hover)
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let at = params.text_document_position;
        let snippets = self.snippets.load(Ordering::Relaxed);
        self.query("textDocument/completion", move |shared| {
            let analysis = shared.current_analysis(&at.text_document.uri, ANALYSIS_PATIENCE)?;
            queries::completion(&analysis, at.position, snippets)
        })
        .await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let uri = params.text_document.uri;
        self.query("textDocument/foldingRange", move |shared| {
            let analysis = shared.current_analysis(&uri, ANALYSIS_PATIENCE)?;
            queries::folding_ranges(&analysis)
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let uri = params.text_document.uri;
        self.query("textDocument/codeLens", move |shared| {
            let state = shared.lock();
            let document = state.documents.get(&uri)?;
            let scenarios = state.settings.scenario_folder_of(&document.path);
            (document.kind == Some(crate::documents::DocumentKind::Process))
                .then(|| run::code_lenses(&document.path, &document.text, scenarios.as_deref()))
        })
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<serde_json::Value>> {
        if params.command == queries::EXPLAIN_RULE {
            return match queries::explain_rule(&params.arguments) {
                Ok((explanation, message)) => {
                    // for clients that do nothing with the result
                    self.client.show_message(MessageType::INFO, message).await;
                    Ok(Some(explanation))
                }
                Err(reason) => Err(Error { code: ErrorCode::InvalidParams, message: reason.into(), data: None }),
            };
        }
        let last_runs = self.last_runs.clone();
        let command = params.command;
        let arguments = params.arguments;
        let progress = match command.as_str() {
            run::RUN => self.begin_run_progress().await,
            _ => None,
        };
        let (steps, mut reported) = tokio::sync::mpsc::unbounded_channel::<String>();
        let shared = self.shared.clone();
        let timeout = shared.lock().settings.run_timeout;
        let late = Arc::new(AtomicBool::new(false));
        let run_is_late = late.clone();
        // Started at once, so the steps can be reported while it runs.
        let running = tokio::task::spawn_blocking(move || match command.as_str() {
            run::RUN => run::run(&shared, &last_runs, &arguments, &run_is_late, |step| _ = steps.send(step.description.clone())),
            run::SAVE_CHECKPOINT => run::save_checkpoint(&last_runs, &arguments),
            other => Err(format!(
                "unknown command `{other}` (this server offers {}, {} and {})",
                run::RUN,
                run::SAVE_CHECKPOINT,
                queries::EXPLAIN_RULE
            )),
        });
        let finished = tokio::time::timeout(timeout, async {
            // Ends when the run drops its sender: done, failed or panicked.
            while let Some(step) = reported.recv().await {
                if let Some(progress) = &progress {
                    progress.report(step).await;
                }
            }
            running.await
        })
        .await;
        if let Some(progress) = progress {
            progress.finish().await;
        }
        let Ok(outcome) = finished else {
            // The engine's run is bounded (steps, virtual time) and ends by itself; what it makes
            // is then dropped, not shown.
            late.store(true, Ordering::SeqCst);
            let message = format!("the run did not finish within {} s (setting bpel.run.timeoutSeconds)", timeout.as_secs_f64());
            return Err(Error { code: ErrorCode::ServerError(REQUEST_FAILED), message: message.into(), data: None });
        };
        let answer = guarded("workspace/executeCommand", outcome.map_err(|error| error.is_panic()))?;
        answer.map(Some).map_err(|reason| Error { code: ErrorCode::InvalidParams, message: reason.into(), data: None })
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let uri = params.text_document.uri;
        let range = params.range;
        self.query("textDocument/inlayHint", move |shared| {
            let state = shared.lock();
            let report = state.current_run(&uri)?;
            // The report's spans are in the text it ran on, which is the document's current one.
            let document = state.documents.get(&uri)?;
            let text: Arc<str> = Arc::from(document.text.as_str());
            let file = bpel_engine::source::SourceFile {
                path: document.path.clone(),
                line_index: Arc::new(bpel_engine::LineIndex::new(&text)),
                text,
            };
            let hints = run::inlay_hints(&file, report);
            Some(hints.into_iter().filter(|hint| range.start <= hint.position && hint.position <= range.end).collect())
        })
        .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        let range = params.range;
        let only = params.context.only;
        self.query("textDocument/codeAction", move |shared| {
            let analysis = shared.current_analysis(&uri, ANALYSIS_PATIENCE)?;
            let disabled = shared.lock().settings.disabled.clone();
            let candidates = if queries::wants_import_candidates(&analysis, range) {
                // the editor's texts of the documents beside the process, taken before reading the disk
                let folder = analysis.unit.path.parent().map(std::path::Path::to_path_buf);
                let open: Vec<(std::path::PathBuf, String)> = shared
                    .lock()
                    .documents
                    .values()
                    .filter(|document| document.path.parent() == folder.as_deref())
                    .map(|document| (document.path.clone(), document.text.clone()))
                    .collect();
                queries::import_candidates(&analysis.unit.path, |path| open.iter().find(|(p, _)| p == path).map(|(_, text)| text.clone()))
            } else {
                Vec::new()
            };
            queries::code_actions(&analysis, range, &candidates, &disabled, only.as_deref())
        })
        .await
    }

    async fn selection_range(&self, params: SelectionRangeParams) -> Result<Option<Vec<SelectionRange>>> {
        let uri = params.text_document.uri;
        let positions = params.positions;
        self.query("textDocument/selectionRange", move |shared| {
            let analysis = shared.current_analysis(&uri, ANALYSIS_PATIENCE)?;
            queries::selection_ranges(&analysis, &positions)
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let uri = params.text_document.uri;
        self.query("textDocument/documentLink", move |shared| {
            let (path, text) = open_document(shared, &uri)?;
            Some(queries::document_links(&path, &text))
        })
        .await
    }

    async fn linked_editing_range(&self, params: LinkedEditingRangeParams) -> Result<Option<LinkedEditingRanges>> {
        let at = params.text_document_position_params;
        self.query("textDocument/linkedEditingRange", move |shared| {
            let (path, text) = open_document(shared, &at.text_document.uri)?;
            queries::linked_editing_ranges(&path, &text, at.position)
        })
        .await
    }

    async fn on_type_formatting(&self, params: DocumentOnTypeFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let at = params.text_document_position;
        let typed = params.ch;
        self.query("textDocument/onTypeFormatting", move |shared| {
            let (path, text) = open_document(shared, &at.text_document.uri)?;
            queries::on_type_formatting(&path, &text, at.position, &typed)
        })
        .await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let uri = params.text_document.uri;
        let options = params.options;
        self.query("textDocument/formatting", move |shared| {
            let (path, text) = open_document(shared, &uri)?;
            queries::formatting(&path, &text, &options, None)
        })
        .await
    }

    async fn range_formatting(&self, params: DocumentRangeFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let uri = params.text_document.uri;
        let (options, range) = (params.options, params.range);
        self.query("textDocument/rangeFormatting", move |shared| {
            let (path, text) = open_document(shared, &uri)?;
            queries::formatting(&path, &text, &options, Some(range))
        })
        .await
    }

    async fn semantic_tokens_full(&self, params: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        let uri = params.text_document.uri;
        self.query("textDocument/semanticTokens/full", move |shared| {
            if let Some(analysis) = shared.current_analysis(&uri, ANALYSIS_PATIENCE) {
                return queries::semantic_tokens(&analysis, analysis.unit.file).map(SemanticTokensResult::Tokens);
            }
            // A WSDL document: its property alias queries, as an open process importing it read them.
            let (analysis, file) = shared.importer_of(&uri)?;
            queries::semantic_tokens(&analysis, file).map(SemanticTokensResult::Tokens)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_panicking_query_becomes_an_internal_error_and_the_next_one_is_answered() {
        let panicking = tokio::task::spawn_blocking(|| -> u32 { panic!("a query that breaks") });
        let answer = guarded("test/panic", panicking.await.map_err(|error| error.is_panic()));
        let error = answer.expect_err("a panic is an error response");
        assert_eq!(error.code, ErrorCode::InternalError);
        assert!(error.message.contains("test/panic"));
        let next = guarded("test/ok", tokio::task::spawn_blocking(|| 7).await.map_err(|error| error.is_panic()));
        assert_eq!(next.unwrap(), 7);
    }
}
