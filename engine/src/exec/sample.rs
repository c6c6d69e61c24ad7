//! Sample messages of a deployed process, for a person to edit and send (the REPL's `template`,
//! the language server's run-in-place): the body elements of an operation's input or output, one
//! per part as [`Engine::send`](super::Engine::send) takes them, and as the operation's SOAP
//! binding puts them on the wire (an rpc wrapper, or the parts themselves). Also the process's
//! start activities, so that a caller can ask for "a sample for the first start activity".

use serde::Serialize;

use super::messages::{self, message_from_body, message_type, Direction};
use super::Deployed;
use crate::model::process::{ActivityId, ActivityKind};
use crate::model::xsd::SampleError as XsdSampleError;
use crate::model::QName;
use crate::soap;
use crate::span::Span;
use crate::xml::{Message, PartKind, XmlElement};

/// Which role of a partner link the operation belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The process's own role (`myRole`): what clients send it, what it replies.
    Mine,
    /// The partner's role (`partnerRole`): what the process invokes, what the partner answers.
    Partner,
}

/// A sample message of an operation, ready to edit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleMessage {
    pub partner_link: String,
    pub operation: String,
    /// The WSDL message.
    pub message_type: QName,
    /// One body element per part, in the message's order, as [`Engine::send`](super::Engine::send)
    /// and [`Engine::answer`](super::Engine::answer) (through `message_from_body`) take them: an
    /// element part is its element, a type part an element named after the part.
    pub parts: Vec<SamplePart>,
    /// The SOAP body as the operation's binding writes it (rpc style: one wrapper named after the
    /// operation holding an accessor per part; document style, or no SOAP binding: the parts).
    /// This is what scenarios and `bpel run` write as `body`.
    pub wire: Vec<String>,
    /// What the samples do not honour (wildcards, patterns, recursion cut short), each once.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SamplePart {
    pub name: String,
    pub xml: String,
}

impl SampleMessage {
    /// The parts' elements, as [`Engine::send`](super::Engine::send) takes them.
    pub fn body(&self) -> Result<Vec<XmlElement>, SampleError> {
        self.parts
            .iter()
            .map(|p| XmlElement::parse(&p.xml).map_err(|e| SampleError::Unreadable { part: p.name.clone(), why: e.to_string() }))
            .collect()
    }
}

/// Why no sample can be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SampleError {
    #[error("the process has no partner link `{0}`")]
    NoPartnerLink(String),
    #[error("the {role} role of partner link `{partner_link}` offers no operation `{operation}`")]
    NoOperation { partner_link: String, role: &'static str, operation: String },
    #[error("the operation `{operation}` has no {direction} message")]
    NoMessage { operation: String, direction: &'static str },
    #[error("the message of `{operation}` does not resolve to a WSDL message")]
    UnresolvedMessage { operation: String },
    #[error("part `{part}`: {source}")]
    Schema { part: String, source: XsdSampleError },
    #[error("part `{part}`: the sample does not read as XML: {why}")]
    Unreadable { part: String, why: String },
    #[error("the process has no start activity (a receive or pick with createInstance=\"yes\")")]
    NoStartActivity,
}

/// A sample message of `operation` on `partner_link`: its input or its output, in the role given.
pub fn sample_message(
    deployed: &Deployed,
    partner_link: &str,
    operation: &str,
    role: Role,
    direction: Direction,
) -> Result<SampleMessage, SampleError> {
    let decl = deployed.partner_link_decl(partner_link).ok_or_else(|| SampleError::NoPartnerLink(partner_link.to_string()))?;
    let role_name = match role {
        Role::Mine => "my",
        Role::Partner => "partner",
    };
    let no_operation =
        || SampleError::NoOperation { partner_link: partner_link.to_string(), role: role_name, operation: operation.to_string() };
    let port_type = match role {
        Role::Mine => decl.my_port_type.as_ref(),
        Role::Partner => decl.partner_port_type.as_ref(),
    }
    .ok_or_else(no_operation)?;
    let op = messages::operation(deployed, partner_link, operation, role == Role::Mine).ok_or_else(no_operation)?;
    let declared = match direction {
        Direction::Input => op.input.as_ref(),
        Direction::Output => op.output.as_ref(),
    };
    let direction_name = match direction {
        Direction::Input => "input",
        Direction::Output => "output",
    };
    if declared.is_none() {
        return Err(SampleError::NoMessage { operation: operation.to_string(), direction: direction_name });
    }
    let ty = message_type(deployed, op, direction).ok_or_else(|| SampleError::UnresolvedMessage { operation: operation.to_string() })?;
    let definitions = &deployed.unit.definitions;
    let mut parts = Vec::with_capacity(ty.parts.len());
    let mut notes = Vec::new();
    for part in &ty.parts {
        let sample = match &part.kind {
            PartKind::Element(element) => definitions.sample_element(element),
            PartKind::Type(type_ref) => definitions.sample_of_type(&QName::new(None, &part.name), &type_ref.name),
        }
        .map_err(|source| SampleError::Schema { part: part.name.clone(), source })?;
        for note in sample.notes {
            let note = format!("part `{}`: {note}", part.name);
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
        parts.push(SamplePart { name: part.name.clone(), xml: sample.xml });
    }
    let mut sample = SampleMessage {
        partner_link: partner_link.to_string(),
        operation: operation.to_string(),
        message_type: ty.name.clone(),
        wire: parts.iter().map(|p| p.xml.clone()).collect(),
        parts,
        notes,
    };
    if let Some(bound) = soap::operation_binding(definitions, port_type, operation) {
        if bound.style == soap::Style::Rpc {
            let message = message_from_body(&ty, &sample.body()?);
            sample.wire = soap::message_body(&bound, &message, direction == Direction::Output).iter().map(XmlElement::to_xml).collect();
        }
    }
    Ok(sample)
}

/// A sample answer to a call of a partner's request-response `operation` (the sample of its
/// output, as [`Engine::answer`](super::Engine::answer) takes it): what runs in place and the REPL
/// answer an unmocked invoke with.
pub fn sample_answer(deployed: &Deployed, partner_link: &str, operation: &str) -> Result<Message, SampleError> {
    let sample = sample_message(deployed, partner_link, operation, Role::Partner, Direction::Output)?;
    let op = messages::operation(deployed, partner_link, operation, false).ok_or_else(|| SampleError::NoOperation {
        partner_link: partner_link.to_string(),
        role: "partner",
        operation: operation.to_string(),
    })?;
    let ty =
        message_type(deployed, op, Direction::Output).ok_or_else(|| SampleError::UnresolvedMessage { operation: operation.to_string() })?;
    Ok(message_from_body(&ty, &sample.body()?))
}

/// What starts an instance: a receive with `createInstance="yes"`, or one onMessage of such a pick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StartActivity {
    /// The receive or the pick.
    pub activity: ActivityId,
    /// `receive` or `onMessage`.
    pub kind: &'static str,
    pub partner_link: String,
    pub operation: String,
    /// The receive's element, or the onMessage's.
    pub span: Span,
}

/// The start activities of the process in document order (a pick gives one per onMessage).
pub fn start_activities(deployed: &Deployed) -> Vec<StartActivity> {
    let process = deployed.process();
    let mut out = Vec::new();
    let mut push = |activity: ActivityId, kind: &'static str, spec: &crate::model::process::MessageSpec, span: Span| {
        if let (Some(pl), Some(op)) = (&spec.partner_link, &spec.operation) {
            out.push(StartActivity { activity, kind, partner_link: pl.value.clone(), operation: op.value.clone(), span });
        }
    };
    for activity in &process.activities {
        match &activity.kind {
            ActivityKind::Receive(receive) if receive.create_instance.as_ref().is_some_and(|c| c.value) => {
                push(activity.id, "receive", &receive.message, activity.span)
            }
            ActivityKind::Pick(pick) if pick.create_instance.as_ref().is_some_and(|c| c.value) => {
                for on_message in &pick.on_messages {
                    push(activity.id, "onMessage", &on_message.message, on_message.span);
                }
            }
            _ => {}
        }
    }
    out
}

/// A sample request for the process's first start activity.
pub fn sample_start_message(deployed: &Deployed) -> Result<SampleMessage, SampleError> {
    let start = start_activities(deployed).into_iter().next().ok_or(SampleError::NoStartActivity)?;
    sample_message(deployed, &start.partner_link, &start.operation, Role::Mine, Direction::Input)
}
