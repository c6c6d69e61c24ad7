//! The immutable model of a process and of the WSDL and XSD documents it imports. Every node keeps
//! the span of the source text it was read from.

pub mod process;
pub mod wsdl;
pub mod xsd;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// An expanded name: namespace URI and local part.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QName {
    pub namespace: Option<String>,
    pub local: String,
}

impl QName {
    pub fn new(namespace: Option<&str>, local: &str) -> QName {
        QName { namespace: namespace.map(str::to_string), local: local.to_string() }
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{{{ns}}}{}", self.local),
            None => f.write_str(&self.local),
        }
    }
}

/// A QName as written in an attribute: the text, its span, and what it resolved to (`None` when
/// its prefix is not declared; the parser reported that).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QNameRef {
    pub text: String,
    pub span: Span,
    pub name: Option<QName>,
}
