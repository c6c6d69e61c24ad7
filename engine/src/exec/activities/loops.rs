//! `<while>` and `<repeatUntil>`.

use super::{condition, frame as fresh, on_child};
use crate::exec::{Act, Deployed, Frame, Input, Phase};
use crate::model::process::{RepeatUntil, While};
use crate::runtime::StepContext;

/// How many iterations a loop runs before it lets other tasklets in.
const ITERATIONS_PER_TURN: u32 = 16;

pub fn while_step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, while_: &While) -> Act {
    if let Some(act) = on_child(&input) {
        return act;
    }
    let round = match frame.phase {
        Phase::At(n) => n,
        _ => 0,
    };
    if round > 0 && round % ITERATIONS_PER_TURN == 0 && matches!(input, Input::Child(_)) {
        frame.phase = Phase::At(round + 1);
        return Act::Yield;
    }
    match condition(d, cx, frame.env, while_.condition.as_ref()) {
        Ok(true) => {
            frame.phase = Phase::At(round.wrapping_add(1).max(1));
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
    let round = match frame.phase {
        Phase::At(n) => n,
        _ => 0,
    };
    if round > 0 {
        match condition(d, cx, frame.env, repeat.condition.as_ref()) {
            Ok(true) => return Act::Done,
            Ok(false) => {}
            Err(fault) => return Act::Fault(fault),
        }
        if round % ITERATIONS_PER_TURN == 0 && matches!(input, Input::Child(_)) {
            frame.phase = Phase::At(round);
            return Act::Yield;
        }
    }
    frame.phase = Phase::At(round.wrapping_add(1).max(1));
    match repeat.activity {
        Some(body) => Act::Push(fresh(body, frame.env)),
        None => Act::Yield,
    }
}
