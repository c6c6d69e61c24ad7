//! Spawned branches (flow, parallel forEach, event handlers): the bottom frame of each reports how
//! the branch ended to the tasklet that spawned it, which waits for the reports.

use serde::{Deserialize, Serialize};

use crate::exec::{Act, Deployed, EnvId, Frame, FrameState, Input, Payload};
use crate::fault::{Fault, StandardFault};
use crate::runtime::{ChannelId, GroupId, Op, Outcome, StepContext};

/// Branches spawned into `group` that report on `report`: `open` still running, `succeeded`
/// completed; done when `succeeded` reaches `target` (a forEach's completion condition), or when
/// none is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branches {
    pub group: GroupId,
    pub report: ChannelId,
    pub open: u32,
    pub succeeded: u32,
    pub target: Option<u32>,
}

/// The bottom frame of a branch: reports the end of the frame above on `report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchState {
    pub report: ChannelId,
}

/// The bottom frame of a branch: start the activity above it, then report its end.
pub fn branch_step(cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, report: ChannelId, input: Input) -> Act {
    match input {
        Input::None => Act::Push(super::frame(frame.activity, frame.env)),
        Input::Child(Ok(())) => {
            // a forEach iteration's bottom frame has the iteration's scope instance: did it handle a fault?
            let handled = cx.shared().env(frame.env).is_some_and(|e| e.scope == Some(frame.activity) && e.fault.is_some());
            let state = cx.shared_mut();
            if let Some(i) = state.races.iter().position(|r| r.report == report) {
                let race = &mut state.races[i];
                if !handled || !race.successful_only {
                    race.remaining = race.remaining.saturating_sub(1);
                }
                if race.remaining == 0 {
                    let group = race.group;
                    state.races.remove(i);
                    cx.kill_group(group);
                }
            }
            Act::Block(Op::Send(report, if handled { Payload::Handled } else { Payload::Done }))
        }
        Input::Child(Err(fault)) => Act::Block(Op::Send(report, Payload::Fault(fault))),
        Input::Resumed(_) => Act::Done,
    }
}

/// The bottom frame of a branch that runs `top`, in scope instance `env`.
pub fn bottom(top: &Frame, env: EnvId, report: ChannelId) -> Frame {
    Frame { activity: top.activity, env, state: FrameState::Branch(BranchState { report }) }
}

/// Spawns one branch per frame into a new group; what to wait for them with.
/// Each branch's bottom frame gets the scope instance paired with it (a forEach iteration's own, to
/// tell a handled fault); `target` is a completion condition the branches race to.
pub fn spawn(cx: &mut StepContext<'_, Deployed>, branches: Vec<(Frame, EnvId)>, target: Option<u32>, successful_only: bool) -> Branches {
    let group = cx.new_group();
    let report = cx.new_channel();
    let open = branches.len() as u32;
    if let Some(remaining) = target {
        cx.shared_mut().races.push(crate::exec::state::Race { report, group, remaining, successful_only });
    }
    for (top, bottom_env) in branches {
        let bottom = bottom(&top, bottom_env, report);
        cx.spawn_frames(group, vec![bottom, top]);
    }
    Branches { group, report, open, succeeded: 0, target }
}

/// Waits for the branches' reports: done when all completed or the target is reached. The first
/// fault is `Err` with the branches to terminate ([`super::scope::terminate`] kills them and runs
/// the termination handlers of the scopes they were in).
pub fn await_reports(
    cx: &mut StepContext<'_, Deployed>,
    branches: &mut Branches,
    input: Input,
    successful_only: bool,
) -> Result<Act, (Branches, Fault)> {
    let Branches { group, report, open, succeeded, target } = *branches;
    let (open, succeeded) = match input {
        Input::Resumed(resume) => match resume.outcome {
            Outcome::Received(Payload::Fault(fault)) => {
                forget_race(cx, report);
                return Err((*branches, fault));
            }
            Outcome::Received(Payload::Handled) if successful_only => (open.saturating_sub(1), succeeded),
            Outcome::Received(_) => (open.saturating_sub(1), succeeded + 1),
            // the channel is gone: nothing will report any more
            _ => (0, succeeded),
        },
        _ => (open, succeeded),
    };
    branches.open = open;
    branches.succeeded = succeeded;
    if target.is_some_and(|target| succeeded >= target) {
        cx.kill_group(group);
        forget_race(cx, report);
        release(cx, group, &[report]);
        return Ok(Act::Done);
    }
    if open == 0 {
        forget_race(cx, report);
        release(cx, group, &[report]);
        return Ok(finished(succeeded, target));
    }
    Ok(Act::Block(Op::Recv(report)))
}

fn finished(succeeded: u32, target: Option<u32>) -> Act {
    match target {
        Some(target) if succeeded < target => Act::Fault(Fault::standard(
            StandardFault::CompletionConditionFailure,
            format!("only {succeeded} branch(es) completed; the completion condition needs {target}"),
        )),
        _ => Act::Done,
    }
}

/// Frees a group whose branches have ended or been killed, and the channels they reported on, so
/// that an activity that spawns branches in a loop leaves no slots behind. (A channel a killed
/// branch still waits on stays: dropping it would fail, and it is reused only once free.)
pub fn release(cx: &mut StepContext<'_, Deployed>, group: GroupId, channels: &[ChannelId]) {
    cx.drop_group(group);
    for channel in channels {
        let _ = cx.drop_channel(*channel);
    }
}

fn forget_race(cx: &mut StepContext<'_, Deployed>, report: ChannelId) {
    cx.shared_mut().races.retain(|r| r.report != report);
}
