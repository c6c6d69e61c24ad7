//! The consistency check a deserialized instance passes before it is used. The run loop indexes its
//! slabs and follows its links without checking; this makes that safe for state read from a file:
//! every index in range, every list acyclic and consistent both ways, every count right.

use super::core::{is_extra, Core, RegKind, Slot, TState, EXTRA};
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

/// Which registrations are held by a blocked tasklet, and which are listed where they wait.
struct Nodes {
    /// By tasklet slot: its own registration is held / listed.
    own_held: Vec<bool>,
    own_listed: Vec<bool>,
    /// By registration index.
    extra_held: Vec<bool>,
    extra_listed: Vec<bool>,
}

impl Nodes {
    /// Marks `node` as listed in `what` number `index`; it must be held, and listed only once.
    fn list(&mut self, node: u32, what: &str, index: usize) -> Result<(), InvalidState> {
        let (held, listed) = if is_extra(node) {
            let i = (node & !EXTRA) as usize;
            (self.extra_held.get(i).copied().unwrap_or(false), self.extra_listed.get_mut(i))
        } else {
            let i = node as usize;
            (self.own_held.get(i).copied().unwrap_or(false), self.own_listed.get_mut(i))
        };
        ensure!(held, "{what} {index}: registration {node:#x} is held by no blocked tasklet");
        match listed {
            Some(l) if !*l => {
                *l = true;
                Ok(())
            }
            _ => Err(InvalidState(format!("{what} {index}: registration {node:#x} listed twice"))),
        }
    }
}

impl<F, V, K> Core<F, V, K> {
    /// (kind, target, prev, next) of a node known to be in range, in one lookup.
    #[inline(always)]
    fn node_all(&self, node: u32) -> (RegKind, u32, u32, u32) {
        if is_extra(node) {
            let r = &self.regs[(node & !EXTRA) as usize];
            (r.kind, r.target, r.prev, r.next)
        } else {
            let w = &self.waits[node as usize];
            (self.tasklets[node as usize].kind(), w.target, w.prev, w.next)
        }
    }

    pub fn validate(&self) -> Result<(), InvalidState> {
        let nt = self.tasklets.len();
        let nr = self.regs.len();
        let nc = self.channels.len();
        let ng = self.groups.len();
        let nm = self.timers.slots.len();
        ensure!(nt < EXTRA as usize && nr < EXTRA as usize, "too many slots");
        ensure!(nc < NONE as usize && ng < NONE as usize && nm < NONE as usize, "too many slots");
        ensure!(self.waits.len() == nt, "{} waits for {nt} tasklets", self.waits.len());

        // --- main and status
        let (mut alive, mut dead) = (0usize, 0usize);
        for (i, t) in self.tasklets.iter().enumerate() {
            ensure!(t.flags.is_valid(), "tasklet {i}: invalid flags");
            alive += usize::from(t.is_alive());
            dead += usize::from(matches!(t.state(), TState::Finished | TState::Killed));
        }
        let main = self.tasklets.get(self.main.slot() as usize);
        ensure!(main.is_some(), "main tasklet {} out of range", self.main);
        if self.status == InstanceStatus::Running {
            ensure!(main.is_some_and(|m| m.gen == self.main.gen() && m.is_alive()), "running instance without its main tasklet");
        } else {
            ensure!(alive == 0 && self.queue.is_empty(), "ended instance with live tasklets");
        }

        // --- free registrations
        let mut nodes =
            Nodes { own_held: vec![false; nt], own_listed: vec![false; nt], extra_held: vec![false; nr], extra_listed: vec![false; nr] };
        let mut free_regs = vec![false; nr];
        let mut free = self.free_reg;
        let mut free_count = 0usize;
        while free != NONE {
            let reg = self.regs.get(free as usize);
            ensure!(reg.is_some_and(|r| r.kind == RegKind::Free), "free registration list broken at {free}");
            ensure!(!free_regs[free as usize], "free registration list loops");
            free_regs[free as usize] = true;
            free_count += 1;
            free = self.regs[free as usize].sibling;
        }

        // --- tasklets
        let mut queued = vec![false; nt];
        for &s in &self.queue {
            ensure!((s as usize) < nt, "run queue entry {s} out of range");
            ensure!(!queued[s as usize], "tasklet slot {s} twice in the run queue");
            queued[s as usize] = true;
        }
        let mut chained = 0usize;
        for (i, t) in self.tasklets.iter().enumerate() {
            let in_queue = queued[i];
            let kind = t.kind();
            match t.state() {
                TState::Runnable => {
                    ensure!(in_queue, "runnable tasklet {i} not in the run queue");
                    ensure!(kind == RegKind::Free && t.extra == NONE, "runnable tasklet {i} with registrations");
                    ensure!(matches!(t.slot, Slot::Empty | Slot::Resume(_)), "runnable tasklet {i} offering a value");
                }
                TState::Blocked => {
                    ensure!(!in_queue, "blocked tasklet {i} in the run queue");
                    ensure!(matches!(t.slot, Slot::Empty | Slot::Offer(_) | Slot::Offers(_)), "blocked tasklet {i} with a result");
                    ensure!(kind != RegKind::Free || t.extra == NONE, "tasklet {i}: a choice without its arm 0");
                    // counted here; the arms are walked again only for the rare several-values case
                    let mut sends = 0usize;
                    if kind != RegKind::Free {
                        nodes.own_held[i] = true;
                        if kind == RegKind::Send {
                            sends += 1;
                        }
                    }
                    let mut r = t.extra;
                    let mut arm = 0u16;
                    while r != NONE {
                        let reg = self.regs.get(r as usize);
                        ensure!(reg.is_some_and(|g| g.kind != RegKind::Free), "tasklet {i}: registration {r} invalid");
                        ensure!(!nodes.extra_held[r as usize], "registration {r} held twice");
                        nodes.extra_held[r as usize] = true;
                        chained += 1;
                        let reg = self.regs[r as usize];
                        ensure!(reg.tasklet == i as u32, "registration {r} names tasklet {} not {i}", reg.tasklet);
                        ensure!(reg.arm > arm, "tasklet {i}: arms out of order");
                        arm = reg.arm;
                        if reg.kind == RegKind::Send {
                            sends += 1;
                        }
                        r = reg.sibling;
                    }
                    match &t.slot {
                        Slot::Empty => ensure!(sends == 0, "tasklet {i} sends without a value"),
                        Slot::Offer(_) => ensure!(sends == 1, "tasklet {i}: one value for {sends} sends"),
                        Slot::Offers(values) => {
                            ensure!(sends > 1, "tasklet {i}: several values for {sends} sends");
                            // the chain was checked above: walk it again for the send arms, in order
                            let has = |arm: u16| values.get(usize::from(arm)).is_some_and(Option::is_some);
                            if kind == RegKind::Send {
                                ensure!(has(0), "tasklet {i}: no value for arm 0");
                            }
                            let mut r = t.extra;
                            while r != NONE {
                                let reg = &self.regs[r as usize];
                                if reg.kind == RegKind::Send {
                                    let arm = reg.arm;
                                    ensure!(has(arm), "tasklet {i}: no value for arm {arm}");
                                }
                                r = reg.sibling;
                            }
                        }
                        Slot::Resume(_) => {}
                    }
                }
                state @ (TState::Finished | TState::Killed | TState::Dying) => {
                    ensure!(in_queue == (state == TState::Dying), "dead tasklet {i}: run queue membership wrong");
                    ensure!(kind == RegKind::Free && t.extra == NONE && t.frames.is_empty(), "dead tasklet {i} holds state");
                    ensure!(matches!(t.slot, Slot::Empty), "dead tasklet {i} holds a value");
                    ensure!(state != TState::Dying || t.link == NONE, "dying tasklet {i} still in a group");
                }
            }
            if t.is_alive() && t.link != NONE {
                ensure!(self.groups.get(t.link as usize).is_some_and(|g| g.gen % 2 == 1), "tasklet {i} in a missing group {}", t.link);
            }
        }
        ensure!(chained + free_count == nr, "{} registrations held by nobody", nr.saturating_sub(chained + free_count));

        // tasklet free list: exactly the dead slots not in the queue
        let mut seen = vec![false; nt];
        let mut free = self.free_tasklet;
        let mut free_tasklets = 0usize;
        while free != NONE {
            let t = self.tasklets.get(free as usize);
            ensure!(t.is_some_and(|t| matches!(t.state(), TState::Finished | TState::Killed)), "free tasklet list broken at {free}");
            ensure!(!seen[free as usize], "free tasklet list loops");
            seen[free as usize] = true;
            free_tasklets += 1;
            free = self.tasklets[free as usize].link;
        }
        ensure!(free_tasklets == dead, "free tasklet list misses {} slots", dead.saturating_sub(free_tasklets));

        // --- channels: lists consistent both ways, counts right
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
            let mut node = c.head;
            while node != NONE {
                nodes.list(node, "channel", i)?;
                // `list` checked the node is held, hence in range
                let (kind, target, back, next) = self.node_all(node);
                ensure!(
                    matches!(kind, RegKind::Send | RegKind::Recv) && target == i as u32,
                    "channel {i}: waiter {node:#x} waits elsewhere"
                );
                ensure!(back == prev, "channel {i}: waiter {node:#x} has a wrong back link");
                if kind == RegKind::Send {
                    senders += 1;
                } else {
                    receivers += 1;
                }
                prev = node;
                node = next;
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
            let mut node = g.head;
            while node != NONE {
                nodes.list(node, "group", i)?;
                let (_, _, target) = self.node_owner(node);
                ensure!(self.node_kind(node) == RegKind::Join && target == i as u32, "group {i}: joiner {node:#x} waits elsewhere");
                ensure!(self.node_links(node).0 == prev, "group {i}: joiner {node:#x} has a wrong back link");
                prev = node;
                node = self.node_links(node).1;
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
            nodes.list(t.reg, "timer", i)?;
            let (_, _, target) = self.node_owner(t.reg);
            ensure!(self.node_kind(t.reg) == RegKind::Timer && target == i as u32, "timer {i}: waiter {:#x} waits elsewhere", t.reg);
        }

        // --- message waits and requests
        for w in &self.msg_waits {
            nodes.list(w.reg, "message wait", 0)?;
            ensure!(self.node_kind(w.reg) == RegKind::Message, "message wait {:#x} waits elsewhere", w.reg);
        }
        for (i, q) in self.requests.iter().enumerate() {
            ensure!(q.id.0 < self.next_request, "request {} from the future", q.id);
            ensure!(!self.requests[..i].iter().any(|o| o.id == q.id), "request {} twice", q.id);
            ensure!(self.tasklets.get(q.owner as usize).is_some_and(|t| t.is_alive()), "request {}: its tasklet is gone", q.id);
            if q.waiter != NONE {
                ensure!(q.answer.is_none(), "request {} answered and awaited", q.id);
                nodes.list(q.waiter, "request", q.id.0 as usize)?;
                ensure!(self.node_kind(q.waiter) == RegKind::Answer, "request {}: waiter waits elsewhere", q.id);
            }
        }

        // every registration held by a tasklet is listed where it waits
        ensure!(nodes.own_held == nodes.own_listed, "a tasklet's registration waits nowhere");
        ensure!(nodes.extra_held == nodes.extra_listed, "a choice's registration waits nowhere");
        Ok(())
    }
}
