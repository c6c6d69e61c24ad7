//! Syntax tree of a `.bpel` file -> [`Process`]. Tolerant: whatever is readable is kept, whatever is
//! not is reported with the span of the offending element or attribute.

use crate::diagnostic::{codes, Diagnostic};
use crate::model::process::*;
use crate::model::{QName, QNameRef};
use crate::source::FileId;
use crate::span::{Span, Spanned};
use crate::syntax::{Attribute, Element, NamespaceScopes, XmlDocument};

pub const BPEL_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";
const BPEL_ABSTRACT_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/abstract";
const BPEL_11_NS: &str = "http://schemas.xmlsoap.org/ws/2003/03/business-process/";

/// The element names of the WS-BPEL 2.0 activities.
pub const ACTIVITY_TAGS: &[&str] = &[
    "receive",
    "reply",
    "invoke",
    "assign",
    "throw",
    "rethrow",
    "wait",
    "empty",
    "exit",
    "validate",
    "compensate",
    "compensateScope",
    "sequence",
    "if",
    "while",
    "repeatUntil",
    "forEach",
    "pick",
    "flow",
    "scope",
    "extensionActivity",
];

/// Reads a process from its syntax tree. Returns `None` only when the document has no root element
/// or its root is not a WS-BPEL 2.0 executable process; the diagnostics say why.
pub fn read_process(file: FileId, doc: &XmlDocument, dialect: super::Dialect, diagnostics: &mut Vec<Diagnostic>) -> Option<Process> {
    let root = doc.root.as_ref()?;
    if !root.is(BPEL_NS, "process") {
        if root.namespace.as_deref() == Some(BPEL_11_NS) {
            diagnostics.push(
                Diagnostic::error(
                    codes::WRONG_ROOT,
                    file,
                    root.name_span,
                    format!("this is a BPEL4WS 1.1 process (namespace `{BPEL_11_NS}`), the 2003 predecessor of the standard; this engine needs WS-BPEL 2.0"),
                )
                .with_help(format!(
                    "port the process from BPEL4WS 1.1 to WS-BPEL 2.0 (namespace `{BPEL_NS}`): e.g. <switch> becomes <if>, <terminate> <exit>, bpws:getVariableData() `$variable.part`"
                )),
            );
            return None;
        }
        let help = match root.namespace.as_deref() {
            Some(BPEL_ABSTRACT_NS) => "abstract processes are not run by this engine; use the executable namespace",
            _ => {
                "a WS-BPEL 2.0 executable process starts with <process xmlns=\"http://docs.oasis-open.org/wsbpel/2.0/process/executable\">"
            }
        };
        diagnostics.push(crate::parse::wrong_root(file, root, "a WS-BPEL 2.0 <process>", help));
        return None;
    }
    let mut reader = ProcessReader { file, scopes: &doc.scopes, activities: Vec::new(), diagnostics, dialect };
    Some(reader.process(root, doc.scopes.clone()))
}

/// Apache ODE's attribute of `<copy>` (its dialect only).
const ODE_IGNORE_UNINITIALIZED: &str = "ignoreUninitializedFromVariable";

struct ProcessReader<'a> {
    file: FileId,
    scopes: &'a NamespaceScopes,
    activities: Vec<Activity>,
    diagnostics: &'a mut Vec<Diagnostic>,
    dialect: super::Dialect,
}

/// Reads the attributes of one element and reports the ones nobody asked for.
struct Attrs<'e> {
    element: &'e Element,
    used: Vec<bool>,
}

impl<'e> Attrs<'e> {
    fn new(element: &'e Element) -> Self {
        Attrs { element, used: vec![false; element.attributes.len()] }
    }

    fn raw(&mut self, local: &str) -> Option<&'e Attribute> {
        let index = self.element.attributes.iter().position(|a| a.prefix.is_none() && a.local == local)?;
        self.used[index] = true;
        Some(&self.element.attributes[index])
    }
}

impl<'a> ProcessReader<'a> {
    fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(code, self.file, span, message));
    }

    fn name(&mut self, attrs: &mut Attrs<'_>, local: &str) -> Option<Name> {
        attrs.raw(local).map(|a| Spanned::new(a.value.trim().to_string(), a.value_span))
    }

    fn required_name(&mut self, attrs: &mut Attrs<'_>, local: &str) -> Option<Name> {
        let name = self.name(attrs, local);
        if name.is_none() {
            let element = attrs.element;
            self.error(codes::MISSING_REQUIRED, element.name_span, format!("<{}> needs the attribute `{local}`", element.local));
        }
        name
    }

    fn flag(&mut self, attrs: &mut Attrs<'_>, local: &str) -> Option<Spanned<bool>> {
        let attribute = attrs.raw(local)?;
        match attribute.value.trim() {
            "yes" => Some(Spanned::new(true, attribute.value_span)),
            "no" => Some(Spanned::new(false, attribute.value_span)),
            other @ ("true" | "false") if self.dialect == super::Dialect::Ode => {
                let value = other == "true";
                let standard = if value { "yes" } else { "no" };
                self.diagnostics.push(
                    Diagnostic::warning(
                        codes::INVALID_VALUE,
                        self.file,
                        attribute.value_span,
                        format!("`{local}` is `{other}`; WS-BPEL 2.0 says `yes` or `no`: read as `{standard}` (Apache ODE's dialect)"),
                    )
                    .with_help(format!("write `{standard}`: other engines refuse `{other}`")),
                );
                Some(Spanned::new(value, attribute.value_span))
            }
            other => {
                self.error(codes::INVALID_VALUE, attribute.value_span, format!("`{local}` must be `yes` or `no`, not `{other}`"));
                None
            }
        }
    }

    /// Apache ODE's `atomic` attribute of a scope or the process (its dialect only; the standard
    /// reports it as unknown): `no` is accepted with a warning, `yes` refused, saying why.
    fn ode_atomic(&mut self, attrs: &mut Attrs<'_>) {
        if self.dialect != super::Dialect::Ode {
            return;
        }
        let Some(atomic) = self.flag(attrs, "atomic") else { return };
        let diagnostic = if atomic.value {
            Diagnostic::error(
                codes::UNEXPECTED_ELEMENT,
                self.file,
                atomic.span,
                "`atomic=\"yes\"`: Apache ODE's atomic scopes (all-or-nothing state changes, distributed transactions) are not supported by this engine",
            )
            .with_help("remove the attribute to run the scope as a plain scope (its changes are then not undone when it faults), or isolated=\"yes\" for isolation only")
        } else {
            Diagnostic::warning(
                codes::UNEXPECTED_ELEMENT,
                self.file,
                atomic.span,
                "`atomic` is Apache ODE's, not WS-BPEL 2.0's: `no` is accepted in ODE's dialect",
            )
            .with_help("remove the attribute: it changes nothing")
        };
        self.diagnostics.push(diagnostic);
    }

    fn qname(&mut self, attrs: &mut Attrs<'_>, local: &str) -> Option<QNameRef> {
        let attribute = attrs.raw(local)?;
        Some(self.resolve_qname(attrs.element, &attribute.value, attribute.value_span))
    }

    fn resolve_qname(&mut self, element: &Element, text: &str, span: Span) -> QNameRef {
        let name = match self.scopes.resolve_qname(element.scope, text) {
            Ok((namespace, local)) => Some(QName::new(namespace, local)),
            Err(error) => {
                self.error(codes::UNBOUND_PREFIX, span, format!("`{}`: {error}", text.trim()));
                None
            }
        };
        QNameRef { text: text.trim().to_string(), span, name }
    }

    /// Reports attributes nobody read; attributes of other namespaces are kept as extension data.
    fn finish(&mut self, attrs: Attrs<'_>) -> Vec<ExtensionAttribute> {
        let mut extensions = Vec::new();
        for (attribute, used) in attrs.element.attributes.iter().zip(attrs.used) {
            if used {
                continue;
            }
            match (&attribute.prefix, &attribute.namespace) {
                (None, _) if attribute.local == "xmlns" => {}
                (Some(p), _) if p == "xmlns" => {}
                (Some(_), Some(namespace)) if &**namespace != BPEL_NS => extensions.push(ExtensionAttribute {
                    name: QName::new(Some(namespace), &attribute.local),
                    value: attribute.value.clone(),
                    span: Span { start: attribute.name_span.start, end: attribute.value_span.end + 1 },
                }),
                (Some(_), None) => {} // undeclared prefix: reported by the XML reader
                _ => self.error(
                    codes::UNEXPECTED_ELEMENT,
                    attribute.name_span,
                    format!("<{}> has no attribute `{}`", attrs.element.local, attribute.qualified_name()),
                ),
            }
        }
        extensions
    }

    /// The child elements in the BPEL namespace. Elements of other namespaces are extensions and
    /// are skipped; unqualified ones are reported (usually a missing default namespace).
    fn bpel_children<'e>(&mut self, element: &'e Element) -> Vec<&'e Element> {
        let mut out = Vec::new();
        for child in element.child_elements() {
            match child.namespace.as_deref() {
                Some(BPEL_NS) => out.push(child),
                Some(_) => {}
                None => self.error(
                    codes::UNEXPECTED_ELEMENT,
                    child.name_span,
                    format!("<{}> is in no namespace; WS-BPEL elements belong to `{BPEL_NS}`", child.qualified_name()),
                ),
            }
        }
        out
    }

    fn unexpected(&mut self, child: &Element, parent: &Element) {
        self.error(codes::UNEXPECTED_ELEMENT, child.name_span, format!("<{}> is not allowed inside <{}>", child.local, parent.local));
    }

    fn documentation(&self, element: &Element) -> Documentation {
        Documentation { span: element.span, text: element.text() }
    }

    fn expression(&mut self, element: &Element) -> Expression {
        let mut attrs = Attrs::new(element);
        let language = self.name(&mut attrs, "expressionLanguage");
        self.finish(attrs);
        Expression { span: element.span, language, text: element.text(), text_span: element.text_span(), namespaces: element.scope }
    }

    fn query(&mut self, element: &Element) -> Query {
        let mut attrs = Attrs::new(element);
        let language = self.name(&mut attrs, "queryLanguage");
        self.finish(attrs);
        Expression { span: element.span, language, text: element.text(), text_span: element.text_span(), namespaces: element.scope }
    }

    fn process(&mut self, root: &Element, namespaces: NamespaceScopes) -> Process {
        let mut attrs = Attrs::new(root);
        let name = self.required_name(&mut attrs, "name");
        let target_namespace = self.required_name(&mut attrs, "targetNamespace");
        let query_language = self.name(&mut attrs, "queryLanguage");
        let expression_language = self.name(&mut attrs, "expressionLanguage");
        let suppress_join_failure = self.flag(&mut attrs, "suppressJoinFailure");
        let exit_on_standard_fault = self.flag(&mut attrs, "exitOnStandardFault");
        let _abstract_profile = attrs.raw("abstractProcessProfile");
        self.ode_atomic(&mut attrs);
        let extension_attributes = self.finish(attrs);

        let mut process = Process {
            file: self.file,
            span: root.span,
            name,
            target_namespace,
            query_language,
            expression_language,
            suppress_join_failure,
            exit_on_standard_fault,
            extensions: Vec::new(),
            imports: Vec::new(),
            scope: ScopeDecls::default(),
            activity: None,
            activities: Vec::new(),
            namespaces,
            documentation: Vec::new(),
            extension_attributes,
        };
        for child in self.bpel_children(root) {
            match child.local.as_str() {
                "documentation" => process.documentation.push(self.documentation(child)),
                "extensions" => {
                    for extension in self.bpel_children(child) {
                        if extension.local != "extension" {
                            self.unexpected(extension, child);
                            continue;
                        }
                        let mut attrs = Attrs::new(extension);
                        let namespace = self.required_name(&mut attrs, "namespace");
                        let must_understand = self.flag(&mut attrs, "mustUnderstand");
                        self.finish(attrs);
                        process.extensions.push(Extension { span: extension.span, namespace, must_understand });
                    }
                }
                "import" => {
                    let mut attrs = Attrs::new(child);
                    let import = Import {
                        span: child.span,
                        namespace: self.name(&mut attrs, "namespace"),
                        location: self.name(&mut attrs, "location"),
                        import_type: self.required_name(&mut attrs, "importType"),
                    };
                    self.finish(attrs);
                    process.imports.push(import);
                }
                tag if self.scope_declaration(&mut process.scope, child, None, false) => {
                    let _ = tag;
                }
                tag if ACTIVITY_TAGS.contains(&tag) => {
                    if let Some(first) = process.activity {
                        let first_tag = self.activities[first.0 as usize].kind.tag();
                        self.error(
                            codes::UNEXPECTED_ELEMENT,
                            child.name_span,
                            format!("a process has one main activity and already has <{first_tag}>; wrap several activities in a <sequence> or <flow>"),
                        );
                    }
                    let id = self.activity(child, None);
                    process.activity = process.activity.or(id);
                }
                _ => self.unexpected(child, root),
            }
        }
        if process.activity.is_none() {
            self.error(
                codes::MISSING_REQUIRED,
                root.name_span,
                "the process has no activity: add one, e.g. a <sequence> that starts with a <receive createInstance=\"yes\">",
            );
        }
        process.activities = std::mem::take(&mut self.activities);
        process
    }

    /// Reads one declaration block (partnerLinks, variables, handlers...) into `decls`. Returns false
    /// when `child` is not one. `owner` is the scope activity, `None` for the process.
    fn scope_declaration(&mut self, decls: &mut ScopeDecls, child: &Element, owner: Option<ActivityId>, is_scope: bool) -> bool {
        match child.local.as_str() {
            "partnerLinks" => {
                for item in self.items(child, "partnerLink") {
                    let mut attrs = Attrs::new(item);
                    let partner_link = PartnerLink {
                        span: item.span,
                        name: self.required_name(&mut attrs, "name"),
                        partner_link_type: self.qname(&mut attrs, "partnerLinkType"),
                        my_role: self.name(&mut attrs, "myRole"),
                        partner_role: self.name(&mut attrs, "partnerRole"),
                        initialize_partner_role: self.flag(&mut attrs, "initializePartnerRole"),
                    };
                    self.finish(attrs);
                    decls.partner_links.push(partner_link);
                }
            }
            "messageExchanges" => {
                for item in self.items(child, "messageExchange") {
                    let mut attrs = Attrs::new(item);
                    let name = self.required_name(&mut attrs, "name");
                    self.finish(attrs);
                    decls.message_exchanges.push(MessageExchange { span: item.span, name });
                }
            }
            "variables" => {
                for item in self.items(child, "variable") {
                    let variable = self.variable(item, owner);
                    decls.variables.push(variable);
                }
            }
            "correlationSets" => {
                for item in self.items(child, "correlationSet") {
                    let mut attrs = Attrs::new(item);
                    let name = self.required_name(&mut attrs, "name");
                    let properties = match attrs.raw("properties") {
                        Some(attribute) => self.qname_list(item, attribute),
                        None => Vec::new(),
                    };
                    self.finish(attrs);
                    decls.correlation_sets.push(CorrelationSet { span: item.span, name, properties });
                }
            }
            "faultHandlers" => decls.fault_handlers = Some(self.fault_handlers(child, owner)),
            "eventHandlers" => decls.event_handlers = Some(self.event_handlers(child, owner)),
            "compensationHandler" if is_scope => decls.compensation_handler = Some(self.handler(child, owner)),
            "terminationHandler" if is_scope => decls.termination_handler = Some(self.handler(child, owner)),
            _ => return false,
        }
        true
    }

    /// The children named `item` of a plural element (`<variables>` -> `<variable>`); others are reported.
    fn items<'e>(&mut self, parent: &'e Element, item: &str) -> Vec<&'e Element> {
        let mut attrs = Attrs::new(parent);
        let _ = &mut attrs;
        self.finish(attrs);
        let mut out = Vec::new();
        for child in self.bpel_children(parent) {
            if child.local == item {
                out.push(child);
            } else if child.local != "documentation" {
                self.unexpected(child, parent);
            }
        }
        out
    }

    fn qname_list(&mut self, element: &Element, attribute: &Attribute) -> Vec<QNameRef> {
        let mut out = Vec::new();
        let value = attribute.value.as_str();
        let base = attribute.value_span.start as usize;
        let mut offset = 0;
        for token in value.split(' ') {
            if !token.trim().is_empty() {
                let start = base + offset + (token.len() - token.trim_start().len());
                let span = Span::new(start, start + token.trim().len());
                out.push(self.resolve_qname(element, token, span));
            }
            offset += token.len() + 1;
        }
        out
    }

    fn variable(&mut self, item: &Element, owner: Option<ActivityId>) -> Variable {
        let mut attrs = Attrs::new(item);
        let name = self.required_name(&mut attrs, "name");
        let ty = VariableType {
            message_type: self.qname(&mut attrs, "messageType"),
            type_: self.qname(&mut attrs, "type"),
            element: self.qname(&mut attrs, "element"),
        };
        self.finish(attrs);
        let mut from = None;
        for child in self.bpel_children(item) {
            match child.local.as_str() {
                "from" => from = Some(self.read_from(child, owner)),
                "documentation" => {}
                _ => self.unexpected(child, item),
            }
        }
        Variable { span: item.span, name, ty, from }
    }

    fn fault_handlers(&mut self, element: &Element, owner: Option<ActivityId>) -> FaultHandlers {
        let mut handlers = FaultHandlers { span: element.span, ..FaultHandlers::default() };
        for child in self.bpel_children(element) {
            if !self.catch_clause(child, owner, &mut handlers) && child.local != "documentation" {
                self.unexpected(child, element);
            }
        }
        handlers
    }

    /// Reads a `<catch>` or `<catchAll>` into `handlers`; false when `element` is neither.
    fn catch_clause(&mut self, element: &Element, owner: Option<ActivityId>, handlers: &mut FaultHandlers) -> bool {
        match element.local.as_str() {
            "catch" => {
                let mut attrs = Attrs::new(element);
                let fault_name = self.qname(&mut attrs, "faultName");
                let fault_variable = self.name(&mut attrs, "faultVariable");
                let fault_message_type = self.qname(&mut attrs, "faultMessageType");
                let fault_element = self.qname(&mut attrs, "faultElement");
                self.finish(attrs);
                let activity = self.single_activity(element, owner);
                handlers.catches.push(Catch {
                    span: element.span,
                    fault_name,
                    fault_variable,
                    fault_message_type,
                    fault_element,
                    activity,
                });
                true
            }
            "catchAll" => {
                if handlers.catch_all.is_some() {
                    self.error(codes::UNEXPECTED_ELEMENT, element.name_span, "only one <catchAll> is allowed");
                }
                let handler = self.handler(element, owner);
                handlers.catch_all = Some(handler);
                true
            }
            _ => false,
        }
    }

    fn handler(&mut self, element: &Element, owner: Option<ActivityId>) -> Handler {
        let attrs = Attrs::new(element);
        self.finish(attrs);
        Handler { span: element.span, activity: self.single_activity(element, owner) }
    }

    fn event_handlers(&mut self, element: &Element, owner: Option<ActivityId>) -> EventHandlers {
        let mut handlers = EventHandlers { span: element.span, ..EventHandlers::default() };
        for child in self.bpel_children(element) {
            match child.local.as_str() {
                "onEvent" => {
                    let mut attrs = Attrs::new(child);
                    let message = self.message_spec(&mut attrs);
                    let message_type = self.qname(&mut attrs, "messageType");
                    let element_type = self.qname(&mut attrs, "element");
                    let variable = self.name(&mut attrs, "variable");
                    self.finish(attrs);
                    let mut on_event = OnEvent {
                        span: child.span,
                        message,
                        message_type,
                        element: element_type,
                        variable,
                        from_parts: None,
                        correlations: Vec::new(),
                        scope: None,
                    };
                    for grandchild in self.bpel_children(child) {
                        match grandchild.local.as_str() {
                            "correlations" => on_event.correlations = self.correlations(grandchild, false),
                            "fromParts" => on_event.from_parts = Some(self.read_from_parts(grandchild)),
                            "scope" => {
                                if on_event.scope.is_some() {
                                    self.error(codes::UNEXPECTED_ELEMENT, grandchild.name_span, "an <onEvent> holds exactly one <scope>");
                                }
                                let id = self.activity(grandchild, owner);
                                on_event.scope = on_event.scope.or(id);
                            }
                            "documentation" => {}
                            _ => self.unexpected(grandchild, child),
                        }
                    }
                    if on_event.scope.is_none() {
                        self.error(codes::MISSING_REQUIRED, child.name_span, "an <onEvent> must contain a <scope>");
                    }
                    handlers.on_events.push(on_event);
                }
                "onAlarm" => {
                    let alarm = self.on_alarm(child, owner, true);
                    handlers.on_alarms.push(alarm);
                }
                "documentation" => {}
                _ => self.unexpected(child, element),
            }
        }
        handlers
    }

    fn on_alarm(&mut self, element: &Element, owner: Option<ActivityId>, in_event_handlers: bool) -> OnAlarm {
        let attrs = Attrs::new(element);
        self.finish(attrs);
        let mut alarm = OnAlarm { span: element.span, timer: Timer::default(), repeat_every: None, activity: None };
        for child in self.bpel_children(element) {
            match child.local.as_str() {
                "for" => alarm.timer.for_ = Some(self.expression(child)),
                "until" => alarm.timer.until = Some(self.expression(child)),
                "repeatEvery" if in_event_handlers => alarm.repeat_every = Some(self.expression(child)),
                "documentation" => {}
                tag if ACTIVITY_TAGS.contains(&tag) => {
                    if in_event_handlers && tag != "scope" {
                        self.error(
                            codes::UNEXPECTED_ELEMENT,
                            child.name_span,
                            "an <onAlarm> in <eventHandlers> holds a <scope>, not any activity",
                        );
                    }
                    if alarm.activity.is_some() {
                        self.error(
                            codes::UNEXPECTED_ELEMENT,
                            child.name_span,
                            "an <onAlarm> holds one activity; wrap several in a <sequence>",
                        );
                    }
                    let id = self.activity(child, owner);
                    alarm.activity = alarm.activity.or(id);
                }
                _ => self.unexpected(child, element),
            }
        }
        if alarm.activity.is_none() {
            self.error(codes::MISSING_REQUIRED, element.name_span, "an <onAlarm> needs an activity to run when the alarm fires");
        }
        alarm
    }

    fn message_spec(&mut self, attrs: &mut Attrs<'_>) -> MessageSpec {
        MessageSpec {
            partner_link: self.required_name(attrs, "partnerLink"),
            port_type: self.qname(attrs, "portType"),
            operation: self.required_name(attrs, "operation"),
            message_exchange: self.name(attrs, "messageExchange"),
        }
    }

    fn correlations(&mut self, element: &Element, with_pattern: bool) -> Vec<Correlation> {
        let mut out = Vec::new();
        for item in self.items(element, "correlation") {
            let mut attrs = Attrs::new(item);
            let set = self.required_name(&mut attrs, "set");
            let initiate = attrs.raw("initiate").and_then(|a| {
                let value = match a.value.trim() {
                    "yes" => Initiate::Yes,
                    "join" => Initiate::Join,
                    "no" => Initiate::No,
                    other => {
                        self.error(codes::INVALID_VALUE, a.value_span, format!("`initiate` must be `yes`, `join` or `no`, not `{other}`"));
                        return None;
                    }
                };
                Some(Spanned::new(value, a.value_span))
            });
            let pattern = if with_pattern {
                attrs.raw("pattern").and_then(|a| {
                    let value = match a.value.trim() {
                        "request" => CorrelationPattern::Request,
                        "response" => CorrelationPattern::Response,
                        "request-response" => CorrelationPattern::RequestResponse,
                        other => {
                            self.error(
                                codes::INVALID_VALUE,
                                a.value_span,
                                format!("`pattern` must be `request`, `response` or `request-response`, not `{other}`"),
                            );
                            return None;
                        }
                    };
                    Some(Spanned::new(value, a.value_span))
                })
            } else {
                None
            };
            self.finish(attrs);
            out.push(Correlation { span: item.span, set, initiate, pattern });
        }
        out
    }

    fn read_from_parts(&mut self, element: &Element) -> Vec<FromPart> {
        let mut out = Vec::new();
        for item in self.items(element, "fromPart") {
            let mut attrs = Attrs::new(item);
            let part = FromPart {
                span: item.span,
                part: self.required_name(&mut attrs, "part"),
                to_variable: self.required_name(&mut attrs, "toVariable"),
            };
            self.finish(attrs);
            out.push(part);
        }
        out
    }

    fn read_to_parts(&mut self, element: &Element) -> Vec<ToPart> {
        let mut out = Vec::new();
        for item in self.items(element, "toPart") {
            let mut attrs = Attrs::new(item);
            let part = ToPart {
                span: item.span,
                part: self.required_name(&mut attrs, "part"),
                from_variable: self.required_name(&mut attrs, "fromVariable"),
            };
            self.finish(attrs);
            out.push(part);
        }
        out
    }

    /// The one activity inside a handler or branch; more than one, or none, is reported.
    fn single_activity(&mut self, element: &Element, owner: Option<ActivityId>) -> Option<ActivityId> {
        let mut found = None;
        for child in self.bpel_children(element) {
            let tag = child.local.as_str();
            if tag == "documentation" {
                continue;
            }
            if !ACTIVITY_TAGS.contains(&tag) {
                self.unexpected(child, element);
                continue;
            }
            if found.is_some() {
                self.error(
                    codes::UNEXPECTED_ELEMENT,
                    child.name_span,
                    format!("<{}> holds one activity; wrap several in a <sequence>", element.local),
                );
            }
            let id = self.activity(child, owner);
            found = found.or(id);
        }
        if found.is_none() {
            self.error(codes::MISSING_REQUIRED, element.name_span, format!("<{}> needs an activity", element.local));
        }
        found
    }

    /// Reads an activity element into the arena, children after their parent (document order).
    fn activity(&mut self, element: &Element, parent: Option<ActivityId>) -> Option<ActivityId> {
        let tag = element.local.as_str();
        if !ACTIVITY_TAGS.contains(&tag) {
            self.error(codes::UNEXPECTED_ELEMENT, element.name_span, format!("<{tag}> is not an activity"));
            return None;
        }
        let id = ActivityId(self.activities.len() as u32);
        self.activities.push(Activity {
            id,
            parent,
            span: element.span,
            tag_span: element.name_span,
            name: None,
            suppress_join_failure: None,
            targets: None,
            sources: None,
            documentation: Vec::new(),
            extension_attributes: Vec::new(),
            namespaces: element.scope,
            kind: ActivityKind::Empty,
        });

        let mut attrs = Attrs::new(element);
        let name = self.name(&mut attrs, "name");
        let suppress_join_failure = self.flag(&mut attrs, "suppressJoinFailure");
        let mut targets = None;
        let mut sources = None;
        let mut documentation = Vec::new();
        // Standard elements come first; everything else goes to the kind's own reader.
        let mut rest = Vec::new();
        for child in self.bpel_children(element) {
            match child.local.as_str() {
                "targets" => targets = Some(self.targets(child)),
                "sources" => sources = Some(self.sources(child)),
                "documentation" => documentation.push(self.documentation(child)),
                _ => rest.push(child),
            }
        }
        let kind = self.activity_kind(element, &mut attrs, &rest, id);
        let extension_attributes = self.finish(attrs);

        let activity = &mut self.activities[id.0 as usize];
        activity.name = name;
        activity.suppress_join_failure = suppress_join_failure;
        activity.targets = targets;
        activity.sources = sources;
        activity.documentation = documentation;
        activity.extension_attributes = extension_attributes;
        activity.kind = kind;
        Some(id)
    }

    fn targets(&mut self, element: &Element) -> Targets {
        let mut out = Targets { span: element.span, join_condition: None, targets: Vec::new() };
        for child in self.bpel_children(element) {
            match child.local.as_str() {
                "joinCondition" => out.join_condition = Some(self.expression(child)),
                "target" => {
                    let mut attrs = Attrs::new(child);
                    let link_name = self.required_name(&mut attrs, "linkName");
                    self.finish(attrs);
                    out.targets.push(LinkRef { span: child.span, link_name });
                }
                "documentation" => {}
                _ => self.unexpected(child, element),
            }
        }
        out
    }

    fn sources(&mut self, element: &Element) -> Sources {
        let mut out = Sources { span: element.span, sources: Vec::new() };
        for child in self.items(element, "source") {
            let mut attrs = Attrs::new(child);
            let link_name = self.required_name(&mut attrs, "linkName");
            self.finish(attrs);
            let mut transition_condition = None;
            for grandchild in self.bpel_children(child) {
                match grandchild.local.as_str() {
                    "transitionCondition" => transition_condition = Some(self.expression(grandchild)),
                    "documentation" => {}
                    _ => self.unexpected(grandchild, child),
                }
            }
            out.sources.push(Source { span: child.span, link_name, transition_condition });
        }
        out
    }

    fn activity_kind(&mut self, element: &Element, attrs: &mut Attrs<'_>, children: &[&Element], id: ActivityId) -> ActivityKind {
        let owner = Some(id);
        match element.local.as_str() {
            "receive" => {
                let mut receive = Receive {
                    message: self.message_spec(attrs),
                    variable: self.name(attrs, "variable"),
                    create_instance: self.flag(attrs, "createInstance"),
                    correlations: Vec::new(),
                    from_parts: None,
                };
                for &child in children {
                    match child.local.as_str() {
                        "correlations" => receive.correlations = self.correlations(child, false),
                        "fromParts" => receive.from_parts = Some(self.read_from_parts(child)),
                        _ => self.unexpected(child, element),
                    }
                }
                ActivityKind::Receive(receive)
            }
            "reply" => {
                let mut reply = Reply {
                    message: self.message_spec(attrs),
                    variable: self.name(attrs, "variable"),
                    fault_name: self.qname(attrs, "faultName"),
                    correlations: Vec::new(),
                    to_parts: None,
                };
                for &child in children {
                    match child.local.as_str() {
                        "correlations" => reply.correlations = self.correlations(child, false),
                        "toParts" => reply.to_parts = Some(self.read_to_parts(child)),
                        _ => self.unexpected(child, element),
                    }
                }
                ActivityKind::Reply(reply)
            }
            "invoke" => {
                let mut invoke = Invoke {
                    message: self.message_spec(attrs),
                    input_variable: self.name(attrs, "inputVariable"),
                    output_variable: self.name(attrs, "outputVariable"),
                    correlations: Vec::new(),
                    to_parts: None,
                    from_parts: None,
                    handlers: ScopeDecls::default(),
                };
                let mut catches = FaultHandlers { span: element.span, ..FaultHandlers::default() };
                for &child in children {
                    match child.local.as_str() {
                        "correlations" => invoke.correlations = self.correlations(child, true),
                        "toParts" => invoke.to_parts = Some(self.read_to_parts(child)),
                        "fromParts" => invoke.from_parts = Some(self.read_from_parts(child)),
                        "catch" | "catchAll" => {
                            // The invoke's own catches act as the fault handlers of its implicit scope.
                            self.catch_clause(child, owner, &mut catches);
                        }
                        "compensationHandler" => invoke.handlers.compensation_handler = Some(self.handler(child, owner)),
                        _ => self.unexpected(child, element),
                    }
                }
                if !catches.catches.is_empty() || catches.catch_all.is_some() {
                    invoke.handlers.fault_handlers = Some(catches);
                }
                ActivityKind::Invoke(invoke)
            }
            "assign" => {
                let validate = self.flag(attrs, "validate");
                let mut operations = Vec::new();
                for &child in children {
                    match child.local.as_str() {
                        "copy" => operations.push(AssignOperation::Copy(self.copy(child, owner))),
                        "extensionAssignOperation" => operations.push(AssignOperation::Extension(child.span)),
                        _ => self.unexpected(child, element),
                    }
                }
                if operations.is_empty() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "an <assign> needs at least one <copy>");
                }
                ActivityKind::Assign(Assign { validate, operations })
            }
            "throw" => {
                let fault_name = self.qname(attrs, "faultName");
                if fault_name.is_none() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "<throw> needs the attribute `faultName`");
                }
                let fault_variable = self.name(attrs, "faultVariable");
                self.no_children(element, children);
                ActivityKind::Throw(Throw { fault_name, fault_variable })
            }
            "rethrow" => self.leaf(element, children, ActivityKind::Rethrow),
            "empty" => self.leaf(element, children, ActivityKind::Empty),
            "exit" => self.leaf(element, children, ActivityKind::Exit),
            "compensate" => self.leaf(element, children, ActivityKind::Compensate),
            "compensateScope" => {
                let target = self.required_name(attrs, "target");
                self.no_children(element, children);
                ActivityKind::CompensateScope(CompensateScope { target })
            }
            "validate" => {
                let variables = match attrs.raw("variables") {
                    Some(attribute) => split_names(attribute),
                    None => {
                        self.error(codes::MISSING_REQUIRED, element.name_span, "<validate> needs the attribute `variables`");
                        Vec::new()
                    }
                };
                self.no_children(element, children);
                ActivityKind::Validate(Validate { variables })
            }
            "wait" => {
                let mut timer = Timer::default();
                for &child in children {
                    match child.local.as_str() {
                        "for" => timer.for_ = Some(self.expression(child)),
                        "until" => timer.until = Some(self.expression(child)),
                        _ => self.unexpected(child, element),
                    }
                }
                if timer.for_.is_none() && timer.until.is_none() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "<wait> needs a <for> or an <until>");
                }
                ActivityKind::Wait(timer)
            }
            "sequence" => {
                let mut items = Vec::new();
                for &child in children {
                    if let Some(activity) = self.activity_or_report(child, element, owner) {
                        items.push(activity);
                    }
                }
                if items.is_empty() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "a <sequence> needs at least one activity");
                }
                ActivityKind::Sequence(items)
            }
            "flow" => {
                let mut flow = Flow { links: Vec::new(), activities: Vec::new() };
                for &child in children {
                    if child.local == "links" {
                        for link in self.items(child, "link") {
                            let mut link_attrs = Attrs::new(link);
                            let name = self.required_name(&mut link_attrs, "name");
                            self.finish(link_attrs);
                            flow.links.push(Link { span: link.span, name });
                        }
                    } else if let Some(activity) = self.activity_or_report(child, element, owner) {
                        flow.activities.push(activity);
                    }
                }
                if flow.activities.is_empty() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "a <flow> needs at least one activity");
                }
                ActivityKind::Flow(flow)
            }
            "if" => {
                let mut if_ = If { condition: None, activity: None, else_ifs: Vec::new(), else_: None };
                for &child in children {
                    match child.local.as_str() {
                        "condition" => if_.condition = Some(self.expression(child)),
                        "elseif" => {
                            let mut branch = ElseIf { span: child.span, condition: None, activity: None };
                            for grandchild in self.bpel_children(child) {
                                match grandchild.local.as_str() {
                                    "condition" => branch.condition = Some(self.expression(grandchild)),
                                    "documentation" => {}
                                    _ => {
                                        if branch.activity.is_some() {
                                            self.error(
                                                codes::UNEXPECTED_ELEMENT,
                                                grandchild.name_span,
                                                "an <elseif> holds one activity; wrap several in a <sequence>",
                                            );
                                        }
                                        let activity = self.activity_or_report(grandchild, child, owner);
                                        branch.activity = branch.activity.or(activity);
                                    }
                                }
                            }
                            self.require_condition(branch.condition.is_some(), child);
                            if_.else_ifs.push(branch);
                        }
                        "else" => {
                            let activity = self.single_activity(child, owner);
                            if_.else_ = Some(Else { span: child.span, activity });
                        }
                        _ => {
                            if if_.activity.is_some() {
                                self.error(
                                    codes::UNEXPECTED_ELEMENT,
                                    child.name_span,
                                    "an <if> holds one activity before its <elseif>/<else>; wrap several in a <sequence>",
                                );
                            }
                            let activity = self.activity_or_report(child, element, owner);
                            if_.activity = if_.activity.or(activity);
                        }
                    }
                }
                self.require_condition(if_.condition.is_some(), element);
                ActivityKind::If(if_)
            }
            "while" | "repeatUntil" => {
                let mut condition = None;
                let mut body = None;
                for &child in children {
                    if child.local == "condition" {
                        condition = Some(self.expression(child));
                        continue;
                    }
                    if body.is_some() {
                        self.error(
                            codes::UNEXPECTED_ELEMENT,
                            child.name_span,
                            format!("a <{}> holds one activity; wrap several in a <sequence>", element.local),
                        );
                    }
                    let activity = self.activity_or_report(child, element, owner);
                    body = body.or(activity);
                }
                self.require_condition(condition.is_some(), element);
                if element.local == "while" {
                    ActivityKind::While(While { condition, activity: body })
                } else {
                    ActivityKind::RepeatUntil(RepeatUntil { activity: body, condition })
                }
            }
            "forEach" => {
                let mut for_each = ForEach {
                    counter_name: self.required_name(attrs, "counterName"),
                    parallel: self.flag(attrs, "parallel"),
                    start: None,
                    final_: None,
                    completion_condition: None,
                    scope: None,
                };
                if for_each.parallel.is_none() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "<forEach> needs the attribute `parallel` (`yes` or `no`)");
                }
                for &child in children {
                    match child.local.as_str() {
                        "startCounterValue" => for_each.start = Some(self.expression(child)),
                        "finalCounterValue" => for_each.final_ = Some(self.expression(child)),
                        "completionCondition" => {
                            let mut condition = CompletionCondition { span: child.span, branches: None, successful_branches_only: None };
                            for grandchild in self.bpel_children(child) {
                                if grandchild.local == "branches" {
                                    let mut branch_attrs = Attrs::new(grandchild);
                                    condition.successful_branches_only = self.flag(&mut branch_attrs, "successfulBranchesOnly");
                                    let language = self.name(&mut branch_attrs, "expressionLanguage");
                                    self.finish(branch_attrs);
                                    condition.branches = Some(Expression {
                                        span: grandchild.span,
                                        language,
                                        text: grandchild.text(),
                                        text_span: grandchild.text_span(),
                                        namespaces: grandchild.scope,
                                    });
                                } else if grandchild.local != "documentation" {
                                    self.unexpected(grandchild, child);
                                }
                            }
                            for_each.completion_condition = Some(condition);
                        }
                        "scope" => {
                            if for_each.scope.is_some() {
                                self.error(codes::UNEXPECTED_ELEMENT, child.name_span, "a <forEach> holds exactly one <scope>");
                            }
                            let scope = self.activity(child, owner);
                            for_each.scope = for_each.scope.or(scope);
                        }
                        _ => self.unexpected(child, element),
                    }
                }
                if for_each.start.is_none() || for_each.final_.is_none() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "<forEach> needs <startCounterValue> and <finalCounterValue>");
                }
                if for_each.scope.is_none() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "<forEach> needs a <scope> as its body");
                }
                ActivityKind::ForEach(for_each)
            }
            "pick" => {
                let mut pick = Pick { create_instance: self.flag(attrs, "createInstance"), on_messages: Vec::new(), on_alarms: Vec::new() };
                for &child in children {
                    match child.local.as_str() {
                        "onMessage" => {
                            let on_message = self.on_message(child, owner);
                            pick.on_messages.push(on_message);
                        }
                        "onAlarm" => {
                            let alarm = self.on_alarm(child, owner, false);
                            pick.on_alarms.push(alarm);
                        }
                        _ => self.unexpected(child, element),
                    }
                }
                if pick.on_messages.is_empty() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "a <pick> needs at least one <onMessage>");
                }
                ActivityKind::Pick(pick)
            }
            "scope" => {
                self.ode_atomic(attrs);
                let mut scope = Scope {
                    isolated: self.flag(attrs, "isolated"),
                    exit_on_standard_fault: self.flag(attrs, "exitOnStandardFault"),
                    decls: ScopeDecls::default(),
                    activity: None,
                };
                for &child in children {
                    if self.scope_declaration(&mut scope.decls, child, owner, true) {
                        continue;
                    }
                    if scope.activity.is_some() {
                        self.error(
                            codes::UNEXPECTED_ELEMENT,
                            child.name_span,
                            "a <scope> holds one activity; wrap several in a <sequence>",
                        );
                    }
                    let activity = self.activity_or_report(child, element, owner);
                    scope.activity = scope.activity.or(activity);
                }
                if scope.activity.is_none() {
                    self.error(codes::MISSING_REQUIRED, element.name_span, "a <scope> needs an activity");
                }
                ActivityKind::Scope(scope)
            }
            "extensionActivity" => {
                let inner = element.child_elements().find(|c| c.namespace.as_deref() != Some(BPEL_NS)).cloned();
                if inner.is_none() {
                    self.error(
                        codes::MISSING_REQUIRED,
                        element.name_span,
                        "an <extensionActivity> wraps one element of an extension namespace",
                    );
                }
                ActivityKind::Extension(ExtensionActivity { element: inner })
            }
            other => unreachable!("{other} is in ACTIVITY_TAGS and handled above"),
        }
    }

    fn activity_or_report(&mut self, child: &Element, parent: &Element, owner: Option<ActivityId>) -> Option<ActivityId> {
        if ACTIVITY_TAGS.contains(&child.local.as_str()) {
            self.activity(child, owner)
        } else {
            self.unexpected(child, parent);
            None
        }
    }

    fn require_condition(&mut self, present: bool, element: &Element) {
        if !present {
            self.error(codes::MISSING_REQUIRED, element.name_span, format!("<{}> needs a <condition>", element.local));
        }
    }

    fn no_children(&mut self, element: &Element, children: &[&Element]) {
        for &child in children {
            self.unexpected(child, element);
        }
    }

    fn leaf(&mut self, element: &Element, children: &[&Element], kind: ActivityKind) -> ActivityKind {
        self.no_children(element, children);
        kind
    }

    fn on_message(&mut self, element: &Element, owner: Option<ActivityId>) -> OnMessage {
        let mut attrs = Attrs::new(element);
        let message = self.message_spec(&mut attrs);
        let variable = self.name(&mut attrs, "variable");
        self.finish(attrs);
        let mut on_message =
            OnMessage { span: element.span, message, variable, correlations: Vec::new(), from_parts: None, activity: None };
        for child in self.bpel_children(element) {
            match child.local.as_str() {
                "correlations" => on_message.correlations = self.correlations(child, false),
                "fromParts" => on_message.from_parts = Some(self.read_from_parts(child)),
                "documentation" => {}
                _ => {
                    if on_message.activity.is_some() {
                        self.error(
                            codes::UNEXPECTED_ELEMENT,
                            child.name_span,
                            "an <onMessage> holds one activity; wrap several in a <sequence>",
                        );
                    }
                    let activity = self.activity_or_report(child, element, owner);
                    on_message.activity = on_message.activity.or(activity);
                }
            }
        }
        if on_message.activity.is_none() {
            self.error(codes::MISSING_REQUIRED, element.name_span, "an <onMessage> needs an activity");
        }
        on_message
    }

    fn copy(&mut self, element: &Element, owner: Option<ActivityId>) -> Copy {
        let mut attrs = Attrs::new(element);
        let keep_src_element_name = self.flag(&mut attrs, "keepSrcElementName");
        let ignore_missing_from_data = self.flag(&mut attrs, "ignoreMissingFromData");
        let ignore_uninitialized_from_variable = match self.dialect {
            super::Dialect::Ode => {
                let flag = self.flag(&mut attrs, ODE_IGNORE_UNINITIALIZED);
                if let Some(flag) = &flag {
                    self.diagnostics.push(
                        Diagnostic::warning(
                            codes::UNEXPECTED_ELEMENT,
                            self.file,
                            flag.span,
                            format!("`{ODE_IGNORE_UNINITIALIZED}` is Apache ODE's, not WS-BPEL 2.0's: accepted in ODE's dialect (an uninitialized from-variable skips the copy)"),
                        )
                        .with_help("WS-BPEL 2.0 has no such attribute; initialize the variable first, or use ignoreMissingFromData for a query that selects nothing"),
                    );
                }
                flag
            }
            super::Dialect::Standard => None,
        };
        self.finish(attrs);
        let mut copy = Copy {
            span: element.span,
            keep_src_element_name,
            ignore_missing_from_data,
            ignore_uninitialized_from_variable,
            from: None,
            to: None,
        };
        for child in self.bpel_children(element) {
            match child.local.as_str() {
                "from" if copy.from.is_none() => copy.from = Some(self.read_from(child, owner)),
                "to" if copy.to.is_none() => copy.to = Some(self.read_to(child)),
                "documentation" => {}
                _ => self.unexpected(child, element),
            }
        }
        if copy.from.is_none() || copy.to.is_none() {
            self.error(codes::MISSING_REQUIRED, element.name_span, "a <copy> needs a <from> and a <to>");
        }
        copy
    }

    fn read_from(&mut self, element: &Element, _owner: Option<ActivityId>) -> From {
        let mut attrs = Attrs::new(element);
        let mut from = From {
            span: element.span,
            variable: self.name(&mut attrs, "variable"),
            part: self.name(&mut attrs, "part"),
            partner_link: self.name(&mut attrs, "partnerLink"),
            endpoint_reference: attrs.raw("endpointReference").and_then(|a| match a.value.trim() {
                "myRole" => Some(Spanned::new(Role::MyRole, a.value_span)),
                "partnerRole" => Some(Spanned::new(Role::PartnerRole, a.value_span)),
                other => {
                    self.error(
                        codes::INVALID_VALUE,
                        a.value_span,
                        format!("`endpointReference` must be `myRole` or `partnerRole`, not `{other}`"),
                    );
                    None
                }
            }),
            property: self.qname(&mut attrs, "property"),
            expression_language: self.name(&mut attrs, "expressionLanguage"),
            ..From::default()
        };
        self.finish(attrs);
        let children = self.bpel_children(element);
        for &child in &children {
            match child.local.as_str() {
                "literal" => {
                    from.literal = Some(Literal { span: child.span, element: child.clone() });
                }
                "query" => from.query = Some(self.query(child)),
                "documentation" => {}
                _ => self.unexpected(child, element),
            }
        }
        if children.iter().all(|c| c.local == "documentation") && !element.text().trim().is_empty() {
            from.expression = Some(Expression {
                span: element.span,
                language: from.expression_language.clone(),
                text: element.text(),
                text_span: element.text_span(),
                namespaces: element.scope,
            });
        }
        from
    }

    fn read_to(&mut self, element: &Element) -> To {
        let mut attrs = Attrs::new(element);
        let mut to = To {
            span: element.span,
            variable: self.name(&mut attrs, "variable"),
            part: self.name(&mut attrs, "part"),
            partner_link: self.name(&mut attrs, "partnerLink"),
            property: self.qname(&mut attrs, "property"),
            expression_language: self.name(&mut attrs, "expressionLanguage"),
            ..To::default()
        };
        self.finish(attrs);
        let children = self.bpel_children(element);
        for &child in &children {
            match child.local.as_str() {
                "query" => to.query = Some(self.query(child)),
                "documentation" => {}
                _ => self.unexpected(child, element),
            }
        }
        if children.iter().all(|c| c.local == "documentation") && !element.text().trim().is_empty() {
            to.expression = Some(Expression {
                span: element.span,
                language: to.expression_language.clone(),
                text: element.text(),
                text_span: element.text_span(),
                namespaces: element.scope,
            });
        }
        to
    }
}

/// Splits a whitespace-separated list of names, each with its own span.
fn split_names(attribute: &Attribute) -> Vec<Name> {
    let base = attribute.value_span.start as usize;
    let value = &attribute.value;
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in value.char_indices().chain(std::iter::once((value.len(), ' '))) {
        match (ch.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(Spanned::new(value[s..i].to_string(), Span::new(base + s, base + i)));
                start = None;
            }
            _ => {}
        }
    }
    out
}
