//! Executable semantics: WS-BPEL 2.0 activities as state machines on the tasklet runtime.
//!
//! A deployed process ([`Deployed`]) is the runtime's [`Program`]. Each tasklet's stack holds
//! [`Frame`]s: one activity in progress each, with the scope instance ([`EnvId`]) it runs in and its
//! progress ([`FrameState`], whose variants each activity kind defines for itself). One step looks at the top frame and does what that kind of activity does
//! ([`activities`], one kind per file); the result is an [`Act`]: push a child, complete, fault,
//! block on an operation... A child's completion (or fault) is handed to its parent frame in the same
//! step, so a result is never left lying around between steps.
//!
//! What the tasklets of an instance share is [`state::ProcessState`]: scope instances with their
//! variables, partner link endpoints, correlation sets and link statuses, the open message exchanges,
//! and the installed compensation handlers. All of it is data, so an instance checkpoints anywhere.
//!
//! Concurrency: a flow's branches, a parallel forEach's iterations and a scope's event handlers are
//! tasklets spawned into a group. Each branch reports its end (done, or the fault it did not handle)
//! on a rendezvous channel to the tasklet that spawned it, which kills the rest of the group when one
//! faults (or when a completion condition holds). `exit` kills the main tasklet, which ends them all.
//!
//! [`engine::Engine`] is the facade the command line, the REPL, the language server and `serve` use.

pub mod activities;
pub mod debug;
pub mod deploy;
pub mod engine;
pub mod fit;
pub mod inspect;
pub mod links;
pub mod messages;
pub mod observer;
pub mod run_in_place;
pub mod sample;
pub mod scenario;
pub mod state;
pub mod time;

use serde::{Deserialize, Serialize};

use crate::fault::Fault;
use crate::model::process::ActivityId;
use crate::runtime::{Op, Program, Resume, Step, StepContext};
use crate::xml::Message;

pub use crate::runtime::{ExchangeId, RequestId};
pub use deploy::{DeployError, Deployed};
pub use engine::{Engine, InstanceId, Invocation, ProcessId, Reply, SendError};
pub use state::{EnvId, ProcessState};

/// The pseudo activity id of the process itself (its scope, handlers and main activity).
pub const PROCESS: ActivityId = ActivityId(u32::MAX);

/// What names an inbound message's destination inside an instance and an invoke's target: the
/// partner link and the operation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageKey {
    pub partner_link: String,
    pub operation: String,
}

/// What travels over channels, in messages and in effects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Payload {
    /// A WSDL message: inbound, a reply, an invoke's answer.
    Message(Message),
    /// A fault: a branch's unhandled fault, a reply's or a partner's fault, the instance's end.
    Fault(Fault),
    /// An invoke's request, with the partner's address when the process knows one.
    Request { address: Option<String>, message: Message },
    /// A branch completed.
    Done,
    /// A branch completed by handling a fault (not a successful branch for a completion condition).
    Handled,
}

/// One activity in progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub activity: ActivityId,
    /// The scope instance the activity runs in.
    pub env: EnvId,
    pub state: FrameState,
}

/// How far a frame's activity has come: the start every activity shares (its incoming links),
/// then the state of its kind, each defined beside the kind's semantics in [`activities`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FrameState {
    /// Not started: incoming links not yet looked at.
    Start,
    /// Skipped by its join condition (dead path): completes without running.
    Skipped,
    /// Links done, the activity itself has not begun.
    Ready,
    Sequence(activities::SequenceState),
    If(activities::IfState),
    Loop(activities::LoopState),
    Receive(activities::ReceiveState),
    Pick(activities::PickState),
    Invoke(activities::InvokeState),
    Wait(activities::WaitState),
    Flow(activities::Branches),
    ForEach(activities::ForEachState),
    /// A scope, the process, or an invoke's implicit scope asked to compensate or terminate.
    Scope(activities::ScopeState),
    /// An onEvent or onAlarm of a scope's event handlers.
    EventHandler(activities::EventHandlerState),
    /// The bottom frame of a spawned branch: reports the end of the frame above.
    Branch(activities::BranchState),
    /// Running compensation handlers, one scope instance after the other.
    Compensating(activities::CompensatingState),
    /// Running the termination handlers of a terminated group's scopes, then the fault.
    Terminating(activities::TerminatingState),
}

impl Frame {
    /// Every scope instance the frame refers to (for the collector of finished scope instances and
    /// for checking a restored instance).
    pub fn env_ids(&self) -> impl Iterator<Item = EnvId> + '_ {
        let held: &[EnvId] = match &self.state {
            FrameState::Scope(scope) => std::slice::from_ref(&scope.own),
            FrameState::ForEach(activities::ForEachState::Serial(serial)) => serial.current.as_slice(),
            FrameState::Compensating(c) => &c.pending,
            FrameState::Terminating(t) => &t.pending,
            _ => &[],
        };
        std::iter::once(self.env).chain(held.iter().copied())
    }
}

/// What a step's input is: nothing (a fresh or continuing frame), the result of the operation the
/// tasklet blocked on, or how the child frame ended.
#[derive(Debug)]
pub enum Input {
    None,
    Resumed(Resume<Payload>),
    Child(Result<(), Fault>),
}

/// What an activity's step asks for.
#[derive(Debug)]
pub enum Act {
    /// Push this frame and run it; its end comes back as [`Input::Child`].
    Push(Frame),
    /// The activity is complete.
    Done,
    /// The activity faulted.
    Fault(Fault),
    /// Block on one operation (the result comes back as [`Input::Resumed`]).
    Block(Op<Payload, MessageKey>),
    /// Block on the first of several operations.
    Choose(Vec<Op<Payload, MessageKey>>),
    /// Step the same frame again at once (its phase changed).
    Again,
    /// Let other tasklets run first, then step this frame again.
    Yield,
}

/// How many frames one step may advance before it yields to the scheduler (fairness between
/// tasklets; a long `while` does not hold the instance).
const FRAMES_PER_STEP: u32 = 64;

impl Program for Deployed {
    type Frame = Frame;
    type Value = Payload;
    type Key = MessageKey;
    type State = ProcessState;
    /// Format 2 typed the activity states and made scope instances reusable slots.
    const OLDEST_READABLE_FORMAT: u16 = 2;

    fn step(&self, cx: &mut StepContext<'_, Self>) -> Step<Payload, MessageKey> {
        let mut input = cx.resume().map_or(Input::None, Input::Resumed);
        let mut budget = FRAMES_PER_STEP;
        loop {
            let Some(frame) = cx.frame().cloned() else {
                return Step::Finish;
            };
            if budget == 0 && matches!(input, Input::None) {
                return Step::Continue;
            }
            budget = budget.saturating_sub(1);
            let mut frame = frame;
            let passed_on = matches!(input, Input::Child(Err(_)));
            let act = match activities::step(self, cx, &mut frame, input) {
                Act::Done => {
                    cx.pop();
                    links::completed(self, cx, &frame);
                    if cx.frames().is_empty() {
                        return Step::Finish;
                    }
                    input = Input::Child(Ok(()));
                    continue;
                }
                Act::Fault(fault) => {
                    if let Some(observer) = &self.observer {
                        observer.faulted(frame.activity, &fault, passed_on);
                    }
                    cx.pop();
                    if cx.frames().is_empty() {
                        return Step::Fault(Payload::Fault(fault));
                    }
                    input = Input::Child(Err(fault));
                    continue;
                }
                act => act,
            };
            // the frame stays on the stack: keep its progress
            if let Some(top) = cx.frame_mut() {
                *top = frame;
            }
            input = Input::None;
            match act {
                Act::Push(child) => {
                    let pause = self.observer.as_ref().is_some_and(|o| o.pause_before(child.activity));
                    cx.push(child);
                    if pause {
                        return Step::Continue;
                    }
                }
                Act::Yield => return Step::Yield,
                Act::Block(op) => return Step::Block(op),
                Act::Choose(ops) => return Step::Choose(ops),
                // Again steps the frame at once; Done and Fault left above
                Act::Again | Act::Done | Act::Fault(_) => {}
            }
        }
    }
}
