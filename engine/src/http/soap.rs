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
//! [`crate::exec::activities::messaging::message_from_body`].

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
    let child = |local: &str| {
        fault.child_elements().find(|e| e.local == local && matches!(e.namespace.as_deref(), None | Some(SOAP_ENV_NS)))
    };
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
        several => Err(SoapError::AmbiguousOperation { found: found(), operations: several.iter().map(|op| op.operation.clone()).collect() }),
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
