//! `<reply>`: answer the open request of a partner link's operation (with a fault if `faultName`).

use crate::exec::messages::{correlate, fault_message_type, message_type, operation, outbound, Direction};
use crate::exec::{Act, Deployed, Frame, Payload};
use crate::fault::{Fault, StandardFault};
use crate::model::process::Reply;
use crate::runtime::StepContext;

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &Frame, reply: &Reply) -> Act {
    let partner_link = reply.message.partner_link.as_ref().map_or("", |n| n.value.as_str());
    let op_name = reply.message.operation.as_ref().map_or("", |n| n.value.as_str());
    let message_exchange = reply.message.message_exchange.as_ref().map(|n| n.value.clone());
    let op = operation(d, partner_link, op_name, true);
    let ty = match (&reply.fault_name, op) {
        (Some(fault), Some(op)) => fault.name.as_ref().and_then(|n| fault_message_type(d, op, &n.local)),
        (None, Some(op)) => message_type(d, op, Direction::Output),
        _ => None,
    };
    let variable = reply.variable.as_ref().map(|v| v.value.as_str());
    let message = match outbound(d, cx.shared_mut(), frame.env, variable, reply.to_parts.as_deref(), ty.as_deref()) {
        Ok(message) => message,
        Err(fault) => return Act::Fault(fault),
    };
    if let Err(fault) = correlate(d, cx.shared_mut(), frame.env, &reply.correlations, &message, None) {
        return Act::Fault(fault);
    }
    let state = cx.shared_mut();
    let Some(index) = state
        .exchanges
        .iter()
        .position(|x| x.partner_link == partner_link && x.operation == op_name && x.message_exchange == message_exchange)
    else {
        return Act::Fault(Fault::standard(
            StandardFault::MissingRequest,
            format!("no request on `{partner_link}`.`{op_name}` is waiting for a reply"),
        ));
    };
    let exchange = state.exchanges.remove(index).exchange;
    match &reply.fault_name {
        Some(name) => {
            let name = name.name.clone().unwrap_or_else(|| crate::model::QName::new(None, &name.text));
            let fault = Fault::new(name, Some(crate::xml::Value::Message(message)), "replied by <reply faultName>");
            cx.reply_fault(exchange, Payload::Fault(fault));
        }
        None => cx.reply(exchange, Payload::Message(message)),
    }
    Act::Done
}
