//! QNames of a process to the WSDL and XSD definitions it imports: partner link types and their
//! roles, messages, port types and operations, properties, elements and types.

use std::collections::HashSet;

use crate::diagnostic::{codes, Diagnostic};
use crate::model::process::*;
use crate::model::{QName, QNameRef};
use crate::parse::Definitions;
use crate::source::FileId;

/// A diagnostic for every reference to a definition that the imports do not provide. A namespace
/// none of the loaded documents defines is only reported when every import loaded: otherwise the
/// failed import already explains it.
pub fn check_definitions(process: &Process, definitions: &Definitions) -> Vec<Diagnostic> {
    let mut known_namespaces: HashSet<Option<&str>> = definitions.documents().iter().map(|d| d.target_namespace()).collect();
    known_namespaces.insert(Some(crate::model::xsd::XSD_NS));
    let all_imports_loaded = process.imports.iter().all(|i| i.location.is_none())
        || definitions.documents().len() >= process.imports.iter().filter(|i| i.location.is_some()).count();
    let mut checker = Checker { process, definitions, known_namespaces, all_imports_loaded, diagnostics: Vec::new() };
    checker.scope(&process.scope);
    for activity in &process.activities {
        checker.activity(activity);
    }
    checker.diagnostics
}

struct Checker<'a> {
    process: &'a Process,
    definitions: &'a Definitions,
    known_namespaces: HashSet<Option<&'a str>>,
    all_imports_loaded: bool,
    diagnostics: Vec<Diagnostic>,
}

/// Which role of a partner link a message activity uses.
#[derive(Clone, Copy)]
enum Direction {
    /// receive, reply, onMessage, onEvent: the process's own role.
    Inbound,
    /// invoke: the partner's role.
    Outbound,
}

impl<'a> Checker<'a> {
    fn file(&self) -> FileId {
        self.process.file
    }

    fn missing(&mut self, what: &str, reference: &QNameRef, help: &str) {
        let Some(name) = &reference.name else { return };
        if !self.all_imports_loaded && !self.known_namespaces.contains(&name.namespace.as_deref()) {
            return;
        }
        let namespace = name.namespace.as_deref().unwrap_or("");
        let mut diagnostic = Diagnostic::error(
            codes::UNRESOLVED_DEFINITION,
            self.file(),
            reference.span,
            format!("{what} `{}` is not defined in namespace `{namespace}` by any imported document", name.local),
        );
        diagnostic = diagnostic.with_help(help.to_string());
        self.diagnostics.push(diagnostic);
    }

    fn message_type(&mut self, reference: &Option<QNameRef>) {
        if let Some(reference) = reference {
            if let Some(name) = &reference.name {
                if self.definitions.message(name).is_none() {
                    self.missing("message", reference, "import the WSDL that defines it, or correct the name");
                }
            }
        }
    }

    fn element(&mut self, reference: &Option<QNameRef>) {
        if let Some(reference) = reference {
            if let Some(name) = &reference.name {
                if self.definitions.element(name).is_none() {
                    self.missing("element", reference, "import the schema (or WSDL) that declares it as a global element");
                }
            }
        }
    }

    fn type_(&mut self, reference: &Option<QNameRef>) {
        if let Some(reference) = reference {
            if let Some(name) = &reference.name {
                if !self.definitions.has_type(name) {
                    self.missing("type", reference, "use a built-in XML Schema type or import the schema that defines it");
                }
            }
        }
    }

    fn property(&mut self, reference: &QNameRef) {
        if let Some(name) = &reference.name {
            if self.definitions.property(name).is_none() {
                self.missing("property", reference, "properties are declared with <vprop:property> in an imported WSDL");
            }
        }
    }

    fn scope(&mut self, decls: &ScopeDecls) {
        for partner_link in &decls.partner_links {
            self.partner_link(partner_link);
        }
        for variable in &decls.variables {
            self.message_type(&variable.ty.message_type);
            self.element(&variable.ty.element);
            self.type_(&variable.ty.type_);
        }
        for set in &decls.correlation_sets {
            for property in &set.properties {
                self.property(property);
            }
        }
        if let Some(fault_handlers) = &decls.fault_handlers {
            for catch in &fault_handlers.catches {
                self.message_type(&catch.fault_message_type);
                self.element(&catch.fault_element);
            }
        }
        if let Some(event_handlers) = &decls.event_handlers {
            for on_event in &event_handlers.on_events {
                self.message_type(&on_event.message_type);
                self.element(&on_event.element);
                self.message_spec(&on_event.message, Direction::Inbound);
            }
        }
    }

    fn partner_link(&mut self, partner_link: &PartnerLink) {
        let Some(reference) = &partner_link.partner_link_type else { return };
        let Some(name) = &reference.name else { return };
        let Some(link_type) = self.definitions.partner_link_type(name) else {
            self.missing("partnerLinkType", reference, "partner link types are declared with <plnk:partnerLinkType> in an imported WSDL");
            return;
        };
        for role in [&partner_link.my_role, &partner_link.partner_role].into_iter().flatten() {
            if link_type.role(&role.value).is_none() {
                let roles: Vec<&str> = link_type.roles.iter().map(|r| r.name.value.as_str()).collect();
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::UNRESOLVED_DEFINITION,
                        self.file(),
                        role.span,
                        format!("partnerLinkType `{}` has no role `{}`", name.local, role.value),
                    )
                    .with_help(format!("its roles are: {}", roles.join(", ")))
                    .with_related(link_type.file(), link_type.name.span, "the partnerLinkType is defined here"),
                );
            }
        }
    }

    /// The port type a message activity uses: its `portType`, else the one of the partner link's role.
    fn port_type_of(&self, message: &MessageSpec, direction: Direction) -> Option<QName> {
        if let Some(name) = message.port_type.as_ref().and_then(|p| p.name.clone()) {
            return Some(name);
        }
        let link_name = &message.partner_link.as_ref()?.value;
        let partner_link = self.visible_partner_link(link_name)?;
        let link_type = self.definitions.partner_link_type(partner_link.partner_link_type.as_ref()?.name.as_ref()?)?;
        let role_name = match direction {
            Direction::Inbound => partner_link.my_role.as_ref()?,
            Direction::Outbound => partner_link.partner_role.as_ref()?,
        };
        link_type.role(&role_name.value)?.port_type.as_ref()?.name.clone()
    }

    /// A partner link of this name anywhere in the process. Lexical visibility is checked by
    /// `resolve`; here any declaration serves to find the port type.
    fn visible_partner_link(&self, name: &str) -> Option<&'a PartnerLink> {
        let process = self.process;
        let scopes = std::iter::once(&process.scope).chain(process.activities.iter().filter_map(|a| match &a.kind {
            ActivityKind::Scope(scope) => Some(&scope.decls),
            _ => None,
        }));
        scopes.flat_map(|decls| decls.partner_links.iter()).find(|pl| pl.name.as_ref().is_some_and(|n| n.value == name))
    }

    fn message_spec(&mut self, message: &MessageSpec, direction: Direction) {
        if let Some(reference) = &message.port_type {
            if let Some(name) = &reference.name {
                if self.definitions.port_type(name).is_none() {
                    self.missing("portType", reference, "import the WSDL that defines it, or correct the name");
                    return;
                }
            }
        }
        let (Some(operation), Some(port_type)) = (&message.operation, self.port_type_of(message, direction)) else { return };
        let Some(found) = self.definitions.port_type(&port_type) else { return };
        if found.operation(&operation.value).is_none() {
            let operations: Vec<&str> = found.operations.iter().map(|o| o.name.value.as_str()).collect();
            self.diagnostics.push(
                Diagnostic::error(
                    codes::UNRESOLVED_DEFINITION,
                    self.file(),
                    operation.span,
                    format!("portType `{}` has no operation `{}`", port_type.local, operation.value),
                )
                .with_help(format!("its operations are: {}", operations.join(", ")))
                .with_related(found.file(), found.name.span, "the portType is defined here"),
            );
        }
    }

    fn activity(&mut self, activity: &Activity) {
        match &activity.kind {
            ActivityKind::Receive(receive) => self.message_spec(&receive.message, Direction::Inbound),
            ActivityKind::Reply(reply) => self.message_spec(&reply.message, Direction::Inbound),
            ActivityKind::Invoke(invoke) => {
                self.message_spec(&invoke.message, Direction::Outbound);
                self.scope(&invoke.handlers);
            }
            ActivityKind::Pick(pick) => {
                for on_message in &pick.on_messages {
                    self.message_spec(&on_message.message, Direction::Inbound);
                }
            }
            ActivityKind::Scope(scope) => self.scope(&scope.decls),
            ActivityKind::Assign(assign) => {
                for operation in &assign.operations {
                    if let AssignOperation::Copy(copy) = operation {
                        let from_property = copy.from.as_ref().and_then(|f| f.property.as_ref());
                        let to_property = copy.to.as_ref().and_then(|t| t.property.as_ref());
                        for property in from_property.into_iter().chain(to_property) {
                            self.property(property);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
