//! `<sequence>`: its children one after the other.

use super::{frame as fresh, on_child};
use crate::exec::{Act, Frame, Input, Phase};
use crate::model::process::ActivityId;

pub fn step(frame: &mut Frame, input: Input, children: &[ActivityId]) -> Act {
    if let Some(act) = on_child(&input) {
        return act;
    }
    let next = match frame.phase {
        Phase::At(i) => i,
        _ => 0,
    };
    let Some(&child) = children.get(next as usize) else { return Act::Done };
    frame.phase = Phase::At(next + 1);
    Act::Push(fresh(child, frame.env))
}
