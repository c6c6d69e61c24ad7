//! Syntax tree of a WSDL 1.1 document -> [`WsdlDocument`], with the WS-BPEL extensions
//! (`plnk:partnerLinkType`, `vprop:property`, `vprop:propertyAlias`) and the SOAP binding.
//!
//! Tolerant: whatever is readable is kept; a missing attribute or an element out of place is
//! reported with the span of the element's name or the attribute's value. Extension elements of
//! other namespaces are skipped silently, as WSDL allows them anywhere.

use super::xsd::{read_schema, Reader};
use crate::diagnostic::{codes, Diagnostic};
use crate::model::wsdl::*;
use crate::model::xsd::XSD_NS;
use crate::source::FileId;
use crate::span::Spanned;
use crate::syntax::{Element, NamespaceScopes, XmlDocument};

/// The BPEL4WS 1.1 namespaces of the same extensions: a common leftover worth a precise warning.
const PLNK_11_NS: &str = "http://schemas.xmlsoap.org/ws/2003/05/partner-link/";
const BPWS_11_NS: &str = "http://schemas.xmlsoap.org/ws/2003/03/business-process/";
const WSDL_20_NS: &str = "http://www.w3.org/ns/wsdl";
use super::process_draft::{DRAFT_NS, DRAFT_PLNK_NS};

/// Reads a WSDL file. `None` when the document has no root element or its root is not
/// `wsdl:definitions` (reported).
pub fn read_wsdl(file: FileId, doc: &XmlDocument, diagnostics: &mut Vec<Diagnostic>) -> Option<WsdlDocument> {
    let root = doc.root.as_ref()?;
    if !root.is(WSDL_NS, "definitions") {
        let help = match root.namespace.as_deref() {
            Some(WSDL_20_NS) => "this is a WSDL 2.0 description; WS-BPEL 2.0 uses WSDL 1.1".to_string(),
            _ => format!("a WSDL 1.1 document starts with <definitions xmlns=\"{WSDL_NS}\">"),
        };
        diagnostics.push(crate::parse::wrong_root(file, root, "a WSDL 1.1 <definitions>", help));
        return None;
    }
    Some(read_definitions(file, &doc.scopes, root, diagnostics))
}

/// Reads a `wsdl:definitions` element.
pub fn read_definitions(file: FileId, scopes: &NamespaceScopes, root: &Element, diagnostics: &mut Vec<Diagnostic>) -> WsdlDocument {
    let mut reader = WsdlReader { reader: Reader { file, scopes, diagnostics } };
    reader.definitions(root)
}

struct WsdlReader<'a> {
    reader: Reader<'a>,
}

impl WsdlReader<'_> {
    /// The children of `element` in the WSDL namespace, without `documentation`. Unqualified
    /// elements are reported (usually a missing default namespace); other namespaces are
    /// extensions, returned separately for the callers that understand some of them.
    fn children<'e>(&mut self, element: &'e Element) -> (Vec<&'e Element>, Vec<&'e Element>) {
        let mut wsdl = Vec::new();
        let mut extensions = Vec::new();
        for child in element.child_elements() {
            match child.namespace.as_deref() {
                Some(WSDL_NS) if child.local == "documentation" => {}
                Some(WSDL_NS) => wsdl.push(child),
                Some(_) => extensions.push(child),
                None => self.reader.error(
                    codes::UNEXPECTED_ELEMENT,
                    child.name_span,
                    format!("<{}> is in no namespace; WSDL elements belong to `{WSDL_NS}`", child.qualified_name()),
                ),
            }
        }
        (wsdl, extensions)
    }

    fn definitions(&mut self, root: &Element) -> WsdlDocument {
        let mut doc = WsdlDocument {
            file: self.reader.file,
            span: root.span,
            name: self.reader.name(root, "name"),
            target_namespace: self.reader.name(root, "targetNamespace").filter(|n| !n.value.is_empty()),
            imports: Vec::new(),
            schemas: Vec::new(),
            messages: Vec::new(),
            port_types: Vec::new(),
            bindings: Vec::new(),
            services: Vec::new(),
            partner_link_types: Vec::new(),
            properties: Vec::new(),
            property_aliases: Vec::new(),
            namespaces: self.reader.scopes.clone(),
        };
        let (children, extensions) = self.children(root);
        for child in children {
            match child.local.as_str() {
                "import" => doc.imports.push(WsdlImport {
                    span: child.span,
                    namespace: self.reader.required(child, "namespace"),
                    location: self.reader.name(child, "location"),
                }),
                "types" => self.types(child, &mut doc.schemas),
                "message" => doc.messages.extend(self.message(child)),
                "portType" => doc.port_types.extend(self.port_type(child)),
                "binding" => doc.bindings.extend(self.binding(child)),
                "service" => doc.services.extend(self.service(child)),
                _ => self.reader.unexpected(child, root),
            }
        }
        let mut draft_elements = Vec::new();
        for extension in extensions {
            match (extension.namespace.as_deref(), extension.local.as_str()) {
                (Some(DRAFT_NS | DRAFT_PLNK_NS), _) => draft_elements.push(extension),
                (Some(PLNK_NS), "partnerLinkType") => doc.partner_link_types.extend(self.partner_link_type(extension)),
                (Some(VPROP_NS), "property") => doc.properties.extend(self.property(extension)),
                (Some(VPROP_NS), "propertyAlias") => doc.property_aliases.push(self.property_alias(extension)),
                (Some(PLNK_NS | VPROP_NS), _) => self.reader.unexpected(extension, root),
                (Some(PLNK_11_NS | BPWS_11_NS), _) => self.reader.warning(
                    codes::UNEXPECTED_ELEMENT,
                    extension.name_span,
                    format!(
                        "<{}> is in a BPEL4WS 1.1 namespace and is ignored; WS-BPEL 2.0 uses `{PLNK_NS}` for partner link types and `{VPROP_NS}` for properties",
                        extension.qualified_name()
                    ),
                ),
                _ => {}
            }
        }
        self.draft_extensions(&mut doc, &draft_elements);
        doc
    }

    /// The WS-BPEL 2.0 drafts' partner link types and properties, read as their 2.0 namesakes
    /// (see `parse::process_draft`); a draft partner link type of the same name as a 2.0 one in
    /// this document is the same declaration written twice (ODE's test WSDLs do this) and is skipped.
    fn draft_extensions(&mut self, doc: &mut WsdlDocument, elements: &[&Element]) {
        let Some(first) = elements.first() else { return };
        self.reader.diagnostics.push(
            Diagnostic::warning(
                codes::DRAFT_NAMESPACE,
                self.reader.file,
                first.name_span,
                format!(
                    "<{}> is in a WS-BPEL 2.0 draft namespace; its partner link types and properties were read as WS-BPEL 2.0",
                    first.qualified_name()
                ),
            )
            .with_help(format!("WS-BPEL 2.0 uses `{PLNK_NS}` for partner link types and `{VPROP_NS}` for properties")),
        );
        for &element in elements {
            match (element.namespace.as_deref(), element.local.as_str()) {
                (Some(DRAFT_PLNK_NS), "partnerLinkType") => {
                    let Some(partner_link_type) = self.partner_link_type(element) else { continue };
                    if !doc.partner_link_types.iter().any(|known| known.name.value == partner_link_type.name.value) {
                        doc.partner_link_types.push(partner_link_type);
                    }
                }
                (Some(DRAFT_NS), "property") => doc.properties.extend(self.property(element)),
                (Some(DRAFT_NS), "propertyAlias") => doc.property_aliases.push(self.property_alias(element)),
                _ => {}
            }
        }
    }

    fn types(&mut self, element: &Element, schemas: &mut Vec<crate::model::xsd::Schema>) {
        for child in element.child_elements() {
            match child.namespace.as_deref() {
                Some(XSD_NS) if child.local == "schema" => {
                    schemas.push(read_schema(self.reader.file, self.reader.scopes, child, self.reader.diagnostics));
                }
                Some(WSDL_NS) if child.local == "documentation" => {}
                Some(XSD_NS) | Some(WSDL_NS) | None => self.reader.unexpected(child, element),
                Some(_) => {}
            }
        }
    }

    fn message(&mut self, element: &Element) -> Option<Message> {
        let name = self.reader.required(element, "name")?;
        let mut message = Message { name, span: element.span, parts: Vec::new() };
        let (children, _) = self.children(element);
        for child in children {
            if child.local != "part" {
                self.reader.unexpected(child, element);
                continue;
            }
            let Some(part_name) = self.reader.required(child, "name") else { continue };
            let element_ref = self.reader.qname(child, "element");
            let type_ = self.reader.qname(child, "type");
            match (&element_ref, &type_) {
                (Some(_), Some(type_)) => self.reader.warning(
                    codes::INVALID_VALUE,
                    type_.span,
                    format!("part `{}` has both `element` and `type`; a part is typed by one of them", part_name.value),
                ),
                (None, None) => self.reader.warning(
                    codes::MISSING_REQUIRED,
                    child.name_span,
                    format!("part `{}` has neither `element` nor `type`", part_name.value),
                ),
                _ => {}
            }
            message.parts.push(Part { name: part_name, span: child.span, element: element_ref, type_ });
        }
        Some(message)
    }

    fn port_type(&mut self, element: &Element) -> Option<PortType> {
        let name = self.reader.required(element, "name")?;
        let mut port_type = PortType { name, span: element.span, operations: Vec::new() };
        let (children, _) = self.children(element);
        for child in children {
            if child.local != "operation" {
                self.reader.unexpected(child, element);
                continue;
            }
            port_type.operations.extend(self.operation(child));
        }
        Some(port_type)
    }

    fn operation(&mut self, element: &Element) -> Option<Operation> {
        let name = self.reader.required(element, "name")?;
        let mut operation = Operation { name, span: element.span, style: None, input: None, output: None, faults: Vec::new() };
        // Which of input and output comes first decides the transmission primitive.
        let mut input_first = None;
        let (children, _) = self.children(element);
        for child in children {
            match child.local.as_str() {
                "input" | "output" => {
                    let is_input = child.local == "input";
                    let slot = if is_input { &operation.input } else { &operation.output };
                    if slot.is_some() {
                        self.reader.error(
                            codes::UNEXPECTED_ELEMENT,
                            child.name_span,
                            format!("operation `{}` already has an <{}>", operation.name.value, child.local),
                        );
                        continue;
                    }
                    input_first.get_or_insert(is_input);
                    let message = OperationMessage {
                        span: child.span,
                        name: self.reader.name(child, "name"),
                        message: self.reader.required_qname(child, "message"),
                    };
                    if is_input {
                        operation.input = Some(message);
                    } else {
                        operation.output = Some(message);
                    }
                }
                "fault" => {
                    let Some(fault_name) = self.reader.required(child, "name") else { continue };
                    let message = self.reader.required_qname(child, "message");
                    operation.faults.push(Fault { name: fault_name, span: child.span, message });
                }
                _ => self.reader.unexpected(child, element),
            }
        }
        operation.style = match (&operation.input, &operation.output, input_first) {
            (Some(_), None, _) => Some(OperationStyle::OneWay),
            (None, Some(_), _) => Some(OperationStyle::Notification),
            (Some(_), Some(_), Some(true)) => Some(OperationStyle::RequestResponse),
            (Some(_), Some(_), _) => Some(OperationStyle::SolicitResponse),
            (None, None, _) => {
                self.reader.error(
                    codes::MISSING_REQUIRED,
                    operation.name.span,
                    format!("operation `{}` has neither <input> nor <output>", operation.name.value),
                );
                None
            }
        };
        Some(operation)
    }

    fn soap_style(&mut self, element: &Element) -> Option<Spanned<SoapStyle>> {
        let attribute = element.attr("style")?;
        let style = match attribute.value.trim() {
            "document" => SoapStyle::Document,
            "rpc" => SoapStyle::Rpc,
            other => {
                self.reader.error(
                    codes::INVALID_VALUE,
                    attribute.value_span,
                    format!("`style` must be `document` or `rpc`, not `{other}`"),
                );
                return None;
            }
        };
        Some(Spanned::new(style, attribute.value_span))
    }

    fn soap_use(&mut self, element: &Element) -> Option<Spanned<SoapUse>> {
        let attribute = element.attr("use")?;
        let use_ = match attribute.value.trim() {
            "literal" => SoapUse::Literal,
            "encoded" => SoapUse::Encoded,
            other => {
                self.reader.error(
                    codes::INVALID_VALUE,
                    attribute.value_span,
                    format!("`use` must be `literal` or `encoded`, not `{other}`"),
                );
                return None;
            }
        };
        Some(Spanned::new(use_, attribute.value_span))
    }

    fn binding(&mut self, element: &Element) -> Option<Binding> {
        let name = self.reader.required(element, "name")?;
        let mut binding = Binding {
            name,
            span: element.span,
            port_type: self.reader.required_qname(element, "type"),
            soap: None,
            operations: Vec::new(),
        };
        let (children, extensions) = self.children(element);
        for extension in extensions {
            if let Some(version) = soap_version(extension, "binding") {
                binding.soap = Some(SoapBinding {
                    span: extension.span,
                    version,
                    style: self.soap_style(extension),
                    transport: self.reader.name(extension, "transport"),
                });
            }
        }
        for child in children {
            if child.local != "operation" {
                self.reader.unexpected(child, element);
                continue;
            }
            binding.operations.extend(self.binding_operation(child));
        }
        Some(binding)
    }

    fn binding_operation(&mut self, element: &Element) -> Option<BindingOperation> {
        let name = self.reader.required(element, "name")?;
        let mut operation =
            BindingOperation { name, span: element.span, soap_action: None, style: None, input: None, output: None, faults: Vec::new() };
        let (children, extensions) = self.children(element);
        for extension in extensions {
            if soap_version(extension, "operation").is_some() {
                operation.soap_action = self.reader.name(extension, "soapAction");
                operation.style = self.soap_style(extension);
            }
        }
        for child in children {
            match child.local.as_str() {
                "input" | "output" => {
                    let message = self.binding_message(child);
                    let slot = if child.local == "input" { &mut operation.input } else { &mut operation.output };
                    if slot.is_some() {
                        self.reader.error(
                            codes::UNEXPECTED_ELEMENT,
                            child.name_span,
                            format!("binding operation `{}` already has an <{}>", operation.name.value, child.local),
                        );
                    } else {
                        *slot = Some(message);
                    }
                }
                "fault" => {
                    let mut fault = BindingFault { span: child.span, name: self.reader.required(child, "name"), soap_fault: None };
                    let (_, extensions) = self.children(child);
                    for extension in extensions {
                        if soap_version(extension, "fault").is_some() {
                            fault.soap_fault = Some(SoapFault {
                                span: extension.span,
                                name: self.reader.name(extension, "name"),
                                use_: self.soap_use(extension),
                                namespace: self.reader.name(extension, "namespace"),
                            });
                        }
                    }
                    operation.faults.push(fault);
                }
                _ => self.reader.unexpected(child, element),
            }
        }
        Some(operation)
    }

    fn binding_message(&mut self, element: &Element) -> BindingMessage {
        let mut message = BindingMessage { span: element.span, name: self.reader.name(element, "name"), body: None, headers: Vec::new() };
        let (children, extensions) = self.children(element);
        for child in children {
            self.reader.unexpected(child, element);
        }
        for extension in extensions {
            if soap_version(extension, "body").is_some() {
                message.body = Some(SoapBody {
                    span: extension.span,
                    use_: self.soap_use(extension),
                    namespace: self.reader.name(extension, "namespace"),
                    parts: extension.attr_value("parts").map(|parts| parts.split_ascii_whitespace().map(str::to_string).collect()),
                });
            } else if soap_version(extension, "header").is_some() {
                message.headers.push(SoapHeader {
                    span: extension.span,
                    message: self.reader.required_qname(extension, "message"),
                    part: self.reader.required(extension, "part"),
                    use_: self.soap_use(extension),
                    namespace: self.reader.name(extension, "namespace"),
                });
            }
        }
        message
    }

    fn service(&mut self, element: &Element) -> Option<Service> {
        let name = self.reader.required(element, "name")?;
        let mut service = Service { name, span: element.span, ports: Vec::new() };
        let (children, _) = self.children(element);
        for child in children {
            if child.local != "port" {
                self.reader.unexpected(child, element);
                continue;
            }
            let Some(port_name) = self.reader.required(child, "name") else { continue };
            let binding = self.reader.required_qname(child, "binding");
            let mut address = None;
            let (port_children, extensions) = self.children(child);
            for unexpected in port_children {
                self.reader.unexpected(unexpected, child);
            }
            for extension in extensions {
                if soap_version(extension, "address").is_some() {
                    address = self.reader.required(extension, "location");
                }
            }
            service.ports.push(Port { name: port_name, span: child.span, binding, address });
        }
        Some(service)
    }

    /// The children of a BPEL extension element in its own namespace; others are skipped.
    fn extension_children<'e>(&mut self, element: &'e Element, namespace: &str) -> Vec<&'e Element> {
        element.child_elements().filter(|child| child.namespace.as_deref() == Some(namespace) && child.local != "documentation").collect()
    }

    fn partner_link_type(&mut self, element: &Element) -> Option<PartnerLinkType> {
        let name = self.reader.required(element, "name")?;
        let mut partner_link_type = PartnerLinkType { name, span: element.span, roles: Vec::new() };
        for child in self.extension_children(element, element.namespace.as_deref().unwrap_or(PLNK_NS)) {
            if child.local != "role" {
                self.reader.unexpected(child, element);
                continue;
            }
            if partner_link_type.roles.len() == 2 {
                self.reader.error(codes::UNEXPECTED_ELEMENT, child.name_span, "a partnerLinkType has at most two roles");
                continue;
            }
            let Some(role_name) = self.reader.required(child, "name") else { continue };
            let port_type = self.reader.required_qname(child, "portType");
            partner_link_type.roles.push(Role { name: role_name, span: child.span, port_type });
        }
        if partner_link_type.roles.is_empty() {
            self.reader.error(
                codes::MISSING_REQUIRED,
                partner_link_type.name.span,
                format!("partnerLinkType `{}` needs at least one <plnk:role>", partner_link_type.name.value),
            );
        }
        Some(partner_link_type)
    }

    fn property(&mut self, element: &Element) -> Option<Property> {
        let name = self.reader.required(element, "name")?;
        Some(Property {
            name,
            span: element.span,
            type_: self.reader.qname(element, "type"),
            element: self.reader.qname(element, "element"),
        })
    }

    fn property_alias(&mut self, element: &Element) -> PropertyAlias {
        let mut alias = PropertyAlias {
            span: element.span,
            property_name: self.reader.required_qname(element, "propertyName"),
            message_type: self.reader.qname(element, "messageType"),
            part: self.reader.name(element, "part"),
            type_: self.reader.qname(element, "type"),
            element: self.reader.qname(element, "element"),
            query: None,
        };
        for child in self.extension_children(element, element.namespace.as_deref().unwrap_or(VPROP_NS)) {
            if child.local != "query" || alias.query.is_some() {
                self.reader.unexpected(child, element);
                continue;
            }
            alias.query = Some(Query {
                span: child.span,
                query_language: self.reader.name(child, "queryLanguage"),
                text: child.text(),
                text_span: child.text_span(),
                scope: child.scope,
                namespaces: self.reader.scopes.in_scope(child.scope),
            });
        }
        alias
    }
}

/// The SOAP version when `element` is the SOAP 1.1 or 1.2 binding element `local`.
fn soap_version(element: &Element, local: &str) -> Option<SoapVersion> {
    if element.local != local {
        return None;
    }
    match element.namespace.as_deref() {
        Some(SOAP_NS) => Some(SoapVersion::Soap11),
        Some(SOAP12_NS) => Some(SoapVersion::Soap12),
        _ => None,
    }
}
