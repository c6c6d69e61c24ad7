//! One file per activity kind: what a step of that kind does. [`step`] handles what every activity
//! shares (incoming links, a skipped activity) and dispatches on the kind.

mod assign;
mod branches;
mod compensate;
mod flow;
mod for_each;
mod if_;
mod invoke;
mod loops;
mod messaging;
mod pick;
mod receive;
mod reply;
mod scope;
mod sequence;
mod throw;
mod wait;

use super::links::{self, Gate};
use super::state::View;
use super::{Act, Deployed, EnvId, Frame, FrameState, Input, PROCESS};
use crate::fault::{Fault, StandardFault};
use crate::model::process::{ActivityId, ActivityKind, Expression};
use crate::runtime::StepContext;
use crate::xml::{evaluate_boolean, evaluate_string, evaluate_unsigned};

pub use branches::{BranchState, Branches};
pub use for_each::{ForEachState, SerialState};
pub use if_::IfState;
pub use invoke::InvokeState;
pub use loops::LoopState;
pub use pick::PickState;
pub use receive::ReceiveState;
pub use scope::{start_frame, CompensatingState, EventHandlerState, RunningHandlers, ScopeStage, ScopeState, TerminatingState};
pub use sequence::SequenceState;
pub use wait::WaitState;

/// A fresh frame for `activity` in scope instance `env`.
pub fn frame(activity: ActivityId, env: EnvId) -> Frame {
    Frame { activity, env, state: FrameState::Start }
}

pub fn step(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &mut Frame, mut input: Input) -> Act {
    match frame.state {
        FrameState::Start => {
            match links::gate(d, cx, frame) {
                Gate::Open => {}
                Gate::Wait(op) => return Act::Block(op),
                Gate::Skip => {
                    links::eliminate(d, cx, Some(frame.activity), frame.env);
                    frame.state = FrameState::Skipped;
                    return Act::Done;
                }
                Gate::Fail(fault) => return Act::Fault(fault),
            }
            frame.state = FrameState::Ready;
            input = Input::None;
        }
        FrameState::Skipped => return Act::Done,
        FrameState::Branch(BranchState { report }) => return branches::branch_step(cx, frame, report, input),
        FrameState::Terminating(_) => return scope::terminate_step(cx, frame),
        // a scope (or an invoke's implicit scope) asked to compensate or terminate
        FrameState::Scope(_) => return scope::step(d, cx, frame, input),
        _ => {}
    }
    if frame.activity == PROCESS {
        return scope::step(d, cx, frame, input);
    }
    match &d.process().activity(frame.activity).kind {
        ActivityKind::Empty => Act::Done,
        ActivityKind::Exit => {
            let main = cx.main();
            cx.kill(main, true);
            Act::Done
        }
        ActivityKind::Receive(receive) => receive::step(d, cx, frame, input, receive),
        ActivityKind::Reply(reply) => reply::step(d, cx, frame, reply),
        ActivityKind::Invoke(invoke) => invoke::step(d, cx, frame, input, invoke),
        ActivityKind::Assign(assign) => assign::assign(d, cx, frame, assign),
        ActivityKind::Validate(validate) => assign::validate(d, cx, frame, validate),
        ActivityKind::Throw(throw) => throw::throw(d, cx, frame, throw),
        ActivityKind::Rethrow => throw::rethrow(cx, frame),
        ActivityKind::Wait(timer) => wait::step(d, cx, frame, input, timer),
        ActivityKind::Compensate => compensate::compensate_all(cx, frame, input),
        ActivityKind::CompensateScope(target) => compensate::compensate_scope(d, cx, frame, input, target),
        ActivityKind::Sequence(children) => sequence::step(frame, input, children),
        ActivityKind::If(if_) => if_::step(d, cx, frame, input, if_),
        ActivityKind::While(while_) => loops::while_step(d, cx, frame, input, while_),
        ActivityKind::RepeatUntil(repeat) => loops::repeat_step(d, cx, frame, input, repeat),
        ActivityKind::ForEach(for_each) => for_each::step(d, cx, frame, input, for_each),
        ActivityKind::Pick(pick) => pick::step(d, cx, frame, input, pick),
        ActivityKind::Flow(flow) => flow::step(d, cx, frame, input, flow),
        ActivityKind::Scope(_) => scope::step(d, cx, frame, input),
        ActivityKind::Extension(_) => Act::Fault(Fault::standard(
            StandardFault::SubLanguageExecutionFault,
            "extension activities are not supported by this engine (mustUnderstand extensions are refused at deployment)",
        )),
    }
}

/// A child's fault propagates; its completion is handed to `next`.
fn on_child(input: &Input) -> Option<Act> {
    match input {
        Input::Child(Err(fault)) => Some(Act::Fault(fault.clone())),
        _ => None,
    }
}

pub(crate) fn condition(
    d: &Deployed,
    cx: &mut StepContext<'_, Deployed>,
    env: EnvId,
    expression: Option<&Expression>,
) -> Result<bool, Fault> {
    let Some(expression) = expression else { return Ok(false) };
    let compiled = d.compiled.expression(d.unit.file, expression, &d.process().namespaces);
    let view = View { deployed: d, state: cx.shared_mut(), env };
    evaluate_boolean(&compiled, &view, d.xpath_env())
}

pub(crate) fn string(d: &Deployed, cx: &mut StepContext<'_, Deployed>, env: EnvId, expression: &Expression) -> Result<String, Fault> {
    let compiled = d.compiled.expression(d.unit.file, expression, &d.process().namespaces);
    let view = View { deployed: d, state: cx.shared_mut(), env };
    evaluate_string(&compiled, &view, d.xpath_env())
}

pub(crate) fn unsigned(d: &Deployed, cx: &mut StepContext<'_, Deployed>, env: EnvId, expression: &Expression) -> Result<u32, Fault> {
    let compiled = d.compiled.expression(d.unit.file, expression, &d.process().namespaces);
    let view = View { deployed: d, state: cx.shared_mut(), env };
    evaluate_unsigned(&compiled, &view, d.xpath_env())
}
