//! [`Instance`]: the public face of an instance's state, its scheduler (the run loop), and the
//! [`StepContext`] a step works through.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::clock::{Clock, Timestamp};
use super::core::{is_extra, Core, RegKind, Request, Slot, TState, TaskletSlot, EXTRA};
use super::decode::Reader;
use super::frames::Frames;
use super::ids::{ChannelId, ExchangeId, GroupId, RequestId, TaskletId, TimerId, NONE};
use super::queue::RunQueue;
use super::validate::InvalidState;
use super::{
    Awaiting, BlockedOn, Delivery, Effect, EffectOf, EventOf, InstanceStatus, Outcome, Program, Resume, RunOutcome, Step, TaskletState,
};

/// One process instance: tasklets, channels, timers, inbox, open invokes, pending effects. Pure data:
/// it serializes ([`crate::checkpoint`]) and knows its program only while [`Instance::run`] is given it.
pub struct Instance<P: Program> {
    pub(crate) core: Core<P::Frame, P::Value, P::Key>,
    pub(crate) state: P::State,
}

/// A live tasklet, as seen from outside.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tasklet<'a, F> {
    pub id: TaskletId,
    /// Bottom first; the last is the frame its next step works on.
    pub frames: &'a [F],
    pub state: TaskletState,
}

/// Why a channel cannot be dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    #[error("channel {0} does not exist (dropped already, or never created)")]
    NoSuchChannel(ChannelId),
    #[error("channel {channel} has waiters ({senders} senders, {receivers} receivers)")]
    Busy { channel: ChannelId, senders: u32, receivers: u32 },
}

impl<P: Program> Instance<P> {
    /// A new instance whose main tasklet starts with the frame `main`, at time `now`. The instance is
    /// complete when its main tasklet finishes.
    pub fn new(main: P::Frame, now: Timestamp) -> Instance<P> {
        Instance { core: Core::new(main, now), state: P::State::default() }
    }

    /// What the tasklets share ([`Program::State`]).
    pub fn shared(&self) -> &P::State {
        &self.state
    }

    pub fn shared_mut(&mut self) -> &mut P::State {
        &mut self.state
    }

    pub fn main(&self) -> TaskletId {
        self.core.main
    }

    pub fn status(&self) -> InstanceStatus {
        self.core.status
    }

    /// The instance's own time: moves toward the clock's only when it is idle (see the module doc).
    pub fn now(&self) -> Timestamp {
        self.core.now
    }

    /// Runs steps until nothing is runnable and no timer is due by `clock`, the instance ends, or
    /// `budget` steps have been taken. Deterministic: the same state, program and clock reading give
    /// the same moves, and two runs of budgets `a` and `b` do what one run of `a + b` does.
    pub fn run<C: Clock + ?Sized>(&mut self, program: &P, clock: &C, budget: u64) -> RunOutcome {
        let target = clock.now();
        let core = &mut self.core;
        let state = &mut self.state;
        let mut budget = budget;
        loop {
            if core.status != InstanceStatus::Running {
                return RunOutcome::Finished;
            }
            let slot = loop {
                match core.queue.pop_front() {
                    None => break NONE,
                    Some(s) if core.tasklets[s as usize].flags.is(TState::Dying) => core.release_dying(s),
                    Some(s) => break s,
                }
            };
            if slot == NONE {
                if core.fire_next_timers(target) {
                    continue;
                }
                core.now = core.now.max(target);
                if core.queue.capacity() > 4096 {
                    // a burst of spawns is over: give back its run queue
                    core.queue = RunQueue::new();
                }
                return RunOutcome::Idle;
            }
            if budget == 0 {
                core.queue.push_front(slot);
                return RunOutcome::BudgetExhausted;
            }
            loop {
                budget -= 1;
                if !step_tasklet(core, state, program, slot) {
                    break;
                }
                if budget == 0 {
                    core.queue.push_front(slot);
                    return RunOutcome::BudgetExhausted;
                }
            }
        }
    }

    /// An event from outside: wakes the tasklet waiting for it, or keeps it (a message, an answer)
    /// until one waits. The woken tasklet runs at the next [`Instance::run`].
    pub fn deliver(&mut self, event: EventOf<P>) -> Delivery {
        self.core.deliver(event)
    }

    /// The effects emitted since the last drain, in order.
    pub fn drain_effects(&mut self) -> std::vec::Drain<'_, EffectOf<P>> {
        self.core.effects.drain(..)
    }

    /// The effects not yet drained.
    pub fn effects(&self) -> &[EffectOf<P>] {
        &self.core.effects
    }

    /// A top-level tasklet (in no group) at the back of the run queue; `None` once the instance ended.
    pub fn spawn(&mut self, frame: P::Frame) -> Option<TaskletId> {
        (self.core.status == InstanceStatus::Running).then(|| self.core.spawn(NONE, Frames::One(frame)))
    }

    /// A new channel (steps create theirs through [`StepContext::new_channel`]).
    pub fn new_channel(&mut self) -> ChannelId {
        self.core.new_channel()
    }

    /// Kills a tasklet (and with `tree` its descendants); killing the main tasklet terminates the
    /// instance. False if it was not alive.
    pub fn kill(&mut self, id: TaskletId, tree: bool) -> bool {
        self.core.kill(id, tree)
    }

    /// A tasklet's state: `None` for an id whose slot has been reused (or never existed).
    pub fn state(&self, id: TaskletId) -> Option<TaskletState> {
        let t = self.core.tasklets.get(id.slot() as usize)?;
        (t.gen == id.gen()).then(|| tasklet_state(&self.core, id.slot()))
    }

    pub fn tasklet(&self, id: TaskletId) -> Option<Tasklet<'_, P::Frame>> {
        let state = self.state(id)?;
        Some(Tasklet { id, frames: self.core.tasklets[id.slot() as usize].frames.as_slice(), state })
    }

    /// What a blocked tasklet waits on, in arm order (one entry unless it blocked on a choice);
    /// empty if it is not blocked or the id is stale.
    pub fn awaiting(&self, id: TaskletId) -> Vec<Awaiting<'_, P::Key>> {
        let core = &self.core;
        let Some(slot) = core.alive(id) else { return Vec::new() };
        let t = &core.tasklets[slot as usize];
        if t.state() != TState::Blocked {
            return Vec::new();
        }
        let mut out = Vec::new();
        if t.kind() != RegKind::Free {
            out.extend(registration(core, slot));
        }
        let mut r = t.extra;
        let mut guard = core.regs.len();
        while r != NONE && guard > 0 {
            guard -= 1;
            out.extend(registration(core, EXTRA | r));
            r = core.regs.get(r as usize).map_or(NONE, |reg| reg.sibling);
        }
        out
    }

    /// The live tasklets (runnable or blocked), in slot order.
    pub fn tasklets(&self) -> impl Iterator<Item = Tasklet<'_, P::Frame>> + '_ {
        self.core.live_ids().map(|id| Tasklet {
            id,
            frames: self.core.tasklets[id.slot() as usize].frames.as_slice(),
            state: tasklet_state(&self.core, id.slot()),
        })
    }

    /// How many tasklets are alive.
    pub fn live_tasklets(&self) -> usize {
        self.core.tasklets.iter().filter(|t| t.is_alive()).count()
    }

    /// How many tasklets are in the run queue.
    pub fn runnable(&self) -> usize {
        self.core.queue.iter().filter(|&s| self.core.tasklets[s as usize].state() == TState::Runnable).count()
    }

    /// Whether an id names a slot of this instance's tasklets, channels or groups (alive or not): an
    /// id past them names nothing that ever existed here (restored state is checked with these).
    pub fn has_tasklet_slot(&self, id: TaskletId) -> bool {
        (id.slot() as usize) < self.core.tasklets.len()
    }

    pub fn has_channel_slot(&self, id: ChannelId) -> bool {
        (id.slot() as usize) < self.core.channels.len()
    }

    pub fn has_group_slot(&self, id: GroupId) -> bool {
        (id.slot() as usize) < self.core.groups.len()
    }

    /// Senders waiting minus receivers waiting; `None` if the channel does not exist.
    pub fn balance(&self, ch: ChannelId) -> Option<i64> {
        self.core.live_channel(ch).map(|c| channel_balance(&self.core, c))
    }

    /// When the next timer is due.
    pub fn next_timer(&self) -> Option<Timestamp> {
        self.core.timers.next_due()
    }

    /// The timers set, in the order they will fire.
    pub fn timers(&self) -> impl Iterator<Item = (TimerId, Timestamp)> + '_ {
        self.core.timers.order.iter().map(|&(due, _, slot)| (TimerId::new(slot, self.core.timers.slots[slot as usize].gen), due))
    }

    /// Messages that arrived before anyone waited for them: (key, value, exchange), oldest first.
    pub fn inbox(&self) -> impl Iterator<Item = (&P::Key, &P::Value, ExchangeId)> + '_ {
        self.core.inbox.iter().map(|m| (&m.key, &m.value, m.exchange))
    }

    /// Reserves room for this many more tasklets and channels (a host that knows its size avoids the
    /// slack of doubling).
    pub fn reserve(&mut self, tasklets: usize, channels: usize) {
        self.core.tasklets.reserve(tasklets);
        self.core.waits.reserve(tasklets);
        self.core.queue.reserve(tasklets);
        self.core.channels.reserve(channels);
    }

    /// Gives back the memory of slabs and queues beyond what they hold now (their free slots stay).
    pub fn shrink_to_fit(&mut self) {
        let c = &mut self.core;
        c.tasklets.shrink_to_fit();
        c.waits.shrink_to_fit();
        c.queue.shrink_to_fit();
        c.regs.shrink_to_fit();
        c.channels.shrink_to_fit();
        c.groups.shrink_to_fit();
        c.effects.shrink_to_fit();
    }

    /// Checks every internal link (done on every restore).
    pub fn validate(&self) -> Result<(), InvalidState> {
        self.core.validate()
    }

    /// Reads an instance from postcard bytes (a checkpoint's body), as `postcard::take_from_bytes`
    /// would deserialize it, but faster (see `decode.rs`); returns it with the bytes after it. It is
    /// not validated: the caller does that.
    pub(crate) fn from_postcard(bytes: &[u8]) -> postcard::Result<(Instance<P>, &[u8])> {
        let mut r = Reader::new(bytes);
        let core = Core::read(&mut r)?;
        let state = r.serde()?;
        Ok((Instance { core, state }, r.rest()))
    }
}

fn channel_balance<F, V, K>(core: &Core<F, V, K>, c: u32) -> i64 {
    let ch = &core.channels[c as usize];
    i64::from(ch.senders) - i64::from(ch.receivers)
}

/// What registration `node` waits on; `None` for a free one.
fn registration<F, V, K>(core: &Core<F, V, K>, node: u32) -> Option<Awaiting<'_, K>> {
    let target = if is_extra(node) { core.regs.get((node & !EXTRA) as usize)?.target } else { core.waits.get(node as usize)?.target };
    let channel = |target: u32| core.channels.get(target as usize).map(|c| ChannelId::new(target, c.gen));
    Some(match core.node_kind(node) {
        RegKind::Send => Awaiting::Send(channel(target)?),
        RegKind::Recv => Awaiting::Recv(channel(target)?),
        RegKind::Timer => {
            let timer = core.timers.slots.get(target as usize)?;
            Awaiting::Timer { timer: TimerId::new(target, timer.gen), due: timer.due }
        }
        RegKind::Message => Awaiting::Message(&core.msg_waits.iter().find(|w| w.reg == node)?.key),
        RegKind::Answer => Awaiting::Answer(core.requests.iter().find(|q| q.waiter == node)?.id),
        RegKind::Join => Awaiting::Join(GroupId::new(target, core.groups.get(target as usize)?.gen)),
        RegKind::Free => return None,
    })
}

fn tasklet_state<F, V, K>(core: &Core<F, V, K>, slot: u32) -> TaskletState {
    let t = &core.tasklets[slot as usize];
    match t.state() {
        TState::Runnable => TaskletState::Runnable,
        TState::Finished => TaskletState::Finished,
        TState::Killed | TState::Dying => TaskletState::Killed,
        TState::Blocked => {
            let kind = t.kind();
            let mut n = u32::from(kind != RegKind::Free);
            let mut r = t.extra;
            while r != NONE && n <= u32::from(u16::MAX) + 1 {
                n += 1;
                r = core.regs[r as usize].sibling;
            }
            if n != 1 || kind == RegKind::Free {
                return TaskletState::Blocked(BlockedOn::Choice(n));
            }
            let target = core.waits[slot as usize].target;
            let on = match kind {
                RegKind::Send => BlockedOn::Send(ChannelId::new(target, core.channels[target as usize].gen)),
                RegKind::Recv => BlockedOn::Recv(ChannelId::new(target, core.channels[target as usize].gen)),
                RegKind::Timer => BlockedOn::Timer(TimerId::new(target, core.timers.slots[target as usize].gen)),
                RegKind::Message => BlockedOn::Message,
                RegKind::Answer => match core.requests.iter().find(|q| q.waiter == slot) {
                    Some(q) => BlockedOn::Answer(q.id),
                    None => BlockedOn::Choice(1),
                },
                RegKind::Join => BlockedOn::Join(GroupId::new(target, core.groups[target as usize].gen)),
                RegKind::Free => BlockedOn::Choice(0),
            };
            TaskletState::Blocked(on)
        }
    }
}

/// One step of tasklet `slot` (just popped from the run queue). True if it keeps running.
#[inline(always)]
fn step_tasklet<P: Program>(core: &mut Core<P::Frame, P::Value, P::Key>, state: &mut P::State, program: &P, slot: u32) -> bool {
    core.running = slot;
    if core.tasklets[slot as usize].frames.is_empty() {
        // nothing left to do (a step popped the last frame and blocked, say)
        core.finish_running(slot);
        return core.done_running(slot);
    }
    // the frames stay where they are: the step reaches them through the context
    let step = program.step(&mut StepContext { core: &mut *core, me: slot, state });
    let t = &mut core.tasklets[slot as usize];
    if !t.flags.is(TState::Runnable) {
        // killed during its own step (by itself, an ancestor's kill, or the instance's end)
        return core.done_running(slot);
    }
    let again = match step {
        // the hot path: `block` replaces whatever the step left in the resume slot, and an empty
        // stack is seen when the tasklet next runs
        Step::Block(op) => core.block(slot, op),
        Step::Continue if !t.frames.is_empty() => {
            if matches!(t.slot, Slot::Resume(_)) {
                t.slot = Slot::Empty; // a result the step did not read
            }
            true
        }
        step => return after_step(core, slot, step),
    };
    core.running = NONE;
    again
}

/// [`step_tasklet`] after a step that did not block on one operation.
#[inline(never)]
fn after_step<F, V, K: PartialEq>(core: &mut Core<F, V, K>, slot: u32, step: Step<V, K>) -> bool {
    let t = &mut core.tasklets[slot as usize];
    if matches!(t.slot, Slot::Resume(_)) {
        t.slot = Slot::Empty; // a result the step did not read
    }
    let finished = t.frames.is_empty();
    let again = match step {
        Step::Continue if !finished => true,
        Step::Yield if !finished => {
            core.queue.push_back(slot);
            false
        }
        Step::Block(op) => core.block(slot, op),
        Step::Choose(ops) => core.choose(slot, ops),
        Step::Continue | Step::Yield | Step::Finish => {
            core.finish_running(slot);
            return core.done_running(slot);
        }
        Step::Fault(v) => {
            core.end(InstanceStatus::Faulted, Effect::Faulted(v));
            return core.done_running(slot);
        }
    };
    core.running = NONE;
    again
}

/// What a step sees and can do: the running tasklet's frames and resume slot, and the operations on
/// the instance.
pub struct StepContext<'a, P: Program + ?Sized> {
    core: &'a mut Core<P::Frame, P::Value, P::Key>,
    me: u32,
    state: &'a mut P::State,
}

impl<P: Program + ?Sized> StepContext<'_, P> {
    /// The running tasklet.
    pub fn id(&self) -> TaskletId {
        self.core.tasklet_id(self.me)
    }

    /// The instance's time.
    pub fn now(&self) -> Timestamp {
        self.core.now
    }

    /// The main tasklet: killing it terminates the instance.
    pub fn main(&self) -> TaskletId {
        self.core.main
    }

    /// What the tasklets share ([`Program::State`]).
    pub fn shared(&self) -> &P::State {
        self.state
    }

    pub fn shared_mut(&mut self) -> &mut P::State {
        self.state
    }

    fn me(&self) -> &TaskletSlot<P::Frame, P::Value> {
        &self.core.tasklets[self.me as usize]
    }

    fn me_mut(&mut self) -> &mut TaskletSlot<P::Frame, P::Value> {
        &mut self.core.tasklets[self.me as usize]
    }

    /// Takes the result of the blocking operation that woke this tasklet (or completed at once);
    /// `None` if the last step did not block. Unread, it is dropped after this step.
    pub fn resume(&mut self) -> Option<Resume<P::Value>> {
        let t = self.me_mut();
        match std::mem::take(&mut t.slot) {
            Slot::Resume(outcome) => Some(Resume { arm: u32::from(t.arm), outcome }),
            other => {
                t.slot = other;
                None
            }
        }
    }

    /// The result of the blocking operation, left in place.
    pub fn peek_resume(&self) -> Option<(u32, &Outcome<P::Value>)> {
        let t = self.me();
        match &t.slot {
            Slot::Resume(outcome) => Some((u32::from(t.arm), outcome)),
            _ => None,
        }
    }

    // --- frames

    /// The top frame: the one this step works on.
    pub fn frame(&self) -> Option<&P::Frame> {
        self.me().frames.top()
    }

    pub fn frame_mut(&mut self) -> Option<&mut P::Frame> {
        self.me_mut().frames.top_mut()
    }

    /// The whole stack, bottom first.
    pub fn frames(&self) -> &[P::Frame] {
        self.me().frames.as_slice()
    }

    pub fn push(&mut self, frame: P::Frame) {
        self.me_mut().frames.push(frame);
    }

    pub fn pop(&mut self) -> Option<P::Frame> {
        self.me_mut().frames.pop()
    }

    /// Replaces the top frame (pushes onto an empty stack); returns the one replaced.
    pub fn replace(&mut self, frame: P::Frame) -> Option<P::Frame> {
        self.me_mut().frames.replace_top(frame)
    }

    // --- channels

    pub fn new_channel(&mut self) -> ChannelId {
        self.core.new_channel()
    }

    /// Drops a channel that nobody waits on. Operations on a dropped channel complete as
    /// [`super::Outcome::Closed`].
    pub fn drop_channel(&mut self, ch: ChannelId) -> Result<(), ChannelError> {
        let c = self.core.live_channel(ch).ok_or(ChannelError::NoSuchChannel(ch))?;
        let chan = self.core.channels[c as usize];
        if chan.head != NONE {
            return Err(ChannelError::Busy { channel: ch, senders: chan.senders, receivers: chan.receivers });
        }
        self.core.free_channel(c);
        Ok(())
    }

    /// Senders waiting minus receivers waiting; `None` if the channel does not exist.
    pub fn balance(&self, ch: ChannelId) -> Option<i64> {
        self.core.live_channel(ch).map(|c| channel_balance(self.core, c))
    }

    /// Hands `value` to a receiver waiting on `ch`, if there is one, without blocking: true if one
    /// took it (it is woken). For signals whose receiver may not be listening yet (a link's status,
    /// kept in the program's state for a receiver that comes later).
    pub fn offer(&mut self, ch: ChannelId, value: P::Value) -> bool {
        match self.core.live_channel(ch) {
            Some(c) if self.core.channels[c as usize].receivers > 0 => matches!(self.core.send_to_waiter(c, value), Outcome::Sent),
            _ => false,
        }
    }

    // --- tasklets

    /// A new group owned by the running tasklet: the tasklets spawned into it are its children.
    pub fn new_group(&mut self) -> GroupId {
        let me = self.id();
        self.core.new_group(me)
    }

    /// A new tasklet in `group`, at the back of the run queue. `None` if the group does not exist
    /// (joined already) or the running tasklet has been killed during this step.
    pub fn spawn(&mut self, group: GroupId, frame: P::Frame) -> Option<TaskletId> {
        let g = self.core.live_group(group)?;
        self.may_spawn().then(|| self.core.spawn(g, Frames::One(frame)))
    }

    /// Like [`StepContext::spawn`] with a whole stack of frames (bottom first).
    pub fn spawn_frames(&mut self, group: GroupId, frames: Vec<P::Frame>) -> Option<TaskletId> {
        let g = self.core.live_group(group)?;
        self.may_spawn().then(|| self.core.spawn(g, Frames::from(frames)))
    }

    /// A new tasklet in no group: nobody joins it, and it is nobody's descendant.
    pub fn spawn_detached(&mut self, frame: P::Frame) -> Option<TaskletId> {
        self.may_spawn().then(|| self.core.spawn(NONE, Frames::One(frame)))
    }

    fn may_spawn(&self) -> bool {
        self.core.status == InstanceStatus::Running && self.core.tasklets[self.me as usize].state() == TState::Runnable
    }

    /// Kills a tasklet (with `tree`, its descendants too), withdrawing whatever it waits on. The
    /// running tasklet may kill itself: its step's result is then ignored. Killing the main tasklet
    /// terminates the instance. False if it was not alive.
    pub fn kill(&mut self, id: TaskletId, tree: bool) -> bool {
        self.core.kill(id, tree)
    }

    /// Kills every live member of `group` but the running tasklet, and their descendants (a flow's
    /// branches once one of them faulted, the rest of a parallel forEach once its completion
    /// condition holds).
    pub fn kill_group(&mut self, group: GroupId) {
        let Some(g) = self.core.live_group(group) else { return };
        let me = self.id();
        let members: Vec<TaskletId> =
            self.core.live_ids().filter(|id| *id != me && self.core.tasklets[id.slot() as usize].link == g).collect();
        for id in members {
            self.core.kill(id, true);
        }
    }

    /// Gives up a group of the running tasklet's that nobody will join (a flow's branches, once
    /// they have reported): its slot is freed now if no member is left, else when the last one
    /// ends. Without it a tasklet that spawns groups in a loop would hold one slot per round.
    pub fn drop_group(&mut self, group: GroupId) {
        let Some(g) = self.core.live_group(group) else { return };
        let grp = &mut self.core.groups[g as usize];
        if grp.head != NONE {
            return;
        }
        if grp.remaining == 0 {
            self.core.free_group(g);
        } else {
            grp.owner = super::core::DISOWNED;
        }
    }

    /// A tasklet's state (`None` once its slot is reused).
    pub fn state(&self, id: TaskletId) -> Option<TaskletState> {
        let t = self.core.tasklets.get(id.slot() as usize)?;
        (t.gen == id.gen()).then(|| tasklet_state(self.core, id.slot()))
    }

    /// The live members of `group` and their descendants, in slot order (what
    /// [`StepContext::kill_group`] would kill, the running tasklet aside).
    pub fn group_tasklets(&self, group: GroupId) -> Vec<TaskletId> {
        let Some(g) = self.core.live_group(group) else { return Vec::new() };
        let me = self.id();
        let members: Vec<TaskletId> =
            self.core.live_ids().filter(|id| *id != me && self.core.tasklets[id.slot() as usize].link == g).collect();
        let mut out: Vec<TaskletId> = members.clone();
        for member in members {
            out.extend(self.core.descendant_ids(member));
        }
        out.sort_by_key(|id| id.slot());
        out.dedup();
        out
    }

    /// A live tasklet's frames, bottom first.
    pub fn frames_of(&self, id: TaskletId) -> Option<&[P::Frame]> {
        let slot = self.core.alive(id)?;
        Some(self.core.tasklets[slot as usize].frames.as_slice())
    }

    /// The live tasklets, in slot order (the running one included).
    pub fn live_tasklets(&self) -> impl Iterator<Item = TaskletId> + '_ {
        self.core.live_ids()
    }

    // --- the outside world

    /// Calls a partner and expects an answer: emits [`Effect::Invoke`]; wait for the answer with
    /// [`super::Op::Answer`] (now or later: an early answer is kept). If this tasklet dies first, the
    /// answer will be ignored.
    pub fn invoke(&mut self, target: P::Key, value: P::Value) -> RequestId {
        let request = self.next_request();
        self.core.requests.push(Request { id: request, owner: self.me, waiter: NONE, answer: None });
        self.core.effects.push(Effect::Invoke { request, target, value, one_way: false });
        request
    }

    /// Calls a partner without expecting an answer.
    pub fn invoke_one_way(&mut self, target: P::Key, value: P::Value) -> RequestId {
        let request = self.next_request();
        self.core.effects.push(Effect::Invoke { request, target, value, one_way: true });
        request
    }

    fn next_request(&mut self) -> RequestId {
        let id = RequestId(self.core.next_request);
        self.core.next_request = self.core.next_request.wrapping_add(1);
        id
    }

    /// Answers an inbound message.
    pub fn reply(&mut self, exchange: ExchangeId, value: P::Value) {
        self.core.effects.push(Effect::Reply { exchange, value, fault: false });
    }

    /// Answers an inbound message with a fault.
    pub fn reply_fault(&mut self, exchange: ExchangeId, fault: P::Value) {
        self.core.effects.push(Effect::Reply { exchange, value: fault, fault: true });
    }
}

impl<P: Program> Clone for Instance<P> {
    fn clone(&self) -> Self {
        Instance { core: self.core.clone(), state: self.state.clone() }
    }
}

impl<P: Program> fmt::Debug for Instance<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

impl<P: Program> Serialize for Instance<P> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // a tuple is its fields back to back in postcard: a `()` state adds nothing
        (&self.core, &self.state).serialize(s)
    }
}

/// Deserializing checks the instance ([`Instance::validate`]): inconsistent data is an error.
impl<'de, P: Program> Deserialize<'de> for Instance<P> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (core, state) = <(Core<P::Frame, P::Value, P::Key>, P::State)>::deserialize(d)?;
        core.validate().map_err(serde::de::Error::custom)?;
        Ok(Instance { core, state })
    }
}
