//! Apache ODE's deployment descriptor, `deploy.xml` (namespace
//! `http://www.apache.org/ode/schemas/dd/2007/03`, schema `bpel-schemas/src/main/xsd/dd.xsd` in
//! ODE): which processes of a folder to activate, which WSDL service and port each partner link
//! provides (where the process is published) or invokes (where the partner is called), and process
//! properties.
//!
//! Pure: [`read_deploy_xml`] turns text into a [`DeployDescriptor`] and diagnostics with spans in
//! the descriptor; [`resolve`] checks one `<process>` entry against the process it names and the
//! WSDL it imports, giving a [`ProcessDeployment`] (what a host uses) and the contradictions. The
//! settings ODE has and this engine does not act on (`retired`, `in-memory`, `process-events`,
//! `mex-interceptors`, `cleanup`, `schedule`, `type`, `enableSharing`, an invoke by `binding`) are
//! read past with a warning naming them. Process properties are kept, typed, in
//! [`ProcessDeployment::properties`] (a host sets them on `Deployed::deployment`); ODE's XPath
//! function `ode:process-property()`, through which ODE processes read them, is not implemented
//! (it belongs with ODE's other XPath extension functions), so a process cannot read them yet.

use std::collections::BTreeMap;

use crate::diagnostic::{codes, Diagnostic};
use crate::model::process::Process;
use crate::model::{QName, QNameRef};
use crate::parse::Definitions;
use crate::source::FileId;
use crate::span::{Span, Spanned};
use crate::syntax::{parse_xml, Element, NamespaceScopes};

/// The namespace of ODE's deployment descriptor.
pub const DD_NS: &str = "http://www.apache.org/ode/schemas/dd/2007/03";
/// The file name ODE looks for in a deployment folder.
pub const FILE_NAME: &str = "deploy.xml";

/// A deployment descriptor as written.
#[derive(Clone, Debug)]
pub struct DeployDescriptor {
    pub file: FileId,
    /// The root element's name (`None` when the text has no root element).
    pub root: Option<Span>,
    pub processes: Vec<ProcessEntry>,
}

/// One `<process name="q:Name">`.
#[derive(Clone, Debug)]
pub struct ProcessEntry {
    pub span: Span,
    pub name: QNameRef,
    /// `<active>`: deploy the process to receive messages (default `true`).
    pub active: Spanned<bool>,
    pub properties: Vec<PropertyEntry>,
    pub provides: Vec<EndpointEntry>,
    pub invokes: Vec<EndpointEntry>,
}

/// `<property name="q:n">value</property>`.
#[derive(Clone, Debug)]
pub struct PropertyEntry {
    pub span: Span,
    pub name: QNameRef,
    pub value: String,
}

/// `<provide>` or `<invoke partnerLink="..."><service name="q:S" port="P"/>`.
#[derive(Clone, Debug)]
pub struct EndpointEntry {
    pub span: Span,
    pub partner_link: Spanned<String>,
    pub service: QNameRef,
    pub port: Spanned<String>,
}

/// What a host does with one process, from its descriptor entry (or the conventions without one).
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessDeployment {
    pub active: bool,
    /// Partner link (myRole) → the port it is published at.
    pub provides: BTreeMap<String, PortRef>,
    /// Partner link (partnerRole) → the port the partner is called at.
    pub invokes: BTreeMap<String, PortRef>,
    /// Process properties, in the descriptor's order.
    pub properties: Vec<(QName, String)>,
}

impl Default for ProcessDeployment {
    /// The conventions without a descriptor: active, every port of a myRole port type published,
    /// partners called at their WSDL port, no properties.
    fn default() -> ProcessDeployment {
        ProcessDeployment { active: true, provides: BTreeMap::new(), invokes: BTreeMap::new(), properties: Vec::new() }
    }
}

/// A WSDL service port named by the descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortRef {
    pub service: QName,
    pub port: String,
    /// The port's `soap:address`, when it has one.
    pub address: Option<String>,
}

/// Reads a descriptor. Never fails: a malformed text gives what could be read and diagnostics.
pub fn read_deploy_xml(file: FileId, text: &str) -> (DeployDescriptor, Vec<Diagnostic>) {
    let document = parse_xml(text);
    let mut diagnostics: Vec<Diagnostic> =
        document.errors.iter().map(|e| Diagnostic::error(codes::DEPLOY_MALFORMED, file, e.span, e.message.clone())).collect();
    let mut descriptor = DeployDescriptor { file, root: document.root.as_ref().map(|r| r.name_span), processes: Vec::new() };
    let Some(root) = &document.root else {
        return (descriptor, diagnostics);
    };
    let mut reader = Reader { file, scopes: &document.scopes, diagnostics: &mut diagnostics };
    if !root.is(DD_NS, "deploy") {
        reader.error(
            root.name_span,
            format!(
                "expected ODE's <deploy xmlns=\"{DD_NS}\">, found <{}> in namespace `{}`",
                root.qualified_name(),
                root.namespace.as_deref().unwrap_or("")
            ),
        );
        return (descriptor, diagnostics);
    }
    for child in reader.children(root) {
        if child.local == "process" {
            if let Some(entry) = reader.process(child) {
                descriptor.processes.push(entry);
            }
        } else {
            reader.error(child.name_span, format!("<{}> is not allowed in <deploy>; it holds <process> elements", child.local));
        }
    }
    (descriptor, diagnostics)
}

struct Reader<'a> {
    file: FileId,
    scopes: &'a NamespaceScopes,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Reader<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(codes::DEPLOY_MALFORMED, self.file, span, message));
    }

    fn ignored(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(codes::DEPLOY_IGNORED, self.file, span, message));
    }

    /// The children in the descriptor's namespace; others are reported.
    fn children<'e>(&mut self, element: &'e Element) -> Vec<&'e Element> {
        let mut out = Vec::new();
        for child in element.child_elements() {
            if child.namespace.as_deref() == Some(DD_NS) {
                out.push(child);
            } else {
                self.error(
                    child.name_span,
                    format!("<{}> is not in the deployment descriptor's namespace `{DD_NS}`", child.qualified_name()),
                );
            }
        }
        out
    }

    fn required(&mut self, element: &Element, local: &str) -> Option<Spanned<String>> {
        match element.attr(local) {
            Some(attribute) => Some(Spanned::new(attribute.value.trim().to_string(), attribute.value_span)),
            None => {
                self.error(element.name_span, format!("<{}> needs the attribute `{local}`", element.local));
                None
            }
        }
    }

    fn qname(&mut self, element: &Element, local: &str) -> Option<QNameRef> {
        let value = self.required(element, local)?;
        let name = match self.scopes.resolve_qname(element.scope, &value.value) {
            Ok((namespace, local)) => Some(QName::new(namespace, local)),
            Err(error) => {
                self.error(value.span, format!("`{}`: {error}", value.value));
                None
            }
        };
        Some(QNameRef { text: value.value, span: value.span, name })
    }

    fn boolean(&mut self, element: &Element) -> Option<Spanned<bool>> {
        let span = element.text_span();
        match element.text().trim() {
            "true" | "1" => Some(Spanned::new(true, span)),
            "false" | "0" => Some(Spanned::new(false, span)),
            other => {
                self.error(span, format!("<{}> is `true` or `false`, not `{other}`", element.local));
                None
            }
        }
    }

    fn process(&mut self, element: &Element) -> Option<ProcessEntry> {
        let name = self.qname(element, "name")?;
        let mut entry = ProcessEntry {
            span: element.span,
            name,
            active: Spanned::new(true, element.name_span),
            properties: Vec::new(),
            provides: Vec::new(),
            invokes: Vec::new(),
        };
        for child in self.children(element) {
            match child.local.as_str() {
                "active" => {
                    if let Some(active) = self.boolean(child) {
                        entry.active = active;
                    }
                }
                "property" => {
                    let Some(name) = self.qname(child, "name") else { continue };
                    if child.child_elements().next().is_some() {
                        self.ignored(child.name_span, "a process property is read as its text; the elements inside it are left out");
                    }
                    entry.properties.push(PropertyEntry { span: child.span, name, value: child.text().trim().to_string() });
                }
                "provide" | "invoke" => {
                    if let Some(endpoint) = self.endpoint(child) {
                        if child.local == "provide" {
                            entry.provides.push(endpoint);
                        } else {
                            entry.invokes.push(endpoint);
                        }
                    }
                }
                "retired" | "in-memory" | "process-events" | "mex-interceptors" | "type" | "cleanup" | "schedule" => self.ignored(
                    child.name_span,
                    format!(
                        "<{}> is an Apache ODE setting this engine does not act on; it is ignored (instances are kept by `bpel serve`'s store)",
                        child.local
                    ),
                ),
                other => self.error(child.name_span, format!("<{other}> is not allowed in <process>")),
            }
        }
        Some(entry)
    }

    fn endpoint(&mut self, element: &Element) -> Option<EndpointEntry> {
        let partner_link = self.required(element, "partnerLink");
        let mut service = None;
        for child in self.children(element) {
            match child.local.as_str() {
                "service" if service.is_none() => {
                    let name = self.qname(child, "name");
                    let port = self.required(child, "port");
                    if let (Some(name), Some(port)) = (name, port) {
                        service = Some((name, port));
                    }
                }
                "binding" | "enableSharing" => self.ignored(
                    child.name_span,
                    format!("<{}> is an Apache ODE setting this engine does not act on; it is ignored", child.local),
                ),
                other => self.error(child.name_span, format!("<{other}> is not allowed in <{}>", element.local)),
            }
        }
        let partner_link = partner_link?;
        let Some((service, port)) = service else {
            if !element.child_elements().any(|c| c.local == "binding") {
                self.error(element.name_span, format!("<{}> needs a <service name=\"...\" port=\"...\">", element.local));
            }
            return None;
        };
        Some(EndpointEntry { span: element.span, partner_link, service, port })
    }
}

/// The descriptor's entry for the process named `{target_namespace}name`, if any.
pub fn entry_for<'a>(descriptor: &'a DeployDescriptor, process: &Process) -> Option<&'a ProcessEntry> {
    let name = process_qname(process)?;
    descriptor.processes.iter().find(|entry| entry.name.name.as_ref() == Some(&name))
}

/// `{targetNamespace}name` of a process.
pub fn process_qname(process: &Process) -> Option<QName> {
    let name = process.name.as_ref()?;
    Some(QName::new(process.target_namespace.as_ref().map(|t| t.value.as_str()), &name.value))
}

/// Checks a descriptor entry against its process and the WSDL the process imports. Every
/// contradiction is a diagnostic in the descriptor; what is consistent is kept.
pub fn resolve(entry: &ProcessEntry, file: FileId, process: &Process, definitions: &Definitions) -> (ProcessDeployment, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut deployment = ProcessDeployment { active: entry.active.value, ..ProcessDeployment::default() };
    for (endpoints, provide) in [(&entry.provides, true), (&entry.invokes, false)] {
        for endpoint in endpoints {
            let link = &endpoint.partner_link;
            let declared = process.scope.partner_links.iter().find(|p| p.name.as_ref().is_some_and(|n| n.value == link.value));
            let known: Vec<&str> = process.scope.partner_links.iter().filter_map(|p| p.name.as_ref().map(|n| n.value.as_str())).collect();
            let Some(declared) = declared else {
                diagnostics.push(
                    Diagnostic::error(
                        codes::DEPLOY_CONTRADICTION,
                        file,
                        link.span,
                        format!("the process `{}` has no partner link `{}`", entry.name.text, link.value),
                    )
                    .with_help(format!("its partner links are: {}", known.join(", "))),
                );
                continue;
            };
            let (role, element) = if provide { (&declared.my_role, "provide") } else { (&declared.partner_role, "invoke") };
            if role.is_none() {
                let needed = if provide { "myRole" } else { "partnerRole" };
                diagnostics.push(Diagnostic::error(
                    codes::DEPLOY_CONTRADICTION,
                    file,
                    link.span,
                    format!("<{element}> names the partner link `{}`, which has no {needed} in the process", link.value),
                ));
                continue;
            }
            let Some(service_name) = &endpoint.service.name else { continue };
            let Some(service) = definitions.service(service_name) else {
                diagnostics.push(
                    Diagnostic::error(
                        codes::DEPLOY_CONTRADICTION,
                        file,
                        endpoint.service.span,
                        format!("no WSDL the process imports defines the service `{}`", endpoint.service.text),
                    )
                    .with_help(format!("services defined: {}", service_names(definitions))),
                );
                continue;
            };
            let Some(port) = service.ports.iter().find(|p| p.name.value == endpoint.port.value) else {
                let ports: Vec<&str> = service.ports.iter().map(|p| p.name.value.as_str()).collect();
                diagnostics.push(
                    Diagnostic::error(
                        codes::DEPLOY_CONTRADICTION,
                        file,
                        endpoint.port.span,
                        format!("the service `{}` has no port `{}`", endpoint.service.text, endpoint.port.value),
                    )
                    .with_help(format!("its ports are: {}", ports.join(", "))),
                );
                continue;
            };
            // The port must implement the port type of the partner link's role, when both are known.
            let role_port_type = declared
                .partner_link_type
                .as_ref()
                .and_then(|t| definitions.partner_link_type(t.name.as_ref()?))
                .and_then(|plt| plt.roles.iter().find(|r| role.as_ref().is_some_and(|name| name.value == r.name.value))?.port_type.clone())
                .and_then(|q| q.name);
            let port_port_type =
                port.binding.as_ref().and_then(|b| definitions.binding(b.name.as_ref()?)).and_then(|b| b.port_type.clone()?.name);
            if let (Some(expected), Some(found)) = (&role_port_type, &port_port_type) {
                if expected != found {
                    diagnostics.push(Diagnostic::error(
                        codes::DEPLOY_CONTRADICTION,
                        file,
                        endpoint.port.span,
                        format!(
                            "the port `{}` implements `{found}`, but the partner link `{}`'s role uses `{expected}`",
                            endpoint.port.value, link.value
                        ),
                    ));
                    continue;
                }
            }
            let target = if provide { &mut deployment.provides } else { &mut deployment.invokes };
            target.insert(
                link.value.clone(),
                PortRef {
                    service: service_name.clone(),
                    port: port.name.value.clone(),
                    address: port.address.as_ref().map(|a| a.value.clone()),
                },
            );
        }
    }
    deployment.properties = entry.properties.iter().filter_map(|p| Some((p.name.name.clone()?, p.value.clone()))).collect();
    (deployment, diagnostics)
}

fn service_names(definitions: &Definitions) -> String {
    let names: Vec<String> = definitions.iter::<crate::model::wsdl::Service>().map(|s| s.qname().to_string()).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03" xmlns:p="urn:p" xmlns:s="urn:s">"#;

    fn read(body: &str) -> (String, DeployDescriptor, Vec<Diagnostic>) {
        let text = format!("{HEAD}{body}</deploy>");
        let (descriptor, diagnostics) = read_deploy_xml(FileId(0), &text);
        (text, descriptor, diagnostics)
    }

    #[test]
    fn every_part_of_a_descriptor_is_read_with_its_position() {
        let (text, descriptor, diagnostics) = read(
            r#"<process name="p:Order"><active>false</active><property name="p:region">EU</property>
            <provide partnerLink="client"><service name="s:OrderService" port="AltPort"/></provide>
            <invoke partnerLink="approver"><service name="s:Approver" port="ApproverPort"/></invoke></process>"#,
        );
        assert_eq!(diagnostics, vec![]);
        let entry = &descriptor.processes[0];
        assert_eq!(entry.name.name, Some(QName::new(Some("urn:p"), "Order")));
        assert!(!entry.active.value);
        assert_eq!(entry.active.span.slice(&text), "false");
        assert_eq!(entry.properties[0].value, "EU");
        assert_eq!(entry.provides[0].port.span.slice(&text), "AltPort");
        assert_eq!(entry.invokes[0].service.name, Some(QName::new(Some("urn:s"), "Approver")));
        assert_eq!(entry.invokes[0].partner_link.span.slice(&text), "approver");
    }

    #[test]
    fn a_malformed_descriptor_is_reported_where_it_is_wrong() {
        let (text, _, diagnostics) = read(r#"<process name="x:Order"><active>maybe</active><provide/></process>"#);
        let found: Vec<(&str, &str)> = diagnostics.iter().map(|d| (d.code, d.span.slice(&text))).collect();
        assert!(found.contains(&(codes::DEPLOY_MALFORMED, "x:Order")), "{found:?}");
        let (text, descriptor, diagnostics) = read(r#"<process name="p:Order"><active>maybe</active><provide/><cleanup/></process>"#);
        let found: Vec<(&str, &str)> = diagnostics.iter().map(|d| (d.code, d.span.slice(&text))).collect();
        assert!(found.contains(&(codes::DEPLOY_MALFORMED, "maybe")), "{found:?}");
        assert!(found.contains(&(codes::DEPLOY_MALFORMED, "provide")), "{found:?}");
        assert!(found.contains(&(codes::DEPLOY_IGNORED, "cleanup")), "{found:?}");
        assert_eq!(descriptor.processes.len(), 1);

        let (_, diagnostics) = read_deploy_xml(FileId(0), "<deploy><process");
        assert!(diagnostics.iter().all(|d| d.code == codes::DEPLOY_MALFORMED) && !diagnostics.is_empty());
        let (_, diagnostics) = read_deploy_xml(FileId(0), "<deployment/>");
        assert_eq!(diagnostics[0].code, codes::DEPLOY_MALFORMED);
    }

    #[test]
    fn truncated_descriptors_never_panic() {
        let (text, _, _) = read(
            r#"<process name="p:Order"><active>true</active><property name="p:r">x</property><provide partnerLink="c"><service name="s:S" port="P"/></provide></process>"#,
        );
        for end in 0..text.len() {
            if text.is_char_boundary(end) {
                let _ = read_deploy_xml(FileId(0), &text[..end]);
            }
        }
    }
}
