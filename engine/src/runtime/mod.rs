//! The tasklet runtime: serializable coroutines, rendezvous channels, a deterministic scheduler, clocks,
//! and the instance boundary (events in, effects out).
//!
//! It knows nothing of BPEL. A [`Program`] (the BPEL activities, later; toy programs in the tests) says
//! what one step of a tasklet does; an [`Instance`] holds everything else, as plain data:
//!
//! - **tasklets**: an id and a stack of frames (`Program::Frame`). The scheduler calls
//!   [`Program::step`] for the runnable tasklet at the head of its FIFO run queue; the step looks at the
//!   top frame through its [`StepContext`], may push, pop or replace frames, spawn tasklets, create
//!   channels, kill tasklets, emit effects, and returns a [`Step`]: go on, yield, block on an [`Op`]
//!   (or a choice of several), finish, or fault the instance.
//! - **channels**: capacity 0, Stackless semantics. A send waits until a receiver takes the value, a
//!   receive until a sender comes; waiters queue FIFO; [`Instance::balance`] is the number of waiting
//!   senders minus waiting receivers. A choice ([`Step::Choose`]) over several operations (sends,
//!   receives, a timer, an inbound message, an invoke answer, a join) is atomic: the first operation
//!   that can complete wins (in arm order if several can at once), the others are withdrawn.
//! - **timers**, inbound messages not yet received, open invokes, groups of spawned tasklets (for
//!   joins), and the effects not yet drained.
//!
//! A blocking operation that completes leaves its result in the tasklet's resume slot
//! ([`StepContext::resume`]): which arm won and the [`Outcome`] (the value received, the timer fired,
//! the message or answer that arrived...). If it can complete at once, the tasklet keeps running and
//! its next step reads the result; otherwise the tasklet blocks and the step after its wake-up reads it.
//! Of the two parties to a rendezvous, the one that arrives second keeps running; the one that waited
//! is appended to the run queue.
//!
//! # Architecture invariants
//!
//! - **No I/O, no wall clock, no randomness.** The only way in is [`Instance::deliver`] (and the time
//!   a [`Clock`] gives [`Instance::run`]); the only way out is the effect list
//!   ([`Instance::drain_effects`]). `clock.rs` is the one file that reads the system time
//!   (`SystemClock`); a test (`engine/tests/runtime_purity.rs`) scans this folder to keep it so.
//! - **Deterministic.** No hash maps, no iteration over unordered collections: given the same
//!   program, the same events and the same clock readings, an instance makes the same moves, and
//!   slicing a run into smaller budgets (or checkpointing between any two steps) changes nothing.
//! - **The instance is data.** It never holds the program, closures or references; it serializes with
//!   serde (see [`crate::checkpoint`] for the file format) and a restored instance continues exactly.
//! - **No panic from data.** Ids in frames may be stale (a dropped channel, a finished tasklet):
//!   operations on them answer ([`Outcome::Closed`], `None`, `false`), they never panic. A deserialized
//!   instance is checked for consistency before it is used ([`Instance::validate`]).
//!
//! # Time
//!
//! Time moves only when the instance is idle: [`Instance::run`] first runs what is runnable, at the
//! instance's current time; when nothing is left it moves to the earliest timer due at or before the
//! clock's time, fires every timer due then (in creation order), runs what they woke, and so on; when
//! nothing more is due, its time becomes the clock's. So one `advance` of a [`VirtualClock`] by three
//! days followed by a run is the same as advancing hour by hour. A host delivers events to an instance
//! that it has run up to the current time, so that the woken tasklets see that time.

mod clock;
mod core;
mod decode;
mod frames;
mod ids;
mod instance;
mod ops;
mod queue;
mod validate;

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use self::clock::{Clock, SystemClock, Timestamp, VirtualClock};
pub use self::frames::Frames;
pub use self::ids::{ChannelId, ExchangeId, GroupId, RequestId, TaskletId, TimerId};
pub use self::instance::{ChannelError, Instance, StepContext, Tasklet};
pub use self::validate::InvalidState;

/// What a tasklet does, one step at a time. The program is the immutable definition (for BPEL: the
/// process model); it is passed to [`Instance::run`] by reference and never stored in the instance.
pub trait Program {
    /// One entry of a tasklet's stack: for BPEL, one activity in progress (its `ActivityId` and its
    /// progress).
    type Frame: Clone + Debug + Serialize + DeserializeOwned;
    /// What travels over channels, in messages and in effects.
    type Value: Clone + Debug + PartialEq + Serialize + DeserializeOwned;
    /// What names a partner endpoint: the key an inbound message waits on, an invoke's target.
    type Key: Clone + Debug + PartialEq + Serialize + DeserializeOwned;
    /// What the instance's tasklets share besides channels (for BPEL: scope instances with their
    /// variables, links, correlation sets). Saved with the instance, after the runtime's own state, so
    /// a `()` state adds no byte to a checkpoint.
    type State: Clone + Debug + Default + Serialize + DeserializeOwned;

    /// The oldest checkpoint format version whose body this program's frames, values, keys and
    /// state still decode from (raise it when their layout changes; see `checkpoint::FORMAT_VERSION`).
    const OLDEST_READABLE_FORMAT: u16 = 1;

    /// Advances the running tasklet. `cx` gives its frames (the top one is the current), the result
    /// of the operation it blocked on (if any), and the operations on the instance.
    fn step(&self, cx: &mut StepContext<'_, Self>) -> Step<Self::Value, Self::Key>;
}

/// What the tasklet does after a step.
#[derive(Clone, Debug, PartialEq)]
pub enum Step<V, K> {
    /// Keep running: the scheduler steps this tasklet again (budget permitting). With an empty frame
    /// stack the tasklet finishes.
    Continue,
    /// Go to the back of the run queue. With an empty frame stack the tasklet finishes.
    Yield,
    /// Perform one operation; if it cannot complete now, block until it can.
    Block(Op<V, K>),
    /// Perform the first of these operations that can complete (arm order on a tie); the others are
    /// withdrawn. The resume slot says which arm won. At most 65,536 arms; further arms are ignored.
    Choose(Vec<Op<V, K>>),
    /// The tasklet is done (its frames are dropped). When the main tasklet finishes, the instance is
    /// complete: every other tasklet is killed and [`Effect::Completed`] is emitted.
    Finish,
    /// The instance faults: every tasklet is killed and [`Effect::Faulted`] carries the value.
    Fault(V),
}

/// A blocking operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Op<V, K> {
    /// Offer a value on a channel; completes with [`Outcome::Sent`] when a receiver takes it.
    Send(ChannelId, V),
    /// Take a value from a channel: [`Outcome::Received`].
    Recv(ChannelId),
    /// Wait this many milliseconds from the instance's current time: [`Outcome::TimerFired`].
    Sleep(u64),
    /// Wait until this time: [`Outcome::TimerFired`] (at once if it has passed).
    Until(Timestamp),
    /// Wait for an inbound message on this key: [`Outcome::Message`]. A message that arrived before
    /// anyone waited for it is taken from the inbox at once.
    Message(K),
    /// Wait for the answer to an invoke ([`StepContext::invoke`]): [`Outcome::Answered`] or
    /// [`Outcome::Failed`].
    Answer(RequestId),
    /// Wait until every tasklet of a group has finished or been killed: [`Outcome::Joined`].
    Join(GroupId),
}

/// How a blocking operation completed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Outcome<V> {
    /// A receiver took the value sent.
    Sent,
    /// The value a sender offered.
    Received(V),
    /// The timer is due.
    TimerFired,
    /// An inbound message; `exchange` is what a reply names.
    Message { value: V, exchange: ExchangeId },
    /// The answer to an invoke.
    Answered(V),
    /// The invoke failed (a fault from the partner, or the edge could not reach it).
    Failed(V),
    /// Every tasklet of the group is done.
    Joined,
    /// The operation cannot complete, ever: the channel does not exist (dropped, or never created),
    /// the request is unknown or already awaited.
    Closed,
}

/// The resume slot: which arm of the blocking operation completed (0 for [`Step::Block`]) and how.
#[derive(Clone, Debug, PartialEq)]
pub struct Resume<V> {
    pub arm: u32,
    pub outcome: Outcome<V>,
}

/// What comes into an instance from outside.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Event<V, K> {
    /// A message for the tasklet waiting on `key` (kept in the inbox until one does).
    Message { key: K, value: V, exchange: ExchangeId },
    /// A timer the instance set is due (the host's timer went off). Timers also fire on their own
    /// when [`Instance::run`] sees the clock past their due time; a stale or repeated id is ignored.
    TimerFired(TimerId),
    /// The answer to an invoke.
    Answered { request: RequestId, value: V },
    /// An invoke failed.
    Failed { request: RequestId, fault: V },
}

/// What an instance asks of the outside world; the host drains them ([`Instance::drain_effects`]) and
/// performs them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Effect<V, K> {
    /// Answer the inbound message of `exchange` (with a fault if `fault`).
    Reply { exchange: ExchangeId, value: V, fault: bool },
    /// Call a partner. Unless `one_way`, the answer comes back as [`Event::Answered`] or
    /// [`Event::Failed`] naming `request`.
    Invoke { request: RequestId, target: K, value: V, one_way: bool },
    /// A tasklet waits on a timer due at `due`.
    TimerSet { timer: TimerId, due: Timestamp },
    /// The timer is no longer needed (its waiter was killed, or another arm of its choice won).
    TimerCancelled { timer: TimerId },
    /// The main tasklet finished.
    Completed,
    /// A step faulted the instance.
    Faulted(V),
    /// The main tasklet was killed (for BPEL: `exit`).
    Terminated,
}

/// Effects and events of a program.
pub type EffectOf<P> = Effect<<P as Program>::Value, <P as Program>::Key>;
pub type EventOf<P> = Event<<P as Program>::Value, <P as Program>::Key>;
pub type StepOf<P> = Step<<P as Program>::Value, <P as Program>::Key>;
pub type OpOf<P> = Op<<P as Program>::Value, <P as Program>::Key>;

/// What [`Instance::deliver`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A waiting tasklet was woken (it is at the back of the run queue).
    Woke(TaskletId),
    /// Nobody waits yet: the message (or answer) is kept until someone does.
    Buffered,
    /// Nothing to do: a stale timer, an unknown or already answered request, an instance that ended.
    Ignored,
}

/// Why [`Instance::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Nothing is runnable and no timer is due by the clock: waiting for events or time.
    Idle,
    /// The step budget is spent and work remains; run again to continue.
    BudgetExhausted,
    /// The instance has ended (completed, faulted or terminated).
    Finished,
}

/// Where an instance stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstanceStatus {
    Running,
    Completed,
    Faulted,
    Terminated,
}

impl std::fmt::Display for InstanceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InstanceStatus::Running => "running",
            InstanceStatus::Completed => "completed",
            InstanceStatus::Faulted => "faulted",
            InstanceStatus::Terminated => "terminated",
        })
    }
}

/// What a tasklet is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskletState {
    /// In the run queue, or running.
    Runnable,
    /// Waiting for an operation to complete.
    Blocked(BlockedOn),
    Finished,
    Killed,
}

/// One operation a blocked tasklet waits on, with what the instance knows of it: one per arm of
/// its choice ([`Instance::awaiting`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Awaiting<'a, K> {
    Send(ChannelId),
    Recv(ChannelId),
    Timer { timer: TimerId, due: Timestamp },
    Message(&'a K),
    Answer(RequestId),
    Join(GroupId),
}

/// What a blocked tasklet waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockedOn {
    Send(ChannelId),
    Recv(ChannelId),
    Timer(TimerId),
    Message,
    Answer(RequestId),
    Join(GroupId),
    /// A choice of this many arms.
    Choice(u32),
}
