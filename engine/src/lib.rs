//! bpel-engine: everything about WS-BPEL 2.0 processes.
//!
//! Layers, bottom up: [`syntax`] (positioned XML trees), [`model`] (the process, WSDL and XSD as
//! values), [`parse`] (syntax tree to model, tolerant), [`resolve`] (names to declarations),
//! [`check`] (diagnostics). See ARCHITECTURE.md.
//!
//! The I/O edge, `http` (`bpel serve`) and `store`, is behind the `serve` feature (on by default);
//! without it the crate does no network or database I/O and pulls in no async runtime.

pub mod check;
pub mod checkpoint;
pub mod diagnostic;
pub mod exec;
pub mod fault;
#[cfg(feature = "serve")]
pub mod http;
pub mod ide;
pub mod model;
pub mod parse;
pub mod resolve;
pub mod runtime;
pub mod soap;
pub mod source;
pub mod span;
#[cfg(feature = "serve")]
pub mod store;
pub mod syntax;
pub mod xml;
pub mod xpath;

pub use diagnostic::{Diagnostic, Severity};
pub use source::{FileId, Sources};
pub use span::{LineCol, LineIndex, Span, Spanned};
