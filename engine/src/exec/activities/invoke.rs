//! `<invoke>`: call a partner, one-way or request-response; its own catch/catchAll handle the
//! call's faults as if it were wrapped in a scope.

use serde::{Deserialize, Serialize};

use super::scope::{catch_frame, select_handler};
use crate::exec::messages::{correlate, invalid_inbound, key, message_type, operation, outbound, store_inbound, Direction};
use crate::exec::state::View;
use crate::exec::{Act, Deployed, Frame, FrameState, Input, Payload};
use crate::fault::{Fault, StandardFault};
use crate::model::process::Invoke;
use crate::runtime::{Op, Outcome, StepContext};
use crate::xml::Store;

/// Waiting for the partner's answer, or running one of the invoke's own fault handlers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvokeState {
    Waiting,
    Catching,
}

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, invoke: &Invoke) -> Act {
    match (&frame.state, input) {
        (FrameState::Invoke(InvokeState::Catching), Input::Child(result)) => match result {
            Ok(()) => Act::Done,
            Err(fault) => Act::Fault(fault),
        },
        (FrameState::Invoke(InvokeState::Waiting), Input::Resumed(resume)) => {
            let result = match resume.outcome {
                Outcome::Answered(Payload::Message(message)) => {
                    let variable = invoke.output_variable.as_ref().map(|v| v.value.as_str());
                    valid_answer(d, invoke, &message)
                        .and_then(|()| correlate(d, cx.shared_mut(), frame.env, &invoke.correlations, &message, Some(false)))
                        .and_then(|()| store_inbound(d, cx.shared_mut(), frame.env, variable, invoke.from_parts.as_deref(), &message))
                }
                Outcome::Failed(Payload::Fault(fault)) => Err(fault),
                other => Err(Fault::standard(StandardFault::SubLanguageExecutionFault, format!("the invoke got {other:?}"))),
            };
            match result {
                Ok(()) => installed(d, cx, frame, invoke),
                Err(fault) => handle(d, cx, frame, invoke, fault),
            }
        }
        _ => match call(d, cx, frame, invoke) {
            Ok(Some(op)) => {
                frame.state = FrameState::Invoke(InvokeState::Waiting);
                Act::Block(op)
            }
            Ok(None) => installed(d, cx, frame, invoke),
            Err(fault) => handle(d, cx, frame, invoke, fault),
        },
    }
}

/// A partner's answer must be a valid message of the operation's output (WS-BPEL 2.0 leaves
/// validating messages to the engine; an answer that is not valid is what the standard's
/// `invalidVariables` names, "a schema validation of a variable value fails", here the implicit
/// one of the output variable the answer goes to), checked before anything of it is stored.
fn valid_answer(d: &Deployed, invoke: &Invoke, message: &crate::xml::Message) -> Result<(), Fault> {
    let partner_link = invoke.message.partner_link.as_ref().map_or("", |n| n.value.as_str());
    let op_name = invoke.message.operation.as_ref().map_or("", |n| n.value.as_str());
    let Some(ty) = operation(d, partner_link, op_name, false).and_then(|op| message_type(d, op, Direction::Output)) else {
        return Ok(());
    };
    match invalid_inbound(d, &ty, message) {
        None => Ok(()),
        Some(why) => Err(Fault::standard(
            StandardFault::InvalidVariables,
            format!("the answer of partner link `{partner_link}` to `{op_name}` is not a valid {}: {why}", ty.name),
        )),
    }
}

/// Sends the request; the operation to wait on if an answer is expected.
fn call(
    d: &Deployed,
    cx: &mut StepContext<'_, Deployed>,
    frame: &Frame,
    invoke: &Invoke,
) -> Result<Option<Op<Payload, crate::exec::MessageKey>>, Fault> {
    let partner_link = invoke.message.partner_link.as_ref().map_or("", |n| n.value.as_str());
    let op_name = invoke.message.operation.as_ref().map_or("", |n| n.value.as_str());
    let op = operation(d, partner_link, op_name, false);
    let ty = op.and_then(|op| message_type(d, op, Direction::Input));
    let variable = invoke.input_variable.as_ref().map(|v| v.value.as_str());
    let message = outbound(d, cx.shared_mut(), frame.env, variable, invoke.to_parts.as_deref(), ty.as_deref())?;
    correlate(d, cx.shared_mut(), frame.env, &invoke.correlations, &message, Some(true))?;
    let view = View { deployed: d, state: cx.shared_mut(), env: frame.env };
    let address = view.endpoint_reference(partner_link, crate::model::process::Role::PartnerRole).ok().map(|e| e.address);
    let request = Payload::Request { address, message };
    let one_way = op.is_some_and(|o| o.output.is_none());
    if one_way {
        cx.invoke_one_way(key(&invoke.message), request);
        return Ok(None);
    }
    Ok(Some(Op::Answer(cx.invoke(key(&invoke.message), request))))
}

/// A fault of the call: the invoke's own handlers, if it has any that match.
fn handle(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, invoke: &Invoke, fault: Fault) -> Act {
    match select_handler(&invoke.handlers, &fault) {
        Some(handler) => {
            frame.state = FrameState::Invoke(InvokeState::Catching);
            match catch_frame(d, cx, frame.activity, frame.env, handler, &fault) {
                Some(child) => Act::Push(child),
                None => Act::Done,
            }
        }
        None => Act::Fault(fault),
    }
}

/// The invoke completed: its compensation handler, if it has one, is installed in the enclosing
/// scope like a scope's.
fn installed(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &Frame, invoke: &Invoke) -> Act {
    if invoke.handlers.compensation_handler.is_some() {
        let own = cx.shared_mut().new_env(d, None, Some(frame.env), Some(frame.activity));
        super::scope::install_compensation(cx.shared_mut(), frame.env, own);
    }
    Act::Done
}
