//! SOAP 1.1 over the engine's XML values: envelopes and faults to and from text, the operations a
//! WSDL SOAP binding offers (document/literal and rpc/literal), which operation a request is for,
//! the body elements of a message, and the WSDL as published by a server.
//!
//! Pure: text and values in, text and values out. `bpel serve` (the server side) and the invoke
//! client (the client side) do the I/O.
//!
//! How a message travels in a SOAP body (WSDL 1.1 §3.5, WS-I Basic Profile 1.1 §4.7):
//!
//! - **document**: the body holds the parts' elements themselves, in order (normally one element
//!   part);
//! - **rpc**: the body holds one wrapper element named after the operation (plus `Response` for the
//!   answer) in the `soap:body namespace`, whose children are the parts' accessors: unqualified
//!   elements named after the parts, holding the part values' content.
//!
//! [`request_parts`] and [`message_body`] are inverse to each other through
//! [`crate::exec::messages::message_from_body`].

use std::sync::Arc;

use crate::fault::STANDARD_FAULT_NS;
use crate::model::wsdl::{BindingMessage, OperationMessage, Service, SoapStyle, SoapVersion, SOAP12_NS, SOAP_NS};
use crate::model::QName;
use crate::parse::Definitions;
use crate::syntax::{self, parse_xml};
use crate::xml::write::{escape_attribute, escape_text, write_xml};
use crate::xml::{Message, MessageType, PartKind, XmlElement, XmlNode};

/// The namespace of SOAP 1.1 envelopes.
pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The namespace of SOAP 1.2 envelopes (recognised only to refuse them clearly).
pub const SOAP12_ENV_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The prefix written for [`SOAP_ENV_NS`].
const ENV_PREFIX: &str = "soapenv";
/// The prefix written for faultcodes in the WS-BPEL namespace (the standard faults).
const BPEL_PREFIX: &str = "bpel";
/// The prefix written for faultcodes in any other namespace.
const FAULT_PREFIX: &str = "ns";
/// The prefix written for rpc wrapper elements.
const RPC_PREFIX: &str = "rpc";

/// Why a SOAP message could not be read, or could not be matched to an operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SoapError {
    #[error("the message is not well-formed XML: {0}")]
    NotXml(String),
    #[error("this is a SOAP 1.2 envelope; only SOAP 1.1 (namespace {SOAP_ENV_NS}) is served")]
    Soap12,
    #[error("the root element is {found}, not a SOAP 1.1 Envelope ({{{SOAP_ENV_NS}}}Envelope)")]
    NotAnEnvelope { found: String },
    #[error("the SOAP envelope has no Body")]
    MissingBody,
    #[error("character data `{text}` directly inside the SOAP {element} (only elements may stand there)")]
    UnexpectedText { element: &'static str, text: String },
    #[error("no operation has the SOAPAction `{action}`; the SOAPActions offered are: {}", list(known))]
    UnknownSoapAction { action: String, known: Vec<String> },
    #[error("no operation takes {found}; the operations offered are: {}", list(offered))]
    NoOperation { found: String, offered: Vec<String> },
    #[error("{found} fits several operations ({}); send a SOAPAction to choose", list(operations))]
    AmbiguousOperation { found: String, operations: Vec<String> },
    #[error("the SOAP Fault has no faultcode")]
    MissingFaultCode,
    #[error("the faultcode `{code}` is not a qualified name (expected `prefix:name` or `name`)")]
    MalformedFaultCode { code: String },
    #[error("the prefix `{prefix}` of the faultcode `{code}` is not declared")]
    UndeclaredFaultPrefix { prefix: String, code: String },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.iter().map(|item| format!("`{item}`")).collect::<Vec<_>>().join(", ")
    }
}

// ---------------------------------------------------------------------------------------------
// Envelopes

/// A SOAP 1.1 envelope as read: its `Header` element, if any, and the elements of its `Body`.
///
/// Every element carries the namespace declarations in scope where it stood (those of the
/// envelope and the body included), so QNames in its content stay resolvable.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub header: Option<XmlElement>,
    pub body: Vec<XmlElement>,
}

/// Reads a SOAP 1.1 envelope. The root must be `{SOAP_ENV_NS}Envelope` with a `Body`;
/// whitespace between the elements is ignored, other character data there is an error.
pub fn parse_envelope(text: &str) -> Result<Envelope, SoapError> {
    let root = XmlElement::parse(text).map_err(|error| SoapError::NotXml(error.to_string()))?;
    if root.is(Some(SOAP12_ENV_NS), "Envelope") {
        return Err(SoapError::Soap12);
    }
    if !root.is(Some(SOAP_ENV_NS), "Envelope") {
        return Err(SoapError::NotAnEnvelope { found: root.name().to_string() });
    }
    only_whitespace(&root, "Envelope")?;
    let mut header = None;
    let mut body = None;
    for child in root.child_elements() {
        if child.is(Some(SOAP_ENV_NS), "Header") && header.is_none() && body.is_none() {
            let mut element = child.clone();
            element.inherit_namespaces(&root.namespaces);
            header = Some(element);
        } else if child.is(Some(SOAP_ENV_NS), "Body") && body.is_none() {
            body = Some(child);
        }
    }
    let body = body.ok_or(SoapError::MissingBody)?;
    only_whitespace(body, "Body")?;
    let elements = body
        .child_elements()
        .map(|element| {
            let mut element = element.clone();
            element.inherit_namespaces(&body.namespaces);
            element.inherit_namespaces(&root.namespaces);
            element
        })
        .collect();
    Ok(Envelope { header, body: elements })
}

fn only_whitespace(element: &XmlElement, name: &'static str) -> Result<(), SoapError> {
    for node in &element.children {
        if let XmlNode::Text(text) = node {
            if !text.trim().is_empty() {
                return Err(SoapError::UnexpectedText { element: name, text: text.trim().chars().take(40).collect() });
            }
        }
    }
    Ok(())
}

/// A SOAP 1.1 envelope (prefix `soapenv`) whose body holds `body`, each element written with the
/// namespaces it uses.
pub fn envelope(body: &[XmlElement]) -> String {
    let mut out = envelope_start();
    for element in body {
        write_xml(&mut out, element, &env_scope());
    }
    out.push_str(ENVELOPE_END);
    out
}

const ENVELOPE_END: &str = "</soapenv:Body></soapenv:Envelope>";

fn envelope_start() -> String {
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><{ENV_PREFIX}:Envelope xmlns:{ENV_PREFIX}="{SOAP_ENV_NS}"><{ENV_PREFIX}:Body>"#)
}

fn env_scope() -> [(Option<String>, String); 1] {
    [(Some(ENV_PREFIX.to_string()), SOAP_ENV_NS.to_string())]
}

/// The names of the header blocks marked `soapenv:mustUnderstand="1"`: a server that does not
/// process them must answer with a `soapenv:MustUnderstand` fault (SOAP 1.1 §4.2.3).
pub fn must_understand_headers(envelope: &Envelope) -> Vec<QName> {
    let Some(header) = &envelope.header else { return Vec::new() };
    header
        .child_elements()
        .filter(|block| block.attribute(Some(SOAP_ENV_NS), "mustUnderstand").is_some_and(|v| matches!(v.trim(), "1" | "true")))
        .map(XmlElement::name)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Faults

/// A SOAP 1.1 fault (SOAP 1.1 §4.4): `faultcode`, `faultstring`, `faultactor`, `detail`.
#[derive(Clone, Debug, PartialEq)]
pub struct SoapFault {
    /// The fault's QName: a BPEL fault's name, or `soapenv:Client` / `soapenv:Server`.
    pub code: QName,
    pub string: String,
    pub actor: Option<String>,
    /// The elements inside `detail` (none: no `detail` element).
    pub detail: Vec<XmlElement>,
}

impl SoapFault {
    /// A `soapenv:Client` fault: the request was wrong (not SOAP, no such operation...).
    pub fn client(string: impl Into<String>) -> SoapFault {
        SoapFault { code: QName::new(Some(SOAP_ENV_NS), "Client"), string: string.into(), actor: None, detail: Vec::new() }
    }

    /// A `soapenv:Server` fault: the request was right but could not be processed.
    pub fn server(string: impl Into<String>) -> SoapFault {
        SoapFault { code: QName::new(Some(SOAP_ENV_NS), "Server"), string: string.into(), actor: None, detail: Vec::new() }
    }
}

/// A SOAP 1.1 envelope holding `fault`. The faultcode is written `prefix:local`: `soapenv:` for the
/// SOAP namespace (declared on the envelope), `bpel:` for the WS-BPEL namespace, `ns:` otherwise
/// (both declared on the `faultcode` element); a code in no namespace is written unprefixed.
pub fn fault_envelope(fault: &SoapFault) -> String {
    let mut out = envelope_start();
    out.push_str("<soapenv:Fault><faultcode");
    let code = match fault.code.namespace.as_deref().filter(|ns| !ns.is_empty()) {
        None => fault.code.local.clone(),
        Some(SOAP_ENV_NS) => format!("{ENV_PREFIX}:{}", fault.code.local),
        Some(namespace) => {
            let prefix = if namespace == STANDARD_FAULT_NS { BPEL_PREFIX } else { FAULT_PREFIX };
            out.push_str(" xmlns:");
            out.push_str(prefix);
            out.push_str("=\"");
            escape_attribute(&mut out, namespace);
            out.push('"');
            format!("{prefix}:{}", fault.code.local)
        }
    };
    out.push('>');
    escape_text(&mut out, &code);
    out.push_str("</faultcode><faultstring>");
    escape_text(&mut out, &fault.string);
    out.push_str("</faultstring>");
    if let Some(actor) = &fault.actor {
        out.push_str("<faultactor>");
        escape_text(&mut out, actor);
        out.push_str("</faultactor>");
    }
    if !fault.detail.is_empty() {
        out.push_str("<detail>");
        for element in &fault.detail {
            write_xml(&mut out, element, &env_scope());
        }
        out.push_str("</detail>");
    }
    out.push_str("</soapenv:Fault>");
    out.push_str(ENVELOPE_END);
    out
}

/// The fault an envelope carries: `Ok(None)` when its body is not a `soapenv:Fault`, an error
/// when the fault has no faultcode or its prefix is not declared where it is written. The
/// `faultcode`, `faultstring`, `faultactor` and `detail` children are found by local name
/// (SOAP 1.1 leaves them unqualified; some toolkits qualify them).
pub fn parse_fault(envelope: &Envelope) -> Result<Option<SoapFault>, SoapError> {
    let Some(fault) = envelope.body.iter().find(|e| e.is(Some(SOAP_ENV_NS), "Fault")) else { return Ok(None) };
    let child =
        |local: &str| fault.child_elements().find(|e| e.local == local && matches!(e.namespace.as_deref(), None | Some(SOAP_ENV_NS)));
    let code_element = child("faultcode").ok_or(SoapError::MissingFaultCode)?;
    let text = code_element.text();
    let written = text.trim();
    let in_scope = |prefix: Option<&str>| code_element.declared_namespace(prefix).or_else(|| fault.declared_namespace(prefix));
    let code = match written.split_once(':') {
        None if written.is_empty() => return Err(SoapError::MissingFaultCode),
        None => QName::new(in_scope(None), written),
        Some((prefix, local)) => {
            if prefix.is_empty() || local.is_empty() || local.contains(':') {
                return Err(SoapError::MalformedFaultCode { code: written.to_string() });
            }
            let namespace = in_scope(Some(prefix))
                .ok_or_else(|| SoapError::UndeclaredFaultPrefix { prefix: prefix.to_string(), code: written.to_string() })?;
            QName::new(Some(namespace), local)
        }
    };
    let string = child("faultstring").map(XmlElement::text).unwrap_or_default();
    let actor = child("faultactor").map(XmlElement::text);
    let detail = match child("detail") {
        Some(detail) => detail
            .child_elements()
            .map(|element| {
                let mut element = element.clone();
                element.inherit_namespaces(&detail.namespaces);
                element.inherit_namespaces(&fault.namespaces);
                element
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(Some(SoapFault { code, string, actor, detail }))
}

// ---------------------------------------------------------------------------------------------
// Bindings

/// How an operation's messages are laid out in the SOAP body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Style {
    Document,
    Rpc,
}

/// One operation of a SOAP binding, with what is needed to put its messages on the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundOperation {
    /// The port type the binding implements.
    pub port_type: QName,
    pub operation: String,
    /// `soap:operation style`, else `soap:binding style`, else document.
    pub style: Style,
    /// `soap:operation soapAction`; `None` when absent or empty.
    pub soap_action: Option<String>,
    /// The `soap:body namespace` of the input (else the output): the rpc wrapper's namespace.
    pub rpc_namespace: Option<String>,
    /// The port type operation has no output.
    pub one_way: bool,
    /// The input message's type, when it resolves.
    pub input: Option<Arc<MessageType>>,
    /// The output message's type, when the operation has one and it resolves.
    pub output: Option<Arc<MessageType>>,
}

/// The SOAP binding of `operation` of `port_type`: from the first SOAP port whose binding
/// implements the port type.
pub fn operation_binding(definitions: &Definitions, port_type: &QName, operation: &str) -> Option<BoundOperation> {
    endpoints(definitions)
        .into_iter()
        .filter(|e| e.port_type == *port_type)
        .flat_map(|e| bound_operations(definitions, &e.binding))
        .find(|op| op.operation == operation)
}

/// The operations of the SOAP binding `binding` (none when it is not defined or has no port type),
/// in the binding's order.
pub fn bound_operations(definitions: &Definitions, binding: &QName) -> Vec<BoundOperation> {
    let Some(binding) = definitions.binding(binding) else { return Vec::new() };
    let Some(port_type) = binding.port_type.as_ref().and_then(|p| p.name.clone()) else { return Vec::new() };
    let resolve = |message: Option<&OperationMessage>| {
        let name = message?.message.as_ref()?.name.as_ref()?;
        MessageType::resolve(name, definitions).ok().map(Arc::new)
    };
    binding
        .operations
        .iter()
        .map(|op| {
            let abstract_op = definitions.operation(&port_type, &op.name.value);
            let body_namespace = |message: Option<&BindingMessage>| {
                message.and_then(|m| m.body.as_ref()).and_then(|b| b.namespace.as_ref()).map(|n| n.value.trim().to_string())
            };
            BoundOperation {
                port_type: port_type.clone(),
                operation: op.name.value.clone(),
                style: match op.effective_style(&binding) {
                    SoapStyle::Document => Style::Document,
                    SoapStyle::Rpc => Style::Rpc,
                },
                soap_action: op.soap_action.as_ref().map(|a| a.value.trim().to_string()).filter(|a| !a.is_empty()),
                rpc_namespace: body_namespace(op.input.as_ref()).or_else(|| body_namespace(op.output.as_ref())).filter(|n| !n.is_empty()),
                one_way: match &abstract_op {
                    Some(abstract_op) => abstract_op.output.is_none(),
                    None => op.output.is_none(),
                },
                input: abstract_op.as_ref().and_then(|o| resolve(o.input.as_ref())),
                output: abstract_op.as_ref().and_then(|o| resolve(o.output.as_ref())),
            }
        })
        .collect()
}

/// A SOAP 1.1 port of a service: where it listens and what it offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub service: QName,
    pub port: String,
    pub binding: QName,
    pub port_type: QName,
    /// `soap:address location`, as written.
    pub address: String,
}

/// Every SOAP 1.1 port of every service of `definitions`, in document order. Ports without an
/// address, whose binding is not defined or has no port type, and SOAP 1.2 or non-SOAP bindings
/// are left out.
pub fn endpoints(definitions: &Definitions) -> Vec<Endpoint> {
    let mut out = Vec::new();
    for service in definitions.iter::<Service>() {
        for port in &service.ports {
            let Some(address) = &port.address else { continue };
            let Some(binding_name) = port.binding.as_ref().and_then(|b| b.name.as_ref()) else { continue };
            let Some(binding) = definitions.binding(binding_name) else { continue };
            if binding.soap.as_ref().map(|s| s.version) != Some(SoapVersion::Soap11) {
                continue;
            }
            let Some(port_type) = binding.port_type.as_ref().and_then(|p| p.name.clone()) else { continue };
            out.push(Endpoint {
                service: service.qname(),
                port: port.name.value.clone(),
                binding: binding_name.clone(),
                port_type,
                address: address.value.trim().to_string(),
            });
        }
    }
    out
}

/// The operation a request is for.
///
/// `soap_action` is the raw `SOAPAction` header (quotes are stripped). When it is non-empty and
/// exactly one operation declares it, that operation is chosen; when no operation declares it but
/// some declare a SOAPAction, that is an error. Otherwise the body decides: a document-style
/// operation whose input message's first element part is named like the first body element, or
/// an rpc-style operation named like the wrapper's local name (an empty body fits a
/// document-style operation whose input has no parts).
pub fn select_operation<'a>(
    ops: &'a [BoundOperation],
    soap_action: Option<&str>,
    body: &[XmlElement],
    definitions: &Definitions,
) -> Result<&'a BoundOperation, SoapError> {
    let action = soap_action.map(|a| a.trim().trim_matches('"').trim()).filter(|a| !a.is_empty());
    if let Some(action) = action {
        let known: Vec<String> = ops.iter().filter_map(|op| op.soap_action.clone()).collect();
        let matching: Vec<&BoundOperation> = ops.iter().filter(|op| op.soap_action.as_deref() == Some(action)).collect();
        match matching.as_slice() {
            [op] => return Ok(op),
            [] if !known.is_empty() => return Err(SoapError::UnknownSoapAction { action: action.to_string(), known }),
            _ => {}
        }
    }
    let first = body.first();
    let matching: Vec<&BoundOperation> = ops
        .iter()
        .filter(|op| match (op.style, first) {
            (Style::Rpc, Some(wrapper)) => wrapper.local == op.operation,
            (Style::Rpc, None) => false,
            (Style::Document, first) => {
                let elements = input_body_elements(op, definitions);
                match (elements.first(), first) {
                    (Some(element), Some(first)) => first.has_name(element),
                    (None, None) => true,
                    _ => false,
                }
            }
        })
        .collect();
    let found = || match first {
        Some(element) => format!("the body element {}", element.name()),
        None => "an empty body".to_string(),
    };
    match matching.as_slice() {
        [op] => Ok(op),
        [] => Err(SoapError::NoOperation { found: found(), offered: ops.iter().map(|op| op.operation.clone()).collect() }),
        several => {
            Err(SoapError::AmbiguousOperation { found: found(), operations: several.iter().map(|op| op.operation.clone()).collect() })
        }
    }
}

/// The elements of the element parts of an operation's input message, in order (read from the
/// WSDL, so a part whose element is not declared still counts).
fn input_body_elements(op: &BoundOperation, definitions: &Definitions) -> Vec<QName> {
    let from_wsdl = || -> Option<Vec<QName>> {
        let operation = definitions.operation(&op.port_type, &op.operation)?;
        let name = operation.input.as_ref()?.message.as_ref()?.name.as_ref()?;
        let message = definitions.message(name)?;
        Some(message.parts.iter().filter_map(|p| p.element.as_ref()?.name.clone()).collect())
    };
    from_wsdl().unwrap_or_default()
}

/// The elements of a body that stand for the message's parts: document style, the body elements;
/// rpc style, the wrapper's children (the part accessors). For the reply to an invoke, pass the
/// response body: the same rules apply. Feed the result to `message_from_body`.
pub fn request_parts(op: &BoundOperation, body: &[XmlElement]) -> Vec<XmlElement> {
    match op.style {
        Style::Document => body.to_vec(),
        Style::Rpc => body
            .first()
            .map(|wrapper| {
                wrapper
                    .child_elements()
                    .map(|accessor| {
                        let mut accessor = accessor.clone();
                        accessor.inherit_namespaces(&wrapper.namespaces);
                        accessor
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The body elements that carry `message` for `op`: its input, or its output when `response`.
///
/// Parts are written in the order of the operation's message type when `message` is of that type,
/// else in the message's order; a missing part is left out. Document style: the parts' values as
/// they are. Rpc style: one wrapper `{rpc_namespace}operation` (`operationResponse` when
/// `response`) holding an unqualified accessor named after each type-typed part with the part's
/// content; an element-typed part (not WS-I conformant in rpc style) is written as its element.
pub fn message_body(op: &BoundOperation, message: &Message, response: bool) -> Vec<XmlElement> {
    let ty = if response { op.output.as_deref() } else { op.input.as_deref() }.filter(|ty| ty.name == message.message_type);
    let mut parts: Vec<(&str, &XmlElement, Option<&PartKind>)> = Vec::with_capacity(message.parts.len());
    if let Some(ty) = ty {
        for part in &ty.parts {
            if let Some(value) = message.part(&part.name) {
                parts.push((&part.name, value, Some(&part.kind)));
            }
        }
    }
    for part in &message.parts {
        if !parts.iter().any(|(name, _, _)| *name == part.name) {
            parts.push((&part.name, &part.value, None));
        }
    }
    match op.style {
        Style::Document => parts.into_iter().map(|(_, value, _)| value.clone()).collect(),
        Style::Rpc => {
            let local = if response { format!("{}Response", op.operation) } else { op.operation.clone() };
            let mut wrapper = XmlElement::new(op.rpc_namespace.as_deref(), &local);
            if wrapper.namespace.is_some() {
                wrapper.prefix = Some(RPC_PREFIX.to_string());
            }
            for (name, value, kind) in parts {
                let mut accessor = value.clone();
                if !matches!(kind, Some(PartKind::Element(_))) {
                    accessor.rename(None, name, None);
                }
                wrapper.children.push(XmlNode::Element(accessor));
            }
            vec![wrapper]
        }
    }
}

// ---------------------------------------------------------------------------------------------
// WSDL publishing

/// The WSDL `text` with the `location` of every `soap:address` and `soap12:address` replaced by
/// `address(old)` where that returns `Some` (the old value as read, entities expanded). Only those
/// attribute values change: everything else stays byte for byte. A text that does not read as XML
/// is rewritten as far as it reads.
pub fn publish_wsdl(text: &str, address: impl Fn(&str) -> Option<String>) -> String {
    let document = parse_xml(text);
    let mut replacements: Vec<(usize, usize, String)> = Vec::new();
    let mut stack: Vec<&syntax::Element> = document.root.iter().collect();
    while let Some(element) = stack.pop() {
        if element.is(SOAP_NS, "address") || element.is(SOAP12_NS, "address") {
            if let Some(location) = element.attr("location") {
                if let Some(new) = address(&location.value) {
                    let mut escaped = String::new();
                    escape_attribute(&mut escaped, &new);
                    replacements.push((location.value_span.start as usize, location.value_span.end as usize, escaped));
                }
            }
        }
        stack.extend(element.child_elements());
    }
    replacements.sort_by_key(|(start, _, _)| *start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, value) in replacements {
        if start < at || end > text.len() || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(&value);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::exec::messages::message_from_body;
    use crate::parse::{load_process, ImportKind, Loader};

    const BETSY_NS: &str = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testinterface";
    const RPC_NS: &str = "urn:example:rpc";

    fn shared() -> PathBuf {
        match std::env::var_os("BPEL_SHARED") {
            Some(dir) => PathBuf::from(dir),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
        }
    }

    fn definitions_of(process: &Path) -> Definitions {
        let mut loader = Loader::new();
        let unit = load_process(&mut loader, process).unwrap_or_else(|e| panic!("{}: {e}", process.display()));
        assert!(!unit.has_errors(), "{:?}", unit.diagnostics);
        unit.definitions
    }

    /// The definitions of betsy's Invoke-Sync process: TestInterface.wsdl and TestPartner.wsdl.
    fn betsy() -> Definitions {
        definitions_of(&shared().join("conformance/betsy/basic/Invoke-Sync.bpel"))
    }

    fn echo_example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/echo")
    }

    fn q(namespace: &str, local: &str) -> QName {
        QName::new(Some(namespace), local)
    }

    fn operation<'a>(ops: &'a [BoundOperation], name: &str) -> &'a BoundOperation {
        ops.iter().find(|op| op.operation == name).unwrap_or_else(|| panic!("no operation {name}"))
    }

    const RPC_WSDL: &str = r#"<?xml version="1.0"?>
<wsdl:definitions targetNamespace="urn:example:calc" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="urn:example:calc">
  <wsdl:types>
    <xsd:schema targetNamespace="urn:example:calc">
      <xsd:complexType name="Pair"><xsd:sequence>
        <xsd:element name="left" type="xsd:int"/><xsd:element name="right" type="xsd:int"/>
      </xsd:sequence></xsd:complexType>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="AddRequest"><wsdl:part name="a" type="xsd:int"/><wsdl:part name="pair" type="tns:Pair"/></wsdl:message>
  <wsdl:message name="AddResponse"><wsdl:part name="sum" type="xsd:int"/></wsdl:message>
  <wsdl:message name="PingRequest"><wsdl:part name="text" type="xsd:string"/></wsdl:message>
  <wsdl:portType name="Calc">
    <wsdl:operation name="add"><wsdl:input message="tns:AddRequest"/><wsdl:output message="tns:AddResponse"/></wsdl:operation>
    <wsdl:operation name="ping"><wsdl:input message="tns:PingRequest"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="CalcBinding" type="tns:Calc">
    <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="add">
      <soap:operation soapAction="urn:add"/>
      <wsdl:input><soap:body use="literal" namespace="urn:example:rpc"/></wsdl:input>
      <wsdl:output><soap:body use="literal" namespace="urn:example:rpc"/></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="ping">
      <soap:operation soapAction=""/>
      <wsdl:input><soap:body use="literal" namespace="urn:example:rpc"/></wsdl:input>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="CalcService">
    <wsdl:port name="CalcPort" binding="tns:CalcBinding"><soap:address location="http://localhost:8080/calc"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>"#;

    /// The definitions of [`RPC_WSDL`] (written to a temporary folder: the loader reads files).
    fn rpc() -> Definitions {
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("bpel-soap-rpc-{}-{call}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("calc.wsdl");
        std::fs::write(&path, RPC_WSDL).unwrap();
        let document = Loader::new().load(&path, ImportKind::Wsdl);
        let _ = std::fs::remove_dir_all(&dir);
        let document = document.unwrap();
        assert!(!document.has_errors(), "{:?}", document.diagnostics);
        Definitions::from_documents(&[document])
    }

    // --- envelopes ---

    #[test]
    fn envelopes_round_trip_with_their_namespaces() {
        let mut request = XmlElement::with_text(Some(BETSY_NS), "testElementSyncRequest", "5");
        request.prefix = Some("soapenv".to_string()); // a clash with the envelope's prefix
        let mut other = XmlElement::new(Some("urn:b"), "b");
        other.children.push(XmlNode::Element(XmlElement::with_text(None, "plain", "x < y & z")));
        let text = envelope(&[request.clone(), other.clone()]);
        assert!(text.contains("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"), "{text}");
        let read = parse_envelope(&text).unwrap();
        assert_eq!(read.header, None);
        assert_eq!(read.body.len(), 2);
        assert!(read.body[0].canonical_eq(&request), "{text}");
        assert!(read.body[1].canonical_eq(&other), "{text}");
        assert_eq!(read.body[1].child_elements().next().unwrap().text(), "x < y & z");
    }

    #[test]
    fn envelopes_keep_header_declarations_and_ignore_whitespace() {
        let text = r#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="urn:t">
  <s:Header>
    <t:session s:mustUnderstand="1">42</t:session>
    <t:trace>on</t:trace>
  </s:Header>
  <s:Body xmlns:v="urn:v">
    <t:request><value xsi:type="v:Id" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">7</value></t:request>
  </s:Body>
</s:Envelope>"#;
        let read = parse_envelope(text).unwrap();
        assert_eq!(read.body.len(), 1);
        let request = &read.body[0];
        assert!(request.is(Some("urn:t"), "request"));
        assert_eq!(request.declared_namespace(Some("v")), Some("urn:v"), "declarations of the Body are kept");
        assert_eq!(request.declared_namespace(Some("t")), Some("urn:t"), "declarations of the Envelope are kept");
        assert_eq!(must_understand_headers(&read), vec![q("urn:t", "session")]);
        // Written again, the QName in the attribute value still resolves.
        let again = parse_envelope(&envelope(&read.body)).unwrap();
        assert_eq!(again.body[0].declared_namespace(Some("v")), Some("urn:v"));
    }

    #[test]
    fn envelope_errors_say_what_is_wrong() {
        let soap12 = r#"<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>"#;
        let error = parse_envelope(soap12).unwrap_err();
        assert_eq!(error, SoapError::Soap12);
        assert!(error.to_string().contains("only SOAP 1.1"), "{error}");

        let error = parse_envelope(r#"<t:request xmlns:t="urn:t"/>"#).unwrap_err();
        assert_eq!(error, SoapError::NotAnEnvelope { found: "{urn:t}request".to_string() });
        assert!(error.to_string().contains("{urn:t}request"), "{error}");

        let error =
            parse_envelope(r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>"#).unwrap_err();
        assert_eq!(error, SoapError::MissingBody);

        let error = parse_envelope(r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>oops</s:Body></s:Envelope>"#)
            .unwrap_err();
        assert!(matches!(error, SoapError::UnexpectedText { element: "Body", .. }), "{error}");

        let error = parse_envelope(r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a></s:Body>"#).unwrap_err();
        let SoapError::NotXml(message) = &error else { panic!("{error:?}") };
        assert!(!message.is_empty());
        assert!(error.to_string().starts_with("the message is not well-formed XML: "), "{error}");

        assert!(matches!(parse_envelope(""), Err(SoapError::NotXml(_))));
        let entity = "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>";
        assert!(matches!(parse_envelope(entity), Err(SoapError::NotXml(_))));
    }

    // --- faults ---

    #[test]
    fn faults_round_trip() {
        let detail = XmlElement::with_text(Some(BETSY_NS), "testElementSyncFault", "-1");
        let faults = [
            SoapFault {
                code: q(STANDARD_FAULT_NS, "selectionFailure"),
                string: "no <node> & nothing".to_string(),
                actor: Some("http://localhost/actor".to_string()),
                detail: vec![detail.clone()],
            },
            SoapFault { code: q(BETSY_NS, "syncFault"), string: String::new(), actor: None, detail: vec![detail] },
            SoapFault::server("broken"),
            SoapFault::client("bad request"),
            SoapFault { code: QName::new(None, "plain"), string: "s".to_string(), actor: None, detail: Vec::new() },
        ];
        for fault in faults {
            let text = fault_envelope(&fault);
            let read = parse_envelope(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
            let back = parse_fault(&read).unwrap().unwrap_or_else(|| panic!("no fault in {text}"));
            assert_eq!(back.code, fault.code, "{text}");
            assert_eq!(back.string, fault.string);
            assert_eq!(back.actor, fault.actor);
            assert_eq!(back.detail.len(), fault.detail.len());
            for (a, b) in back.detail.iter().zip(&fault.detail) {
                assert!(a.canonical_eq(b), "{text}");
            }
        }
        let text = fault_envelope(&SoapFault {
            code: q(STANDARD_FAULT_NS, "selectionFailure"),
            string: String::new(),
            actor: None,
            detail: vec![],
        });
        assert!(
            text.contains(
                r#"<faultcode xmlns:bpel="http://docs.oasis-open.org/wsbpel/2.0/process/executable">bpel:selectionFailure</faultcode>"#
            ),
            "{text}"
        );
        assert!(fault_envelope(&SoapFault::server("x")).contains("<faultcode>soapenv:Server</faultcode>"));
    }

    #[test]
    fn fault_codes_resolve_where_they_are_written() {
        let text = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="urn:outer"><e:Body>
            <e:Fault xmlns:b="urn:fault"><faultcode>a:one</faultcode><faultstring>s</faultstring></e:Fault></e:Body></e:Envelope>"#;
        assert_eq!(parse_fault(&parse_envelope(text).unwrap()).unwrap().unwrap().code, q("urn:outer", "one"));
        let text = text.replace("a:one", "b:two");
        assert_eq!(parse_fault(&parse_envelope(&text).unwrap()).unwrap().unwrap().code, q("urn:fault", "two"));
        let text = text.replace("<faultcode>b:two", "<faultcode xmlns:b=\"urn:inner\">b:two");
        assert_eq!(parse_fault(&parse_envelope(&text).unwrap()).unwrap().unwrap().code, q("urn:inner", "two"));
        let text = text.replace("b:two", "e:Client");
        assert_eq!(parse_fault(&parse_envelope(&text).unwrap()).unwrap().unwrap().code, q(SOAP_ENV_NS, "Client"));
    }

    #[test]
    fn fault_errors_and_non_faults() {
        let undeclared = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>
            <e:Fault><faultcode>zz:nope</faultcode><faultstring>s</faultstring></e:Fault></e:Body></e:Envelope>"#;
        let error = parse_fault(&parse_envelope(undeclared).unwrap()).unwrap_err();
        assert_eq!(error, SoapError::UndeclaredFaultPrefix { prefix: "zz".to_string(), code: "zz:nope".to_string() });
        assert!(error.to_string().contains("`zz`"), "{error}");

        let missing = undeclared.replace("<faultcode>zz:nope</faultcode>", "");
        assert_eq!(parse_fault(&parse_envelope(&missing).unwrap()), Err(SoapError::MissingFaultCode));
        let malformed = undeclared.replace("zz:nope", "a:b:c");
        assert!(matches!(parse_fault(&parse_envelope(&malformed).unwrap()), Err(SoapError::MalformedFaultCode { .. })));

        let reply = envelope(&[XmlElement::with_text(Some(BETSY_NS), "testElementSyncResponse", "1")]);
        assert_eq!(parse_fault(&parse_envelope(&reply).unwrap()), Ok(None));
    }

    // --- bindings and selection ---

    #[test]
    fn betsy_bindings_and_endpoints() {
        let definitions = betsy();
        let endpoints = endpoints(&definitions);
        let interface = endpoints.iter().find(|e| e.port == "TestInterfacePort").expect("the TestInterface port");
        assert_eq!(interface.address, "ENDPOINT_URL");
        assert_eq!(interface.binding, q(BETSY_NS, "TestInterfacePortTypeBinding"));
        assert_eq!(interface.port_type, q(BETSY_NS, "TestInterfacePortType"));
        assert_eq!(interface.service, q(BETSY_NS, "TestInterfaceService"));
        assert!(endpoints.iter().any(|e| e.address == "http://PARTNER_IP_AND_PORT/bpel-testpartner"), "{endpoints:?}");

        let ops = bound_operations(&definitions, &interface.binding);
        let names: Vec<&str> = ops.iter().map(|op| op.operation.as_str()).collect();
        assert_eq!(names, ["startProcessAsync", "startProcessSync", "startProcessSyncString"]);
        let sync = operation(&ops, "startProcessSync");
        assert_eq!(sync.style, Style::Document);
        assert_eq!(sync.soap_action.as_deref(), Some("sync"));
        assert!(!sync.one_way);
        assert_eq!(sync.input.as_ref().unwrap().name, q(BETSY_NS, "executeProcessSyncRequest"));
        assert_eq!(sync.output.as_ref().unwrap().name, q(BETSY_NS, "executeProcessSyncResponse"));
        let async_ = operation(&ops, "startProcessAsync");
        assert!(async_.one_way);
        assert_eq!(async_.output, None);
        assert!(bound_operations(&definitions, &q(BETSY_NS, "NoSuchBinding")).is_empty());
    }

    #[test]
    fn operations_are_selected_by_soap_action() {
        let definitions = betsy();
        let ops = bound_operations(&definitions, &q(BETSY_NS, "TestInterfacePortTypeBinding"));
        let body = [XmlElement::with_text(Some(BETSY_NS), "testElementSyncRequest", "1")];
        assert_eq!(select_operation(&ops, Some("\"syncString\""), &body, &definitions).unwrap().operation, "startProcessSyncString");
        assert_eq!(select_operation(&ops, Some("async"), &[], &definitions).unwrap().operation, "startProcessAsync");
        // An empty SOAPAction leaves the choice to the body.
        assert_eq!(select_operation(&ops, Some("\"\""), &body, &definitions).unwrap().operation, "startProcessSync");
        let error = select_operation(&ops, Some("\"nope\""), &body, &definitions).unwrap_err();
        assert_eq!(
            error,
            SoapError::UnknownSoapAction { action: "nope".to_string(), known: vec!["async".into(), "sync".into(), "syncString".into()] }
        );
        assert!(error.to_string().contains("`async`, `sync`, `syncString`"), "{error}");
    }

    #[test]
    fn operations_are_selected_by_body_element() {
        let definitions = betsy();
        let ops = bound_operations(&definitions, &q(BETSY_NS, "TestInterfacePortTypeBinding"));
        for (element, expected) in [
            ("testElementAsyncRequest", "startProcessAsync"),
            ("testElementSyncRequest", "startProcessSync"),
            ("testElementSyncStringRequest", "startProcessSyncString"),
        ] {
            let body = [XmlElement::with_text(Some(BETSY_NS), element, "1")];
            assert_eq!(select_operation(&ops, None, &body, &definitions).unwrap().operation, expected);
        }
        let body = [XmlElement::with_text(Some("urn:other"), "testElementSyncRequest", "1")];
        let error = select_operation(&ops, None, &body, &definitions).unwrap_err();
        let text = error.to_string();
        assert!(text.contains("{urn:other}testElementSyncRequest"), "{text}");
        assert!(text.contains("`startProcessAsync`, `startProcessSync`, `startProcessSyncString`"), "{text}");
        assert!(select_operation(&ops, None, &[], &definitions).unwrap_err().to_string().contains("an empty body"));

        // The partner's binding declares no SOAPAction: any header value falls back to the body.
        let partner_ns = "http://dsg.wiai.uniba.de/betsy/activities/wsdl/testpartner";
        let partner = endpoints(&definitions).into_iter().find(|e| e.port_type.namespace.as_deref() == Some(partner_ns)).unwrap();
        let ops = bound_operations(&definitions, &partner.binding);
        assert!(ops.iter().all(|op| op.soap_action.is_none()), "{ops:?}");
        let input = ops[1].input.as_ref().expect("a resolved input");
        let PartKind::Element(element) = &input.parts[0].kind else { panic!("{input:?}") };
        let body = [XmlElement::with_text(element.namespace.as_deref(), &element.local, "1")];
        assert_eq!(select_operation(&ops, Some("whatever"), &body, &definitions).unwrap().operation, ops[1].operation);
    }

    #[test]
    fn rpc_bindings_select_by_wrapper_name() {
        let definitions = rpc();
        let endpoint = endpoints(&definitions).pop().unwrap();
        assert_eq!(endpoint.address, "http://localhost:8080/calc");
        let ops = bound_operations(&definitions, &endpoint.binding);
        let add = operation(&ops, "add");
        assert_eq!(add.style, Style::Rpc);
        assert_eq!(add.rpc_namespace.as_deref(), Some(RPC_NS));
        assert_eq!(add.soap_action.as_deref(), Some("urn:add"));
        let ping = operation(&ops, "ping");
        assert_eq!(ping.soap_action, None, "an empty soapAction is none");
        assert!(ping.one_way);
        let wrapper = [XmlElement::new(Some(RPC_NS), "ping")];
        assert_eq!(select_operation(&ops, None, &wrapper, &definitions).unwrap().operation, "ping");
        let error = select_operation(&ops, None, &[XmlElement::new(Some(RPC_NS), "mul")], &definitions).unwrap_err();
        assert!(error.to_string().contains(&format!("{{{RPC_NS}}}mul")), "{error}");
    }

    // --- message bodies ---

    /// `message` through `message_body`, a SOAP envelope and back: the same message.
    fn round_trip(
        definitions: &Definitions,
        ops: &[BoundOperation],
        op: &BoundOperation,
        message: &Message,
        response: bool,
    ) -> Vec<XmlElement> {
        round_trip_to(definitions, ops, op, message, response, message)
    }

    /// Like [`round_trip`], when the message read back is `expected` (rpc accessors are named
    /// after their parts).
    fn round_trip_to(
        definitions: &Definitions,
        ops: &[BoundOperation],
        op: &BoundOperation,
        message: &Message,
        response: bool,
        expected: &Message,
    ) -> Vec<XmlElement> {
        let body = message_body(op, message, response);
        let text = envelope(&body);
        let read = parse_envelope(&text).unwrap();
        if !response {
            let action = op.soap_action.as_deref();
            assert_eq!(select_operation(ops, action, &read.body, definitions).unwrap().operation, op.operation);
            assert_eq!(select_operation(ops, None, &read.body, definitions).unwrap().operation, op.operation, "by body: {text}");
        }
        let ty = if response { op.output.as_ref() } else { op.input.as_ref() }.unwrap();
        let back = message_from_body(ty, &request_parts(op, &read.body));
        assert_eq!(back.message_type, expected.message_type);
        assert_eq!(back.parts.len(), expected.parts.len(), "{text}");
        for part in &expected.parts {
            let read = back.part(&part.name).unwrap_or_else(|| panic!("part {} lost: {text}", part.name));
            assert!(read.canonical_eq(&part.value), "part {}: {} != {}", part.name, read.to_xml(), part.value.to_xml());
        }
        body
    }

    #[test]
    fn document_bodies_round_trip() {
        let definitions = betsy();
        let ops = bound_operations(&definitions, &q(BETSY_NS, "TestInterfacePortTypeBinding"));
        let sync = operation(&ops, "startProcessSync");
        let request = Message::new(q(BETSY_NS, "executeProcessSyncRequest"))
            .with_part("inputPart", XmlElement::with_text(Some(BETSY_NS), "testElementSyncRequest", "5"));
        let body = round_trip(&definitions, &ops, sync, &request, false);
        assert_eq!(body.len(), 1);
        assert!(body[0].is(Some(BETSY_NS), "testElementSyncRequest"));
        let response = Message::new(q(BETSY_NS, "executeProcessSyncResponse"))
            .with_part("outputPart", XmlElement::with_text(Some(BETSY_NS), "testElementSyncResponse", "6"));
        round_trip(&definitions, &ops, sync, &response, true);

        let echo = definitions_of(&echo_example().join("echo.bpel"));
        let endpoint = endpoints(&echo).pop().unwrap();
        let ops = bound_operations(&echo, &endpoint.binding);
        let ns = "http://example.com/bpel/examples/echo";
        let request = Message::new(q(ns, "EchoRequest")).with_part("payload", XmlElement::with_text(Some(ns), "echo", "hello"));
        round_trip(&echo, &ops, &ops[0], &request, false);
    }

    #[test]
    fn rpc_bodies_round_trip() {
        let definitions = rpc();
        let ops = bound_operations(&definitions, &q("urn:example:calc", "CalcBinding"));
        let add = operation(&ops, "add");
        let mut pair = XmlElement::new(None, "somethingElse");
        pair.children.push(XmlNode::Element(XmlElement::with_text(None, "left", "1")));
        pair.children.push(XmlNode::Element(XmlElement::with_text(None, "right", "2")));
        // Parts set out of order, one from a container named after another variable.
        let request = Message::new(q("urn:example:calc", "AddRequest"))
            .with_part("pair", pair.clone())
            .with_part("a", XmlElement::with_text(None, "a", "40"));
        let mut expected = request.clone();
        pair.rename(None, "pair", None);
        expected.set_part("pair", pair);
        let body = round_trip_to(&definitions, &ops, add, &request, false, &expected);
        let [wrapper] = body.as_slice() else { panic!("{body:?}") };
        assert!(wrapper.is(Some(RPC_NS), "add"));
        let accessors: Vec<String> = wrapper.child_elements().map(|a| a.name().to_string()).collect();
        assert_eq!(accessors, ["a", "pair"], "unqualified accessors in the message's part order");

        let response = Message::new(q("urn:example:calc", "AddResponse")).with_part("sum", XmlElement::with_text(None, "sum", "43"));
        let body = round_trip(&definitions, &ops, add, &response, true);
        assert!(body[0].is(Some(RPC_NS), "addResponse"));
        assert!(
            envelope(&body).contains("<rpc:addResponse xmlns:rpc=\"urn:example:rpc\"><sum>43</sum></rpc:addResponse>"),
            "{}",
            envelope(&body)
        );

        let ping = operation(&ops, "ping");
        let request = Message::new(q("urn:example:calc", "PingRequest")).with_part("text", XmlElement::with_text(None, "text", "hi"));
        round_trip(&definitions, &ops, ping, &request, false);
    }

    // --- WSDL publishing ---

    #[test]
    fn published_wsdls_change_only_the_addresses() {
        let text = std::fs::read_to_string(echo_example().join("echo.wsdl")).unwrap();
        let published = publish_wsdl(&text, |old| {
            assert_eq!(old, "http://localhost:8080/echo");
            Some("http://127.0.0.1:9000/echo?a=1&b=\"2\"<".to_string())
        });
        let expected =
            text.replace("location=\"http://localhost:8080/echo\"", "location=\"http://127.0.0.1:9000/echo?a=1&amp;b=&quot;2&quot;&lt;\"");
        assert_eq!(published, expected);
        assert_eq!(publish_wsdl(&text, |_| None), text);

        let both = r#"<d xmlns:s="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:s12="http://schemas.xmlsoap.org/wsdl/soap12/">
  <s:address location='http://a/x'/><s12:address location="http://b/y"/><other:address xmlns:other="urn:o" location="http://c/z"/></d>"#;
        let published = publish_wsdl(both, |old| Some(old.replace("http://", "https://")));
        assert!(published.contains("<s:address location='https://a/x'/>"), "{published}");
        assert!(published.contains(r#"<s12:address location="https://b/y"/>"#), "{published}");
        assert!(published.contains(r#"location="http://c/z""#), "{published}");
    }
}
