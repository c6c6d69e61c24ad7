//! `<sequence>`: its children one after the other.

use serde::{Deserialize, Serialize};

use super::{frame as fresh, on_child};
use crate::exec::{Act, Frame, FrameState, Input};
use crate::model::process::ActivityId;

/// The child running now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceState {
    pub running: u32,
}

pub fn step(frame: &mut Frame, input: Input, children: &[ActivityId]) -> Act {
    if let Some(act) = on_child(&input) {
        return act;
    }
    let next = match frame.state {
        FrameState::Sequence(SequenceState { running }) => running + 1,
        _ => 0,
    };
    let Some(&child) = children.get(next as usize) else { return Act::Done };
    frame.state = FrameState::Sequence(SequenceState { running: next });
    Act::Push(fresh(child, frame.env))
}
