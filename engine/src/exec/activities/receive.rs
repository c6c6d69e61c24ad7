//! `<receive>`: wait for a message on a partner link's operation.

use serde::{Deserialize, Serialize};

use super::messaging::{accept, wait_for};
use crate::exec::{Act, Deployed, Frame, FrameState, Input, Payload};
use crate::fault::{Fault, StandardFault};
use crate::model::process::Receive;
use crate::runtime::{Outcome, StepContext};

/// Waiting for its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReceiveState {
    Waiting,
}

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, receive: &Receive) -> Act {
    match input {
        Input::Resumed(resume) => match resume.outcome {
            Outcome::Message { value: Payload::Message(message), exchange } => {
                let variable = receive.variable.as_ref().map(|v| v.value.as_str());
                match accept(
                    d,
                    cx,
                    frame.env,
                    &receive.message,
                    variable,
                    receive.from_parts.as_deref(),
                    &receive.correlations,
                    &message,
                    exchange,
                ) {
                    Ok(()) => {
                        if receive.create_instance.as_ref().is_some_and(|c| c.value) {
                            super::scope::enable_process_handlers(d, cx);
                        }
                        Act::Done
                    }
                    Err(fault) => Act::Fault(fault),
                }
            }
            other => Act::Fault(Fault::standard(StandardFault::SubLanguageExecutionFault, format!("<receive> woke with {other:?}"))),
        },
        _ => {
            frame.state = FrameState::Receive(ReceiveState::Waiting);
            Act::Block(wait_for(cx, frame.activity, frame.env, &receive.message, &receive.correlations))
        }
    }
}
