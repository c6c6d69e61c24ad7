//! Messages as the process sees them, one API for the activities, the engine, scenarios and the
//! HTTP edge: the WSDL operation behind a partner link, message types, building a message from
//! body elements and checking it fits, property values, messages in and out of variables (whole,
//! or by fromParts/toParts), correlation sets, and the open message exchanges a reply answers.

use std::sync::Arc;

use crate::exec::deploy::Routing;
use crate::exec::state::{OpenExchange, View};
use crate::exec::{Deployed, EnvId, ProcessState};
use crate::fault::{Fault, StandardFault};
use crate::model::process::{Correlation, FromPart, Initiate, MessageSpec, ToPart};
use crate::model::wsdl::Operation;
use crate::model::QName;
use crate::runtime::ExchangeId;
use crate::xml::xpath::property_node;
use crate::xml::{validate_message, Message, MessageType, PartKind, Store, Value, VarType, VariableList, Variables, XmlElement};

/// Which message of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Input,
    Output,
}

/// The WSDL operation `operation` of the port type a partner link's role offers (`my_role`) or
/// requires.
pub fn operation<'d>(d: &'d Deployed, partner_link: &str, operation: &str, my_role: bool) -> Option<&'d Operation> {
    let decl = d.partner_link_decl(partner_link)?;
    let port_type = if my_role { decl.my_port_type.as_ref()? } else { decl.partner_port_type.as_ref()? };
    d.unit.definitions.operation(port_type, operation).map(|def| def.item)
}

/// The message type of an operation's input or output.
pub fn message_type(d: &Deployed, operation: &Operation, direction: Direction) -> Option<Arc<MessageType>> {
    let message = match direction {
        Direction::Input => operation.input.as_ref(),
        Direction::Output => operation.output.as_ref(),
    }?;
    d.message_type(message.message.as_ref()?.name.as_ref()?)
}

/// The message type of a WSDL fault of an operation, by the fault's name.
pub fn fault_message_type(d: &Deployed, operation: &Operation, fault: &str) -> Option<Arc<MessageType>> {
    let fault = operation.faults.iter().find(|f| f.name.value == fault)?;
    d.message_type(fault.message.as_ref()?.name.as_ref()?)
}

/// A message of `ty` from the elements of a SOAP body: document style puts the one element part in
/// the body, or each part as a child named after it.
pub fn message_from_body(ty: &MessageType, body: &[crate::xml::XmlElement]) -> Message {
    let mut message = Message::new(ty.name.clone());
    if let ([part], [element]) = (ty.parts.as_slice(), body) {
        let value = match &part.kind {
            PartKind::Element(_) => element.clone(),
            PartKind::Type(_) => {
                let mut container = element.clone();
                container.rename(None, &part.name, None);
                container
            }
        };
        message.set_part(&part.name, value);
        return message;
    }
    for part in &ty.parts {
        let found = body.iter().find(|e| match &part.kind {
            PartKind::Element(name) => e.has_name(name),
            PartKind::Type(_) => e.local == part.name,
        });
        if let Some(element) = found {
            message.set_part(&part.name, element.clone());
        }
    }
    message
}

/// Why a message does not fit its WSDL message type: a part missing, or an element part holding
/// another element. `None` when it fits.
pub fn misfit(ty: &MessageType, message: &Message) -> Option<String> {
    for part in &ty.parts {
        let Some(value) = message.part(&part.name) else {
            return Some(format!("the part `{}` of {} is missing", part.name, ty.name));
        };
        if let PartKind::Element(name) = &part.kind {
            if !value.has_name(name) {
                return Some(format!("the part `{}` of {} must be the element {name}, not {}", part.name, ty.name, value.name()));
            }
        }
    }
    None
}

/// Why an inbound message (a request to the process, a partner's answer to an invoke) is not one
/// of its WSDL message type: a part missing or holding another element ([`misfit`]), or a part that
/// is not valid against its XSD element declaration or type (what the schema validation of
/// `<validate>` checks). `None` when it is one.
pub fn invalid_inbound(d: &Deployed, ty: &MessageType, message: &Message) -> Option<String> {
    misfit(ty, message).or_else(|| validate_message(&d.unit.definitions, ty, message).err())
}

/// Stores an inbound message where the activity says: in its variable (a message variable, or an
/// element variable for a one-part message), or part by part (fromParts).
pub fn store_inbound(
    d: &Deployed,
    state: &mut ProcessState,
    env: EnvId,
    variable: Option<&str>,
    from_parts: Option<&[FromPart]>,
    message: &Message,
) -> Result<(), Fault> {
    let mut view = View { deployed: d, state, env };
    if let Some(parts) = from_parts {
        for from_part in parts {
            let (Some(part), Some(to)) = (&from_part.part, &from_part.to_variable) else { continue };
            let Some(value) = message.part(&part.value) else {
                return Err(Fault::standard(StandardFault::SelectionFailure, format!("the message has no part `{}`", part.value)));
            };
            let target = view.variable(&to.value).map(|v| v.ty.clone());
            let value = match target {
                Some(VarType::Message(ty)) => {
                    let name = ty.parts.first().map_or(part.value.as_str(), |p| p.name.as_str());
                    Value::Message(Message::new(ty.name.clone()).with_part(name, value.clone()))
                }
                _ => Value::Element(value.clone()),
            };
            view.set_variable(&to.value, value)?;
        }
        return Ok(());
    }
    let Some(variable) = variable else { return Ok(()) };
    let value = match view.variable(variable).map(|v| v.ty) {
        Some(VarType::Message(_)) | None => Value::Message(message.clone()),
        Some(_) => match message.parts.as_slice() {
            [part] => Value::Element(part.value.clone()),
            _ => Value::Message(message.clone()),
        },
    };
    view.set_variable(variable, value)
}

/// The outbound message of a reply or invoke: the variable's value, or built from toParts.
pub fn outbound(
    d: &Deployed,
    state: &mut ProcessState,
    env: EnvId,
    variable: Option<&str>,
    to_parts: Option<&[ToPart]>,
    ty: Option<&MessageType>,
) -> Result<Message, Fault> {
    let view = View { deployed: d, state, env };
    if let Some(parts) = to_parts {
        let mut message = Message::new(ty.map_or_else(|| QName::new(None, "message"), |t| t.name.clone()));
        for to_part in parts {
            let (Some(part), Some(from)) = (&to_part.part, &to_part.from_variable) else { continue };
            let value = match view.value(&from.value) {
                Some(Value::Element(element)) => element.clone(),
                Some(Value::Message(m)) => match m.parts.first() {
                    Some(p) => p.value.clone(),
                    None => return Err(uninitialized(&from.value)),
                },
                None => return Err(uninitialized(&from.value)),
            };
            message.set_part(&part.value, as_part(ty, &part.value, value));
        }
        return Ok(message);
    }
    let Some(variable) = variable else {
        return Ok(Message::new(ty.map_or_else(|| QName::new(None, "message"), |t| t.name.clone())));
    };
    match view.value(variable) {
        Some(Value::Message(message)) => {
            if let Some(ty) = ty {
                if let Some(missing) = ty.parts.iter().find(|p| message.part(&p.name).is_none()) {
                    return Err(Fault::standard(
                        StandardFault::UninitializedVariable,
                        format!("the part `{}` of variable `{variable}` is not initialized", missing.name),
                    ));
                }
            }
            Ok(message.clone())
        }
        Some(Value::Element(element)) => {
            let ty_name = ty.map_or_else(|| QName::new(None, "message"), |t| t.name.clone());
            let part = ty.and_then(|t| t.parts.first()).map_or("part".to_string(), |p| p.name.clone());
            Ok(Message::new(ty_name).with_part(&part, element.clone()))
        }
        None => Err(uninitialized(variable)),
    }
}

/// A value copied into a part keeps the part's name, as a copy to a part does: an element part's
/// element, or the container named after a type part.
fn as_part(ty: Option<&MessageType>, part: &str, mut value: XmlElement) -> XmlElement {
    match ty.and_then(|t| t.part(part)).map(|p| &p.kind) {
        Some(PartKind::Element(name)) => {
            if !value.has_name(name) {
                let prefix = value.prefix.clone().filter(|_| value.namespace.as_deref() == name.namespace.as_deref());
                value.rename(name.namespace.as_deref().map(Into::into), &name.local, prefix);
            }
            value
        }
        Some(PartKind::Type(_)) => {
            value.rename(None, part, None);
            value
        }
        None => value,
    }
}

fn uninitialized(variable: &str) -> Fault {
    Fault::standard(StandardFault::UninitializedVariable, format!("the variable `{variable}` is not initialized"))
}

/// The values of a correlation set's properties in a message.
pub fn property_values(d: &Deployed, properties: &[QName], message: &Message) -> Result<Vec<String>, Fault> {
    let ty = MessageType::resolve(&message.message_type, &d.unit.definitions)
        .map_err(|why| Fault::standard(StandardFault::SelectionFailure, why))?;
    let mut vars = VariableList::new();
    vars.declare("message", VarType::Message(Arc::new(ty)), Some(Value::Message(message.clone())));
    properties
        .iter()
        .map(|property| {
            property_node(&vars, d.xpath_env(), "message", property).map(|(node, _)| node.node.string_value().trim().to_string())
        })
        .collect()
}

/// Applies an activity's correlations to a message it received or sent: initiates sets, checks
/// the others.
pub fn correlate(
    d: &Deployed,
    state: &mut ProcessState,
    env: EnvId,
    correlations: &[Correlation],
    message: &Message,
    outbound: Option<bool>,
) -> Result<(), Fault> {
    for correlation in correlations {
        // on invoke, a pattern says which message the correlation applies to
        if let (Some(is_request), Some(pattern)) = (outbound, &correlation.pattern) {
            use crate::model::process::CorrelationPattern as P;
            let applies = match pattern.value {
                P::Request => is_request,
                P::Response => !is_request,
                P::RequestResponse => true,
            };
            if !applies {
                continue;
            }
        }
        let Some(name) = &correlation.set else { continue };
        let view = View { deployed: d, state, env };
        let Some(slot) = view.correlation_slot(&name.value) else { continue };
        let Some(e) = state.env(slot.env) else { continue };
        let properties = d.decl(e.decl).correlation_sets[slot.index].properties.clone();
        let values = property_values(d, &properties, message)?;
        let current = state.env(slot.env).and_then(|e| e.correlations[slot.index].clone());
        let initiate = correlation.initiate.as_ref().map_or(Initiate::No, |i| i.value);
        let violation = |why: String| Fault::standard(StandardFault::CorrelationViolation, why);
        match (initiate, current) {
            (Initiate::Yes, Some(_)) => return Err(violation(format!("the correlation set `{}` is already initiated", name.value))),
            (Initiate::No, None) => return Err(violation(format!("the correlation set `{}` is not initiated", name.value))),
            (_, Some(current)) if current != values => {
                return Err(violation(format!("the message does not match the correlation set `{}`: {values:?} ≠ {current:?}", name.value)))
            }
            (_, Some(_)) => {}
            (_, None) => {
                if let Some(e) = state.env_mut(slot.env) {
                    e.correlations[slot.index] = Some(values.clone());
                }
                state.initiated.push((name.value.clone(), values));
            }
        }
    }
    Ok(())
}

/// Opens a message exchange for a request that waits for a reply; a second open request on the
/// same partner link, operation and message exchange is `conflictingRequest`.
pub fn open_exchange(state: &mut ProcessState, spec: &MessageSpec, exchange: ExchangeId) -> Result<(), Fault> {
    let partner_link = spec.partner_link.as_ref().map_or("", |n| n.value.as_str()).to_string();
    let operation = spec.operation.as_ref().map_or("", |n| n.value.as_str()).to_string();
    let message_exchange = spec.message_exchange.as_ref().map(|n| n.value.clone());
    if state.exchanges.iter().any(|x| x.partner_link == partner_link && x.operation == operation && x.message_exchange == message_exchange)
    {
        return Err(Fault::standard(
            StandardFault::ConflictingRequest,
            format!("a request on `{partner_link}`.`{operation}` is still waiting for its reply"),
        ));
    }
    state.exchanges.push(OpenExchange { partner_link, operation, message_exchange, exchange });
    Ok(())
}

/// The key a receive, onMessage or onEvent waits on.
pub fn key(spec: &MessageSpec) -> crate::exec::MessageKey {
    crate::exec::MessageKey {
        partner_link: spec.partner_link.as_ref().map_or("", |n| n.value.as_str()).to_string(),
        operation: spec.operation.as_ref().map_or("", |n| n.value.as_str()).to_string(),
    }
}

/// Whether the operation of a message activity expects a reply.
pub fn is_request_response(d: &Deployed, spec: &MessageSpec, my_role: bool) -> bool {
    let (Some(pl), Some(op)) = (&spec.partner_link, &spec.operation) else { return false };
    operation(d, &pl.value, &op.value, my_role).is_some_and(|o| o.output.is_some())
}

/// How to route a message arriving on a partner link's operation: the values it carries for the
/// correlation sets its receivers correlate on.
pub fn routing(d: &Deployed, partner_link: &str, operation: &str, message: &Message) -> Result<Routing, Fault> {
    let Some(inbound) = d.inbound.get(&(partner_link.to_string(), operation.to_string())) else { return Ok(Routing::default()) };
    let mut keys = Vec::new();
    for (set, properties) in &inbound.correlations {
        match property_values(d, properties, message) {
            Ok(values) => keys.push((set.clone(), values)),
            // a message a creating receive takes need not carry the others' values
            Err(fault) if !inbound.creates => return Err(fault),
            Err(_) => {}
        }
    }
    Ok(Routing { keys, correlated: !inbound.correlations.is_empty(), creates: inbound.creates })
}
