//! `<pick>`: the first of its messages or alarms; the other branches' links are dead paths.

use serde::{Deserialize, Serialize};

use super::messaging::{accept, wait_for};
use super::wait::timer_op;
use super::{frame as fresh, on_child};
use crate::exec::links::eliminate;
use crate::exec::{Act, Deployed, Frame, FrameState, Input, Payload};
use crate::fault::{Fault, StandardFault};
use crate::model::process::Pick;
use crate::runtime::{Outcome, StepContext};

/// Waiting for the first of its events, then running the chosen branch (arms: the onMessages in
/// order, then the onAlarms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PickState {
    Waiting,
    Chosen { arm: u32 },
}

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, pick: &Pick) -> Act {
    if let Some(act) = on_child(&input) {
        return act;
    }
    match (&frame.state, input) {
        (FrameState::Pick(PickState::Waiting), Input::Resumed(resume)) => {
            let arm = resume.arm as usize;
            let chosen = if let Some(on_message) = pick.on_messages.get(arm) {
                let Outcome::Message { value: Payload::Message(message), exchange } = resume.outcome else {
                    return Act::Fault(Fault::standard(StandardFault::SubLanguageExecutionFault, "<pick> woke without a message"));
                };
                let variable = on_message.variable.as_ref().map(|v| v.value.as_str());
                if let Err(fault) = accept(
                    d,
                    cx,
                    frame.env,
                    &on_message.message,
                    variable,
                    on_message.from_parts.as_deref(),
                    &on_message.correlations,
                    &message,
                    exchange,
                ) {
                    return Act::Fault(fault);
                }
                if pick.create_instance.as_ref().is_some_and(|c| c.value) {
                    super::scope::enable_process_handlers(d, cx);
                }
                on_message.activity
            } else {
                pick.on_alarms.get(arm - pick.on_messages.len()).and_then(|a| a.activity)
            };
            let others = pick.on_messages.iter().map(|m| m.activity).chain(pick.on_alarms.iter().map(|a| a.activity));
            for other in others.filter(|a| *a != chosen).collect::<Vec<_>>() {
                eliminate(d, cx, other, frame.env);
            }
            frame.state = FrameState::Pick(PickState::Chosen { arm: arm as u32 });
            match chosen {
                Some(activity) => Act::Push(fresh(activity, frame.env)),
                None => Act::Done,
            }
        }
        (FrameState::Pick(PickState::Chosen { .. }), _) => Act::Done,
        _ => {
            let mut ops: Vec<_> =
                pick.on_messages.iter().map(|m| wait_for(cx, frame.activity, frame.env, &m.message, &m.correlations)).collect();
            for alarm in &pick.on_alarms {
                match timer_op(d, cx, frame.env, &alarm.timer) {
                    Ok(op) => ops.push(op),
                    Err(fault) => return Act::Fault(fault),
                }
            }
            frame.state = FrameState::Pick(PickState::Waiting);
            Act::Choose(ops)
        }
    }
}
