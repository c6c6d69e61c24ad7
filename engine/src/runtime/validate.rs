//! The consistency check a deserialized instance passes before it is used. The run loop indexes its
//! slabs and follows its links without checking; this makes that safe for state read from a file:
//! every index in range, every list acyclic and consistent both ways, every count right.

use super::core::{Core, RegKind, Slot, TState};
use super::ids::NONE;
use super::InstanceStatus;

/// An instance whose internal links do not hold together (a corrupt or forged checkpoint).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("inconsistent instance state: {0}")]
pub struct InvalidState(pub String);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(InvalidState(format!($($msg)+)));
        }
    };
}

impl<F, V, K> Core<F, V, K> {
    pub fn validate(&self) -> Result<(), InvalidState> {
        let nt = self.tasklets.len();
        let nr = self.regs.len();
        let nc = self.channels.len();
        let ng = self.groups.len();
        let nm = self.timers.slots.len();
        ensure!(nt < NONE as usize && nr < NONE as usize && nc < NONE as usize, "too many slots");
        ensure!(ng < NONE as usize && nm < NONE as usize, "too many slots");

        // --- main and status
        let main = self.tasklets.get(self.main.slot() as usize);
        ensure!(main.is_some(), "main tasklet {} out of range", self.main);
        let alive = self.tasklets.iter().filter(|t| t.is_alive()).count();
        if self.status == InstanceStatus::Running {
            ensure!(main.is_some_and(|m| m.gen == self.main.gen() && m.is_alive()), "running instance without its main tasklet");
        } else {
            ensure!(alive == 0 && self.queue.is_empty(), "ended instance with live tasklets");
        }

        // --- registrations: who holds each (a tasklet's chain, or the free list)
        let mut held = vec![false; nr];
        let mut free = self.free_reg;
        let mut steps = 0;
        while free != NONE {
            let reg = self.regs.get(free as usize);
            ensure!(reg.is_some_and(|r| r.kind == RegKind::Free), "free registration list broken at {free}");
            ensure!(!held[free as usize], "free registration list loops");
            held[free as usize] = true;
            free = self.regs[free as usize].sibling;
            steps += 1;
        }
        let free_regs = steps;

        // --- tasklets
        let mut queued = vec![0u8; nt];
        for &s in &self.queue {
            ensure!((s as usize) < nt, "run queue entry {s} out of range");
            ensure!(queued[s as usize] == 0, "tasklet slot {s} twice in the run queue");
            queued[s as usize] = 1;
        }
        let mut chained = 0usize;
        for (i, t) in self.tasklets.iter().enumerate() {
            let in_queue = queued[i] == 1;
            match t.state {
                TState::Runnable => {
                    ensure!(in_queue, "runnable tasklet {i} not in the run queue");
                    ensure!(t.regs == NONE, "runnable tasklet {i} with registrations");
                    ensure!(matches!(t.slot, Slot::Empty | Slot::Resume(_)), "runnable tasklet {i} offering a value");
                }
                TState::Blocked => {
                    ensure!(!in_queue, "blocked tasklet {i} in the run queue");
                    ensure!(matches!(t.slot, Slot::Empty | Slot::Offer(_) | Slot::Offers(_)), "blocked tasklet {i} with a result");
                    let mut r = t.regs;
                    let mut sends = Vec::new();
                    while r != NONE {
                        let reg = self.regs.get(r as usize);
                        ensure!(reg.is_some_and(|g| g.kind != RegKind::Free), "tasklet {i}: registration {r} invalid");
                        ensure!(!held[r as usize], "registration {r} held twice");
                        held[r as usize] = true;
                        chained += 1;
                        let reg = self.regs[r as usize];
                        ensure!(reg.tasklet == i as u32, "registration {r} names tasklet {} not {i}", reg.tasklet);
                        if reg.kind == RegKind::Send {
                            sends.push(reg.arm);
                        }
                        r = reg.sibling;
                    }
                    match &t.slot {
                        Slot::Empty => ensure!(sends.is_empty(), "tasklet {i} sends without a value"),
                        Slot::Offer(_) => ensure!(sends.len() == 1, "tasklet {i}: one value for {} sends", sends.len()),
                        Slot::Offers(values) => {
                            ensure!(sends.len() > 1, "tasklet {i}: several values for {} sends", sends.len());
                            for arm in sends {
                                ensure!(values.get(arm as usize).is_some_and(Option::is_some), "tasklet {i}: no value for arm {arm}");
                            }
                        }
                        Slot::Resume(_) => {}
                    }
                }
                TState::Finished | TState::Killed | TState::Dying => {
                    ensure!(in_queue == (t.state == TState::Dying), "dead tasklet {i}: run queue membership wrong");
                    ensure!(t.regs == NONE && t.frames.is_empty(), "dead tasklet {i} holds state");
                    ensure!(matches!(t.slot, Slot::Empty), "dead tasklet {i} holds a value");
                }
            }
            if t.is_alive() || t.state == TState::Dying {
                let g = t.link;
                if t.is_alive() && g != NONE {
                    ensure!(self.groups.get(g as usize).is_some_and(|g| g.gen % 2 == 1), "tasklet {i} in a missing group {g}");
                } else if t.state == TState::Dying {
                    ensure!(g == NONE, "dying tasklet {i} still in a group");
                }
            }
        }
        ensure!(chained + free_regs == nr, "{} registrations held by nobody", nr - chained - free_regs);

        // tasklet free list: exactly the dead slots not in the queue
        let mut seen = vec![false; nt];
        let mut free = self.free_tasklet;
        let mut free_tasklets = 0usize;
        while free != NONE {
            let t = self.tasklets.get(free as usize);
            ensure!(t.is_some_and(|t| matches!(t.state, TState::Finished | TState::Killed)), "free tasklet list broken at {free}");
            ensure!(!seen[free as usize], "free tasklet list loops");
            seen[free as usize] = true;
            free_tasklets += 1;
            free = self.tasklets[free as usize].link;
        }
        let dead = self.tasklets.iter().filter(|t| matches!(t.state, TState::Finished | TState::Killed)).count();
        ensure!(free_tasklets == dead, "free tasklet list misses {} slots", dead - free_tasklets);

        // --- channels: lists consistent both ways, counts right, every send/receive listed once
        let mut listed = vec![false; nr];
        let mut seen = vec![false; nc];
        let mut free = self.free_channel;
        while free != NONE {
            let c = self.channels.get(free as usize);
            ensure!(c.is_some_and(|c| c.gen % 2 == 0), "free channel list broken at {free}");
            ensure!(!seen[free as usize], "free channel list loops");
            seen[free as usize] = true;
            free = self.channels[free as usize].head;
        }
        for (i, c) in self.channels.iter().enumerate() {
            if c.gen % 2 == 0 {
                ensure!(seen[i], "dropped channel {i} not in the free list");
                continue;
            }
            let (mut senders, mut receivers) = (0u32, 0u32);
            let mut prev = NONE;
            let mut r = c.head;
            while r != NONE {
                let reg = self.regs.get(r as usize);
                ensure!(
                    reg.is_some_and(|g| matches!(g.kind, RegKind::Send | RegKind::Recv) && g.target == i as u32),
                    "channel {i}: waiter {r} invalid"
                );
                ensure!(held[r as usize] && !listed[r as usize], "channel {i}: waiter {r} listed twice or orphaned");
                listed[r as usize] = true;
                let reg = self.regs[r as usize];
                ensure!(reg.prev == prev, "channel {i}: waiter {r} has a wrong back link");
                if reg.kind == RegKind::Send {
                    senders += 1;
                } else {
                    receivers += 1;
                }
                prev = r;
                r = reg.next;
            }
            ensure!(c.tail == prev, "channel {i}: wrong tail");
            ensure!(c.senders == senders && c.receivers == receivers, "channel {i}: wrong counts");
        }

        // --- groups: member counts, joiners
        let mut members = vec![0u32; ng];
        for t in self.tasklets.iter().filter(|t| t.is_alive() && t.link != NONE) {
            members[t.link as usize] += 1;
        }
        let mut seen = vec![false; ng];
        let mut free = self.free_group;
        while free != NONE {
            let g = self.groups.get(free as usize);
            ensure!(g.is_some_and(|g| g.gen % 2 == 0), "free group list broken at {free}");
            ensure!(!seen[free as usize], "free group list loops");
            seen[free as usize] = true;
            free = self.groups[free as usize].head;
        }
        for (i, g) in self.groups.iter().enumerate() {
            if g.gen % 2 == 0 {
                ensure!(seen[i], "freed group {i} not in the free list");
                continue;
            }
            ensure!(g.remaining == members[i], "group {i}: {} members counted, {} alive", g.remaining, members[i]);
            let mut prev = NONE;
            let mut r = g.head;
            while r != NONE {
                let reg = self.regs.get(r as usize);
                ensure!(reg.is_some_and(|x| x.kind == RegKind::Join && x.target == i as u32), "group {i}: joiner {r} invalid");
                ensure!(held[r as usize] && !listed[r as usize], "group {i}: joiner {r} listed twice or orphaned");
                listed[r as usize] = true;
                ensure!(self.regs[r as usize].prev == prev, "group {i}: joiner {r} has a wrong back link");
                prev = r;
                r = self.regs[r as usize].next;
            }
            ensure!(g.tail == prev, "group {i}: wrong tail");
            ensure!(g.head == NONE || g.remaining > 0, "group {i}: joiners of a group with no members");
        }

        // --- timers
        let mut seen = vec![false; nm];
        let mut free = self.timers.free;
        while free != NONE {
            let t = self.timers.slots.get(free as usize);
            ensure!(t.is_some_and(|t| t.gen % 2 == 0), "free timer list broken at {free}");
            ensure!(!seen[free as usize], "free timer list loops");
            seen[free as usize] = true;
            free = self.timers.slots[free as usize].reg;
        }
        for (i, t) in self.timers.slots.iter().enumerate() {
            if t.gen % 2 == 0 {
                ensure!(seen[i], "unset timer {i} not in the free list");
                continue;
            }
            ensure!(t.seq < self.timers.next_seq, "timer {i}: sequence number from the future");
            let r = t.reg;
            ensure!(
                self.regs.get(r as usize).is_some_and(|g| g.kind == RegKind::Timer && g.target == i as u32),
                "timer {i}: waiter {r} invalid"
            );
            ensure!(held[r as usize] && !listed[r as usize], "timer {i}: waiter {r} listed twice or orphaned");
            listed[r as usize] = true;
        }

        // --- message waits and requests
        for w in &self.msg_waits {
            let r = w.reg;
            ensure!(self.regs.get(r as usize).is_some_and(|g| g.kind == RegKind::Message), "message wait {r} invalid");
            ensure!(held[r as usize] && !listed[r as usize], "message wait {r} listed twice or orphaned");
            listed[r as usize] = true;
        }
        for (i, q) in self.requests.iter().enumerate() {
            ensure!(q.id.0 < self.next_request, "request {} from the future", q.id);
            ensure!(!self.requests[..i].iter().any(|o| o.id == q.id), "request {} twice", q.id);
            ensure!(self.tasklets.get(q.owner as usize).is_some_and(|t| t.is_alive()), "request {}: its tasklet is gone", q.id);
            if q.waiter != NONE {
                let r = q.waiter;
                ensure!(q.answer.is_none(), "request {} answered and awaited", q.id);
                ensure!(self.regs.get(r as usize).is_some_and(|g| g.kind == RegKind::Answer), "request {}: waiter {r} invalid", q.id);
                ensure!(held[r as usize] && !listed[r as usize], "request {}: waiter {r} listed twice or orphaned", q.id);
                listed[r as usize] = true;
            }
        }

        // every registration held by a tasklet is listed where it waits
        for (r, reg) in self.regs.iter().enumerate() {
            ensure!(reg.kind == RegKind::Free || listed[r], "registration {r} waits nowhere");
        }
        Ok(())
    }
}
