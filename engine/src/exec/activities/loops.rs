//! `<while>` and `<repeatUntil>`.

use serde::{Deserialize, Serialize};

use super::{condition, frame as fresh, on_child};
use crate::exec::{Act, Deployed, Frame, FrameState, Input};
use crate::model::process::{RepeatUntil, While};
use crate::runtime::StepContext;

/// How many iterations a loop runs before it lets other tasklets in.
const ITERATIONS_PER_TURN: u32 = 16;

/// How many times the body has started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoopState {
    pub rounds: u32,
}

fn rounds(frame: &Frame) -> u32 {
    match frame.state {
        FrameState::Loop(LoopState { rounds }) => rounds,
        _ => 0,
    }
}

fn set_rounds(frame: &mut Frame, rounds: u32) {
    frame.state = FrameState::Loop(LoopState { rounds });
}

pub fn while_step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, while_: &While) -> Act {
    if let Some(act) = on_child(&input) {
        return act;
    }
    let round = rounds(frame);
    if round > 0 && round.is_multiple_of(ITERATIONS_PER_TURN) && matches!(input, Input::Child(_)) {
        set_rounds(frame, round + 1);
        return Act::Yield;
    }
    match condition(d, cx, frame.env, while_.condition.as_ref()) {
        Ok(true) => {
            set_rounds(frame, round.wrapping_add(1).max(1));
            match while_.activity {
                Some(body) => Act::Push(fresh(body, frame.env)),
                None => Act::Yield,
            }
        }
        Ok(false) => Act::Done,
        Err(fault) => Act::Fault(fault),
    }
}

pub fn repeat_step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, repeat: &RepeatUntil) -> Act {
    if let Some(act) = on_child(&input) {
        return act;
    }
    let round = rounds(frame);
    if round > 0 {
        match condition(d, cx, frame.env, repeat.condition.as_ref()) {
            Ok(true) => return Act::Done,
            Ok(false) => {}
            Err(fault) => return Act::Fault(fault),
        }
        if round.is_multiple_of(ITERATIONS_PER_TURN) && matches!(input, Input::Child(_)) {
            set_rounds(frame, round);
            return Act::Yield;
        }
    }
    set_rounds(frame, round.wrapping_add(1).max(1));
    match repeat.activity {
        Some(body) => Act::Push(fresh(body, frame.env)),
        None => Act::Yield,
    }
}
