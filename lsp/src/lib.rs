//! bpel-lsp: the language server, a thin face over bpel-engine.
//!
//! Status: only the conversion layer exists (engine spans to LSP positions, which count UTF-16 code
//! units). The server itself (`bpel lsp`) is not implemented yet; see ARCHITECTURE.md.

pub mod to_proto;
