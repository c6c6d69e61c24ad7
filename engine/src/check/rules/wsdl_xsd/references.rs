//! References from the process to WSDL and XSD definitions: each must be defined by an imported
//! document (SA00010), and a message activity's `portType` must be its partner link role's
//! (SA00005). The types of the properties the process uses count as used definitions (SA00010).

use std::collections::HashSet;

use super::{prefixed, remove_attribute, replace, Rule, RuleContext};
use crate::check::rules::Tier;
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::model::wsdl::Property;
use crate::model::QNameRef;
use crate::parse::loader::Def;
use crate::resolve::{
    message_activities, start_tag_name, undeclared, Direction, MessageActivity, ProcessDefinitions, RoleBinding, SymbolKind,
};
use crate::source::FileId;
use crate::span::Span;

pub(super) const SA00005: Rule = Rule {
    code: "SA00005",
    tier: Tier::Wsdl,
    summary: "A message activity's portType is not the port type of its partner link's role.",
    why: "The port type of a receive, reply, invoke, onMessage or onEvent is already fixed by its partner \
          link: the partnerLinkType's role (myRole for inbound activities, partnerRole for invoke) names it. \
          The optional `portType` attribute only repeats it, and must agree.",
    failing: r#"<partnerLink name="client" partnerLinkType="tns:OrderLT" myRole="seller"/>
<!-- role "seller" has portType="tns:OrderPT" -->
<receive partnerLink="client" portType="tns:ShippingPT" operation="order" variable="req"/>"#,
    fixed: r#"<receive partnerLink="client" portType="tns:OrderPT" operation="order" variable="req"/>"#,
    check: check_port_type_attributes,
};

pub(super) const SA00010: Rule = Rule {
    code: "SA00010",
    tier: Tier::Wsdl,
    summary: "The process uses a definition (partner link, message, port type, operation, property, element, type...) that is not declared or imported.",
    why: "A process must import every XML Schema and WSDL definition it uses: types, elements, messages, \
          port types, partner link types, properties and property aliases, and the type or element of each \
          property it correlates on or an imported alias maps. A name that no imported document defines (or a \
          partner link no scope declares) leaves the process without the contract it relies on.",
    failing: r#"<import namespace="urn:orders" location="Orders.wsdl"
        importType="http://schemas.xmlsoap.org/wsdl/"/>
<variable name="req" messageType="tns:orderRequst"/>"#,
    fixed: r#"<import namespace="urn:orders" location="Orders.wsdl"
        importType="http://schemas.xmlsoap.org/wsdl/"/>
<variable name="req" messageType="tns:orderRequest"/>"#,
    check: check_unresolved_definitions,
};

fn check_port_type_attributes(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let index = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for activity in message_activities(cx.process) {
        let message = activity.message();
        let Some(written) = &message.port_type else { continue };
        let Some(name) = &written.name else { continue };
        let Some(binding) = index.role(message, activity.direction()) else { continue };
        if name == binding.port_type {
            continue;
        }
        let role_kind = match activity.direction() {
            Direction::Inbound => "myRole",
            Direction::Outbound => "partnerRole",
        };
        let link = binding.partner_link.name.as_ref().map_or("", |n| n.value.as_str());
        let defined = if cx.definitions.port_type(name).is_some() { "" } else { " (and no imported document defines it)" };
        let mut diagnostic = Diagnostic::error(
            SA00005.code,
            cx.file,
            written.span,
            format!(
                "<{}> names port type `{}`{defined}, but the {role_kind} `{}` of partner link `{link}` has port type `{}`",
                activity.tag(),
                written.text,
                binding.role.name.value,
                binding.port_type.local
            ),
        )
        .with_related(binding.link_type.file(), binding.role.span, "the role is defined here");
        let fix = match prefixed(cx, activity.namespaces(cx.process), binding.port_type) {
            Some(correct) => Some(replace(cx, written.span, correct.clone(), format!("Change to `{correct}`"))),
            None => remove_attribute(cx, written.span, "Remove the portType attribute".to_string()),
        };
        if let Some(fix) = fix {
            diagnostic = diagnostic.with_fix(fix);
        }
        out.push(diagnostic);
    }
}

fn check_unresolved_definitions(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let imports_with_location = cx.process.imports.iter().filter(|i| i.location.is_some()).count();
    let all_imports_loaded = cx.unit.imports.iter().flatten().count() >= imports_with_location;
    let mut checker = Unresolved {
        cx,
        index: ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols),
        all_imports_loaded,
        typed_properties: HashSet::new(),
        out,
    };
    checker.declarations(&cx.process.scope);
    for activity in &cx.process.activities {
        checker.activity(activity);
    }
    for activity in message_activities(cx.process) {
        checker.message_activity(&activity);
    }
    checker.undeclared_partner_links();
    checker.aliased_property_types();
}

struct Unresolved<'a, 'o> {
    cx: &'o RuleContext<'a>,
    index: ProcessDefinitions<'a>,
    /// When an import failed, a name in a namespace no loaded document has is not reported again:
    /// the failed import already explains it.
    all_imports_loaded: bool,
    /// The properties whose type was checked, by where they are written: each is reported once.
    typed_properties: HashSet<(FileId, Span)>,
    out: &'o mut Vec<Diagnostic>,
}

impl<'a> Unresolved<'a, '_> {
    fn missing(&mut self, what: &str, reference: &QNameRef, help: &str) {
        let Some(name) = &reference.name else { return };
        if !self.all_imports_loaded && !self.is_known_namespace(name.namespace.as_deref()) {
            return;
        }
        let namespace = name.namespace.as_deref().unwrap_or("");
        self.out.push(
            Diagnostic::error(
                SA00010.code,
                self.cx.file,
                reference.span,
                format!("{what} `{}` is not defined in namespace `{namespace}` by any imported document", name.local),
            )
            .with_help(help.to_string()),
        );
    }

    /// XML Schema's namespace, or the target namespace of a loaded document.
    fn is_known_namespace(&self, namespace: Option<&str>) -> bool {
        namespace == Some(crate::model::xsd::XSD_NS) || self.cx.definitions.documents().iter().any(|d| d.target_namespace() == namespace)
    }

    fn message_type(&mut self, reference: &Option<QNameRef>) {
        let Some(reference) = reference else { return };
        if reference.name.as_ref().is_some_and(|name| self.cx.definitions.message(name).is_none()) {
            self.missing("message", reference, "import the WSDL that defines it, or correct the name");
        }
    }

    fn element(&mut self, reference: &Option<QNameRef>) {
        let Some(reference) = reference else { return };
        if reference.name.as_ref().is_some_and(|name| self.cx.definitions.element(name).is_none()) {
            self.missing("element", reference, "import the schema (or WSDL) that declares it as a global element");
        }
    }

    fn type_(&mut self, reference: &Option<QNameRef>) {
        let Some(reference) = reference else { return };
        if reference.name.as_ref().is_some_and(|name| !self.cx.definitions.has_type(name)) {
            self.missing("type", reference, "use a built-in XML Schema type or import the schema that defines it");
        }
    }

    fn property(&mut self, reference: &QNameRef) {
        if reference.name.as_ref().is_some_and(|name| self.cx.definitions.property(name).is_none()) {
            self.missing("property", reference, "properties are declared with <vprop:property> in an imported WSDL");
        }
    }

    /// A property of a correlation set: its type must be defined too.
    fn correlation_property(&mut self, set: &CorrelationSet, reference: &QNameRef) {
        let Some(property) = reference.name.as_ref().and_then(|name| self.cx.definitions.property(name)) else {
            self.property(reference);
            return;
        };
        let set_name = set.name.as_ref().map_or("", |n| n.value.as_str());
        let use_site = (self.cx.file, reference.span, format!("correlation set `{set_name}` uses the property"));
        self.property_type(property, use_site);
    }

    /// The properties that the imported documents' aliases map: their types must be defined.
    fn aliased_property_types(&mut self) {
        let definitions = self.cx.definitions;
        for alias in definitions.all_property_aliases() {
            let Some(name) = alias.property_name.as_ref().and_then(|p| p.name.as_ref()) else { continue };
            let Some(property) = definitions.property(name) else { continue };
            let use_site =
                (alias.file(), start_tag_name(&alias.document.text, alias.span), "a propertyAlias maps the property".to_string());
            self.property_type(property, use_site);
        }
    }

    /// The `type` or `element` of a property that the process uses must be defined: a correlation
    /// set compares values of that type and an alias maps one. Appendix B has no rule of its own
    /// for this; SA00010 ("the process must import every XSD and WSDL definition it uses") is the
    /// closest, since the process uses the type through the property. Reported once per property,
    /// at the attribute in the WSDL that names the type.
    fn property_type(&mut self, property: Def<'a, Property>, (file, span, used): (FileId, Span, String)) {
        if !self.typed_properties.insert((property.file(), property.name.span)) {
            return;
        }
        let definitions = self.cx.definitions;
        let (what, reference, defined) = match (&property.type_, &property.element) {
            (Some(type_), None) => ("type", type_, type_.name.as_ref().is_none_or(|name| definitions.has_type(name))),
            (None, Some(element)) => ("element", element, element.name.as_ref().is_none_or(|name| definitions.element(name).is_some())),
            _ => return, // neither or both: SA00019
        };
        let Some(name) = reference.name.as_ref().filter(|_| !defined) else { return };
        if !self.all_imports_loaded && !self.is_known_namespace(name.namespace.as_deref()) {
            return;
        }
        let namespace = name.namespace.as_deref().unwrap_or("");
        let help = match what {
            "type" => "use a built-in XML Schema type, or define the type in a schema the WSDL has or imports",
            _ => "declare the element in a schema the WSDL has or imports, or correct the name",
        };
        self.out.push(
            Diagnostic::error(
                SA00010.code,
                property.file(),
                reference.span,
                format!(
                    "property `{}` has the {what} `{}`, which no imported document defines in namespace `{namespace}`",
                    property.name.value, name.local
                ),
            )
            .with_help(help)
            .with_related(file, span, used),
        );
    }

    fn declarations(&mut self, decls: &ScopeDecls) {
        for partner_link in &decls.partner_links {
            self.partner_link(partner_link);
        }
        for variable in &decls.variables {
            self.message_type(&variable.ty.message_type);
            self.element(&variable.ty.element);
            self.type_(&variable.ty.type_);
            if let Some(property) = variable.from.as_ref().and_then(|f| f.property.as_ref()) {
                self.property(property);
            }
        }
        for set in &decls.correlation_sets {
            for property in &set.properties {
                self.correlation_property(set, property);
            }
        }
        if let Some(fault_handlers) = &decls.fault_handlers {
            for catch in &fault_handlers.catches {
                self.message_type(&catch.fault_message_type);
                self.element(&catch.fault_element);
            }
        }
    }

    fn partner_link(&mut self, partner_link: &PartnerLink) {
        let Some(reference) = &partner_link.partner_link_type else { return };
        let Some(name) = &reference.name else { return };
        let Some(link_type) = self.cx.definitions.partner_link_type(name) else {
            self.missing("partnerLinkType", reference, "partner link types are declared with <plnk:partnerLinkType> in an imported WSDL");
            return;
        };
        for role in [&partner_link.my_role, &partner_link.partner_role].into_iter().flatten() {
            if link_type.role(&role.value).is_some() {
                continue;
            }
            let roles = super::listing(link_type.roles.iter().map(|r| r.name.value.as_str()));
            self.out.push(
                Diagnostic::error(
                    SA00010.code,
                    self.cx.file,
                    role.span,
                    format!("partnerLinkType `{}` has no role `{}`", name.local, role.value),
                )
                .with_help(format!("its roles are: {roles}"))
                .with_related(link_type.file(), link_type.name.span, "the partnerLinkType is defined here"),
            );
        }
    }

    fn activity(&mut self, activity: &Activity) {
        match &activity.kind {
            ActivityKind::Scope(scope) => self.declarations(&scope.decls),
            ActivityKind::Invoke(invoke) => self.declarations(&invoke.handlers),
            ActivityKind::Assign(assign) => {
                for operation in &assign.operations {
                    let AssignOperation::Copy(copy) = operation else { continue };
                    let from_property = copy.from.as_ref().and_then(|f| f.property.as_ref());
                    let to_property = copy.to.as_ref().and_then(|t| t.property.as_ref());
                    for property in from_property.into_iter().chain(to_property) {
                        self.property(property);
                    }
                }
            }
            _ => {}
        }
    }

    fn message_activity(&mut self, activity: &MessageActivity<'a>) {
        if let MessageActivity::OnEvent(on_event) = activity {
            self.message_type(&on_event.message_type);
            self.element(&on_event.element);
        }
        let message = activity.message();
        let binding = self.index.role(message, activity.direction());
        if let Some(binding) = &binding {
            if self.cx.definitions.port_type(binding.port_type).is_none() {
                self.role_without_port_type(binding);
                return;
            }
        }
        // With a role, a wrong portType attribute is a mismatch (SA00005), not a missing import.
        if let (None, Some(reference)) = (&binding, &message.port_type) {
            if reference.name.as_ref().is_some_and(|name| self.cx.definitions.port_type(name).is_none()) {
                self.missing("portType", reference, "import the WSDL that defines it, or correct the name");
                return;
            }
        }
        self.operation(activity);
    }

    fn role_without_port_type(&mut self, binding: &RoleBinding<'_>) {
        let Some(reference) = &binding.role.port_type else { return };
        self.out.push(
            Diagnostic::error(
                SA00010.code,
                binding.link_type.file(),
                reference.span,
                format!(
                    "role `{}` of partnerLinkType `{}` names port type `{}`, which no imported document defines",
                    binding.role.name.value, binding.link_type.name.value, binding.port_type.local
                ),
            )
            .with_help("import the WSDL that defines the port type, or correct the name"),
        );
    }

    fn operation(&mut self, activity: &MessageActivity<'a>) {
        let Some(operation) = &activity.message().operation else { return };
        let Some(port_type_name) = self.index.port_type(activity) else { return };
        let Some(port_type) = self.cx.definitions.port_type(port_type_name) else { return };
        if port_type.operation(&operation.value).is_some() {
            return;
        }
        let operations = super::listing(port_type.operations.iter().map(|o| o.name.value.as_str()));
        self.out.push(
            Diagnostic::error(
                SA00010.code,
                self.cx.file,
                operation.span,
                format!("port type `{}` has no operation `{}`", port_type_name.local, operation.value),
            )
            .with_help(format!("its operations are: {operations}"))
            .with_related(port_type.file(), port_type.name.span, "the port type is defined here"),
        );
    }

    /// A partner link that no enclosing scope declares: the process uses a partner (and its WSDL
    /// contract) it never declared. An onEvent's is also SA00084's (it resolves from the onEvent's
    /// scope outwards); betsy files the undeclared one under SA00010 as well.
    fn undeclared_partner_links(&mut self) {
        for reference in self.cx.symbols.unresolved().filter(|r| r.kind == SymbolKind::PartnerLink) {
            self.out.push(undeclared(
                reference,
                SA00010.code,
                self.cx.file,
                format!("partner link `{}` is not declared", reference.name),
                "declare it in <partnerLinks> of this scope, an enclosing scope or the process".to_string(),
            ));
        }
    }
}
