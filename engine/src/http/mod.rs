//! The reactor edge: processes served over HTTP/SOAP 1.1 and partners reached over it.
//!
//! - [`soap`]: envelopes, faults, operation bindings (document and rpc literal), WSDL publishing.
//!   Pure functions on text and values.

pub mod soap;
