//! Spawned branches (flow, parallel forEach, event handlers): the bottom frame of each reports how
//! the branch ended to the tasklet that spawned it, which waits for the reports.

use crate::exec::{Act, Frame, Input, Payload, Phase};
use crate::fault::{Fault, StandardFault};
use crate::runtime::{ChannelId, GroupId, Op, Outcome, StepContext};

/// The bottom frame of a branch: start the activity above it, then report its end.
pub fn branch_step(cx: &mut StepContext<'_, crate::exec::Deployed>, frame: &mut Frame, report: ChannelId, input: Input) -> Act {
    let _ = cx;
    match input {
        Input::None => Act::Push(super::frame(frame.activity, frame.env)),
        Input::Child(Ok(())) => Act::Block(Op::Send(report, Payload::Done)),
        Input::Child(Err(fault)) => Act::Block(Op::Send(report, Payload::Fault(fault))),
        Input::Resumed(_) => Act::Done,
    }
}

/// Spawns one branch per frame into a new group; the phase to wait for them in.
pub fn spawn(cx: &mut StepContext<'_, crate::exec::Deployed>, branches: Vec<Frame>, target: u32) -> Phase {
    let group = cx.new_group();
    let report = cx.new_channel();
    let open = branches.len() as u32;
    for top in branches {
        let bottom = Frame { activity: top.activity, env: top.env, phase: Phase::Branch { report } };
        cx.spawn_frames(group, vec![bottom, top]);
    }
    Phase::Branches { group, report, open, succeeded: 0, target }
}

/// Waits for the branches' reports: done when all completed or the target is reached; the first
/// fault kills the others and propagates.
pub fn await_reports(cx: &mut StepContext<'_, crate::exec::Deployed>, frame: &mut Frame, input: Input) -> Act {
    let Phase::Branches { group, report, open, succeeded, target } = frame.phase.clone() else {
        return Act::Fault(Fault::standard(StandardFault::SubLanguageExecutionFault, "branches in an unexpected phase"));
    };
    let (open, succeeded) = match input {
        Input::Resumed(resume) => match resume.outcome {
            Outcome::Received(Payload::Fault(fault)) => {
                cx.kill_group(group);
                return Act::Fault(fault);
            }
            Outcome::Received(_) => (open.saturating_sub(1), succeeded + 1),
            // the channel is gone: nothing will report any more
            _ => (0, succeeded),
        },
        _ => (open, succeeded),
    };
    frame.phase = Phase::Branches { group, report, open, succeeded, target };
    if succeeded >= target {
        cx.kill_group(group);
        return Act::Done;
    }
    if open == 0 {
        return finished(succeeded, target);
    }
    Act::Block(Op::Recv(report))
}

fn finished(succeeded: u32, target: u32) -> Act {
    if target != u32::MAX && succeeded < target {
        return Act::Fault(Fault::standard(
            StandardFault::CompletionConditionFailure,
            format!("only {succeeded} branch(es) completed; the completion condition needs {target}"),
        ));
    }
    Act::Done
}

/// A group that is no longer needed (its owner moved on).
pub fn kill(cx: &mut StepContext<'_, crate::exec::Deployed>, group: GroupId) {
    cx.kill_group(group);
}
