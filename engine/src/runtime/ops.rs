//! Blocking operations (can it complete now? complete it; or register and wait), choices, timers
//! firing, and events coming in.

use super::clock::Timestamp;
use super::core::{is_extra, EXTRA};
use super::core::{Core, Flags, Inbound, List, MsgWait, RegKind, Slot, TState, Wait};
use super::ids::{ChannelId, TaskletId, NONE};
use super::{Delivery, Effect, Event, Op, Outcome};

impl<F, V, K: PartialEq> Core<F, V, K> {
    /// Can `op` complete at once (including completing as [`Outcome::Closed`])?
    pub fn ready(&self, op: &Op<V, K>) -> bool {
        match op {
            Op::Send(ch, _) => self.live_channel(*ch).is_none_or(|c| self.channels[c as usize].receivers > 0),
            Op::Recv(ch) => self.live_channel(*ch).is_none_or(|c| self.channels[c as usize].senders > 0),
            Op::Sleep(ms) => *ms == 0,
            Op::Until(at) => *at <= self.now,
            Op::Message(key) => self.inbox.iter().any(|m| m.key == *key),
            Op::Answer(id) => match self.requests.iter().find(|q| q.id == *id) {
                None => true,
                Some(q) => q.answer.is_some() || q.waiter != NONE,
            },
            Op::Join(g) => self.live_group(*g).is_none_or(|g| self.groups[g as usize].remaining == 0),
        }
    }

    /// Hands `value` to the first receiver waiting on channel `c`.
    #[inline(always)]
    pub fn send_to_waiter(&mut self, c: u32, value: V) -> Outcome<V> {
        let r = self.pop_waiter(c, RegKind::Recv);
        if r == NONE {
            return Outcome::Closed;
        }
        self.wake_with(r, move || Outcome::Received(value));
        Outcome::Sent
    }

    /// Takes the value of the first sender waiting on channel `c`.
    #[inline(always)]
    fn receive_from_waiter(&mut self, c: u32) -> Outcome<V> {
        let r = self.pop_waiter(c, RegKind::Send);
        if r == NONE {
            return Outcome::Closed;
        }
        let value = self.take_offer(r);
        self.wake(r, Outcome::Sent);
        value.map_or(Outcome::Closed, Outcome::Received)
    }

    /// Completes an operation for which [`Core::ready`] said yes.
    pub fn complete(&mut self, op: Op<V, K>) -> Outcome<V> {
        match op {
            Op::Send(ch, value) => match self.live_channel(ch) {
                Some(c) => self.send_to_waiter(c, value),
                None => Outcome::Closed,
            },
            Op::Recv(ch) => match self.live_channel(ch) {
                Some(c) => self.receive_from_waiter(c),
                None => Outcome::Closed,
            },
            Op::Sleep(_) | Op::Until(_) => Outcome::TimerFired,
            Op::Message(key) => match self.inbox.iter().position(|m| m.key == key).and_then(|i| self.inbox.remove(i)) {
                Some(Inbound { value, exchange, .. }) => Outcome::Message { value, exchange },
                None => Outcome::Closed,
            },
            Op::Answer(id) => {
                let Some(i) = self.requests.iter().position(|q| q.id == id) else { return Outcome::Closed };
                if self.requests[i].waiter != NONE {
                    return Outcome::Closed;
                }
                match self.requests.remove(i).answer {
                    Some(Ok(v)) => Outcome::Answered(v),
                    Some(Err(v)) => Outcome::Failed(v),
                    None => Outcome::Closed,
                }
            }
            Op::Join(g) => {
                if let Some(g) = self.live_group(g) {
                    if self.groups[g as usize].head == NONE {
                        self.free_group(g);
                    }
                }
                Outcome::Joined
            }
        }
    }

    /// Registers tasklet `slot` as waiting on `op` (which is not ready) as arm `arm`, after its
    /// registration `last`. Returns the registration, and the value if it is a send.
    fn register(&mut self, slot: u32, op: Op<V, K>, arm: u16, last: u32) -> (u32, Option<V>) {
        match op {
            Op::Send(ch, value) => (self.register_on_channel(slot, RegKind::Send, ch.slot(), arm, last), Some(value)),
            Op::Recv(ch) => (self.register_on_channel(slot, RegKind::Recv, ch.slot(), arm, last), None),
            Op::Sleep(ms) => (self.register_timer(slot, self.now.plus_millis(ms), arm, last), None),
            Op::Until(at) => (self.register_timer(slot, at, arm, last), None),
            Op::Message(key) => {
                let node = self.new_node(slot, RegKind::Message, NONE, arm, last);
                self.msg_waits.push(MsgWait { key, reg: node });
                (node, None)
            }
            Op::Answer(id) => {
                let node = self.new_node(slot, RegKind::Answer, NONE, arm, last);
                if let Some(q) = self.requests.iter_mut().find(|q| q.id == id) {
                    q.waiter = node;
                }
                (node, None)
            }
            Op::Join(g) => {
                let node = self.new_node(slot, RegKind::Join, g.slot(), arm, last);
                self.link_back(List::Group(g.slot()), node);
                (node, None)
            }
        }
    }

    #[inline]
    fn register_on_channel(&mut self, slot: u32, kind: RegKind, c: u32, arm: u16, last: u32) -> u32 {
        let node = self.new_node(slot, kind, c, arm, last);
        self.link_back(List::Channel(c), node);
        let chan = &mut self.channels[c as usize];
        if kind == RegKind::Send {
            chan.senders += 1;
        } else {
            chan.receivers += 1;
        }
        node
    }

    fn register_timer(&mut self, slot: u32, due: Timestamp, arm: u16, last: u32) -> u32 {
        let node = self.new_node(slot, RegKind::Timer, NONE, arm, last);
        let timer = self.timers.add(due, node);
        if is_extra(node) {
            self.regs[(node & !EXTRA) as usize].target = timer.slot();
        } else {
            self.waits[node as usize].target = timer.slot();
        }
        self.effects.push(Effect::TimerSet { timer, due });
        node
    }

    /// The running tasklet has completed an operation at once: the outcome is for its next step.
    #[inline(always)]
    fn resume_now(&mut self, slot: u32, outcome: Outcome<V>, arm: u16) -> bool {
        let t = &mut self.tasklets[slot as usize];
        t.slot.set(Slot::Resume(outcome));
        t.arm = arm;
        true
    }

    /// The running tasklet blocks on one operation. True if it completed at once (the outcome is in
    /// the resume slot and the tasklet keeps running). Whatever the step left in the resume slot is
    /// replaced.
    #[inline(always)]
    pub fn block(&mut self, slot: u32, op: Op<V, K>) -> bool {
        // sends and receives first, without the general machinery: the rendezvous is the hot path
        match op {
            Op::Send(ch, value) => self.block_send(slot, ch, value),
            Op::Recv(ch) => self.block_recv(slot, ch),
            op => self.block_other(slot, op),
        }
    }

    #[inline(always)]
    fn block_send(&mut self, slot: u32, ch: ChannelId, value: V) -> bool {
        let Some(c) = self.live_channel(ch) else { return self.resume_now(slot, Outcome::Closed, 0) };
        if self.channels[c as usize].receivers > 0 {
            let outcome = self.send_to_waiter(c, value);
            return self.resume_now(slot, outcome, 0);
        }
        self.wait_on_channel(slot, RegKind::Send, c);
        self.tasklets[slot as usize].slot.set(Slot::Offer(value));
        false
    }

    #[inline(always)]
    fn block_recv(&mut self, slot: u32, ch: ChannelId) -> bool {
        let Some(c) = self.live_channel(ch) else { return self.resume_now(slot, Outcome::Closed, 0) };
        if self.channels[c as usize].senders > 0 {
            let outcome = self.receive_from_waiter(c);
            return self.resume_now(slot, outcome, 0);
        }
        self.wait_on_channel(slot, RegKind::Recv, c);
        let t = &mut self.tasklets[slot as usize];
        if !matches!(t.slot, Slot::Empty) {
            t.slot = Slot::Empty;
        }
        false
    }

    /// Tasklet `slot` (running, no registration) blocks on channel `c` with its own registration,
    /// appended to the channel's waiters: [`Core::register_on_channel`] for arm 0, in one go.
    #[inline(always)]
    fn wait_on_channel(&mut self, slot: u32, kind: RegKind, c: u32) {
        let chan = &mut self.channels[c as usize];
        let tail = chan.tail;
        chan.tail = slot;
        if kind == RegKind::Send {
            chan.senders += 1;
        } else {
            chan.receivers += 1;
        }
        if tail == NONE {
            chan.head = slot;
        } else if is_extra(tail) {
            self.regs[(tail & !EXTRA) as usize].next = slot;
        } else {
            self.waits[tail as usize].next = slot;
        }
        self.waits[slot as usize] = Wait { target: c, prev: tail, next: NONE };
        let t = &mut self.tasklets[slot as usize];
        t.flags = Flags::new(TState::Blocked, kind, t.flags.owns_groups());
    }

    /// [`Core::block`] on anything but a channel.
    #[inline(never)]
    fn block_other(&mut self, slot: u32, op: Op<V, K>) -> bool {
        if self.ready(&op) {
            let outcome = self.complete(op);
            return self.resume_now(slot, outcome, 0);
        }
        let (_, offered) = self.register(slot, op, 0, NONE);
        let t = &mut self.tasklets[slot as usize];
        t.slot = offered.map_or(Slot::Empty, Slot::Offer);
        t.set_state(TState::Blocked);
        false
    }

    /// The running tasklet chooses among operations. True if one completed at once.
    pub fn choose(&mut self, slot: u32, mut ops: Vec<Op<V, K>>) -> bool {
        ops.truncate(usize::from(u16::MAX) + 1);
        if let Some(i) = ops.iter().position(|op| self.ready(op)) {
            let outcome = self.complete(ops.swap_remove(i));
            return self.resume_now(slot, outcome, i as u16);
        }
        if ops.is_empty() {
            // waiting on nothing: never woken, but killable
            self.tasklets[slot as usize].set_state(TState::Blocked);
            return false;
        }
        let sends = ops.iter().filter(|op| matches!(op, Op::Send(..))).count();
        let n = ops.len();
        let mut offers: Vec<Option<V>> = Vec::new();
        let mut single = None;
        let mut last = NONE;
        for (arm, op) in ops.into_iter().enumerate() {
            let (node, offered) = self.register(slot, op, arm as u16, last);
            last = node;
            if let Some(v) = offered {
                if sends == 1 {
                    single = Some(v);
                } else {
                    if offers.is_empty() {
                        offers.resize_with(n, || None);
                    }
                    offers[arm] = Some(v);
                }
            }
        }
        let t = &mut self.tasklets[slot as usize];
        t.slot = match single {
            Some(v) => Slot::Offer(v),
            None if !offers.is_empty() => Slot::Offers(offers.into_boxed_slice()),
            None => Slot::Empty,
        };
        t.set_state(TState::Blocked);
        false
    }

    /// Fires every timer due at the earliest due time, if that is no later than `upto`; moves the
    /// instance's time there. False if none was due.
    pub fn fire_next_timers(&mut self, upto: Timestamp) -> bool {
        let Some(due) = self.timers.next_due() else { return false };
        if due > upto {
            return false;
        }
        self.now = self.now.max(due);
        while let Some(&(at, _, timer)) = self.timers.order.first() {
            if at > self.now {
                break;
            }
            let r = self.timers.remove(timer);
            self.wake(r, Outcome::TimerFired);
        }
        true
    }

    pub fn deliver(&mut self, event: Event<V, K>) -> Delivery {
        if self.status != super::InstanceStatus::Running {
            return Delivery::Ignored;
        }
        match event {
            Event::Message { key, value, exchange } => match self.msg_waits.iter().position(|w| w.key == key) {
                Some(i) => {
                    let r = self.msg_waits.remove(i).reg;
                    let (tasklet, _, _) = self.node_owner(r);
                    self.wake(r, Outcome::Message { value, exchange });
                    Delivery::Woke(self.tasklet_id(tasklet))
                }
                None => {
                    self.inbox.push_back(Inbound { key, value, exchange });
                    Delivery::Buffered
                }
            },
            Event::TimerFired(id) => {
                let Some(timer) = self.timers.live(id).copied() else { return Delivery::Ignored };
                self.now = self.now.max(timer.due);
                let r = self.timers.remove(id.slot());
                let (tasklet, _, _) = self.node_owner(r);
                self.wake(r, Outcome::TimerFired);
                Delivery::Woke(self.tasklet_id(tasklet))
            }
            Event::Answered { request, value } => self.answer(request, Ok(value)),
            Event::Failed { request, fault } => self.answer(request, Err(fault)),
        }
    }

    fn answer(&mut self, request: super::RequestId, answer: Result<V, V>) -> Delivery {
        let Some(i) = self.requests.iter().position(|q| q.id == request) else { return Delivery::Ignored };
        let q = &mut self.requests[i];
        if q.answer.is_some() {
            return Delivery::Ignored;
        }
        if q.waiter == NONE {
            q.answer = Some(answer);
            return Delivery::Buffered;
        }
        let r = self.requests.remove(i).waiter;
        let (tasklet, _, _) = self.node_owner(r);
        let outcome = match answer {
            Ok(v) => Outcome::Answered(v),
            Err(v) => Outcome::Failed(v),
        };
        self.wake(r, outcome);
        Delivery::Woke(self.tasklet_id(tasklet))
    }

    /// The ids of the live tasklets, in slot order.
    pub fn live_ids(&self) -> impl Iterator<Item = TaskletId> + '_ {
        self.tasklets.iter().enumerate().filter(|(_, t)| t.is_alive()).map(|(i, t)| TaskletId::new(i as u32, t.gen))
    }
}
