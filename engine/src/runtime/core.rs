//! The instance's state as plain data, and the bookkeeping every operation shares: slabs with free
//! lists, the intrusive wait lists, waking, withdrawing, killing, finishing.
//!
//! # Layout
//!
//! Everything lives in `Vec`s indexed by `u32` slots, with free lists threaded through the free slots;
//! nothing is boxed per tasklet, nothing is allocated per rendezvous, and nothing is hashed.
//!
//! - `tasklets`: [`TaskletSlot`], a 16-byte header (generation; group; extra registrations; state,
//!   kind of wait and group ownership packed in one byte; resume arm), its frames (inline while there
//!   is one: 24 bytes for frames up to 16 bytes) and its data slot (24 bytes for an 8-byte value: the
//!   resume result when runnable, the value offered when blocked on a send). 64 bytes in all.
//! - `waits`: beside each tasklet, its own registration ([`Wait`], 12 bytes): what it waits on and its
//!   links in that thing's FIFO list of waiters. A tasklet blocked on one operation needs nothing more.
//! - `regs`: the registrations of a choice's arms 1 and up ([`Reg`], 24 bytes), chained from the
//!   tasklet, so that whichever arm completes first finds and withdraws the others in O(arms).
//! - `channels`: [`Channel`] (20 bytes): the waiters' list and the number of senders and receivers in
//!   it. Senders and receivers share one list: they can only both be present when a single tasklet's
//!   choice both sends and receives on the channel (anyone else would have matched at once).
//! - `queue`: the run queue of tasklet slots, a power-of-two ring ([`RunQueue`]).
//! - `groups`, `timers` (a slab plus a due-ordered index), the inbox of messages nobody waits for yet,
//!   the message waits, the open invokes, and the effects not yet drained.
//!
//! # The hot path
//!
//! A rendezvous round trip is four steps and two hand-overs; what keeps it fast: the run queue is a
//! mask-and-store ring; waking a tasklet that waits on one thing (`wake`), taking the first waiter of
//! a channel (`pop_waiter`) and blocking on a channel (`ops::wait_on_channel`) are inline, with the
//! general cases (choices, mixed waiters) out of line; values are written straight into the resume
//! slot (`wake_with`, `Slot::set`), never built aside and copied (a value stored in narrow pieces and
//! copied with one wide load stalls the load: store-to-load forwarding fails), which is also why ids
//! are single 64-bit words (see `ids.rs`).
//!
//! A wait list links "nodes": a tasklet's own registration (the node is its slot) or an extra one
//! (`EXTRA | index`). A live slot of a channel, group or timer has an odd generation, a free one an
//! even one: creating and dropping each bump it, so a stale id never matches.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::clock::Timestamp;
use super::frames::Frames;
use super::ids::{ix, ChannelId, ExchangeId, GroupId, RequestId, TaskletId, TimerId, NONE};
use super::queue::RunQueue;
use super::{Effect, InstanceStatus, Outcome};

/// A tasklet's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
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

impl TState {
    const ALL: [TState; 5] = [TState::Runnable, TState::Blocked, TState::Finished, TState::Killed, TState::Dying];
}

/// What a registration waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RegKind {
    /// Nothing (a tasklet that does not wait; a free registration).
    Free,
    Send,
    Recv,
    Timer,
    Message,
    Answer,
    Join,
}

impl RegKind {
    const ALL: [RegKind; 7] =
        [RegKind::Free, RegKind::Send, RegKind::Recv, RegKind::Timer, RegKind::Message, RegKind::Answer, RegKind::Join];
}

/// A tasklet's state, the kind of its first registration and whether it created groups, in one byte
/// (bits 0-2, 3-5 and 6): the tasklet's header stays at 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Flags(u8);

impl Flags {
    const STATE: u8 = 0x07;
    const KIND: u8 = 0x38;
    const OWNS: u8 = 0x40;

    /// Flags as stored (checked by [`Flags::is_valid`] when an instance is validated).
    #[inline]
    pub fn from_bits(bits: u8) -> Flags {
        Flags(bits)
    }

    #[inline]
    pub fn new(state: TState, kind: RegKind, owns_groups: bool) -> Flags {
        Flags(state as u8 | (kind as u8) << 3 | u8::from(owns_groups) << 6)
    }

    /// The state; an invalid code (only in unvalidated data) reads as `Killed`.
    #[inline]
    pub fn state(self) -> TState {
        match self.0 & Self::STATE {
            0 => TState::Runnable,
            1 => TState::Blocked,
            2 => TState::Finished,
            4 => TState::Dying,
            _ => TState::Killed,
        }
    }

    #[inline]
    pub fn is(self, state: TState) -> bool {
        self.0 & Self::STATE == state as u8
    }

    #[inline]
    pub fn with_state(self, state: TState) -> Flags {
        Flags(self.0 & !Self::STATE | state as u8)
    }

    #[inline]
    pub fn kind(self) -> RegKind {
        match (self.0 & Self::KIND) >> 3 {
            1 => RegKind::Send,
            2 => RegKind::Recv,
            3 => RegKind::Timer,
            4 => RegKind::Message,
            5 => RegKind::Answer,
            6 => RegKind::Join,
            _ => RegKind::Free,
        }
    }

    #[inline]
    pub fn with_kind(self, kind: RegKind) -> Flags {
        Flags(self.0 & !Self::KIND | (kind as u8) << 3)
    }

    /// Runnable, waiting on nothing, group ownership kept: a tasklet just woken.
    #[inline(always)]
    pub fn woken(self) -> Flags {
        Flags(self.0 & Self::OWNS)
    }

    #[inline]
    pub fn owns_groups(self) -> bool {
        self.0 & Self::OWNS != 0
    }

    pub fn is_valid(self) -> bool {
        usize::from(self.0 & Self::STATE) < TState::ALL.len()
            && usize::from((self.0 & Self::KIND) >> 3) < RegKind::ALL.len()
            && self.0 & 0x80 == 0
    }
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
    Offers(Box<[Option<V>]>),
}

impl<V> Slot<V> {
    /// Puts `new` in the slot. What was there is dropped out of line, and not at all when the slot
    /// was empty (the usual case on the hot paths): no call to drop glue, and `new` is written in
    /// place rather than built aside and copied over.
    #[inline(always)]
    pub fn set(&mut self, new: Slot<V>) {
        let old = std::mem::replace(self, new);
        if !matches!(old, Slot::Empty) {
            drop_slot(old);
        }
    }
}

#[cold]
#[inline(never)]
fn drop_slot<V>(old: Slot<V>) {
    drop(old);
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TaskletSlot<F, V> {
    pub gen: u32,
    pub flags: Flags,
    /// The arm that completed, with `Slot::Resume`.
    pub arm: u16,
    /// Alive: the group it belongs to, or `NONE`. Free: the next free slot.
    #[serde(with = "ix")]
    pub link: u32,
    /// Blocked on a choice: the registrations of arms 1 and up (chained by `Reg::sibling`); arm 0
    /// is the tasklet's own registration in `Core::waits`.
    #[serde(with = "ix")]
    pub extra: u32,
    pub frames: Frames<F>,
    pub slot: Slot<V>,
}

impl<F, V> TaskletSlot<F, V> {
    /// A slot holding nothing, to be filled in.
    #[inline]
    pub fn vacant() -> TaskletSlot<F, V> {
        TaskletSlot { gen: 0, flags: Flags(0), arm: 0, link: NONE, extra: NONE, frames: Frames::Empty, slot: Slot::Empty }
    }

    #[inline]
    pub fn state(&self) -> TState {
        self.flags.state()
    }

    #[inline]
    pub fn set_state(&mut self, state: TState) {
        self.flags = self.flags.with_state(state);
    }

    /// The kind of its own registration (arm 0), `Free` if it waits on nothing.
    #[inline]
    pub fn kind(&self) -> RegKind {
        self.flags.kind()
    }

    #[inline]
    pub fn set_kind(&mut self, kind: RegKind) {
        self.flags = self.flags.with_kind(kind);
    }

    #[inline]
    pub fn is_alive(&self) -> bool {
        self.flags.0 & Flags::STATE <= TState::Blocked as u8
    }
}

/// A tasklet's own registration (its first or only wait), beside it in `Core::waits`: 12 bytes, and no
/// allocation for the common wait on one thing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Wait {
    /// The channel, timer or group slot (unused for messages and answers).
    #[serde(with = "ix")]
    pub target: u32,
    #[serde(with = "ix")]
    pub prev: u32,
    #[serde(with = "ix")]
    pub next: u32,
}

impl Wait {
    pub const NONE: Wait = Wait { target: NONE, prev: NONE, next: NONE };
}

/// The registration of a choice's arm 1 and up.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Reg {
    pub kind: RegKind,
    pub arm: u16,
    #[serde(with = "ix")]
    pub tasklet: u32,
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

impl Serialize for RegKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

impl RegKind {
    /// The kind of a stored code, `None` for an unknown one.
    #[inline]
    pub fn from_code(code: u8) -> Option<RegKind> {
        RegKind::ALL.get(usize::from(code)).copied()
    }
}

impl<'de> Deserialize<'de> for RegKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = u8::deserialize(d)?;
        RegKind::from_code(code).ok_or_else(|| serde::de::Error::custom("unknown registration kind"))
    }
}

/// A node of a wait list: a tasklet's own registration (its slot) or an extra one (`EXTRA | index`).
pub(crate) const EXTRA: u32 = 1 << 31;

pub(crate) fn is_extra(node: u32) -> bool {
    node & EXTRA != 0
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

/// The owner of a group given up while members were still ending ([`super::StepContext::drop_group`]):
/// no tasklet has this id (its slot is past any slab), so the group is freed when the last member
/// ends.
pub(crate) const DISOWNED: TaskletId = TaskletId::new(NONE, 0);

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
        Ok(Timers::from_parts(slots, free, next_seq))
    }
}

impl Timers {
    /// The timers as stored, with their index rebuilt.
    pub fn from_parts(slots: Vec<Timer>, free: u32, next_seq: u64) -> Timers {
        let order = slots.iter().enumerate().filter(|(_, t)| t.gen % 2 == 1).map(|(i, t)| (t.due, t.seq, i as u32)).collect();
        Timers { slots, free, next_seq, order }
    }

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
    /// Each tasklet's own registration, by slot (as long as `tasklets`).
    pub waits: Vec<Wait>,
    #[serde(with = "ix")]
    pub free_tasklet: u32,
    pub queue: RunQueue,
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
            waits: Vec::new(),
            free_tasklet: NONE,
            queue: RunQueue::new(),
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

    /// About how many bytes the instance takes in a checkpoint (to reserve them at once).
    pub fn size_hint(&self) -> usize {
        64 + self.tasklets.len() * 24 + self.channels.len() * 8 + self.regs.len() * 12 + self.timers.slots.len() * 16
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
    #[inline]
    pub fn spawn(&mut self, group: u32, frames: Frames<F>) -> TaskletId {
        let slot = if self.free_tasklet != NONE {
            let s = self.free_tasklet;
            let t = &mut self.tasklets[s as usize];
            self.free_tasklet = t.link;
            t.gen = t.gen.wrapping_add(1);
            t.flags = Flags::new(TState::Runnable, RegKind::Free, false);
            t.arm = 0;
            t.link = group;
            t.extra = NONE;
            t.frames = frames;
            s
        } else {
            self.tasklets.push(TaskletSlot {
                gen: 0,
                flags: Flags::new(TState::Runnable, RegKind::Free, false),
                arm: 0,
                link: group,
                extra: NONE,
                frames,
                slot: Slot::Empty,
            });
            self.waits.push(Wait::NONE);
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
        t.extra = NONE;
        t.set_kind(RegKind::Free);
        t.link = self.free_tasklet;
        self.free_tasklet = slot;
        self.waits[slot as usize] = Wait::NONE;
    }

    /// The step of the running tasklet is over and it may have died (finished, killed, the instance
    /// ended): frees its slot if so. False: it does not keep running.
    pub fn done_running(&mut self, slot: u32) -> bool {
        self.running = NONE;
        if matches!(self.tasklets[slot as usize].state(), TState::Finished | TState::Killed) {
            self.free_tasklet_slot(slot);
        }
        false
    }

    /// Frees a `Dying` slot popped from the run queue.
    pub fn release_dying(&mut self, slot: u32) {
        self.tasklets[slot as usize].set_state(TState::Killed);
        self.free_tasklet_slot(slot);
    }

    /// The running tasklet is done. Its slot is freed by [`Core::release_if_dead`].
    pub fn finish_running(&mut self, slot: u32) {
        let t = &mut self.tasklets[slot as usize];
        t.set_state(TState::Finished);
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
        let state = self.tasklets[slot as usize].state();
        if !matches!(state, TState::Runnable | TState::Blocked) {
            return;
        }
        self.withdraw_all(slot);
        let running = slot == self.running;
        let t = &mut self.tasklets[slot as usize];
        t.frames = Frames::Empty;
        t.slot = Slot::Empty;
        t.set_state(match state {
            TState::Runnable if !running => TState::Dying,
            _ => TState::Killed,
        });
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
        let t = &mut self.tasklets[slot as usize];
        let (group, owns_groups) = (t.link, t.flags.owns_groups());
        t.link = NONE;
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
                    self.wake(r.waiter, Outcome::Closed);
                }
            } else {
                i += 1;
            }
        }
    }

    /// [`Core::descendants`] as ids.
    pub fn descendant_ids(&self, root: TaskletId) -> Vec<TaskletId> {
        self.descendants(root).into_iter().map(|s| self.tasklet_id(s)).collect()
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
            if self.tasklets[s as usize].state() == TState::Dying {
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
            let t = &mut self.tasklets[o as usize];
            t.flags = Flags::new(t.state(), t.kind(), true);
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
                let node = self.groups[slot as usize].head;
                self.unregister(node);
                self.wake(node, Outcome::Joined);
            }
            self.free_group(slot);
        } else if self.alive(self.groups[slot as usize].owner).is_none() {
            self.free_group(slot);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Channels

    #[inline]
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

    /// Takes the first waiter of `kind` out of a channel's list (`NONE` if there is none).
    #[inline(always)]
    pub fn pop_waiter(&mut self, channel: u32, kind: RegKind) -> u32 {
        let c = &mut self.channels[channel as usize];
        let others = if kind == RegKind::Send { c.receivers } else { c.senders };
        let node = c.head;
        if others == 0 && !is_extra(node) {
            // every waiter is of this kind and the first is a tasklet's own registration: the usual
            // case, O(1)
            if let Some(w) = self.waits.get_mut(node as usize) {
                let next = w.next;
                w.next = NONE;
                c.head = next;
                if kind == RegKind::Send {
                    c.senders -= 1;
                } else {
                    c.receivers -= 1;
                }
                if next == NONE {
                    c.tail = NONE;
                } else {
                    self.set_prev(next, NONE);
                }
                return node;
            }
        }
        self.pop_waiter_slow(channel, kind)
    }

    #[inline(never)]
    fn pop_waiter_slow(&mut self, channel: u32, kind: RegKind) -> u32 {
        let node = self.first_waiter(channel, kind);
        if node != NONE {
            self.unregister(node);
        }
        node
    }

    /// The first waiter of `kind` in a channel's list.
    #[inline]
    pub fn first_waiter(&self, channel: u32, kind: RegKind) -> u32 {
        let mut node = self.channels[channel as usize].head;
        while node != NONE {
            if self.node_kind(node) == kind {
                return node;
            }
            node = self.node_links(node).1;
        }
        NONE
    }

    // ---------------------------------------------------------------------------------------------
    // Registrations: a tasklet's own (node = its slot) or extra ones (node = EXTRA | index)

    #[inline]
    pub fn node_kind(&self, node: u32) -> RegKind {
        if is_extra(node) {
            self.regs[(node & !EXTRA) as usize].kind
        } else {
            self.tasklets[node as usize].kind()
        }
    }

    /// (tasklet, arm, target)
    #[inline]
    pub fn node_owner(&self, node: u32) -> (u32, u16, u32) {
        if is_extra(node) {
            let r = &self.regs[(node & !EXTRA) as usize];
            (r.tasklet, r.arm, r.target)
        } else {
            (node, 0, self.waits[node as usize].target)
        }
    }

    /// (prev, next)
    #[inline]
    pub fn node_links(&self, node: u32) -> (u32, u32) {
        if is_extra(node) {
            let r = &self.regs[(node & !EXTRA) as usize];
            (r.prev, r.next)
        } else {
            let w = &self.waits[node as usize];
            (w.prev, w.next)
        }
    }

    #[inline]
    fn set_prev(&mut self, node: u32, prev: u32) {
        if is_extra(node) {
            self.regs[(node & !EXTRA) as usize].prev = prev;
        } else {
            self.waits[node as usize].prev = prev;
        }
    }

    #[inline]
    fn set_next(&mut self, node: u32, next: u32) {
        if is_extra(node) {
            self.regs[(node & !EXTRA) as usize].next = next;
        } else {
            self.waits[node as usize].next = next;
        }
    }

    /// A registration of tasklet `slot` for arm `arm`: its own for arm 0, an extra one (chained after
    /// `last`) for the others. The caller links it where it waits.
    pub fn new_node(&mut self, slot: u32, kind: RegKind, target: u32, arm: u16, last: u32) -> u32 {
        if arm == 0 {
            self.waits[slot as usize] = Wait { target, prev: NONE, next: NONE };
            self.tasklets[slot as usize].set_kind(kind);
            return slot;
        }
        let reg = Reg { kind, arm, tasklet: slot, target, prev: NONE, next: NONE, sibling: NONE };
        let r = if self.free_reg != NONE {
            let r = self.free_reg;
            self.free_reg = self.regs[r as usize].sibling;
            self.regs[r as usize] = reg;
            r
        } else {
            self.regs.push(reg);
            self.regs.len() as u32 - 1
        };
        if is_extra(last) {
            self.regs[(last & !EXTRA) as usize].sibling = r;
        } else {
            self.tasklets[slot as usize].extra = r;
        }
        EXTRA | r
    }

    fn free_node(&mut self, node: u32) {
        if is_extra(node) {
            let r = node & !EXTRA;
            self.regs[r as usize] =
                Reg { kind: RegKind::Free, arm: 0, tasklet: NONE, target: NONE, prev: NONE, next: NONE, sibling: self.free_reg };
            self.free_reg = r;
        } else {
            self.waits[node as usize] = Wait::NONE;
            self.tasklets[node as usize].set_kind(RegKind::Free);
        }
    }

    /// Appends a node to the list `(head, tail)` of a channel or group.
    #[inline]
    pub fn link_back(&mut self, list: List, node: u32) {
        let (_, tail) = self.list(list);
        self.set_prev(node, tail);
        self.set_next(node, NONE);
        if tail == NONE {
            self.set_list(list, Some(node), Some(node));
        } else {
            self.set_next(tail, node);
            self.set_list(list, None, Some(node));
        }
    }

    #[inline]
    fn unlink(&mut self, list: List, node: u32) {
        let (prev, next) = self.node_links(node);
        if prev == NONE {
            self.set_list(list, Some(next), None);
        } else {
            self.set_next(prev, next);
        }
        if next == NONE {
            self.set_list(list, None, Some(prev));
        } else {
            self.set_prev(next, prev);
        }
        self.set_prev(node, NONE);
        self.set_next(node, NONE);
    }

    #[inline]
    fn list(&self, list: List) -> (u32, u32) {
        match list {
            List::Channel(c) => (self.channels[c as usize].head, self.channels[c as usize].tail),
            List::Group(g) => (self.groups[g as usize].head, self.groups[g as usize].tail),
        }
    }

    #[inline]
    fn set_list(&mut self, list: List, head: Option<u32>, tail: Option<u32>) {
        let (h, t) = match list {
            List::Channel(c) => {
                let c = &mut self.channels[c as usize];
                (&mut c.head, &mut c.tail)
            }
            List::Group(g) => {
                let g = &mut self.groups[g as usize];
                (&mut g.head, &mut g.tail)
            }
        };
        if let Some(head) = head {
            *h = head;
        }
        if let Some(tail) = tail {
            *t = tail;
        }
    }

    /// Takes a registration out of what it waits on (channel list, timer, message waits, request,
    /// joiners), without freeing it.
    #[inline]
    pub fn unregister(&mut self, node: u32) {
        let kind = self.node_kind(node);
        let (_, _, target) = self.node_owner(node);
        match kind {
            RegKind::Send | RegKind::Recv => {
                self.unlink(List::Channel(target), node);
                let c = &mut self.channels[target as usize];
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
                if let Some(i) = self.msg_waits.iter().position(|w| w.reg == node) {
                    self.msg_waits.remove(i);
                }
            }
            RegKind::Answer => {
                if let Some(req) = self.requests.iter_mut().find(|q| q.waiter == node) {
                    req.waiter = NONE;
                }
            }
            RegKind::Join => self.unlink(List::Group(target), node),
            RegKind::Free => {}
        }
    }

    /// Withdraws a registration that lost (or whose tasklet was killed) and frees it.
    fn withdraw(&mut self, node: u32) {
        if self.node_kind(node) == RegKind::Timer {
            let (_, _, target) = self.node_owner(node);
            let timer = TimerId::new(target, self.timers.slots[target as usize].gen);
            self.effects.push(Effect::TimerCancelled { timer });
        }
        self.unregister(node);
        self.free_node(node);
    }

    fn withdraw_all(&mut self, slot: u32) {
        if self.tasklets[slot as usize].kind() != RegKind::Free {
            self.withdraw(slot);
        }
        let mut r = self.tasklets[slot as usize].extra;
        while r != NONE {
            let next = self.regs[r as usize].sibling;
            self.withdraw(EXTRA | r);
            r = next;
        }
        self.tasklets[slot as usize].extra = NONE;
    }

    /// Registration `node` completed (the caller has already unregistered it): its tasklet's other
    /// registrations are withdrawn, the outcome goes to its resume slot, and it joins the run queue.
    #[inline(always)]
    pub fn wake(&mut self, node: u32, outcome: Outcome<V>) {
        self.wake_with(node, move || outcome);
    }

    /// [`Core::wake`] with the outcome made where it is stored: on the hot path it is written straight
    /// into the slot, never built in a temporary (narrow stores then a wide copy stall the copy).
    #[inline(always)]
    pub fn wake_with(&mut self, node: u32, outcome: impl FnOnce() -> Outcome<V>) {
        if !is_extra(node) {
            if let Some(t) = self.tasklets.get_mut(node as usize) {
                if t.extra == NONE {
                    // the common case: its only registration
                    t.flags = t.flags.woken();
                    t.slot.set(Slot::Resume(outcome()));
                    t.arm = 0;
                    self.waits[node as usize] = Wait::NONE;
                    self.queue.push_back(node);
                    return;
                }
            }
        }
        self.wake_choice(node, outcome());
    }

    /// [`Core::wake`] for a registration of a choice: the other arms are withdrawn first.
    #[inline(never)]
    fn wake_choice(&mut self, node: u32, outcome: Outcome<V>) {
        let (tasklet, arm, _) = self.node_owner(node);
        if self.tasklets[tasklet as usize].extra != NONE {
            // a choice: withdraw the other arms
            if node != tasklet && self.tasklets[tasklet as usize].kind() != RegKind::Free {
                self.withdraw(tasklet);
            }
            let mut r = self.tasklets[tasklet as usize].extra;
            while r != NONE {
                let next = self.regs[r as usize].sibling;
                if EXTRA | r != node {
                    self.withdraw(EXTRA | r);
                }
                r = next;
            }
        }
        self.free_node(node);
        let t = &mut self.tasklets[tasklet as usize];
        t.extra = NONE;
        t.slot.set(Slot::Resume(outcome));
        t.arm = arm;
        t.set_state(TState::Runnable);
        self.queue.push_back(tasklet);
    }

    /// Takes the value a send registration offers.
    #[inline]
    pub fn take_offer(&mut self, node: u32) -> Option<V> {
        let (tasklet, arm, _) = self.node_owner(node);
        let t = &mut self.tasklets[tasklet as usize];
        match &mut t.slot {
            Slot::Offer(_) => match std::mem::take(&mut t.slot) {
                Slot::Offer(v) => Some(v),
                _ => None,
            },
            Slot::Offers(values) => values.get_mut(usize::from(arm)).and_then(Option::take),
            _ => None,
        }
    }
}

/// A wait list: a channel's waiters or a group's joiners.
#[derive(Clone, Copy, Debug)]
pub(crate) enum List {
    Channel(u32),
    Group(u32),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory budget of an idle tasklet (issue 3: 128 bytes with its channel and registration):
    /// with a frame of 16 bytes and a value of 8, a tasklet is 64 bytes, its own registration 12, a
    /// channel 20.
    #[test]
    fn sizes() {
        use std::mem::size_of;
        assert_eq!(size_of::<Frames<[u32; 4]>>(), 24);
        assert_eq!(size_of::<Slot<u64>>(), 24);
        assert_eq!(size_of::<TaskletSlot<[u32; 4], u64>>(), 64);
        assert_eq!(size_of::<Wait>(), 12);
        assert_eq!(size_of::<Channel>(), 20);
        assert_eq!(size_of::<Reg>(), 24);
        assert_eq!(size_of::<Group>(), 24);
        // an id is one word for speed, but packed: no bigger, and no more aligned, than two u32s
        assert_eq!((size_of::<ChannelId>(), std::mem::align_of::<ChannelId>()), (8, 4));
        assert_eq!((size_of::<TaskletId>(), std::mem::align_of::<TaskletId>()), (8, 4));
    }

    #[test]
    fn flags_pack_three_things_in_a_byte() {
        for state in TState::ALL {
            for kind in RegKind::ALL {
                for owns in [false, true] {
                    let f = Flags::new(state, kind, owns);
                    assert!(f.is_valid());
                    assert_eq!((f.state(), f.kind(), f.owns_groups()), (state, kind, owns));
                    assert!(f.is(state));
                    assert_eq!(f.with_state(TState::Dying).kind(), kind);
                    assert_eq!(f.with_kind(RegKind::Join).state(), state);
                }
            }
        }
        assert!(!Flags(0x07).is_valid() && !Flags(0x80).is_valid() && !Flags(0x38).is_valid());
    }
}
