//! Spawned branches (flow, parallel forEach, event handlers): the bottom frame of each reports how
//! the branch ended to the tasklet that spawned it, which waits for the reports.

use crate::exec::{Act, Frame, Input, Payload, Phase};
use crate::fault::{Fault, StandardFault};
use crate::runtime::{ChannelId, Op, Outcome, StepContext};

/// The bottom frame of a branch: start the activity above it, then report its end.
pub fn branch_step(cx: &mut StepContext<'_, crate::exec::Deployed>, frame: &mut Frame, report: ChannelId, input: Input) -> Act {
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

/// Spawns one branch per frame into a new group; the phase to wait for them in.
/// `bottom_env` gives each branch's bottom frame its scope instance (a forEach iteration's own, to
/// tell a handled fault); `race` a completion condition the branches race to.
pub fn spawn(
    cx: &mut StepContext<'_, crate::exec::Deployed>,
    branches: Vec<(Frame, crate::exec::EnvId)>,
    target: u32,
    successful_only: bool,
) -> Phase {
    let group = cx.new_group();
    let report = cx.new_channel();
    let open = branches.len() as u32;
    if target != u32::MAX {
        cx.shared_mut().races.push(crate::exec::state::Race { report, group, remaining: target, successful_only });
    }
    for (top, bottom_env) in branches {
        let bottom = Frame { activity: top.activity, env: bottom_env, phase: Phase::Branch { report } };
        cx.spawn_frames(group, vec![bottom, top]);
    }
    Phase::Branches { group, report, open, succeeded: 0, target }
}

/// Waits for the branches' reports: done when all completed or the target is reached; the first
/// fault kills the others and propagates.
pub fn await_reports(cx: &mut StepContext<'_, crate::exec::Deployed>, frame: &mut Frame, input: Input, successful_only: bool) -> Act {
    let Phase::Branches { group, report, open, succeeded, target } = frame.phase.clone() else {
        return Act::Fault(Fault::standard(StandardFault::SubLanguageExecutionFault, "branches in an unexpected phase"));
    };
    let (open, succeeded) = match input {
        Input::Resumed(resume) => match resume.outcome {
            Outcome::Received(Payload::Fault(fault)) => {
                forget_race(cx, report);
                return terminate(cx, frame, group, fault);
            }
            Outcome::Received(Payload::Handled) if successful_only => (open.saturating_sub(1), succeeded),
            Outcome::Received(_) => (open.saturating_sub(1), succeeded + 1),
            // the channel is gone: nothing will report any more
            _ => (0, succeeded),
        },
        _ => (open, succeeded),
    };
    frame.phase = Phase::Branches { group, report, open, succeeded, target };
    if succeeded >= target {
        cx.kill_group(group);
        forget_race(cx, report);
        return Act::Done;
    }
    if open == 0 {
        forget_race(cx, report);
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

fn forget_race(cx: &mut StepContext<'_, crate::exec::Deployed>, report: ChannelId) {
    cx.shared_mut().races.retain(|r| r.report != report);
}

/// Terminates a group of branches because of `fault`: kills them, runs the termination handlers of
/// the scopes they were running (innermost first), then propagates the fault.
pub fn terminate(cx: &mut StepContext<'_, crate::exec::Deployed>, frame: &mut Frame, group: crate::runtime::GroupId, fault: Fault) -> Act {
    let pending = running_scopes(cx, group);
    cx.kill_group(group);
    if pending.is_empty() {
        return Act::Fault(fault);
    }
    frame.phase = Phase::Terminating { pending, fault };
    Act::Again
}

/// The scope instances running their main activity in the tasklets of `group`, innermost first.
fn running_scopes(cx: &StepContext<'_, crate::exec::Deployed>, group: crate::runtime::GroupId) -> Vec<crate::exec::EnvId> {
    let mut out = Vec::new();
    for tasklet in cx.group_tasklets(group).into_iter().rev() {
        let Some(frames) = cx.frames_of(tasklet) else { continue };
        for frame in frames.iter().rev() {
            if let Phase::Scope(crate::exec::ScopePhase { own, stage: crate::exec::ScopeStage::Body, .. }) = &frame.phase {
                if frame.activity != crate::exec::PROCESS {
                    out.push(*own);
                }
            }
        }
    }
    out
}

/// Steps a [`Phase::Terminating`] frame: the next termination handler, then the fault.
pub fn terminate_step(cx: &mut StepContext<'_, crate::exec::Deployed>, frame: &mut Frame, _input: Input) -> Act {
    let Phase::Terminating { pending, fault } = &mut frame.phase else { return Act::Done };
    if pending.is_empty() {
        return Act::Fault(fault.clone());
    }
    let own = pending.remove(0);
    let Some(env) = cx.shared().env(own) else { return Act::Again };
    let (Some(scope), parent) = (env.scope, env.parent.unwrap_or(own)) else { return Act::Again };
    Act::Push(Frame {
        activity: scope,
        env: parent,
        phase: Phase::Scope(crate::exec::ScopePhase { own, stage: crate::exec::ScopeStage::Terminate, handlers: None }),
    })
}
