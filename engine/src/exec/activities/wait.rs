//! `<wait>`: for a duration or until a deadline, on the instance's clock.

use serde::{Deserialize, Serialize};

use super::string;
use crate::exec::time::{date_time, duration_millis};
use crate::exec::{Act, Deployed, Frame, FrameState, Input};
use crate::fault::{Fault, StandardFault};
use crate::model::process::Timer;
use crate::runtime::{Op, StepContext};

/// Waiting for its timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitState {
    Waiting,
}

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, timer: &Timer) -> Act {
    if matches!(input, Input::Resumed(_)) || frame.state != FrameState::Ready {
        return Act::Done;
    }
    match timer_op(d, cx, frame.env, timer) {
        Ok(op) => {
            frame.state = FrameState::Wait(WaitState::Waiting);
            Act::Block(op)
        }
        Err(fault) => Act::Fault(fault),
    }
}

/// The operation of a `for` or `until` timer (wait, onAlarm).
pub fn timer_op(
    d: &Deployed,
    cx: &mut StepContext<'_, Deployed>,
    env: crate::exec::EnvId,
    timer: &Timer,
) -> Result<Op<crate::exec::Payload, crate::exec::MessageKey>, Fault> {
    if let Some(for_) = &timer.for_ {
        let text = string(d, cx, env, for_)?;
        let millis = duration_millis(&text).ok_or_else(|| invalid(&format!("`{text}` is not an xsd:duration")))?;
        return Ok(Op::Sleep(millis));
    }
    if let Some(until) = &timer.until {
        let text = string(d, cx, env, until)?;
        let at = date_time(&text).ok_or_else(|| invalid(&format!("`{text}` is not an xsd:dateTime or xsd:date")))?;
        return Ok(Op::Until(at));
    }
    Err(invalid("the timer has neither <for> nor <until>"))
}

fn invalid(message: &str) -> Fault {
    Fault::standard(StandardFault::InvalidExpressionValue, message.to_string())
}
