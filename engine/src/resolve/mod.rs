//! Names to declarations: variables, partner links, links, correlation sets and message exchanges,
//! each resolved against its lexical scopes. The resulting [`SymbolIndex`] answers both "what does
//! this name refer to" and "who refers to this declaration".

mod definitions;
mod expression;

pub use definitions::{message_activities, start_tag_name, DeclaredType, Direction, MessageActivity, ProcessDefinitions, RoleBinding};
pub use expression::variable_references;

use std::collections::HashSet;

use serde::Serialize;

use crate::diagnostic::{codes, Diagnostic, Fix, TextEdit};
use crate::model::process::*;
use crate::source::FileId;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SymbolKind {
    Variable,
    PartnerLink,
    Link,
    CorrelationSet,
    MessageExchange,
}

impl SymbolKind {
    pub fn describe(self) -> &'static str {
        match self {
            SymbolKind::Variable => "variable",
            SymbolKind::PartnerLink => "partner link",
            SymbolKind::Link => "link",
            SymbolKind::CorrelationSet => "correlation set",
            SymbolKind::MessageExchange => "message exchange",
        }
    }

    fn code(self) -> &'static str {
        match self {
            SymbolKind::Variable => codes::UNDECLARED_VARIABLE,
            SymbolKind::PartnerLink => codes::UNDECLARED_PARTNER_LINK,
            SymbolKind::Link => codes::UNDECLARED_LINK,
            SymbolKind::CorrelationSet => codes::UNDECLARED_CORRELATION_SET,
            SymbolKind::MessageExchange => codes::UNDECLARED_MESSAGE_EXCHANGE,
        }
    }

    fn declared_in(self) -> &'static str {
        match self {
            SymbolKind::Link => "an enclosing <flow>'s <links>",
            SymbolKind::Variable => "this scope, an enclosing scope or the process",
            _ => "this scope, an enclosing scope or the process",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DeclId(pub u32);

#[derive(Clone, Debug, Serialize)]
pub struct Declaration {
    pub kind: SymbolKind,
    pub name: String,
    /// The name in the declaring element.
    pub span: Span,
    /// The whole declaring element.
    pub element_span: Span,
    /// The scope-like activity that declares it; `None` for the process.
    pub owner: Option<ActivityId>,
    /// What declares it: a declaration block, or an element that declares a variable implicitly.
    pub origin: Origin,
}

/// What declares a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Origin {
    /// A `<partnerLinks>`, `<messageExchanges>`, `<variables>`, `<correlationSets>` or `<links>` block.
    Block,
    /// An `<onEvent>`: its `variable`, or the `toVariable` of one of its `<fromPart>`s. Such a
    /// variable is visible only inside the onEvent's associated scope (SA00095).
    OnEvent,
    /// A `<catch>`'s `faultVariable`.
    Catch,
    /// A `<forEach>`'s `counterName`.
    ForEachCounter,
}

#[derive(Clone, Debug, Serialize)]
pub struct Reference {
    pub kind: SymbolKind,
    pub name: String,
    pub span: Span,
    pub target: Option<DeclId>,
    /// For an unresolved reference: the names of its kind visible where it stands.
    pub candidates: Vec<String>,
    /// The partner link, message exchange or a correlation set of an `<onEvent>`: these resolve
    /// from the onEvent's associated scope outwards (SA00084, SA00088, SA00089).
    pub on_event: bool,
    /// Written as `$name` inside an XPath expression, not as an attribute value.
    pub in_expression: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SymbolIndex {
    pub declarations: Vec<Declaration>,
    pub references: Vec<Reference>,
}

impl SymbolIndex {
    pub fn declaration(&self, id: DeclId) -> &Declaration {
        &self.declarations[id.0 as usize]
    }

    /// The declaration a name at `offset` refers to, or that it declares.
    pub fn definition_at(&self, offset: usize) -> Option<DeclId> {
        if let Some(reference) = self.references.iter().find(|r| r.span.contains(offset)) {
            return reference.target;
        }
        self.declarations.iter().position(|d| d.span.contains(offset)).map(|i| DeclId(i as u32))
    }

    pub fn references_to(&self, id: DeclId) -> impl Iterator<Item = &Reference> {
        self.references.iter().filter(move |r| r.target == Some(id))
    }

    pub fn unresolved(&self) -> impl Iterator<Item = &Reference> {
        self.references.iter().filter(|r| r.target.is_none())
    }

    /// The reference whose name is exactly at `span` (an attribute value), if any.
    pub fn reference_at(&self, span: Span) -> Option<&Reference> {
        let first = self.references.partition_point(|r| (r.span.start, r.span.end) < (span.start, span.end));
        self.references.get(first).filter(|r| r.span == span)
    }

    /// The declaration the name at `span` resolves to.
    pub fn target_at(&self, span: Span) -> Option<&Declaration> {
        self.reference_at(span)?.target.map(|id| self.declaration(id))
    }

    /// The static-analysis rule that reports this reference when it resolves to nothing, for the
    /// references whose lookup a rule of the standard governs; the others are reported here as
    /// undeclared names (`BPEL0100`...).
    pub fn rule_for_unresolved(&self, reference: &Reference, on_event_variables: &HashSet<&str>) -> Option<&'static str> {
        match (reference.kind, reference.on_event) {
            (SymbolKind::PartnerLink, true) => Some("SA00084"),
            (SymbolKind::PartnerLink, false) => Some("SA00010"),
            (SymbolKind::CorrelationSet, true) => Some("SA00088"),
            (SymbolKind::MessageExchange, true) => Some("SA00089"),
            (SymbolKind::MessageExchange, false) => Some("SA00061"),
            (SymbolKind::Variable, _) if on_event_variables.contains(reference.name.as_str()) => Some("SA00095"),
            (SymbolKind::Link, _) if !reference.in_expression => Some("SA00065"),
            _ => None,
        }
    }

    /// The names of the variables that onEvents declare (see [`Origin::OnEvent`]).
    pub fn on_event_variables(&self) -> HashSet<&str> {
        self.declarations
            .iter()
            .filter(|d| d.kind == SymbolKind::Variable && d.origin == Origin::OnEvent)
            .map(|d| d.name.as_str())
            .collect()
    }

    /// The unresolved references that the rule `code` reports (see [`Self::rule_for_unresolved`]).
    pub fn unresolved_for_rule(&self, code: &'static str) -> impl Iterator<Item = &Reference> + '_ {
        let on_event_variables = self.on_event_variables();
        self.unresolved().filter(move |r| self.rule_for_unresolved(r, &on_event_variables) == Some(code))
    }

    /// Diagnostics for every reference that resolves to nothing and that no static-analysis rule
    /// governs, with a suggestion when a visible declaration of the same kind has a close name.
    pub fn diagnostics(&self, file: FileId) -> Vec<Diagnostic> {
        let on_event_variables = self.on_event_variables();
        self.unresolved()
            .filter(|reference| self.rule_for_unresolved(reference, &on_event_variables).is_none())
            .map(|reference| {
                let kind = reference.kind.describe();
                let message = format!("{kind} `{}` is not declared", reference.name);
                let help = format!("declare the {kind} in {}", reference.kind.declared_in());
                undeclared(reference, reference.kind.code(), file, message, help)
            })
            .collect()
    }
}

/// The diagnostic for a name that resolves to nothing: `help` unless a visible declaration of the
/// same kind has a close name, which is then suggested, with the fix that applies it.
pub fn undeclared(reference: &Reference, code: &'static str, file: FileId, message: String, help: String) -> Diagnostic {
    let diagnostic = Diagnostic::error(code, file, reference.span, message);
    match closest(&reference.name, &reference.candidates) {
        Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")).with_fix(Fix {
            title: format!("Change to `{suggestion}`"),
            edits: vec![TextEdit { file, span: reference.span, replacement: suggestion }],
        }),
        None => diagnostic.with_help(help),
    }
}

/// Resolves every name in `process`.
pub fn resolve(process: &Process) -> SymbolIndex {
    let mut walker = Walker { process, index: SymbolIndex::default(), frames: Vec::new(), in_on_event: false };
    walker.process();
    // In source order, so that `reference_at` can search.
    walker.index.references.sort_by_key(|r| (r.span.start, r.span.end));
    walker.index
}

struct Walker<'p> {
    process: &'p Process,
    index: SymbolIndex,
    frames: Vec<Vec<DeclId>>,
    /// While resolving the partner link, message exchange and correlation sets of an onEvent.
    in_on_event: bool,
}

impl<'p> Walker<'p> {
    fn declare(&mut self, kind: SymbolKind, name: &Option<Name>, element_span: Span, owner: Option<ActivityId>) {
        self.declare_from(kind, name, element_span, owner, Origin::Block);
    }

    fn declare_from(&mut self, kind: SymbolKind, name: &Option<Name>, element_span: Span, owner: Option<ActivityId>, origin: Origin) {
        let Some(name) = name else { return };
        let id = DeclId(self.index.declarations.len() as u32);
        self.index.declarations.push(Declaration { kind, name: name.value.clone(), span: name.span, element_span, owner, origin });
        if let Some(frame) = self.frames.last_mut() {
            frame.push(id);
        }
    }

    fn lookup(&self, kind: SymbolKind, name: &str) -> Option<DeclId> {
        self.frames.iter().rev().flat_map(|frame| frame.iter().rev()).copied().find(|&id| {
            let declaration = self.index.declaration(id);
            declaration.kind == kind && declaration.name == name
        })
    }

    fn refer(&mut self, kind: SymbolKind, name: &Option<Name>) {
        if let Some(name) = name {
            self.refer_at(kind, &name.value, name.span);
        }
    }

    fn refer_at(&mut self, kind: SymbolKind, name: &str, span: Span) {
        self.push_reference(kind, name, span, false);
    }

    fn refer_in_expression(&mut self, kind: SymbolKind, name: &str, span: Span) {
        self.push_reference(kind, name, span, true);
    }

    fn push_reference(&mut self, kind: SymbolKind, name: &str, span: Span, in_expression: bool) {
        if name.is_empty() {
            return;
        }
        let target = self.lookup(kind, name);
        let candidates = match target {
            Some(_) => Vec::new(),
            None => self
                .frames
                .iter()
                .flatten()
                .map(|&id| self.index.declaration(id))
                .filter(|d| d.kind == kind)
                .map(|d| d.name.clone())
                .collect(),
        };
        self.index.references.push(Reference {
            kind,
            name: name.to_string(),
            span,
            target,
            candidates,
            on_event: self.in_on_event,
            in_expression,
        });
    }

    fn expression(&mut self, expression: &Option<Expression>) {
        if let Some(expression) = expression {
            for (name, span) in variable_references(expression) {
                self.refer_in_expression(SymbolKind::Variable, &name, span);
            }
        }
    }

    fn declare_scope(&mut self, decls: &ScopeDecls, owner: Option<ActivityId>) {
        for pl in &decls.partner_links {
            self.declare(SymbolKind::PartnerLink, &pl.name, pl.span, owner);
        }
        for mex in &decls.message_exchanges {
            self.declare(SymbolKind::MessageExchange, &mex.name, mex.span, owner);
        }
        for cs in &decls.correlation_sets {
            self.declare(SymbolKind::CorrelationSet, &cs.name, cs.span, owner);
        }
        for variable in &decls.variables {
            // An initializer sees the variables declared before it, not itself.
            if let Some(from) = &variable.from {
                self.visit_from(from);
            }
            self.declare(SymbolKind::Variable, &variable.name, variable.span, owner);
        }
    }

    fn process(&mut self) {
        self.frames.push(Vec::new());
        self.declare_scope(&self.process.scope, None);
        self.handlers(&self.process.scope);
        if let Some(activity) = self.process.activity {
            self.activity(activity);
        }
        self.frames.pop();
    }

    fn handlers(&mut self, decls: &'p ScopeDecls) {
        if let Some(fault_handlers) = &decls.fault_handlers {
            for catch in &fault_handlers.catches {
                self.frames.push(Vec::new());
                self.declare_from(SymbolKind::Variable, &catch.fault_variable, catch.span, catch.activity, Origin::Catch);
                if let Some(activity) = catch.activity {
                    self.activity(activity);
                }
                self.frames.pop();
            }
            if let Some(activity) = fault_handlers.catch_all.as_ref().and_then(|h| h.activity) {
                self.activity(activity);
            }
        }
        if let Some(event_handlers) = &decls.event_handlers {
            for on_event in &event_handlers.on_events {
                self.frames.push(Vec::new());
                self.declare_from(SymbolKind::Variable, &on_event.variable, on_event.span, on_event.scope, Origin::OnEvent);
                for part in on_event.from_parts.iter().flatten() {
                    self.declare_from(SymbolKind::Variable, &part.to_variable, part.span, on_event.scope, Origin::OnEvent);
                }
                match on_event.scope {
                    Some(scope) => self.scope_activity(scope, Some(on_event)),
                    None => self.on_event_references(on_event),
                }
                self.frames.pop();
            }
            for alarm in &event_handlers.on_alarms {
                self.on_alarm(alarm);
            }
        }
        for handler in [&decls.compensation_handler, &decls.termination_handler].into_iter().flatten() {
            if let Some(activity) = handler.activity {
                self.activity(activity);
            }
        }
    }

    fn on_alarm(&mut self, alarm: &OnAlarm) {
        self.expression(&alarm.timer.for_);
        self.expression(&alarm.timer.until);
        self.expression(&alarm.repeat_every);
        if let Some(activity) = alarm.activity {
            self.activity(activity);
        }
    }

    fn message_spec(&mut self, message: &MessageSpec) {
        self.refer(SymbolKind::PartnerLink, &message.partner_link);
        self.refer(SymbolKind::MessageExchange, &message.message_exchange);
    }

    fn on_event_references(&mut self, on_event: &OnEvent) {
        self.in_on_event = true;
        self.message_spec(&on_event.message);
        self.correlations(&on_event.correlations);
        self.in_on_event = false;
    }

    fn correlations(&mut self, correlations: &[Correlation]) {
        for correlation in correlations {
            self.refer(SymbolKind::CorrelationSet, &correlation.set);
        }
    }

    fn visit_from_parts(&mut self, parts: &Option<Vec<FromPart>>) {
        for part in parts.iter().flatten() {
            self.refer(SymbolKind::Variable, &part.to_variable);
        }
    }

    fn visit_to_parts(&mut self, parts: &Option<Vec<ToPart>>) {
        for part in parts.iter().flatten() {
            self.refer(SymbolKind::Variable, &part.from_variable);
        }
    }

    fn visit_from(&mut self, from: &From) {
        self.refer(SymbolKind::Variable, &from.variable);
        self.refer(SymbolKind::PartnerLink, &from.partner_link);
        self.expression(&from.expression);
    }

    fn visit_to(&mut self, to: &To) {
        self.refer(SymbolKind::Variable, &to.variable);
        self.refer(SymbolKind::PartnerLink, &to.partner_link);
        self.expression(&to.expression);
    }

    fn activity(&mut self, id: ActivityId) {
        self.scope_activity(id, None);
    }

    /// Visits an activity; `on_event` is the onEvent whose associated scope `id` is: its partner
    /// link, message exchange and correlation sets resolve in that scope first (SA00084, 88, 89).
    fn scope_activity(&mut self, id: ActivityId, on_event: Option<&OnEvent>) {
        let activity = self.process.activity(id);
        if let Some(targets) = &activity.targets {
            for target in &targets.targets {
                self.refer(SymbolKind::Link, &target.link_name);
            }
            // In a join condition `$name` is the status of an incoming link, not a variable.
            if let Some(condition) = &targets.join_condition {
                for (name, span) in variable_references(condition) {
                    self.refer_in_expression(SymbolKind::Link, &name, span);
                }
            }
        }
        if let Some(sources) = &activity.sources {
            for source in &sources.sources {
                self.refer(SymbolKind::Link, &source.link_name);
                self.expression(&source.transition_condition);
            }
        }
        match &activity.kind {
            ActivityKind::Receive(receive) => {
                self.message_spec(&receive.message);
                self.refer(SymbolKind::Variable, &receive.variable);
                self.correlations(&receive.correlations);
                self.visit_from_parts(&receive.from_parts);
            }
            ActivityKind::Reply(reply) => {
                self.message_spec(&reply.message);
                self.refer(SymbolKind::Variable, &reply.variable);
                self.correlations(&reply.correlations);
                self.visit_to_parts(&reply.to_parts);
            }
            ActivityKind::Invoke(invoke) => {
                self.message_spec(&invoke.message);
                self.refer(SymbolKind::Variable, &invoke.input_variable);
                self.refer(SymbolKind::Variable, &invoke.output_variable);
                self.correlations(&invoke.correlations);
                self.visit_to_parts(&invoke.to_parts);
                self.visit_from_parts(&invoke.from_parts);
                self.handlers(&invoke.handlers);
            }
            ActivityKind::Assign(assign) => {
                for operation in &assign.operations {
                    if let AssignOperation::Copy(copy) = operation {
                        if let Some(from) = &copy.from {
                            self.visit_from(from);
                        }
                        if let Some(to) = &copy.to {
                            self.visit_to(to);
                        }
                    }
                }
            }
            ActivityKind::Throw(throw) => self.refer(SymbolKind::Variable, &throw.fault_variable),
            ActivityKind::Validate(validate) => {
                for variable in &validate.variables {
                    self.refer_at(SymbolKind::Variable, &variable.value, variable.span);
                }
            }
            ActivityKind::Wait(timer) => {
                self.expression(&timer.for_);
                self.expression(&timer.until);
            }
            ActivityKind::Sequence(items) => {
                for &item in items {
                    self.activity(item);
                }
            }
            ActivityKind::Flow(flow) => {
                self.frames.push(Vec::new());
                for link in &flow.links {
                    self.declare(SymbolKind::Link, &link.name, link.span, Some(id));
                }
                for &item in &flow.activities {
                    self.activity(item);
                }
                self.frames.pop();
            }
            ActivityKind::If(if_) => {
                self.expression(&if_.condition);
                if let Some(activity) = if_.activity {
                    self.activity(activity);
                }
                for branch in &if_.else_ifs {
                    self.expression(&branch.condition);
                    if let Some(activity) = branch.activity {
                        self.activity(activity);
                    }
                }
                if let Some(activity) = if_.else_.as_ref().and_then(|e| e.activity) {
                    self.activity(activity);
                }
            }
            ActivityKind::While(while_) => {
                self.expression(&while_.condition);
                if let Some(activity) = while_.activity {
                    self.activity(activity);
                }
            }
            ActivityKind::RepeatUntil(repeat) => {
                if let Some(activity) = repeat.activity {
                    self.activity(activity);
                }
                self.expression(&repeat.condition);
            }
            ActivityKind::ForEach(for_each) => {
                self.expression(&for_each.start);
                self.expression(&for_each.final_);
                if let Some(condition) = &for_each.completion_condition {
                    self.expression(&condition.branches);
                }
                self.frames.push(Vec::new());
                self.declare_from(SymbolKind::Variable, &for_each.counter_name, activity.span, for_each.scope, Origin::ForEachCounter);
                if let Some(scope) = for_each.scope {
                    self.activity(scope);
                }
                self.frames.pop();
            }
            ActivityKind::Pick(pick) => {
                for on_message in &pick.on_messages {
                    self.message_spec(&on_message.message);
                    self.refer(SymbolKind::Variable, &on_message.variable);
                    self.correlations(&on_message.correlations);
                    self.visit_from_parts(&on_message.from_parts);
                    if let Some(activity) = on_message.activity {
                        self.activity(activity);
                    }
                }
                for alarm in &pick.on_alarms {
                    self.on_alarm(alarm);
                }
            }
            ActivityKind::Scope(scope) => {
                self.frames.push(Vec::new());
                self.declare_scope(&scope.decls, Some(id));
                if let Some(on_event) = on_event {
                    self.on_event_references(on_event);
                }
                self.handlers(&scope.decls);
                if let Some(activity) = scope.activity {
                    self.activity(activity);
                }
                self.frames.pop();
            }
            ActivityKind::Rethrow
            | ActivityKind::Empty
            | ActivityKind::Exit
            | ActivityKind::Compensate
            | ActivityKind::CompensateScope(_)
            | ActivityKind::Extension(_) => {}
        }
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
fn closest(name: &str, candidates: &[String]) -> Option<String> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(!ca.eq_ignore_ascii_case(cb));
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = vec!["InitData".to_string(), "ReplyData".to_string()];
        assert_eq!(closest("InitDat", &names).as_deref(), Some("InitData"));
        assert_eq!(closest("Unrelated", &names), None);
    }
}
