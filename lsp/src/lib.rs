//! bpel-lsp: the language server, a thin face over bpel-engine (`bpel lsp`, LSP over stdio).
//!
//! Diagnostics (those of `bpel check`) for open processes and open WSDL/XSD documents, re-checked
//! when an imported document changes in the editor or on disk; navigation, rename, completion,
//! hover, code actions, symbols, XML editing, semantic tokens; run in place (`bpel.run`,
//! `bpel.saveCheckpoint`) with its result shown in the editor; settings. Analysis runs on a worker
//! thread of its own (`analysis`), coalescing bursts of edits; queries run on tokio's blocking pool
//! (`queries`, over the engine's `ide` queries). The server advertises only what it implements.

mod analysis;
mod documents;
pub mod queries;
mod run;
mod server;
pub mod settings;
mod state;
pub mod to_proto;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tower_lsp_server::{LspService, Server};

pub use documents::{Document, DocumentKind};

/// How the session ended, for the exit code (LSP: 0 after `shutdown` then `exit`, else 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    AfterShutdown,
    WithoutShutdown,
}

/// Serves LSP over stdin/stdout until `exit` or the end of stdin.
pub fn serve_stdio() -> std::io::Result<Ended> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let shared = Arc::new(state::Shared::default());
    let shut_down = Arc::new(AtomicBool::new(false));
    let (publish, mut publications) = tokio::sync::mpsc::unbounded_channel::<analysis::Publication>();
    let worker = analysis::spawn(shared.clone(), publish, to_proto::RuleDocs::of_build())?;

    runtime.block_on(async {
        let (service, socket) = LspService::new(|client| {
            let publisher = client.clone();
            tokio::spawn(async move {
                while let Some(publication) = publications.recv().await {
                    publisher.publish_diagnostics(publication.uri, publication.diagnostics, publication.version).await;
                }
            });
            server::Backend::new(client, shared.clone(), shut_down.clone())
        });
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service).await;
    });
    shared.stop();
    if worker.join().is_err() {
        tracing::error!("the analysis worker panicked while stopping");
    }
    // Stdin may still be read by a blocked task of the runtime: do not wait for it.
    runtime.shutdown_background();
    Ok(if shut_down.load(Ordering::SeqCst) { Ended::AfterShutdown } else { Ended::WithoutShutdown })
}
