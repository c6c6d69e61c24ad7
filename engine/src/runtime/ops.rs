//! Blocking operations (can it complete now? complete it; or register and wait), choices, timers
//! firing, and events coming in.

use super::clock::Timestamp;
use super::core::{Core, Inbound, MsgWait, RegKind, Slot, TState};
use super::ids::{TaskletId, NONE};
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

    /// Completes an operation for which [`Core::ready`] said yes.
    pub fn complete(&mut self, op: Op<V, K>) -> Outcome<V> {
        match op {
            Op::Send(ch, value) => {
                let Some(c) = self.live_channel(ch) else { return Outcome::Closed };
                let r = self.first_waiter(c, RegKind::Recv);
                if r == NONE {
                    return Outcome::Closed;
                }
                self.unregister(r);
                self.wake(r, Outcome::Received(value));
                Outcome::Sent
            }
            Op::Recv(ch) => {
                let Some(c) = self.live_channel(ch) else { return Outcome::Closed };
                let r = self.first_waiter(c, RegKind::Send);
                if r == NONE {
                    return Outcome::Closed;
                }
                self.unregister(r);
                let value = self.take_offer(r);
                self.wake(r, Outcome::Sent);
                value.map_or(Outcome::Closed, Outcome::Received)
            }
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

    /// Registers tasklet `slot` as waiting on `op` (which is not ready) as arm `arm`, appending the
    /// registration to its chain after `last`. Returns the registration, and the value if it is a send.
    fn register(&mut self, slot: u32, op: Op<V, K>, arm: u16, last: u32) -> (u32, Option<V>) {
        let mut offered = None;
        let r = match op {
            Op::Send(ch, value) => {
                let c = ch.slot();
                let r = self.alloc_reg(RegKind::Send, slot, c, arm);
                let chan = &mut self.channels[c as usize];
                Self::link_back(&mut self.regs, &mut chan.head, &mut chan.tail, r);
                chan.senders += 1;
                offered = Some(value);
                r
            }
            Op::Recv(ch) => {
                let c = ch.slot();
                let r = self.alloc_reg(RegKind::Recv, slot, c, arm);
                let chan = &mut self.channels[c as usize];
                Self::link_back(&mut self.regs, &mut chan.head, &mut chan.tail, r);
                chan.receivers += 1;
                r
            }
            Op::Sleep(ms) => self.register_timer(slot, self.now.plus_millis(ms), arm),
            Op::Until(at) => self.register_timer(slot, at, arm),
            Op::Message(key) => {
                let r = self.alloc_reg(RegKind::Message, slot, NONE, arm);
                self.msg_waits.push(MsgWait { key, reg: r });
                r
            }
            Op::Answer(id) => {
                let r = self.alloc_reg(RegKind::Answer, slot, NONE, arm);
                if let Some(q) = self.requests.iter_mut().find(|q| q.id == id) {
                    q.waiter = r;
                }
                r
            }
            Op::Join(g) => {
                let g = g.slot();
                let r = self.alloc_reg(RegKind::Join, slot, g, arm);
                let grp = &mut self.groups[g as usize];
                Self::link_back(&mut self.regs, &mut grp.head, &mut grp.tail, r);
                r
            }
        };
        if last == NONE {
            self.tasklets[slot as usize].regs = r;
        } else {
            self.regs[last as usize].sibling = r;
        }
        (r, offered)
    }

    fn register_timer(&mut self, slot: u32, due: Timestamp, arm: u16) -> u32 {
        let r = self.alloc_reg(RegKind::Timer, slot, NONE, arm);
        let timer = self.timers.add(due, r);
        self.regs[r as usize].target = timer.slot();
        self.effects.push(Effect::TimerSet { timer, due });
        r
    }

    /// The running tasklet blocks on one operation. True if it completed at once (the outcome is in
    /// the resume slot and the tasklet keeps running).
    pub fn block(&mut self, slot: u32, op: Op<V, K>) -> bool {
        if self.ready(&op) {
            let outcome = self.complete(op);
            let t = &mut self.tasklets[slot as usize];
            t.slot = Slot::Resume(outcome);
            t.arm = 0;
            return true;
        }
        let (_, offered) = self.register(slot, op, 0, NONE);
        let t = &mut self.tasklets[slot as usize];
        t.slot = offered.map_or(Slot::Empty, Slot::Offer);
        t.state = TState::Blocked;
        false
    }

    /// The running tasklet chooses among operations. True if one completed at once.
    pub fn choose(&mut self, slot: u32, mut ops: Vec<Op<V, K>>) -> bool {
        ops.truncate(usize::from(u16::MAX) + 1);
        if let Some(i) = ops.iter().position(|op| self.ready(op)) {
            let outcome = self.complete(ops.swap_remove(i));
            let t = &mut self.tasklets[slot as usize];
            t.slot = Slot::Resume(outcome);
            t.arm = i as u16;
            return true;
        }
        if ops.is_empty() {
            // waiting on nothing: never woken, but killable
            self.tasklets[slot as usize].state = TState::Blocked;
            return false;
        }
        let sends = ops.iter().filter(|op| matches!(op, Op::Send(..))).count();
        let n = ops.len();
        let mut offers: Vec<Option<V>> = Vec::new();
        let mut single = None;
        let mut last = NONE;
        for (arm, op) in ops.into_iter().enumerate() {
            let (r, offered) = self.register(slot, op, arm as u16, last);
            last = r;
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
            None if !offers.is_empty() => Slot::Offers(offers),
            None => Slot::Empty,
        };
        t.state = TState::Blocked;
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
                    let tasklet = self.regs[r as usize].tasklet;
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
                let tasklet = self.regs[r as usize].tasklet;
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
        let tasklet = self.regs[r as usize].tasklet;
        let outcome = match answer {
            Ok(v) => Outcome::Answered(v),
            Err(v) => Outcome::Failed(v),
        };
        self.wake(r, outcome);
        Delivery::Woke(self.tasklet_id(tasklet))
    }

    /// The ids of the live tasklets, in slot order.
    pub fn live_ids(&self) -> impl Iterator<Item = TaskletId> + '_ {
        self.tasklets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_alive())
            .map(|(i, t)| TaskletId::new(i as u32, t.gen))
    }
}
