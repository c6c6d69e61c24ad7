//! `<if>`: the first branch whose condition holds; the others' links are dead paths.

use serde::{Deserialize, Serialize};

use super::{condition, frame as fresh, on_child};
use crate::exec::links::eliminate;
use crate::exec::{Act, Deployed, Frame, FrameState, Input};
use crate::fault::{Fault, StandardFault};
use crate::model::process::If;
use crate::runtime::StepContext;

/// Which branch runs: the index of the condition that held (`else_if` n is n + 1), or the else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IfState {
    Condition(u32),
    Else,
}

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, input: Input, if_: &If) -> Act {
    if let Some(act) = on_child(&input) {
        return act;
    }
    if frame.state != FrameState::Ready {
        return Act::Done;
    }
    let mut branches = vec![(if_.condition.as_ref(), if_.activity)];
    branches.extend(if_.else_ifs.iter().map(|e| (e.condition.as_ref(), e.activity)));
    let mut taken = None;
    for (index, (test, activity)) in branches.iter().enumerate() {
        match condition(d, cx, frame.env, *test) {
            Ok(true) => {
                taken = Some((index, *activity));
                break;
            }
            Ok(false) => {}
            Err(fault) => return Act::Fault(branch_fault(fault)),
        }
    }
    let else_activity = if_.else_.as_ref().and_then(|e| e.activity);
    let chosen = match taken {
        Some((_, activity)) => activity,
        None => else_activity,
    };
    for (_, activity) in &branches {
        if *activity != chosen {
            eliminate(d, cx, *activity, frame.env);
        }
    }
    if else_activity != chosen {
        eliminate(d, cx, else_activity, frame.env);
    }
    frame.state = FrameState::If(match taken {
        Some((index, _)) => IfState::Condition(index as u32),
        None => IfState::Else,
    });
    match chosen {
        Some(activity) => Act::Push(fresh(activity, frame.env)),
        None => Act::Done,
    }
}

/// A condition that is not a boolean expression of the process is a sub-language fault (XPath
/// errors are already standard faults).
fn branch_fault(fault: Fault) -> Fault {
    if fault.standard_kind().is_some() {
        fault
    } else {
        Fault::standard(StandardFault::SubLanguageExecutionFault, fault.message)
    }
}
