//! Executable semantics: WS-BPEL 2.0 activities as state machines on the tasklet runtime.
//!
//! A deployed process ([`Deployed`]) is the runtime's [`Program`]. Each tasklet's stack holds
//! [`Frame`]s: one activity in progress each, with the scope instance ([`EnvId`]) it runs in and its
//! progress ([`Phase`]). One step looks at the top frame and does what that kind of activity does
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
pub mod deploy;
pub mod engine;
pub mod fit;
pub mod inspect;
pub mod links;
pub mod scenario;
pub mod state;
pub mod time;

use serde::{Deserialize, Serialize};

use crate::fault::Fault;
use crate::model::process::ActivityId;
use crate::runtime::{ChannelId, GroupId, Op, Program, Resume, Step, StepContext};
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
    pub phase: Phase,
}

/// How far an activity has come. Most kinds need a counter; the concurrent ones remember their
/// group and report channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Phase {
    /// Not started: incoming links not yet looked at.
    Start,
    /// Skipped by its join condition (dead path): completes without running.
    Skipped,
    /// Links done, the activity itself has not begun.
    Ready,
    /// A counter: the sequence's next child, a loop's state, which branch an if or a pick took...
    At(u32),
    /// Waiting for the operation it blocked on.
    Waiting(u32),
    /// Spawned branches that report on `report`: `open` still running, `succeeded` completed;
    /// done when `succeeded` reaches `target` (a forEach's completion condition; `u32::MAX`: none).
    Branches { group: GroupId, report: ChannelId, open: u32, succeeded: u32, target: u32 },
    /// A serial forEach: the next counter value, the last, how many iterations completed, and the
    /// completion condition's target (`u32::MAX`: none).
    Counter { next: u64, last: u64, succeeded: u32, target: u32, current: Option<EnvId> },
    /// A scope: its own scope instance, what it is doing, its event handlers.
    Scope(ScopePhase),
    /// The bottom frame of a spawned branch: report the end of the frame above on `report`.
    Branch { report: ChannelId },
    /// Run the compensation handlers of these scope instances, first in the list first.
    Compensating { pending: Vec<EnvId> },
    /// Run the termination handlers of these scope instances (terminated with their branches),
    /// then propagate the fault that terminated them.
    Terminating { pending: Vec<EnvId>, fault: Fault },
    /// An onEvent of a scope's event handlers (by index), spawning a handler per message into the
    /// event handlers' group.
    Event { index: u32, group: GroupId, report: ChannelId },
    /// An onAlarm of a scope's event handlers (by index); `fired` once its activity runs.
    Alarm { index: u32, fired: bool },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopePhase {
    pub own: EnvId,
    pub stage: ScopeStage,
    /// With event handlers, the body runs as a tasklet of their group: the group, the channel
    /// the event handlers report on, and the body's.
    pub handlers: Option<(GroupId, ChannelId, ChannelId)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeStage {
    /// The scope instance exists (made by a forEach or onEvent that set its first variable), the
    /// body has not started.
    Init,
    /// The main activity runs.
    Body,
    /// A fault handler runs.
    Handling,
    /// The default fault handler compensates the children; the fault is rethrown after.
    Defaulting,
    /// Asked to compensate: the compensation handler (explicit or default) is about to run.
    Compensate,
    /// The compensation handler runs.
    Compensating,
    /// Terminated: the termination handler (explicit or default) is about to run.
    Terminate,
    /// The termination handler runs; its faults go nowhere.
    Terminating,
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
                Act::Push(child) => cx.push(child),
                Act::Yield => return Step::Yield,
                Act::Block(op) => return Step::Block(op),
                Act::Choose(ops) => return Step::Choose(ops),
                // Again steps the frame at once; Done and Fault left above
                Act::Again | Act::Done | Act::Fault(_) => {}
            }
        }
    }
}
