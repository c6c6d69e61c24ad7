//! WSDL 1.1 documents as values, with the WS-BPEL 2.0 extensions that live in them
//! (partnerLinkType, property, propertyAlias).
//!
//! Every named definition keeps its name with the name's span and the span of its element; every
//! reference to another definition is a [`QNameRef`] resolved against the namespace declarations
//! in force where it was written.

use super::xsd::Schema;
use super::{QName, QNameRef};
use crate::source::FileId;
use crate::span::{Span, Spanned};
use crate::syntax::{NamespaceScopes, ScopeId};

pub const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
pub const SOAP12_NS: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
pub const PLNK_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/plnktype";
pub const VPROP_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/varprop";
/// The HTTP transport of the SOAP 1.1 binding.
pub const SOAP_HTTP_TRANSPORT: &str = "http://schemas.xmlsoap.org/soap/http";

pub type Name = Spanned<String>;

#[derive(Clone, Debug)]
pub struct WsdlDocument {
    pub file: FileId,
    /// The `definitions` element.
    pub span: Span,
    pub name: Option<Name>,
    pub target_namespace: Option<Name>,
    pub imports: Vec<WsdlImport>,
    /// The schemas of `types`, in document order.
    pub schemas: Vec<Schema>,
    pub messages: Vec<Message>,
    pub port_types: Vec<PortType>,
    pub bindings: Vec<Binding>,
    pub services: Vec<Service>,
    pub partner_link_types: Vec<PartnerLinkType>,
    pub properties: Vec<Property>,
    pub property_aliases: Vec<PropertyAlias>,
    /// The document's namespace declarations; [`Query::scope`] points into them.
    pub namespaces: NamespaceScopes,
}

impl WsdlDocument {
    pub fn target_namespace(&self) -> Option<&str> {
        self.target_namespace.as_ref().map(|n| n.value.as_str())
    }

    /// The expanded name a definition called `local` has in this document.
    pub fn qname(&self, local: &str) -> QName {
        QName::new(self.target_namespace(), local)
    }

    pub fn message(&self, local: &str) -> Option<&Message> {
        self.messages.iter().find(|m| m.name.value == local)
    }

    pub fn port_type(&self, local: &str) -> Option<&PortType> {
        self.port_types.iter().find(|p| p.name.value == local)
    }
}

/// `wsdl:import`.
#[derive(Clone, Debug)]
pub struct WsdlImport {
    pub span: Span,
    pub namespace: Option<Name>,
    pub location: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct Message {
    pub name: Name,
    pub span: Span,
    pub parts: Vec<Part>,
}

impl Message {
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.name.value == name)
    }
}

/// A message part: typed by a global element (document style) or by a type (rpc style). Exactly
/// one of the two is expected; the reader warns otherwise.
#[derive(Clone, Debug)]
pub struct Part {
    pub name: Name,
    pub span: Span,
    pub element: Option<QNameRef>,
    pub type_: Option<QNameRef>,
}

#[derive(Clone, Debug)]
pub struct PortType {
    pub name: Name,
    pub span: Span,
    pub operations: Vec<Operation>,
}

impl PortType {
    /// The first operation of this name (WSDL 1.1 allows overloading; WS-BPEL does not use it).
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.name.value == name)
    }
}

#[derive(Clone, Debug)]
pub struct Operation {
    pub name: Name,
    pub span: Span,
    /// `None` when the operation has neither input nor output (reported).
    pub style: Option<OperationStyle>,
    pub input: Option<OperationMessage>,
    pub output: Option<OperationMessage>,
    pub faults: Vec<Fault>,
}

impl Operation {
    pub fn fault(&self, name: &str) -> Option<&Fault> {
        self.faults.iter().find(|f| f.name.value == name)
    }

    pub fn is_one_way(&self) -> bool {
        self.style == Some(OperationStyle::OneWay)
    }

    pub fn is_request_response(&self) -> bool {
        self.style == Some(OperationStyle::RequestResponse)
    }
}

/// The four transmission primitives of WSDL 1.1 §2.4, decided by which of input and output an
/// operation has and in which order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OperationStyle {
    /// input only
    OneWay,
    /// input, then output
    RequestResponse,
    /// output, then input
    SolicitResponse,
    /// output only
    Notification,
}

/// An operation's `input` or `output`.
#[derive(Clone, Debug)]
pub struct OperationMessage {
    pub span: Span,
    pub name: Option<Name>,
    /// `None` when the attribute is missing (reported).
    pub message: Option<QNameRef>,
}

#[derive(Clone, Debug)]
pub struct Fault {
    pub name: Name,
    pub span: Span,
    pub message: Option<QNameRef>,
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub name: Name,
    pub span: Span,
    /// The port type this binding implements (`type` attribute).
    pub port_type: Option<QNameRef>,
    /// `soap:binding` (or `soap12:binding`); `None` for a binding of another protocol.
    pub soap: Option<SoapBinding>,
    pub operations: Vec<BindingOperation>,
}

impl Binding {
    pub fn operation(&self, name: &str) -> Option<&BindingOperation> {
        self.operations.iter().find(|o| o.name.value == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoapVersion {
    Soap11,
    Soap12,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoapStyle {
    Document,
    Rpc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoapUse {
    Literal,
    Encoded,
}

#[derive(Clone, Debug)]
pub struct SoapBinding {
    pub span: Span,
    pub version: SoapVersion,
    /// As written; [`SoapBinding::style`] applies the default.
    pub style: Option<Spanned<SoapStyle>>,
    pub transport: Option<Name>,
}

impl SoapBinding {
    /// `document` unless stated otherwise (WSDL 1.1 §3.3).
    pub fn style(&self) -> SoapStyle {
        self.style.as_ref().map_or(SoapStyle::Document, |s| s.value)
    }
}

#[derive(Clone, Debug)]
pub struct BindingOperation {
    pub name: Name,
    pub span: Span,
    /// `soap:operation/@soapAction`; `None` when absent (an empty `soap:operation` is common).
    pub soap_action: Option<Name>,
    /// `soap:operation/@style`, overriding the binding's.
    pub style: Option<Spanned<SoapStyle>>,
    pub input: Option<BindingMessage>,
    pub output: Option<BindingMessage>,
    pub faults: Vec<BindingFault>,
}

impl BindingOperation {
    /// This operation's style, given its binding's.
    pub fn effective_style(&self, binding: &Binding) -> SoapStyle {
        self.style.as_ref().map(|s| s.value).or_else(|| binding.soap.as_ref().map(SoapBinding::style)).unwrap_or(SoapStyle::Document)
    }

    pub fn fault(&self, name: &str) -> Option<&BindingFault> {
        self.faults.iter().find(|f| f.name.as_ref().is_some_and(|n| n.value == name))
    }
}

/// The `input` or `output` of a binding operation.
#[derive(Clone, Debug)]
pub struct BindingMessage {
    pub span: Span,
    pub name: Option<Name>,
    pub body: Option<SoapBody>,
    pub headers: Vec<SoapHeader>,
}

#[derive(Clone, Debug)]
pub struct SoapBody {
    pub span: Span,
    pub use_: Option<Spanned<SoapUse>>,
    /// For rpc style: the namespace of the wrapper element.
    pub namespace: Option<Name>,
    /// The `parts` attribute: `None` means all parts of the message.
    pub parts: Option<Vec<String>>,
}

#[derive(Clone, Debug)]
pub struct SoapHeader {
    pub span: Span,
    pub message: Option<QNameRef>,
    pub part: Option<Name>,
    pub use_: Option<Spanned<SoapUse>>,
    pub namespace: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct BindingFault {
    pub span: Span,
    pub name: Option<Name>,
    pub soap_fault: Option<SoapFault>,
}

#[derive(Clone, Debug)]
pub struct SoapFault {
    pub span: Span,
    pub name: Option<Name>,
    pub use_: Option<Spanned<SoapUse>>,
    pub namespace: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub name: Name,
    pub span: Span,
    pub ports: Vec<Port>,
}

#[derive(Clone, Debug)]
pub struct Port {
    pub name: Name,
    pub span: Span,
    pub binding: Option<QNameRef>,
    /// `soap:address/@location` (or `soap12:address`).
    pub address: Option<Name>,
}

/// `plnk:partnerLinkType`.
#[derive(Clone, Debug)]
pub struct PartnerLinkType {
    pub name: Name,
    pub span: Span,
    pub roles: Vec<Role>,
}

impl PartnerLinkType {
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name.value == name)
    }
}

#[derive(Clone, Debug)]
pub struct Role {
    pub name: Name,
    pub span: Span,
    pub port_type: Option<QNameRef>,
}

/// `vprop:property`. Exactly one of `type_` and `element` is expected (SA00019, checked later).
#[derive(Clone, Debug)]
pub struct Property {
    pub name: Name,
    pub span: Span,
    pub type_: Option<QNameRef>,
    pub element: Option<QNameRef>,
}

/// `vprop:propertyAlias`: where a property's value lives in a message part, a type or an element.
/// Which combination is present is checked later (SA00020).
#[derive(Clone, Debug)]
pub struct PropertyAlias {
    pub span: Span,
    pub property_name: Option<QNameRef>,
    pub message_type: Option<QNameRef>,
    pub part: Option<Name>,
    pub type_: Option<QNameRef>,
    pub element: Option<QNameRef>,
    pub query: Option<Query>,
}

/// `vprop:query`: an expression evaluated against the part, type or element value.
#[derive(Clone, Debug)]
pub struct Query {
    pub span: Span,
    pub query_language: Option<Name>,
    pub text: String,
    pub text_span: Span,
    /// Where the prefixes used in `text` are declared, in [`WsdlDocument::namespaces`].
    pub scope: ScopeId,
    /// The bindings in force at the query (innermost first, each prefix once; `None` is the
    /// default namespace), so the query can be evaluated without the document.
    pub namespaces: Vec<(Option<String>, String)>,
}
