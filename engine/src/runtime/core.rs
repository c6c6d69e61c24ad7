//! The instance's state as plain data, and the bookkeeping every operation shares: slabs with free
//! lists, the intrusive wait lists, waking, withdrawing, killing, finishing.
//!
//! # Layout
//!
//! Everything lives in `Vec`s indexed by `u32` slots, with free lists threaded through the free slots;
//! nothing is boxed per tasklet and nothing is hashed.
//!
//! - `tasklets`: [`TaskletSlot`], 64 bytes when `Frame` and `Value` are at most 16 and 8 bytes: the
//!   generation, the state, the group it belongs to, the head of its registrations, its frames (inline
//!   while there is one) and its data slot (the resume result when runnable, the value offered when
//!   blocked on a send).
//! - `regs`: one [`Reg`] (24 bytes) per operation a blocked tasklet waits on (one, or one per arm of a
//!   choice). A registration sits in the FIFO list of what it waits on (a channel's waiters, a group's
//!   joiners: doubly linked through `prev`/`next`) and in its tasklet's chain (`sibling`), so that
//!   whichever completes first finds and withdraws the others in O(arms).
//! - `channels`: [`Channel`] (20 bytes): the waiters' list and the number of senders and receivers in
//!   it. Senders and receivers share one list: they can only both be present when a single tasklet's
//!   choice both sends and receives on the channel (anyone else would have matched at once).
//! - `groups`, `timers` (a slab plus a due-ordered index), the inbox of messages nobody waits for yet,
//!   the message waits, the open invokes, and the effects not yet drained.
//!
//! A live slot of a channel, group or timer has an odd generation, a free one an even one: creating
//! and dropping each bump it, so a stale id never matches.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::clock::Timestamp;
use super::frames::Frames;
use super::ids::{ix, ChannelId, ExchangeId, GroupId, RequestId, TaskletId, TimerId, NONE};
use super::{Effect, InstanceStatus, Outcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TState {
    /// In the run queue, or the one running.
    Runnable,
    /// Waiting on its registrations.
    Blocked,
    /// Done; the slot is in the free list.
    Finished,
    /// Killed; the slot is in the free list.
    Killed,
    /// Killed while in the run queue: freed when the scheduler pops it.
    Dying,
}

/// The tasklet's data slot.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) enum Slot<V> {
    #[default]
    Empty,
    /// Woken: the outcome its next step reads (the arm is in [`TaskletSlot::arm`]).
    Resume(Outcome<V>),
    /// Blocked with one send registration: the value offered.
    Offer(V),
    /// Blocked on a choice with several send arms: the values offered, by arm.
    Offers(Vec<Option<V>>),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TaskletSlot<F, V> {
    pub gen: u32,
    pub state: TState,
    /// It created a group: look for its groups when it dies.
    pub owns_groups: bool,
    /// The arm that completed, with `Slot::Resume`.
    pub arm: u16,
    /// Alive: the group it belongs to, or `NONE`. Free: the next free slot.
    #[serde(with = "ix")]
    pub link: u32,
    /// Blocked: the first of its registrations (chained by `Reg::sibling`, in arm order).
    #[serde(with = "ix")]
    pub regs: u32,
    pub frames: Frames<F>,
    pub slot: Slot<V>,
}

impl<F, V> TaskletSlot<F, V> {
    pub fn is_alive(&self) -> bool {
        matches!(self.state, TState::Runnable | TState::Blocked)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RegKind {
    Free,
    Send,
    Recv,
    Timer,
    Message,
    Answer,
    Join,
}

/// One operation a blocked tasklet waits on.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Reg {
    pub kind: RegKind,
    pub arm: u16,
    #[serde(with = "ix")]
    pub tasklet: u32,
    /// The channel, timer or group slot (unused for messages and answers).
    #[serde(with = "ix")]
    pub target: u32,
    #[serde(with = "ix")]
    pub prev: u32,
    #[serde(with = "ix")]
    pub next: u32,
    /// The tasklet's next registration; for a free registration, the next free one.
    #[serde(with = "ix")]
    pub sibling: u32,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Channel {
    /// Odd while the channel exists.
    pub gen: u32,
    /// The waiters, FIFO. Free: `head` is the next free slot.
    #[serde(with = "ix")]
    pub head: u32,
    #[serde(with = "ix")]
    pub tail: u32,
    pub senders: u32,
    pub receivers: u32,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Group {
    /// Odd while the group exists.
    pub gen: u32,
    /// The tasklet that created the group: its members are that tasklet's children.
    pub owner: TaskletId,
    /// Members alive.
    pub remaining: u32,
    /// The joiners, FIFO. Free: `head` is the next free slot.
    #[serde(with = "ix")]
    pub head: u32,
    #[serde(with = "ix")]
    pub tail: u32,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Timer {
    /// Odd while the timer is set.
    pub gen: u32,
    pub due: Timestamp,
    /// Creation order, to break ties between timers due at the same time.
    pub seq: u64,
    /// The registration waiting on it. Free: the next free slot.
    #[serde(with = "ix")]
    pub reg: u32,
}

/// The timers, and an index of the set ones by (due, creation), rebuilt on deserialization.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timers {
    pub slots: Vec<Timer>,
    pub free: u32,
    pub next_seq: u64,
    pub order: BTreeSet<(Timestamp, u64, u32)>,
}

#[derive(Serialize)]
struct TimersOut<'a> {
    slots: &'a [Timer],
    #[serde(with = "ix")]
    free: u32,
    next_seq: u64,
}

#[derive(Deserialize)]
struct TimersIn {
    slots: Vec<Timer>,
    #[serde(with = "ix")]
    free: u32,
    next_seq: u64,
}

impl Serialize for Timers {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TimersOut { slots: &self.slots, free: self.free, next_seq: self.next_seq }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Timers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let TimersIn { slots, free, next_seq } = TimersIn::deserialize(d)?;
        let order = slots
            .iter()
            .enumerate()
            .filter(|(_, t)| t.gen % 2 == 1)
            .map(|(i, t)| (t.due, t.seq, i as u32))
            .collect();
        Ok(Timers { slots, free, next_seq, order })
    }
}

impl Timers {
    pub fn new() -> Timers {
        Timers { slots: Vec::new(), free: NONE, next_seq: 0, order: BTreeSet::new() }
    }

    pub fn live(&self, id: TimerId) -> Option<&Timer> {
        self.slots.get(id.slot() as usize).filter(|t| t.gen == id.gen() && t.gen % 2 == 1)
    }

    pub fn next_due(&self) -> Option<Timestamp> {
        self.order.first().map(|&(due, _, _)| due)
    }

    pub fn add(&mut self, due: Timestamp, reg: u32) -> TimerId {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let slot = if self.free != NONE {
            let s = self.free;
            let t = &mut self.slots[s as usize];
            self.free = t.reg;
            *t = Timer { gen: t.gen.wrapping_add(1), due, seq, reg };
            s
        } else {
            self.slots.push(Timer { gen: 1, due, seq, reg });
            self.slots.len() as u32 - 1
        };
        self.order.insert((due, seq, slot));
        TimerId::new(slot, self.slots[slot as usize].gen)
    }

    /// Unsets a timer; returns its registration.
    pub fn remove(&mut self, slot: u32) -> u32 {
        let t = &mut self.slots[slot as usize];
        self.order.remove(&(t.due, t.seq, slot));
        let reg = t.reg;
        t.gen = t.gen.wrapping_add(1);
        t.reg = self.free;
        self.free = slot;
        reg
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct MsgWait<K> {
    pub key: K,
    #[serde(with = "ix")]
    pub reg: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Inbound<V, K> {
    pub key: K,
    pub value: V,
    pub exchange: ExchangeId,
}

/// An invoke whose answer is expected.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Request<V> {
    pub id: RequestId,
    /// The tasklet that invoked; the request is forgotten when it dies.
    pub owner: u32,
    /// The registration waiting for the answer, or `NONE`.
    #[serde(with = "ix")]
    pub waiter: u32,
    /// The answer, if it came before anyone waited.
    pub answer: Option<Result<V, V>>,
}

fn none() -> u32 {
    NONE
}

/// An instance, without the program type (so that derives work on plain generics).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Core<F, V, K> {
    pub status: InstanceStatus,
    pub now: Timestamp,
    pub main: TaskletId,
    pub tasklets: Vec<TaskletSlot<F, V>>,
    #[serde(with = "ix")]
    pub free_tasklet: u32,
    pub queue: VecDeque<u32>,
    pub regs: Vec<Reg>,
    #[serde(with = "ix")]
    pub free_reg: u32,
    pub channels: Vec<Channel>,
    #[serde(with = "ix")]
    pub free_channel: u32,
    pub groups: Vec<Group>,
    #[serde(with = "ix")]
    pub free_group: u32,
    pub timers: Timers,
    pub msg_waits: Vec<MsgWait<K>>,
    pub inbox: VecDeque<Inbound<V, K>>,
    pub requests: Vec<Request<V>>,
    pub next_request: u64,
    pub effects: Vec<Effect<V, K>>,
    /// The slot of the tasklet being stepped, or `NONE` (between runs, always `NONE`).
    #[serde(skip, default = "none")]
    pub running: u32,
}

impl<F, V, K> Core<F, V, K> {
    pub fn new(main: F, now: Timestamp) -> Core<F, V, K> {
        let mut core = Core {
            status: InstanceStatus::Running,
            now,
            main: TaskletId::new(0, 0),
            tasklets: Vec::new(),
            free_tasklet: NONE,
            queue: VecDeque::new(),
            regs: Vec::new(),
            free_reg: NONE,
            channels: Vec::new(),
            free_channel: NONE,
            groups: Vec::new(),
            free_group: NONE,
            timers: Timers::new(),
            msg_waits: Vec::new(),
            inbox: VecDeque::new(),
            requests: Vec::new(),
            next_request: 0,
            effects: Vec::new(),
            running: NONE,
        };
        core.main = core.spawn(NONE, Frames::One(main));
        core
    }

    // ---------------------------------------------------------------------------------------------
    // Tasklets

    pub fn tasklet_id(&self, slot: u32) -> TaskletId {
        TaskletId::new(slot, self.tasklets[slot as usize].gen)
    }

    /// The slot of a live tasklet.
    pub fn alive(&self, id: TaskletId) -> Option<u32> {
        let t = self.tasklets.get(id.slot() as usize)?;
        (t.gen == id.gen() && t.is_alive()).then_some(id.slot())
    }

    /// A new runnable tasklet at the back of the run queue, in `group` (a live group's slot) or none.
    pub fn spawn(&mut self, group: u32, frames: Frames<F>) -> TaskletId {
        let fresh = TaskletSlot {
            gen: 0,
            state: TState::Runnable,
            owns_groups: false,
            arm: 0,
            link: group,
            regs: NONE,
            frames,
            slot: Slot::Empty,
        };
        let slot = if self.free_tasklet != NONE {
            let s = self.free_tasklet;
            let t = &mut self.tasklets[s as usize];
            self.free_tasklet = t.link;
            let gen = t.gen.wrapping_add(1);
            *t = TaskletSlot { gen, ..fresh };
            s
        } else {
            self.tasklets.push(fresh);
            self.tasklets.len() as u32 - 1
        };
        if group != NONE {
            self.groups[group as usize].remaining += 1;
        }
        self.queue.push_back(slot);
        TaskletId::new(slot, self.tasklets[slot as usize].gen)
    }

    fn free_tasklet_slot(&mut self, slot: u32) {
        let t = &mut self.tasklets[slot as usize];
        t.frames = Frames::Empty;
        t.slot = Slot::Empty;
        t.regs = NONE;
        t.link = self.free_tasklet;
        self.free_tasklet = slot;
    }

    /// Frees the slot of the tasklet that was running, once its step is over, if it died meanwhile.
    pub fn release_if_dead(&mut self, slot: u32) -> bool {
        match self.tasklets[slot as usize].state {
            TState::Finished | TState::Killed => {
                self.free_tasklet_slot(slot);
                true
            }
            _ => false,
        }
    }

    /// Frees a `Dying` slot popped from the run queue.
    pub fn release_dying(&mut self, slot: u32) {
        self.tasklets[slot as usize].state = TState::Killed;
        self.free_tasklet_slot(slot);
    }

    /// The running tasklet is done. Its slot is freed by [`Core::release_if_dead`].
    pub fn finish_running(&mut self, slot: u32) {
        let t = &mut self.tasklets[slot as usize];
        t.state = TState::Finished;
        t.frames = Frames::Empty;
        t.slot = Slot::Empty;
        self.after_death(slot);
        if slot == self.main.slot() {
            self.end(InstanceStatus::Completed, Effect::Completed);
        }
    }

    /// Kills a tasklet and, with `tree`, its descendants (the tasklets spawned into its groups, and
    /// theirs, as long as each spawner lives). False if it was not alive.
    pub fn kill(&mut self, id: TaskletId, tree: bool) -> bool {
        let Some(slot) = self.alive(id) else { return false };
        let descendants = if tree { self.descendants(id) } else { Vec::new() };
        self.kill_slot(slot);
        for d in descendants {
            self.kill_slot(d);
        }
        true
    }

    fn kill_slot(&mut self, slot: u32) {
        let state = self.tasklets[slot as usize].state;
        if !matches!(state, TState::Runnable | TState::Blocked) {
            return;
        }
        self.withdraw_all(slot);
        let running = slot == self.running;
        let t = &mut self.tasklets[slot as usize];
        t.frames = Frames::Empty;
        t.slot = Slot::Empty;
        t.state = match state {
            TState::Runnable if !running => TState::Dying,
            _ => TState::Killed,
        };
        self.after_death(slot);
        if state == TState::Blocked && !running {
            self.free_tasklet_slot(slot);
        }
        if slot == self.main.slot() {
            self.end(InstanceStatus::Terminated, Effect::Terminated);
        }
    }

    /// Group and request bookkeeping when a tasklet finishes or is killed.
    fn after_death(&mut self, slot: u32) {
        let id = self.tasklet_id(slot);
        let (group, owns_groups) = {
            let t = &self.tasklets[slot as usize];
            (t.link, t.owns_groups)
        };
        self.tasklets[slot as usize].link = NONE;
        if !self.requests.is_empty() {
            self.forget_requests_of(slot);
        }
        if owns_groups {
            for g in 0..self.groups.len() as u32 {
                let grp = &self.groups[g as usize];
                if grp.gen % 2 == 1 && grp.owner == id && grp.remaining == 0 && grp.head == NONE {
                    self.free_group(g);
                }
            }
        }
        if group != NONE {
            self.member_gone(group);
        }
    }

    fn forget_requests_of(&mut self, slot: u32) {
        let mut i = 0;
        while i < self.requests.len() {
            if self.requests[i].owner == slot {
                let r = self.requests.remove(i);
                if r.waiter != NONE {
                    // someone else was waiting for this answer: it never comes
                    self.unregister(r.waiter);
                    self.wake(r.waiter, Outcome::Closed);
                }
            } else {
                i += 1;
            }
        }
    }

    /// Every live tasklet descending from `root` through live spawners, in slot order.
    fn descendants(&self, root: TaskletId) -> Vec<u32> {
        const UNKNOWN: u8 = 0;
        const YES: u8 = 1;
        const NO: u8 = 2;
        let n = self.tasklets.len();
        let mut memo = vec![UNKNOWN; n];
        let mut path = Vec::new();
        let mut out = Vec::new();
        for s in 0..n as u32 {
            if s == root.slot() || !self.tasklets[s as usize].is_alive() {
                continue;
            }
            path.clear();
            let mut cur = s;
            let verdict = loop {
                match memo[cur as usize] {
                    YES => break true,
                    NO => break false,
                    _ => {}
                }
                path.push(cur);
                if path.len() > n {
                    break false;
                }
                let g = self.tasklets[cur as usize].link;
                let Some(group) = self.groups.get(g as usize).filter(|grp| grp.gen % 2 == 1) else { break false };
                if group.owner == root {
                    break true;
                }
                match self.alive(group.owner) {
                    Some(owner) => cur = owner,
                    None => break false,
                }
            };
            for &p in &path {
                memo[p as usize] = if verdict { YES } else { NO };
            }
            if verdict {
                out.push(s);
            }
        }
        out
    }

    /// Ends the instance: every tasklet left is killed, then the final effect.
    pub fn end(&mut self, status: InstanceStatus, effect: Effect<V, K>) {
        if self.status != InstanceStatus::Running {
            return;
        }
        self.status = status;
        for s in 0..self.tasklets.len() as u32 {
            self.kill_slot(s);
        }
        while let Some(s) = self.queue.pop_front() {
            if self.tasklets[s as usize].state == TState::Dying {
                self.release_dying(s);
            }
        }
        self.effects.push(effect);
    }

    // ---------------------------------------------------------------------------------------------
    // Groups

    pub fn live_group(&self, id: GroupId) -> Option<u32> {
        let g = self.groups.get(id.slot() as usize)?;
        (g.gen == id.gen() && g.gen % 2 == 1).then_some(id.slot())
    }

    pub fn new_group(&mut self, owner: TaskletId) -> GroupId {
        let fresh = Group { gen: 1, owner, remaining: 0, head: NONE, tail: NONE };
        let slot = if self.free_group != NONE {
            let s = self.free_group;
            let g = &mut self.groups[s as usize];
            self.free_group = g.head;
            *g = Group { gen: g.gen.wrapping_add(1), ..fresh };
            s
        } else {
            self.groups.push(fresh);
            self.groups.len() as u32 - 1
        };
        if let Some(o) = self.alive(owner) {
            self.tasklets[o as usize].owns_groups = true;
        }
        GroupId::new(slot, self.groups[slot as usize].gen)
    }

    pub fn free_group(&mut self, slot: u32) {
        let g = &mut self.groups[slot as usize];
        g.gen = g.gen.wrapping_add(1);
        g.remaining = 0;
        g.tail = NONE;
        g.head = self.free_group;
        self.free_group = slot;
    }

    fn member_gone(&mut self, slot: u32) {
        let g = &mut self.groups[slot as usize];
        g.remaining = g.remaining.saturating_sub(1);
        if g.remaining > 0 {
            return;
        }
        if g.head != NONE {
            while self.groups[slot as usize].head != NONE {
                let r = self.groups[slot as usize].head;
                self.unregister(r);
                self.wake(r, Outcome::Joined);
            }
            self.free_group(slot);
        } else if self.alive(self.groups[slot as usize].owner).is_none() {
            self.free_group(slot);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Channels

    pub fn live_channel(&self, id: ChannelId) -> Option<u32> {
        let c = self.channels.get(id.slot() as usize)?;
        (c.gen == id.gen() && c.gen % 2 == 1).then_some(id.slot())
    }

    pub fn new_channel(&mut self) -> ChannelId {
        let fresh = Channel { gen: 1, head: NONE, tail: NONE, senders: 0, receivers: 0 };
        let slot = if self.free_channel != NONE {
            let s = self.free_channel;
            let c = &mut self.channels[s as usize];
            self.free_channel = c.head;
            *c = Channel { gen: c.gen.wrapping_add(1), ..fresh };
            s
        } else {
            self.channels.push(fresh);
            self.channels.len() as u32 - 1
        };
        ChannelId::new(slot, self.channels[slot as usize].gen)
    }

    pub fn free_channel(&mut self, slot: u32) {
        let c = &mut self.channels[slot as usize];
        c.gen = c.gen.wrapping_add(1);
        c.tail = NONE;
        c.head = self.free_channel;
        self.free_channel = slot;
    }

    /// The first registration of `kind` in a channel's list.
    pub fn first_waiter(&self, channel: u32, kind: RegKind) -> u32 {
        let mut r = self.channels[channel as usize].head;
        while r != NONE {
            let reg = &self.regs[r as usize];
            if reg.kind == kind {
                return r;
            }
            r = reg.next;
        }
        NONE
    }

    // ---------------------------------------------------------------------------------------------
    // Registrations

    pub fn alloc_reg(&mut self, kind: RegKind, tasklet: u32, target: u32, arm: u16) -> u32 {
        let reg = Reg { kind, arm, tasklet, target, prev: NONE, next: NONE, sibling: NONE };
        if self.free_reg != NONE {
            let r = self.free_reg;
            self.free_reg = self.regs[r as usize].sibling;
            self.regs[r as usize] = reg;
            r
        } else {
            self.regs.push(reg);
            self.regs.len() as u32 - 1
        }
    }

    fn free_reg(&mut self, r: u32) {
        let reg = &mut self.regs[r as usize];
        *reg = Reg { kind: RegKind::Free, arm: 0, tasklet: NONE, target: NONE, prev: NONE, next: NONE, sibling: self.free_reg };
        self.free_reg = r;
    }

    /// Appends a registration to the list `(head, tail)`.
    pub fn link_back(regs: &mut [Reg], head: &mut u32, tail: &mut u32, r: u32) {
        regs[r as usize].prev = *tail;
        regs[r as usize].next = NONE;
        if *tail == NONE {
            *head = r;
        } else {
            regs[*tail as usize].next = r;
        }
        *tail = r;
    }

    fn unlink(regs: &mut [Reg], head: &mut u32, tail: &mut u32, r: u32) {
        let Reg { prev, next, .. } = regs[r as usize];
        if prev == NONE {
            *head = next;
        } else {
            regs[prev as usize].next = next;
        }
        if next == NONE {
            *tail = prev;
        } else {
            regs[next as usize].prev = prev;
        }
        regs[r as usize].prev = NONE;
        regs[r as usize].next = NONE;
    }

    /// Takes a registration out of what it waits on (channel list, timer, message waits, request,
    /// joiners), without freeing it. Emits `TimerCancelled` only through [`Core::withdraw`].
    pub fn unregister(&mut self, r: u32) {
        let Reg { kind, target, .. } = self.regs[r as usize];
        match kind {
            RegKind::Send | RegKind::Recv => {
                let c = &mut self.channels[target as usize];
                Self::unlink(&mut self.regs, &mut c.head, &mut c.tail, r);
                if kind == RegKind::Send {
                    c.senders = c.senders.saturating_sub(1);
                } else {
                    c.receivers = c.receivers.saturating_sub(1);
                }
            }
            RegKind::Timer => {
                self.timers.remove(target);
            }
            RegKind::Message => {
                if let Some(i) = self.msg_waits.iter().position(|w| w.reg == r) {
                    self.msg_waits.remove(i);
                }
            }
            RegKind::Answer => {
                if let Some(req) = self.requests.iter_mut().find(|q| q.waiter == r) {
                    req.waiter = NONE;
                }
            }
            RegKind::Join => {
                let g = &mut self.groups[target as usize];
                Self::unlink(&mut self.regs, &mut g.head, &mut g.tail, r);
            }
            RegKind::Free => {}
        }
    }

    /// Withdraws a registration that lost (or whose tasklet was killed) and frees it.
    fn withdraw(&mut self, r: u32) {
        let Reg { kind, target, .. } = self.regs[r as usize];
        if kind == RegKind::Timer {
            let timer = TimerId::new(target, self.timers.slots[target as usize].gen);
            self.effects.push(Effect::TimerCancelled { timer });
        }
        self.unregister(r);
        self.free_reg(r);
    }

    fn withdraw_all(&mut self, slot: u32) {
        let mut r = self.tasklets[slot as usize].regs;
        while r != NONE {
            let next = self.regs[r as usize].sibling;
            self.withdraw(r);
            r = next;
        }
        self.tasklets[slot as usize].regs = NONE;
    }

    /// Registration `r` completed (the caller has already unregistered it): its tasklet's other
    /// registrations are withdrawn, the outcome goes to its resume slot, and it joins the run queue.
    pub fn wake(&mut self, r: u32, outcome: Outcome<V>) {
        let Reg { tasklet, arm, .. } = self.regs[r as usize];
        let mut other = self.tasklets[tasklet as usize].regs;
        while other != NONE {
            let next = self.regs[other as usize].sibling;
            if other != r {
                self.withdraw(other);
            }
            other = next;
        }
        self.free_reg(r);
        let t = &mut self.tasklets[tasklet as usize];
        t.regs = NONE;
        t.slot = Slot::Resume(outcome);
        t.arm = arm;
        t.state = TState::Runnable;
        self.queue.push_back(tasklet);
    }

    /// Takes the value a send registration offers.
    pub fn take_offer(&mut self, r: u32) -> Option<V> {
        let Reg { tasklet, arm, .. } = self.regs[r as usize];
        let t = &mut self.tasklets[tasklet as usize];
        match &mut t.slot {
            Slot::Offer(_) => match std::mem::take(&mut t.slot) {
                Slot::Offer(v) => Some(v),
                _ => None,
            },
            Slot::Offers(values) => values.get_mut(arm as usize).and_then(Option::take),
            _ => None,
        }
    }
}

#[cfg(test)]
mod size_probe {
    use super::*;
    #[derive(Clone, Copy)]
    #[allow(dead_code)]
    enum BenchFrame {
        A { n: u32, g: Option<GroupId> },
        B(ChannelId),
        C { a: ChannelId, b: ChannelId, left: u64, sent: bool },
        D { a: ChannelId, b: ChannelId, got: Option<u64> },
        E,
    }
    #[test]
    fn probe() {
        eprintln!("frame {}", std::mem::size_of::<BenchFrame>());
        eprintln!("frames {}", std::mem::size_of::<Frames<BenchFrame>>());
        eprintln!("frames u32 {}", std::mem::size_of::<Frames<u32>>());
        eprintln!("outcome {}", std::mem::size_of::<Outcome<u64>>());
        eprintln!("slot {}", std::mem::size_of::<Slot<u64>>());
        eprintln!("tasklet {}", std::mem::size_of::<TaskletSlot<BenchFrame, u64>>());
        eprintln!("tasklet u32 {}", std::mem::size_of::<TaskletSlot<u32, u64>>());
        eprintln!("reg {}", std::mem::size_of::<Reg>());
        eprintln!("channel {}", std::mem::size_of::<Channel>());
    }
}
