//! A WS-BPEL 2.0 executable process as a value.
//!
//! Activities live in an arena ([`Process::activities`]) and refer to each other by [`ActivityId`].
//! Elements that hold activities but are not activities themselves (handlers, `onMessage`,
//! `elseif`...) are plain structs owned by their activity or scope. Every name, reference and
//! expression keeps its span; anything the parser could not read is absent, and a diagnostic says why.

use serde::{Deserialize, Serialize};

use super::{QName, QNameRef};
use crate::source::FileId;
use crate::span::{Span, Spanned};
use crate::syntax::{Element, NamespaceScopes, ScopeId};

/// Index of an activity in [`Process::activities`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ActivityId(pub u32);

pub type Name = Spanned<String>;

#[derive(Clone, Debug)]
pub struct Process {
    pub file: FileId,
    pub span: Span,
    pub name: Option<Name>,
    pub target_namespace: Option<Name>,
    pub query_language: Option<Name>,
    pub expression_language: Option<Name>,
    pub suppress_join_failure: Option<Spanned<bool>>,
    pub exit_on_standard_fault: Option<Spanned<bool>>,
    pub extensions: Vec<Extension>,
    pub imports: Vec<Import>,
    /// The process is the outermost scope: its partner links, variables, handlers...
    pub scope: ScopeDecls,
    /// The process's main activity.
    pub activity: Option<ActivityId>,
    pub activities: Vec<Activity>,
    /// Namespace declarations, for QNames inside expressions and queries.
    pub namespaces: NamespaceScopes,
    pub documentation: Vec<Documentation>,
    pub extension_attributes: Vec<ExtensionAttribute>,
}

impl Process {
    pub fn activity(&self, id: ActivityId) -> &Activity {
        &self.activities[id.0 as usize]
    }

    /// The kind of an activity, `None` for an id outside the arena (the process's own pseudo id).
    pub fn activity_kind(&self, id: ActivityId) -> Option<&ActivityKind> {
        self.activities.get(id.0 as usize).map(|a| &a.kind)
    }

    /// Activities in document order (the arena is filled in document order).
    pub fn activity_ids(&self) -> impl Iterator<Item = ActivityId> {
        (0..self.activities.len() as u32).map(ActivityId)
    }

    /// The activities enclosing `id`, innermost first (not `id` itself).
    pub fn ancestors(&self, id: ActivityId) -> impl Iterator<Item = ActivityId> + '_ {
        std::iter::successors(self.activity(id).parent, move |&parent| self.activity(parent).parent)
    }

    /// Every activity nested in `id` (handlers included), depth first, not `id` itself.
    pub fn descendants(&self, id: ActivityId) -> Vec<ActivityId> {
        let mut out = Vec::new();
        let mut stack = self.activity(id).kind.children();
        stack.reverse();
        while let Some(next) = stack.pop() {
            out.push(next);
            let mut children = self.activity(next).kind.children();
            children.reverse();
            stack.extend(children);
        }
        out
    }

    /// Where `id` stands in the activity or process that holds it.
    pub fn placement(&self, id: ActivityId) -> Placement {
        let decls_placement = |decls: &ScopeDecls| -> Option<Placement> {
            if let Some(fh) = &decls.fault_handlers {
                if let Some(i) = fh.catches.iter().position(|c| c.activity == Some(id)) {
                    return Some(Placement::Catch(i));
                }
                if fh.catch_all.as_ref().and_then(|h| h.activity) == Some(id) {
                    return Some(Placement::CatchAll);
                }
            }
            if let Some(eh) = &decls.event_handlers {
                if let Some(i) = eh.on_events.iter().position(|e| e.scope == Some(id)) {
                    return Some(Placement::OnEvent(i));
                }
                if let Some(i) = eh.on_alarms.iter().position(|a| a.activity == Some(id)) {
                    return Some(Placement::EventOnAlarm(i));
                }
            }
            if decls.compensation_handler.as_ref().and_then(|h| h.activity) == Some(id) {
                return Some(Placement::CompensationHandler);
            }
            if decls.termination_handler.as_ref().and_then(|h| h.activity) == Some(id) {
                return Some(Placement::TerminationHandler);
            }
            None
        };
        match self.activity(id).parent {
            None => decls_placement(&self.scope).unwrap_or(Placement::Body),
            Some(parent) => match &self.activity(parent).kind {
                ActivityKind::Scope(scope) => decls_placement(&scope.decls).unwrap_or(Placement::Body),
                ActivityKind::Invoke(invoke) => decls_placement(&invoke.handlers).unwrap_or(Placement::Body),
                ActivityKind::Pick(pick) => match pick.on_messages.iter().position(|m| m.activity == Some(id)) {
                    Some(i) => Placement::OnMessage(i),
                    None => Placement::PickOnAlarm(pick.on_alarms.iter().position(|a| a.activity == Some(id)).unwrap_or(0)),
                },
                _ => Placement::Body,
            },
        }
    }

    /// The innermost activity whose element contains `offset`.
    pub fn activity_at(&self, offset: usize) -> Option<ActivityId> {
        self.activities.iter().filter(|a| a.span.contains(offset)).min_by_key(|a| a.span.len()).map(|a| a.id)
    }
}

/// Where an activity stands in what holds it: in the main body (of a structured activity, a scope
/// or the process), or in one of the handlers or branches of its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Body,
    Catch(usize),
    CatchAll,
    CompensationHandler,
    TerminationHandler,
    /// The scope of the n-th onEvent of an event handler.
    OnEvent(usize),
    EventOnAlarm(usize),
    OnMessage(usize),
    PickOnAlarm(usize),
}

#[derive(Clone, Debug)]
pub struct Import {
    pub span: Span,
    pub namespace: Option<Name>,
    pub location: Option<Name>,
    pub import_type: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct Extension {
    pub span: Span,
    pub namespace: Option<Name>,
    pub must_understand: Option<Spanned<bool>>,
}

#[derive(Clone, Debug)]
pub struct Documentation {
    pub span: Span,
    pub text: String,
}

/// An attribute from another namespace, kept as data (the standard allows them everywhere).
#[derive(Clone, Debug)]
pub struct ExtensionAttribute {
    pub name: QName,
    pub value: String,
    pub span: Span,
}

/// What a scope (or the process) declares.
#[derive(Clone, Debug, Default)]
pub struct ScopeDecls {
    pub partner_links: Vec<PartnerLink>,
    pub message_exchanges: Vec<MessageExchange>,
    pub variables: Vec<Variable>,
    pub correlation_sets: Vec<CorrelationSet>,
    pub fault_handlers: Option<FaultHandlers>,
    pub event_handlers: Option<EventHandlers>,
    /// Only on `<scope>`, never on the process.
    pub compensation_handler: Option<Handler>,
    pub termination_handler: Option<Handler>,
}

#[derive(Clone, Debug)]
pub struct PartnerLink {
    pub span: Span,
    pub name: Option<Name>,
    pub partner_link_type: Option<QNameRef>,
    pub my_role: Option<Name>,
    pub partner_role: Option<Name>,
    pub initialize_partner_role: Option<Spanned<bool>>,
}

#[derive(Clone, Debug)]
pub struct MessageExchange {
    pub span: Span,
    pub name: Option<Name>,
}

/// The type of a variable: exactly one of the three is expected (SA00025).
#[derive(Clone, Debug, Default)]
pub struct VariableType {
    pub message_type: Option<QNameRef>,
    pub type_: Option<QNameRef>,
    pub element: Option<QNameRef>,
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub span: Span,
    pub name: Option<Name>,
    pub ty: VariableType,
    pub from: Option<From>,
}

#[derive(Clone, Debug)]
pub struct CorrelationSet {
    pub span: Span,
    pub name: Option<Name>,
    /// The `properties` attribute: a list of QNames.
    pub properties: Vec<QNameRef>,
}

#[derive(Clone, Debug, Default)]
pub struct FaultHandlers {
    pub span: Span,
    pub catches: Vec<Catch>,
    pub catch_all: Option<Handler>,
}

#[derive(Clone, Debug)]
pub struct Catch {
    pub span: Span,
    pub fault_name: Option<QNameRef>,
    pub fault_variable: Option<Name>,
    pub fault_message_type: Option<QNameRef>,
    pub fault_element: Option<QNameRef>,
    pub activity: Option<ActivityId>,
}

/// A handler that holds just one activity: catchAll, compensationHandler, terminationHandler.
#[derive(Clone, Debug)]
pub struct Handler {
    pub span: Span,
    pub activity: Option<ActivityId>,
}

#[derive(Clone, Debug, Default)]
pub struct EventHandlers {
    pub span: Span,
    pub on_events: Vec<OnEvent>,
    pub on_alarms: Vec<OnAlarm>,
}

#[derive(Clone, Debug)]
pub struct OnEvent {
    pub span: Span,
    pub message: MessageSpec,
    pub message_type: Option<QNameRef>,
    pub element: Option<QNameRef>,
    /// The variable the onEvent declares for its scope (not a reference).
    pub variable: Option<Name>,
    pub from_parts: Option<Vec<FromPart>>,
    pub correlations: Vec<Correlation>,
    /// The scope that handles the event (required by the schema).
    pub scope: Option<ActivityId>,
}

#[derive(Clone, Debug)]
pub struct OnAlarm {
    pub span: Span,
    pub timer: Timer,
    pub repeat_every: Option<Expression>,
    /// In event handlers the body is a scope; in a pick, any activity.
    pub activity: Option<ActivityId>,
}

/// `for` or `until`, as on `<wait>` and `<onAlarm>`.
#[derive(Clone, Debug, Default)]
pub struct Timer {
    pub for_: Option<Expression>,
    pub until: Option<Expression>,
}

/// The attributes shared by receive, reply, invoke, onMessage and onEvent.
#[derive(Clone, Debug, Default)]
pub struct MessageSpec {
    pub partner_link: Option<Name>,
    pub port_type: Option<QNameRef>,
    pub operation: Option<Name>,
    pub message_exchange: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct Correlation {
    pub span: Span,
    pub set: Option<Name>,
    pub initiate: Option<Spanned<Initiate>>,
    /// Only on invoke.
    pub pattern: Option<Spanned<CorrelationPattern>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Initiate {
    Yes,
    Join,
    No,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CorrelationPattern {
    Request,
    Response,
    RequestResponse,
}

#[derive(Clone, Debug)]
pub struct FromPart {
    pub span: Span,
    pub part: Option<Name>,
    pub to_variable: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct ToPart {
    pub span: Span,
    pub part: Option<Name>,
    pub from_variable: Option<Name>,
}

/// An XPath expression or condition, with the namespaces in force where it was written.
#[derive(Clone, Debug)]
pub struct Expression {
    /// The element holding the expression (`<condition>`, `<for>`...).
    pub span: Span,
    pub language: Option<Name>,
    pub text: String,
    /// The span of the expression text (for diagnostics inside it).
    pub text_span: Span,
    pub namespaces: ScopeId,
}

/// `<query>` inside from/to, or a propertyAlias query.
pub type Query = Expression;

#[derive(Clone, Debug)]
pub struct Activity {
    pub id: ActivityId,
    /// The activity that holds this one (directly or through a handler, branch or onMessage).
    pub parent: Option<ActivityId>,
    pub span: Span,
    /// The element's name in its start tag (`receive` in `<receive ...>`).
    pub tag_span: Span,
    pub name: Option<Name>,
    pub suppress_join_failure: Option<Spanned<bool>>,
    pub targets: Option<Targets>,
    pub sources: Option<Sources>,
    pub documentation: Vec<Documentation>,
    pub extension_attributes: Vec<ExtensionAttribute>,
    pub namespaces: ScopeId,
    pub kind: ActivityKind,
}

#[derive(Clone, Debug)]
pub struct Targets {
    pub span: Span,
    pub join_condition: Option<Expression>,
    pub targets: Vec<LinkRef>,
}

#[derive(Clone, Debug)]
pub struct Sources {
    pub span: Span,
    pub sources: Vec<Source>,
}

#[derive(Clone, Debug)]
pub struct LinkRef {
    pub span: Span,
    pub link_name: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct Source {
    pub span: Span,
    pub link_name: Option<Name>,
    pub transition_condition: Option<Expression>,
}

// Activities are stored once, in the arena: boxing the larger kinds would only add indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum ActivityKind {
    Receive(Receive),
    Reply(Reply),
    Invoke(Invoke),
    Assign(Assign),
    Throw(Throw),
    Rethrow,
    Wait(Timer),
    Empty,
    Exit,
    Validate(Validate),
    Compensate,
    CompensateScope(CompensateScope),
    Sequence(Vec<ActivityId>),
    If(If),
    While(While),
    RepeatUntil(RepeatUntil),
    ForEach(ForEach),
    Pick(Pick),
    Flow(Flow),
    Scope(Scope),
    Extension(ExtensionActivity),
}

impl ActivityKind {
    /// The element name of this kind of activity.
    pub fn tag(&self) -> &'static str {
        match self {
            ActivityKind::Receive(_) => "receive",
            ActivityKind::Reply(_) => "reply",
            ActivityKind::Invoke(_) => "invoke",
            ActivityKind::Assign(_) => "assign",
            ActivityKind::Throw(_) => "throw",
            ActivityKind::Rethrow => "rethrow",
            ActivityKind::Wait(_) => "wait",
            ActivityKind::Empty => "empty",
            ActivityKind::Exit => "exit",
            ActivityKind::Validate(_) => "validate",
            ActivityKind::Compensate => "compensate",
            ActivityKind::CompensateScope(_) => "compensateScope",
            ActivityKind::Sequence(_) => "sequence",
            ActivityKind::If(_) => "if",
            ActivityKind::While(_) => "while",
            ActivityKind::RepeatUntil(_) => "repeatUntil",
            ActivityKind::ForEach(_) => "forEach",
            ActivityKind::Pick(_) => "pick",
            ActivityKind::Flow(_) => "flow",
            ActivityKind::Scope(_) => "scope",
            ActivityKind::Extension(_) => "extensionActivity",
        }
    }

    /// The activities directly nested in this one, in document order, handlers included.
    pub fn children(&self) -> Vec<ActivityId> {
        let mut out = Vec::new();
        match self {
            ActivityKind::Invoke(invoke) => invoke.handlers.collect_activities(&mut out),
            ActivityKind::Sequence(items) => out.extend(items.iter().copied()),
            ActivityKind::Flow(flow) => out.extend(flow.activities.iter().copied()),
            ActivityKind::If(if_) => {
                out.extend(if_.activity);
                for branch in &if_.else_ifs {
                    out.extend(branch.activity);
                }
                if let Some(else_) = &if_.else_ {
                    out.extend(else_.activity);
                }
            }
            ActivityKind::While(w) => out.extend(w.activity),
            ActivityKind::RepeatUntil(r) => out.extend(r.activity),
            ActivityKind::ForEach(f) => out.extend(f.scope),
            ActivityKind::Pick(pick) => {
                out.extend(pick.on_messages.iter().filter_map(|m| m.activity));
                out.extend(pick.on_alarms.iter().filter_map(|a| a.activity));
            }
            ActivityKind::Scope(scope) => {
                scope.decls.collect_activities(&mut out);
                out.extend(scope.activity);
            }
            _ => {}
        }
        out
    }
}

impl ScopeDecls {
    /// The activities of the handlers, in document order of the handlers.
    pub fn collect_activities(&self, out: &mut Vec<ActivityId>) {
        if let Some(fh) = &self.fault_handlers {
            out.extend(fh.catches.iter().filter_map(|c| c.activity));
            out.extend(fh.catch_all.as_ref().and_then(|h| h.activity));
        }
        if let Some(eh) = &self.event_handlers {
            out.extend(eh.on_events.iter().filter_map(|e| e.scope));
            out.extend(eh.on_alarms.iter().filter_map(|a| a.activity));
        }
        out.extend(self.compensation_handler.as_ref().and_then(|h| h.activity));
        out.extend(self.termination_handler.as_ref().and_then(|h| h.activity));
    }
}

#[derive(Clone, Debug)]
pub struct Receive {
    pub message: MessageSpec,
    pub variable: Option<Name>,
    pub create_instance: Option<Spanned<bool>>,
    pub correlations: Vec<Correlation>,
    pub from_parts: Option<Vec<FromPart>>,
}

#[derive(Clone, Debug)]
pub struct Reply {
    pub message: MessageSpec,
    pub variable: Option<Name>,
    pub fault_name: Option<QNameRef>,
    pub correlations: Vec<Correlation>,
    pub to_parts: Option<Vec<ToPart>>,
}

#[derive(Clone, Debug)]
pub struct Invoke {
    pub message: MessageSpec,
    pub input_variable: Option<Name>,
    pub output_variable: Option<Name>,
    pub correlations: Vec<Correlation>,
    pub to_parts: Option<Vec<ToPart>>,
    pub from_parts: Option<Vec<FromPart>>,
    /// An invoke may carry its own catch, catchAll and compensationHandler: the standard treats it
    /// as an invoke wrapped in an implicit scope.
    pub handlers: ScopeDecls,
}

#[derive(Clone, Debug)]
pub struct Assign {
    pub validate: Option<Spanned<bool>>,
    pub operations: Vec<AssignOperation>,
}

#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum AssignOperation {
    Copy(Copy),
    /// An `extensionAssignOperation`: kept, not interpreted.
    Extension(Span),
}

#[derive(Clone, Debug)]
pub struct Copy {
    pub span: Span,
    pub keep_src_element_name: Option<Spanned<bool>>,
    pub ignore_missing_from_data: Option<Spanned<bool>>,
    /// Apache ODE's `ignoreUninitializedFromVariable` (read in its dialect only): an uninitialized
    /// from-variable skips the copy instead of faulting.
    pub ignore_uninitialized_from_variable: Option<Spanned<bool>>,
    pub from: Option<From>,
    pub to: Option<To>,
}

/// Every attribute and child `<from>` may have; which combination was written decides its form
/// (see [`From::form`]). Keeping them all lets SA00032 name exactly what is wrong.
#[derive(Clone, Debug, Default)]
pub struct From {
    pub span: Span,
    pub variable: Option<Name>,
    pub part: Option<Name>,
    pub partner_link: Option<Name>,
    pub endpoint_reference: Option<Spanned<Role>>,
    pub property: Option<QNameRef>,
    pub expression_language: Option<Name>,
    pub query: Option<Query>,
    pub literal: Option<Literal>,
    /// Text content: an expression, when no other form is used.
    pub expression: Option<Expression>,
}

#[derive(Clone, Debug, Default)]
pub struct To {
    pub span: Span,
    pub variable: Option<Name>,
    pub part: Option<Name>,
    pub partner_link: Option<Name>,
    pub property: Option<QNameRef>,
    pub expression_language: Option<Name>,
    pub query: Option<Query>,
    pub expression: Option<Expression>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    MyRole,
    PartnerRole,
}

/// The literal value of `<from><literal>`: its content as a syntax tree.
#[derive(Clone, Debug)]
pub struct Literal {
    pub span: Span,
    pub element: Element,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FromForm {
    VariablePart,
    PartnerLink,
    Property,
    Expression,
    Literal,
    Empty,
}

impl From {
    /// The form the attributes and children select (see WS-BPEL 2.0 §8.4). Mixed forms are an
    /// SA00032 violation; this picks the first that applies.
    pub fn form(&self) -> FromForm {
        if self.literal.is_some() {
            FromForm::Literal
        } else if self.partner_link.is_some() {
            FromForm::PartnerLink
        } else if self.property.is_some() {
            FromForm::Property
        } else if self.variable.is_some() {
            FromForm::VariablePart
        } else if self.expression.is_some() {
            FromForm::Expression
        } else {
            FromForm::Empty
        }
    }
}

#[derive(Clone, Debug)]
pub struct Throw {
    pub fault_name: Option<QNameRef>,
    pub fault_variable: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct Validate {
    /// The `variables` attribute: names separated by spaces.
    pub variables: Vec<Name>,
}

#[derive(Clone, Debug)]
pub struct CompensateScope {
    pub target: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct If {
    pub condition: Option<Expression>,
    pub activity: Option<ActivityId>,
    pub else_ifs: Vec<ElseIf>,
    pub else_: Option<Else>,
}

#[derive(Clone, Debug)]
pub struct ElseIf {
    pub span: Span,
    pub condition: Option<Expression>,
    pub activity: Option<ActivityId>,
}

#[derive(Clone, Debug)]
pub struct Else {
    pub span: Span,
    pub activity: Option<ActivityId>,
}

#[derive(Clone, Debug)]
pub struct While {
    pub condition: Option<Expression>,
    pub activity: Option<ActivityId>,
}

#[derive(Clone, Debug)]
pub struct RepeatUntil {
    pub activity: Option<ActivityId>,
    pub condition: Option<Expression>,
}

#[derive(Clone, Debug)]
pub struct ForEach {
    /// The counter variable the forEach declares for its scope.
    pub counter_name: Option<Name>,
    pub parallel: Option<Spanned<bool>>,
    pub start: Option<Expression>,
    pub final_: Option<Expression>,
    pub completion_condition: Option<CompletionCondition>,
    pub scope: Option<ActivityId>,
}

#[derive(Clone, Debug)]
pub struct CompletionCondition {
    pub span: Span,
    pub branches: Option<Expression>,
    pub successful_branches_only: Option<Spanned<bool>>,
}

#[derive(Clone, Debug)]
pub struct Pick {
    pub create_instance: Option<Spanned<bool>>,
    pub on_messages: Vec<OnMessage>,
    pub on_alarms: Vec<OnAlarm>,
}

#[derive(Clone, Debug)]
pub struct OnMessage {
    pub span: Span,
    pub message: MessageSpec,
    pub variable: Option<Name>,
    pub correlations: Vec<Correlation>,
    pub from_parts: Option<Vec<FromPart>>,
    pub activity: Option<ActivityId>,
}

#[derive(Clone, Debug)]
pub struct Flow {
    pub links: Vec<Link>,
    pub activities: Vec<ActivityId>,
}

#[derive(Clone, Debug)]
pub struct Link {
    pub span: Span,
    pub name: Option<Name>,
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub isolated: Option<Spanned<bool>>,
    pub exit_on_standard_fault: Option<Spanned<bool>>,
    pub decls: ScopeDecls,
    pub activity: Option<ActivityId>,
}

/// `<extensionActivity>`: the wrapped element, kept as a syntax tree.
#[derive(Clone, Debug)]
pub struct ExtensionActivity {
    pub element: Option<Element>,
}
