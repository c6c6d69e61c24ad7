//! Event handlers: they handle something (SA00083); an onEvent's partner link, correlation sets and
//! message exchange resolve from its associated scope (SA00084, SA00088, SA00089); its variables
//! (SA00085, SA00086, SA00090) are visible only inside that scope (SA00095).

use super::support::{decls_of, remove_attributes, remove_element, scope_decls, tag_name};
use crate::check::rules::{Rule, RuleContext, Tier};
use crate::diagnostic::Diagnostic;
use crate::model::process::*;
use crate::model::QName;
use crate::resolve::{undeclared, Declaration, MessageActivity, Origin, ProcessDefinitions, SymbolKind};
use crate::span::Span;

/// Every onEvent of the process.
fn on_events(process: &Process) -> impl Iterator<Item = &OnEvent> {
    scope_decls(process).flat_map(|(_, decls)| decls.event_handlers.iter().flat_map(|h| &h.on_events))
}

pub(super) const SA00083: Rule = Rule {
    code: "SA00083",
    tier: Tier::Process,
    summary: "<eventHandlers> must contain at least one <onEvent> or <onAlarm>",
    why: "An empty <eventHandlers> handles nothing; the schema requires at least one handler.",
    failing: r#"<scope>
  <eventHandlers/>
  ...
</scope>"#,
    fixed: r#"<scope>
  <eventHandlers>
    <onAlarm><for>'PT1H'</for><scope><exit/></scope></onAlarm>
  </eventHandlers>
  ...
</scope>"#,
    check: check_empty_event_handlers,
};

fn check_empty_event_handlers(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for (_, decls) in scope_decls(cx.process) {
        let Some(handlers) = &decls.event_handlers else { continue };
        if !handlers.on_events.is_empty() || !handlers.on_alarms.is_empty() {
            continue;
        }
        out.push(
            Diagnostic::error("SA00083", cx.file, tag_name(cx.text, handlers.span), "<eventHandlers> has no <onEvent> and no <onAlarm>")
                .with_help("add an <onEvent> or an <onAlarm>, or remove the empty <eventHandlers>")
                .with_fix(remove_element(cx.text, cx.file, handlers.span, "Remove the empty <eventHandlers>")),
        );
    }
}

/// Reports the references of one kind that an onEvent makes and that resolve to nothing, neither in
/// its associated scope nor around it.
fn report_unresolved(cx: &RuleContext<'_>, code: &'static str, out: &mut Vec<Diagnostic>) {
    for reference in cx.symbols.unresolved_for_rule(code) {
        let kind = reference.kind.describe();
        let message = format!("{kind} `{}` of this <onEvent> is declared neither in its scope nor in an enclosing one", reference.name);
        let help = format!("an onEvent's {kind} is looked up in its own <scope> first, then in the scopes around it and the process");
        out.push(undeclared(reference, code, cx.file, message, help));
    }
}

/// The scope an onEvent belongs to, for messages: "its own scope `S`" or "its own scope".
fn own_scope(cx: &RuleContext<'_>, on_event: &OnEvent) -> String {
    match on_event.scope.and_then(|id| cx.process.activity(id).name.as_ref()) {
        Some(name) => format!("its own scope `{}`", name.value),
        None => "its own scope".to_string(),
    }
}

pub(super) const SA00084: Rule = Rule {
    code: "SA00084",
    tier: Tier::Process,
    summary: "the partner link of an <onEvent> resolves in its associated scope first, and must offer the process's role",
    why: "An <onEvent> receives messages for the scope it is attached to, so its partnerLink is looked \
          up in its own <scope> first, then outwards. The partner link found must declare myRole, \
          the role on which the process receives.",
    failing: r#"<onEvent partnerLink="client" operation="cancel" ...>
  <scope>
    <partnerLinks>
      <partnerLink name="client" partnerLinkType="tns:ClientLT" partnerRole="client"/>
    </partnerLinks>
    ...
  </scope>
</onEvent>"#,
    fixed: r#"<onEvent partnerLink="client" operation="cancel" ...>
  <scope>
    <partnerLinks>
      <partnerLink name="callback" partnerLinkType="tns:ClientLT" partnerRole="client"/>
    </partnerLinks>
    ...
  </scope>
</onEvent>"#,
    check: check_on_event_partner_links,
};

fn check_on_event_partner_links(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    report_unresolved(cx, "SA00084", out);
    if on_events(cx.process).next().is_none() {
        return;
    }
    let definitions = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for on_event in on_events(cx.process) {
        let Some(name) = &on_event.message.partner_link else { continue };
        let Some(partner_link) = definitions.partner_link(name) else { continue };
        if partner_link.my_role.is_some() {
            continue;
        }
        let Some(declaration) = cx.symbols.target_at(name.span) else { continue };
        let declared_at = partner_link.name.as_ref().map_or(partner_link.span, |n| n.span);
        let message = if declaration.owner.is_some() && declaration.owner == on_event.scope {
            format!(
                "partner link `{}` resolves to the one declared in {} (an onEvent looks there first), which has no myRole to receive on",
                name.value,
                own_scope(cx, on_event)
            )
        } else {
            format!("partner link `{}` has no myRole, so this <onEvent> cannot receive on it", name.value)
        };
        out.push(
            Diagnostic::error("SA00084", cx.file, name.span, message)
                .with_related(cx.file, declared_at, "the partner link the onEvent resolves to")
                .with_help(
                    "an onEvent receives on the process's own role: use a partner link with myRole, or rename the one that shadows it",
                ),
        );
    }
}

pub(super) const SA00088: Rule = Rule {
    code: "SA00088",
    tier: Tier::Wsdl,
    summary: "the correlation sets of an <onEvent> resolve in its associated scope first, and must fit its message",
    why: "An <onEvent>'s correlation sets are looked up in its own <scope> first, then outwards. A set \
          declared in that scope shadows one of the same name around it, and its properties must \
          have aliases for the message the onEvent receives.",
    failing: r#"<onEvent partnerLink="client" operation="update" messageType="tns:update" variable="u">
  <correlations><correlation set="order"/></correlations>
  <scope>
    <correlationSets>
      <correlationSet name="order" properties="tns:customerName"/>
    </correlationSets>
    ...
  </scope>
</onEvent>"#,
    fixed: r#"<onEvent partnerLink="client" operation="update" messageType="tns:update" variable="u">
  <correlations><correlation set="order"/></correlations>
  <scope>
    ...
  </scope>
</onEvent>"#,
    check: check_on_event_correlation_sets,
};

fn check_on_event_correlation_sets(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    report_unresolved(cx, "SA00088", out);
    if on_events(cx.process).next().is_none() {
        return;
    }
    let definitions = ProcessDefinitions::new(cx.process, cx.definitions, cx.symbols);
    for on_event in on_events(cx.process) {
        let Some(received) = received_data(&definitions, on_event) else { continue };
        for set_name in on_event.correlations.iter().filter_map(|c| c.set.as_ref()) {
            let Some(declaration) = cx.symbols.target_at(set_name.span) else { continue };
            if declaration.owner.is_none() || declaration.owner != on_event.scope {
                continue; // a set of an enclosing scope: whether it fits is a question of property aliases (SA00021)
            }
            let Some(set) = correlation_set(cx.process, declaration) else { continue };
            for property in &set.properties {
                let Some(property_name) = &property.name else { continue };
                if cx.definitions.property(property_name).is_none() || has_alias(cx, property_name, &received) {
                    continue;
                }
                out.push(
                    Diagnostic::error(
                        "SA00088",
                        cx.file,
                        set_name.span,
                        format!(
                            "correlation set `{}` resolves to the one declared in {}, whose property `{}` has no alias for the message this <onEvent> receives",
                            set_name.value,
                            own_scope(cx, on_event),
                            property.text
                        ),
                    )
                    .with_related(cx.file, declaration.span, "the correlation set the onEvent resolves to")
                    .with_help("an onEvent looks up its correlation sets in its own scope first: rename the set declared there, or give its properties aliases for this message"),
                );
            }
        }
    }
}

/// What an onEvent receives: a message type, or an element.
enum Received {
    Message(QName, Vec<QName>),
    Element(QName),
}

fn received_data(definitions: &ProcessDefinitions<'_>, on_event: &OnEvent) -> Option<Received> {
    if let Some(element) = on_event.element.as_ref().and_then(|e| e.name.clone()) {
        return Some(Received::Element(element));
    }
    let message = match on_event.message_type.as_ref().and_then(|m| m.name.clone()) {
        Some(message) => message,
        None => {
            let operation = definitions.operation(&MessageActivity::OnEvent(on_event))?;
            operation.input.as_ref()?.message.as_ref()?.name.clone()?
        }
    };
    let part_elements = definitions
        .definitions
        .message(&message)
        .map(|m| m.parts.iter().filter_map(|p| p.element.as_ref()?.name.clone()).collect())
        .unwrap_or_default();
    Some(Received::Message(message, part_elements))
}

fn has_alias(cx: &RuleContext<'_>, property: &QName, received: &Received) -> bool {
    cx.definitions.property_aliases(property).any(|alias| {
        let message = alias.message_type.as_ref().and_then(|m| m.name.as_ref());
        let element = alias.element.as_ref().and_then(|e| e.name.as_ref());
        match received {
            Received::Message(name, part_elements) => message == Some(name) || element.is_some_and(|e| part_elements.contains(e)),
            Received::Element(name) => element == Some(name),
        }
    })
}

fn correlation_set<'p>(process: &'p Process, declaration: &Declaration) -> Option<&'p CorrelationSet> {
    decls_of(process, declaration.owner)?.correlation_sets.iter().find(|set| set.span == declaration.element_span)
}

pub(super) const SA00089: Rule = Rule {
    code: "SA00089",
    tier: Tier::Process,
    summary: "the message exchange of an <onEvent> must resolve, in its associated scope first",
    why: "An <onEvent>'s messageExchange is looked up in its own <scope> first, then in the scopes \
          around it; a name declared nowhere there cannot pair the onEvent with its reply.",
    failing: r#"<onEvent partnerLink="client" operation="ask" messageExchange="question" ...>
  <scope>...<reply partnerLink="client" operation="ask" messageExchange="question" .../></scope>
</onEvent>"#,
    fixed: r#"<onEvent partnerLink="client" operation="ask" messageExchange="question" ...>
  <scope>
    <messageExchanges><messageExchange name="question"/></messageExchanges>
    ...<reply partnerLink="client" operation="ask" messageExchange="question" .../>
  </scope>
</onEvent>"#,
    check: check_on_event_message_exchanges,
};

fn check_on_event_message_exchanges(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    report_unresolved(cx, "SA00089", out);
}

pub(super) const SA00085: Rule = Rule {
    code: "SA00085",
    tier: Tier::Process,
    summary: "an <onEvent> with <fromPart> elements must not have variable, messageType or element",
    why: "The message an onEvent receives goes either into its variable (typed by messageType or \
          element) or part by part into the <fromPart> variables, not both.",
    failing: r#"<onEvent partnerLink="client" operation="update" variable="u" messageType="tns:update">
  <fromParts><fromPart part="item" toVariable="item"/></fromParts>
  <scope>...</scope>
</onEvent>"#,
    fixed: r#"<onEvent partnerLink="client" operation="update">
  <fromParts><fromPart part="item" toVariable="item"/></fromParts>
  <scope>...</scope>
</onEvent>"#,
    check: check_on_event_from_parts,
};

fn check_on_event_from_parts(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for on_event in on_events(cx.process) {
        let Some(first_part) = on_event.from_parts.as_ref().and_then(|p| p.first()) else { continue };
        let given: Vec<(&str, Span)> = [
            ("variable", on_event.variable.as_ref().map(|v| v.span)),
            ("messageType", on_event.message_type.as_ref().map(|m| m.span)),
            ("element", on_event.element.as_ref().map(|e| e.span)),
        ]
        .into_iter()
        .filter_map(|(attribute, span)| Some((attribute, span?)))
        .collect();
        let Some(&(_, first)) = given.first() else { continue };
        let names: Vec<&str> = given.iter().map(|(attribute, _)| *attribute).collect();
        let spans: Vec<Span> = given.iter().map(|(_, span)| *span).collect();
        let mut diagnostic = Diagnostic::error(
            "SA00085",
            cx.file,
            first,
            format!("this <onEvent> has <fromPart> elements, so it may not also have {}", names.join(", ")),
        )
        .with_related(cx.file, tag_name(cx.text, first_part.span), "the <fromPart>s")
        .with_help("receive the message either into one variable or part by part");
        if let Some(fix) = remove_attributes(cx.text, cx.file, &spans, format!("Remove {}", names.join(", "))) {
            diagnostic = diagnostic.with_fix(fix);
        }
        out.push(diagnostic);
    }
}

pub(super) const SA00086: Rule = Rule {
    code: "SA00086",
    tier: Tier::Process,
    summary: "the variables an <onEvent> declares must not be declared again in its associated scope",
    why: "An onEvent's variable and its <fromPart> toVariables are declared implicitly in its \
          associated scope; an explicit declaration of the same name there would clash with them.",
    failing: r#"<onEvent partnerLink="client" operation="update" variable="u" messageType="tns:update">
  <scope>
    <variables><variable name="u" messageType="tns:update"/></variables>
    ...
  </scope>
</onEvent>"#,
    fixed: r#"<onEvent partnerLink="client" operation="update" variable="u" messageType="tns:update">
  <scope>
    ...
  </scope>
</onEvent>"#,
    check: check_on_event_variables_not_redeclared,
};

fn check_on_event_variables_not_redeclared(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for on_event in on_events(cx.process) {
        let Some(ActivityKind::Scope(scope)) = on_event.scope.map(|id| &cx.process.activity(id).kind) else { continue };
        let implicit = on_event.variable.iter().chain(on_event.from_parts.iter().flatten().filter_map(|p| p.to_variable.as_ref()));
        for name in implicit {
            for variable in &scope.decls.variables {
                let Some(explicit) = variable.name.as_ref().filter(|n| n.value == name.value) else { continue };
                out.push(
                    Diagnostic::error(
                        "SA00086",
                        cx.file,
                        explicit.span,
                        format!(
                            "`{}` is already declared by the <onEvent> of this scope; it may not be declared here again",
                            explicit.value
                        ),
                    )
                    .with_related(cx.file, name.span, "the onEvent declares it here")
                    .with_help("remove this declaration, or rename one of the two"),
                );
            }
        }
    }
}

pub(super) const SA00090: Rule = Rule {
    code: "SA00090",
    tier: Tier::Process,
    summary: "an <onEvent> with a variable must have exactly one of messageType and element",
    why: "The onEvent declares its variable itself, and the variable's type is given by messageType \
          or element on the onEvent: one of them, and only one.",
    failing: r#"<onEvent partnerLink="client" operation="update" variable="u">
  <scope>...</scope>
</onEvent>"#,
    fixed: r#"<onEvent partnerLink="client" operation="update" variable="u" messageType="tns:update">
  <scope>...</scope>
</onEvent>"#,
    check: check_on_event_variable_type,
};

fn check_on_event_variable_type(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for on_event in on_events(cx.process) {
        let Some(variable) = &on_event.variable else { continue };
        match (&on_event.message_type, &on_event.element) {
            (None, None) => out.push(
                Diagnostic::error(
                    "SA00090",
                    cx.file,
                    variable.span,
                    format!("the <onEvent> declares variable `{}` but gives it no type", variable.value),
                )
                .with_help("add messageType=\"...\" (a WSDL message) or element=\"...\" (a global element) to the onEvent"),
            ),
            (Some(_), Some(element)) => out.push(
                Diagnostic::error(
                    "SA00090",
                    cx.file,
                    element.span,
                    format!("the <onEvent> gives variable `{}` both messageType and element; it takes exactly one", variable.value),
                )
                .with_help("keep the one that matches the operation's input message"),
            ),
            _ => {}
        }
    }
}

pub(super) const SA00095: Rule = Rule {
    code: "SA00095",
    tier: Tier::Process,
    summary: "the variables of an <onEvent> are visible only inside its associated scope",
    why: "An onEvent declares its variable (and its fromPart variables) in its own scope, one copy per \
          event received; outside that scope there is no such variable.",
    failing: r#"<eventHandlers>
  <onEvent ... variable="update" messageType="tns:update"><scope>...</scope></onEvent>
</eventHandlers>
<assign><copy><from variable="update"/><to variable="last"/></copy></assign>"#,
    fixed: r#"<eventHandlers>
  <onEvent ... variable="update" messageType="tns:update">
    <scope><assign><copy><from variable="update"/><to variable="last"/></copy></assign></scope>
  </onEvent>
</eventHandlers>"#,
    check: check_on_event_variables_outside,
};

fn check_on_event_variables_outside(cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    for reference in cx.symbols.unresolved_for_rule("SA00095") {
        let declared = cx
            .symbols
            .declarations
            .iter()
            .find(|d| d.kind == SymbolKind::Variable && d.origin == Origin::OnEvent && d.name == reference.name);
        let mut diagnostic = Diagnostic::error(
            "SA00095",
            cx.file,
            reference.span,
            format!("variable `{}` belongs to an <onEvent> and is visible only inside that onEvent's scope", reference.name),
        )
        .with_help("use the variable inside the onEvent's <scope>, or copy its value there to a variable declared where it is needed");
        if let Some(declared) = declared {
            diagnostic = diagnostic.with_related(cx.file, declared.span, "declared by this onEvent");
        }
        out.push(diagnostic);
    }
}
