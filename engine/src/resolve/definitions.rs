//! Names of a process to the WSDL and XSD definitions behind them: the partner link a message
//! activity uses, the role, port type and operation that gives it, and the declared type of a
//! variable. Rules ask here instead of walking partner link types themselves; what is not found
//! is `None` (the rules that report missing definitions say why).

use super::{Declaration, SymbolIndex};
use crate::model::process::*;
use crate::model::wsdl::{Message, Operation, PartnerLinkType, Role};
use crate::model::{QName, QNameRef};
use crate::parse::loader::Def;
use crate::parse::Definitions;
use crate::span::Span;

/// Which role of a partner link a message activity uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// receive, reply, onMessage, onEvent: the process's own role (`myRole`).
    Inbound,
    /// invoke: the partner's role (`partnerRole`).
    Outbound,
}

/// An element that receives or sends a message: receive, reply, invoke, and the onMessage of a
/// pick and the onEvent of an event handler.
#[derive(Clone, Copy, Debug)]
pub enum MessageActivity<'p> {
    Receive(&'p Activity, &'p Receive),
    Reply(&'p Activity, &'p Reply),
    Invoke(&'p Activity, &'p Invoke),
    /// The pick that holds it, and the onMessage.
    OnMessage(&'p Activity, &'p OnMessage),
    OnEvent(&'p OnEvent),
}

impl<'p> MessageActivity<'p> {
    pub fn message(&self) -> &'p MessageSpec {
        match *self {
            MessageActivity::Receive(_, receive) => &receive.message,
            MessageActivity::Reply(_, reply) => &reply.message,
            MessageActivity::Invoke(_, invoke) => &invoke.message,
            MessageActivity::OnMessage(_, on_message) => &on_message.message,
            MessageActivity::OnEvent(on_event) => &on_event.message,
        }
    }

    pub fn correlations(&self) -> &'p [Correlation] {
        match *self {
            MessageActivity::Receive(_, receive) => &receive.correlations,
            MessageActivity::Reply(_, reply) => &reply.correlations,
            MessageActivity::Invoke(_, invoke) => &invoke.correlations,
            MessageActivity::OnMessage(_, on_message) => &on_message.correlations,
            MessageActivity::OnEvent(on_event) => &on_event.correlations,
        }
    }

    /// The `fromPart`s that take the message received apart (not for reply).
    pub fn from_parts(&self) -> Option<&'p [FromPart]> {
        match *self {
            MessageActivity::Receive(_, receive) => receive.from_parts.as_deref(),
            MessageActivity::Reply(..) => None,
            MessageActivity::Invoke(_, invoke) => invoke.from_parts.as_deref(),
            MessageActivity::OnMessage(_, on_message) => on_message.from_parts.as_deref(),
            MessageActivity::OnEvent(on_event) => on_event.from_parts.as_deref(),
        }
    }

    /// The `toPart`s that assemble the message sent (reply and invoke).
    pub fn to_parts(&self) -> Option<&'p [ToPart]> {
        match *self {
            MessageActivity::Reply(_, reply) => reply.to_parts.as_deref(),
            MessageActivity::Invoke(_, invoke) => invoke.to_parts.as_deref(),
            _ => None,
        }
    }

    pub fn direction(&self) -> Direction {
        match self {
            MessageActivity::Invoke(..) => Direction::Outbound,
            _ => Direction::Inbound,
        }
    }

    /// The element name: `receive`, `onMessage`...
    pub fn tag(&self) -> &'static str {
        match self {
            MessageActivity::Receive(..) => "receive",
            MessageActivity::Reply(..) => "reply",
            MessageActivity::Invoke(..) => "invoke",
            MessageActivity::OnMessage(..) => "onMessage",
            MessageActivity::OnEvent(..) => "onEvent",
        }
    }

    /// The whole element.
    pub fn span(&self) -> Span {
        match *self {
            MessageActivity::Receive(activity, _) | MessageActivity::Reply(activity, _) | MessageActivity::Invoke(activity, _) => {
                activity.span
            }
            MessageActivity::OnMessage(_, on_message) => on_message.span,
            MessageActivity::OnEvent(on_event) => on_event.span,
        }
    }

    /// The element's name in its start tag, given the process text.
    pub fn tag_span(&self, text: &str) -> Span {
        match *self {
            MessageActivity::Receive(activity, _) | MessageActivity::Reply(activity, _) | MessageActivity::Invoke(activity, _) => {
                activity.tag_span
            }
            _ => start_tag_name(text, self.span()),
        }
    }

    /// The namespace declarations in force at the element.
    pub fn namespaces(&self, process: &Process) -> crate::syntax::ScopeId {
        match *self {
            MessageActivity::Receive(activity, _)
            | MessageActivity::Reply(activity, _)
            | MessageActivity::Invoke(activity, _)
            | MessageActivity::OnMessage(activity, _) => activity.namespaces,
            MessageActivity::OnEvent(on_event) => {
                on_event.scope.map_or(process.namespaces.root(), |scope| process.activity(scope).namespaces)
            }
        }
    }
}

/// The name in the start tag of the element at `span` (`bpel:onEvent` in `<bpel:onEvent ...>`).
pub fn start_tag_name(text: &str, span: Span) -> Span {
    let start = (span.start as usize + 1).min(text.len());
    let rest = text.get(start..(span.end as usize).min(text.len())).unwrap_or("");
    let length = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(rest.len());
    Span::new(start, start + length)
}

/// Every message activity of the process, the event handlers of the process first, then in
/// document order of the activities that hold them.
pub fn message_activities(process: &Process) -> Vec<MessageActivity<'_>> {
    let mut out = Vec::new();
    on_events(&process.scope, &mut out);
    for activity in &process.activities {
        match &activity.kind {
            ActivityKind::Receive(receive) => out.push(MessageActivity::Receive(activity, receive)),
            ActivityKind::Reply(reply) => out.push(MessageActivity::Reply(activity, reply)),
            ActivityKind::Invoke(invoke) => out.push(MessageActivity::Invoke(activity, invoke)),
            ActivityKind::Pick(pick) => out.extend(pick.on_messages.iter().map(|m| MessageActivity::OnMessage(activity, m))),
            ActivityKind::Scope(scope) => on_events(&scope.decls, &mut out),
            _ => {}
        }
    }
    out
}

fn on_events<'p>(decls: &'p ScopeDecls, out: &mut Vec<MessageActivity<'p>>) {
    if let Some(handlers) = &decls.event_handlers {
        out.extend(handlers.on_events.iter().map(MessageActivity::OnEvent));
    }
}

/// The declared type of a variable.
#[derive(Clone, Copy, Debug)]
pub enum DeclaredType<'p> {
    /// `messageType` (or a catch's `faultMessageType`).
    Message(&'p QNameRef),
    /// `element` (or a catch's `faultElement`).
    Element(&'p QNameRef),
    /// `type`.
    Type(&'p QNameRef),
    /// A forEach counter: `xsd:unsignedInt`.
    Counter,
    /// Not stated (a variable declared by an onEvent `fromPart`, or one without type attribute).
    Unknown,
}

impl<'p> DeclaredType<'p> {
    fn of(message: &'p Option<QNameRef>, element: &'p Option<QNameRef>, type_: &'p Option<QNameRef>) -> DeclaredType<'p> {
        match (message, element, type_) {
            (Some(message), _, _) => DeclaredType::Message(message),
            (None, Some(element), _) => DeclaredType::Element(element),
            (None, None, Some(type_)) => DeclaredType::Type(type_),
            (None, None, None) => DeclaredType::Unknown,
        }
    }

    /// The message type, for a message variable.
    pub fn message_type(&self) -> Option<&'p QName> {
        match self {
            DeclaredType::Message(reference) => reference.name.as_ref(),
            _ => None,
        }
    }
}

/// The role of a partner link type that a message activity uses, and its port type.
#[derive(Clone, Copy, Debug)]
pub struct RoleBinding<'a> {
    pub partner_link: &'a PartnerLink,
    pub link_type: Def<'a, PartnerLinkType>,
    pub role: &'a Role,
    pub port_type: &'a QName,
}

/// Looks up the definitions behind the names of one process. Costs nothing to build: names are
/// found through the symbol index, and a declaration through the scope that owns it.
#[derive(Clone, Copy)]
pub struct ProcessDefinitions<'a> {
    pub process: &'a Process,
    pub definitions: &'a Definitions,
    symbols: &'a SymbolIndex,
}

impl<'a> ProcessDefinitions<'a> {
    pub fn new(process: &'a Process, definitions: &'a Definitions, symbols: &'a SymbolIndex) -> ProcessDefinitions<'a> {
        ProcessDefinitions { process, definitions, symbols }
    }

    /// The declaration a reference to a variable, partner link or correlation set resolves to.
    pub fn declaration(&self, reference: &Name) -> Option<&'a Declaration> {
        self.symbols.target_at(reference.span)
    }

    /// What the process (`None`) or a scope-like activity declares.
    fn decls_of(&self, owner: Option<ActivityId>) -> Option<&'a ScopeDecls> {
        match owner {
            None => Some(&self.process.scope),
            Some(id) => match &self.process.activities.get(id.0 as usize)?.kind {
                ActivityKind::Scope(scope) => Some(&scope.decls),
                ActivityKind::Invoke(invoke) => Some(&invoke.handlers),
                _ => None,
            },
        }
    }

    /// The partner link a reference (a `partnerLink` attribute) resolves to.
    pub fn partner_link(&self, reference: &Name) -> Option<&'a PartnerLink> {
        let declaration = self.declaration(reference)?;
        self.decls_of(declaration.owner)?.partner_links.iter().find(|p| p.span == declaration.element_span)
    }

    /// The correlation set a reference (a correlation's `set` attribute) resolves to.
    pub fn correlation_set(&self, reference: &Name) -> Option<&'a CorrelationSet> {
        let declaration = self.declaration(reference)?;
        self.decls_of(declaration.owner)?.correlation_sets.iter().find(|c| c.span == declaration.element_span)
    }

    /// The declared type of the variable a reference (a `variable` attribute...) resolves to.
    pub fn variable_type(&self, reference: &Name) -> Option<DeclaredType<'a>> {
        let declaration = self.declaration(reference)?;
        let declared =
            self.decls_of(declaration.owner).and_then(|decls| decls.variables.iter().find(|v| v.span == declaration.element_span));
        match declared {
            Some(variable) => Some(DeclaredType::of(&variable.ty.message_type, &variable.ty.element, &variable.ty.type_)),
            None => self.implicit_variable_type(declaration),
        }
    }

    /// The type of a variable that an element declares by itself: a forEach counter, a catch's
    /// fault variable, an onEvent's variable. Such a declaration is owned by the activity the
    /// variable is visible in, whose parent holds the declaring element.
    fn implicit_variable_type(&self, declaration: &Declaration) -> Option<DeclaredType<'a>> {
        let owner = self.process.activities.get(declaration.owner?.0 as usize)?;
        let parent = owner.parent.and_then(|id| self.process.activities.get(id.0 as usize));
        if parent.is_some_and(|p| matches!(p.kind, ActivityKind::ForEach(_)) && p.span == declaration.element_span) {
            return Some(DeclaredType::Counter);
        }
        let holder = self.decls_of(owner.parent)?;
        let catches = holder.fault_handlers.iter().flat_map(|h| &h.catches);
        if let Some(catch) = catches.into_iter().find(|c| c.span == declaration.element_span) {
            return Some(DeclaredType::of(&catch.fault_message_type, &catch.fault_element, &None));
        }
        for on_event in holder.event_handlers.iter().flat_map(|h| &h.on_events) {
            if on_event.span == declaration.element_span {
                return Some(DeclaredType::of(&on_event.message_type, &on_event.element, &None));
            }
            if on_event.from_parts.iter().flatten().any(|p| p.span == declaration.element_span) {
                return Some(DeclaredType::Unknown);
            }
        }
        None
    }

    /// The role a message activity uses: its partner link's partnerLinkType, and in it `myRole`
    /// (inbound) or `partnerRole` (invoke).
    pub fn role(&self, message: &MessageSpec, direction: Direction) -> Option<RoleBinding<'a>> {
        let partner_link = self.partner_link(message.partner_link.as_ref()?)?;
        let link_type = self.definitions.partner_link_type(partner_link.partner_link_type.as_ref()?.name.as_ref()?)?;
        let role_name = match direction {
            Direction::Inbound => partner_link.my_role.as_ref()?,
            Direction::Outbound => partner_link.partner_role.as_ref()?,
        };
        let role = link_type.item.role(&role_name.value)?;
        let port_type = role.port_type.as_ref()?.name.as_ref()?;
        Some(RoleBinding { partner_link, link_type, role, port_type })
    }

    /// The port type of a message activity: its role's, else its own `portType` attribute's.
    pub fn port_type(&self, activity: &MessageActivity<'a>) -> Option<&'a QName> {
        let message = activity.message();
        match self.role(message, activity.direction()) {
            Some(binding) => Some(binding.port_type),
            None => message.port_type.as_ref()?.name.as_ref(),
        }
    }

    /// The WSDL operation a message activity performs.
    pub fn operation(&self, activity: &MessageActivity<'a>) -> Option<Def<'a, Operation>> {
        let name = &activity.message().operation.as_ref()?.value;
        self.definitions.operation(self.port_type(activity)?, name)
    }

    /// The message an operation's input or output (or fault) refers to.
    pub fn message(&self, reference: Option<&QNameRef>) -> Option<Def<'a, Message>> {
        self.definitions.message(reference?.name.as_ref()?)
    }
}
