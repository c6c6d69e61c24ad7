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

/// Marks of a tasklet slot (its own registration) or of an extra registration, one byte each.
const QUEUED: u8 = 1;
const HELD: u8 = 2;
const LISTED: u8 = 4;
const FREE: u8 = 8;

/// Which registrations are held by a blocked tasklet, and which are listed where they wait: `HELD`
/// and `LISTED` marks by tasklet slot (its own registration) and by extra registration.
struct Nodes {
    own: Vec<u8>,
    extra: Vec<u8>,
}

impl Nodes {
    /// Marks `node` as listed in `what` number `index`; it must be held, and listed only once.
    #[inline(always)]
    fn list(&mut self, node: u32, what: &str, index: usize) -> Result<(), InvalidState> {
        let mark = if is_extra(node) { self.extra.get_mut((node & !EXTRA) as usize) } else { self.own.get_mut(node as usize) };
        match mark {
            Some(m) if *m & (HELD | LISTED) == HELD => {
                *m |= LISTED;
                Ok(())
            }
            m => Err(not_listable(m.is_some_and(|m| *m & HELD != 0), node, what, index)),
        }
    }
}

#[cold]
#[inline(never)]
fn not_listable(held: bool, node: u32, what: &str, index: usize) -> InvalidState {
    if held {
        InvalidState(format!("{what} {index}: registration {node:#x} listed twice"))
    } else {
        InvalidState(format!("{what} {index}: registration {node:#x} is held by no blocked tasklet"))
    }
}

/// Walks a free list from `head` (`next` gives the following slot, `None` if out of range or not
/// free) and checks that it holds exactly the `free` free slots: every slot on it is free, it does not
/// loop (a walk longer than the free slots repeats one), and it misses none (a walk that ends with as
/// many distinct free slots as there are has them all).
#[inline]
fn check_free_list(what: &str, head: u32, free: usize, next: impl Fn(u32) -> Option<u32>) -> Result<(), InvalidState> {
    let mut walked = 0usize;
    let mut at = head;
    while at != NONE {
        let Some(following) = next(at) else { return Err(InvalidState(format!("free {what} list broken at {at}"))) };
        walked += 1;
        ensure!(walked <= free, "free {what} list loops");
        at = following;
    }
    ensure!(walked == free, "free {what} list misses {} slots", free - walked);
    Ok(())
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

        // --- free registrations
        let mut nodes = Nodes { own: vec![0; nt], extra: vec![0; nr] };
        let mut free_count = 0usize;
        let mut free = self.free_reg;
        while free != NONE {
            let Some(mark) = nodes.extra.get_mut(free as usize).filter(|_| self.regs[free as usize].kind == RegKind::Free) else {
                return Err(InvalidState(format!("free registration list broken at {free}")));
            };
            ensure!(*mark & FREE == 0, "free registration list loops");
            *mark |= FREE;
            free_count += 1;
            free = self.regs[free as usize].sibling;
        }

        // --- the run queue
        for s in self.queue.iter() {
            let Some(mark) = nodes.own.get_mut(s as usize) else { return Err(InvalidState(format!("run queue entry {s} out of range"))) };
            ensure!(*mark & QUEUED == 0, "tasklet slot {s} twice in the run queue");
            *mark |= QUEUED;
        }

        // --- tasklets, in one pass: flags, state, registrations, values, groups
        let (mut alive, mut dead, mut chained) = (0usize, 0usize, 0usize);
        let mut members = vec![0u32; ng];
        for (i, t) in self.tasklets.iter().enumerate() {
            ensure!(t.flags.is_valid(), "tasklet {i}: invalid flags");
            let in_queue = nodes.own[i] & QUEUED != 0;
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
                        nodes.own[i] |= HELD;
                        if kind == RegKind::Send {
                            sends += 1;
                        }
                    }
                    let mut r = t.extra;
                    let mut arm = 0u16;
                    while r != NONE {
                        let reg = self.regs.get(r as usize);
                        ensure!(reg.is_some_and(|g| g.kind != RegKind::Free), "tasklet {i}: registration {r} invalid");
                        let mark = &mut nodes.extra[r as usize];
                        ensure!(*mark & HELD == 0, "registration {r} held twice");
                        *mark |= HELD;
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
                    dead += usize::from(state != TState::Dying);
                }
            }
            if t.is_alive() {
                alive += 1;
                if t.link != NONE {
                    let member = members.get_mut(t.link as usize).filter(|_| self.groups[t.link as usize].gen % 2 == 1);
                    ensure!(member.is_some(), "tasklet {i} in a missing group {}", t.link);
                    if let Some(m) = member {
                        *m += 1;
                    }
                }
            }
        }
        ensure!(chained + free_count == nr, "{} registrations held by nobody", nr.saturating_sub(chained + free_count));

        // --- main and status
        let main = self.tasklets.get(self.main.slot() as usize);
        ensure!(main.is_some(), "main tasklet {} out of range", self.main);
        if self.status == InstanceStatus::Running {
            ensure!(main.is_some_and(|m| m.gen == self.main.gen() && m.is_alive()), "running instance without its main tasklet");
        } else {
            ensure!(alive == 0 && self.queue.is_empty(), "ended instance with live tasklets");
        }

        // tasklet free list: exactly the dead slots not in the queue
        check_free_list("tasklet", self.free_tasklet, dead, |s| {
            self.tasklets.get(s as usize).filter(|t| matches!(t.state(), TState::Finished | TState::Killed)).map(|t| t.link)
        })?;

        // --- channels: lists consistent both ways, counts right
        let mut dropped = 0usize;
        for (i, c) in self.channels.iter().enumerate() {
            if c.gen % 2 == 0 {
                dropped += 1;
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
        check_free_list("channel", self.free_channel, dropped, |s| {
            self.channels.get(s as usize).filter(|c| c.gen % 2 == 0).map(|c| c.head)
        })?;

        // --- groups: member counts, joiners
        let mut freed = 0usize;
        for (i, g) in self.groups.iter().enumerate() {
            if g.gen % 2 == 0 {
                freed += 1;
                continue;
            }
            ensure!(g.remaining == members[i], "group {i}: {} members counted, {} alive", g.remaining, members[i]);
            let mut prev = NONE;
            let mut node = g.head;
            while node != NONE {
                nodes.list(node, "group", i)?;
                let (kind, target, back, next) = self.node_all(node);
                ensure!(kind == RegKind::Join && target == i as u32, "group {i}: joiner {node:#x} waits elsewhere");
                ensure!(back == prev, "group {i}: joiner {node:#x} has a wrong back link");
                prev = node;
                node = next;
            }
            ensure!(g.tail == prev, "group {i}: wrong tail");
            ensure!(g.head == NONE || g.remaining > 0, "group {i}: joiners of a group with no members");
        }
        check_free_list("group", self.free_group, freed, |s| self.groups.get(s as usize).filter(|g| g.gen % 2 == 0).map(|g| g.head))?;

        // --- timers
        let mut unset = 0usize;
        for (i, t) in self.timers.slots.iter().enumerate() {
            if t.gen % 2 == 0 {
                unset += 1;
                continue;
            }
            ensure!(t.seq < self.timers.next_seq, "timer {i}: sequence number from the future");
            nodes.list(t.reg, "timer", i)?;
            let (kind, target, _, _) = self.node_all(t.reg);
            ensure!(kind == RegKind::Timer && target == i as u32, "timer {i}: waiter {:#x} waits elsewhere", t.reg);
        }
        check_free_list("timer", self.timers.free, unset, |s| self.timers.slots.get(s as usize).filter(|t| t.gen % 2 == 0).map(|t| t.reg))?;

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
        let unlisted = |m: &u8| (m & HELD != 0) != (m & LISTED != 0);
        ensure!(!nodes.own.iter().any(unlisted), "a tasklet's registration waits nowhere");
        ensure!(!nodes.extra.iter().any(unlisted), "a choice's registration waits nowhere");
        Ok(())
    }
}
