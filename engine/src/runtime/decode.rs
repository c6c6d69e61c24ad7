//! Reading an instance from a checkpoint body: the layout serde and postcard write (see
//! [`crate::checkpoint`]), decoded in one pass over the bytes.
//!
//! Going through serde, a restore of 1,000 blocked tasklets spent two thirds of its time in the
//! layers between a field and its bytes (a visitor per struct, a sequence access per slab, a `Result`
//! per field, the `Vec` of each slab grown by its visitor). Here the runtime's own slabs (tasklets,
//! waits, the run queue, registrations, channels, groups, timers) are read field by field with inline
//! varint reads into vectors of their exact size; what belongs to the program (frames, values, keys)
//! and the rarely large parts (message waits, inbox, requests, effects) still go through serde on the
//! same bytes. The result is exactly what the derived `Deserialize` impls give (a unit test compares
//! the two on every state of a run), and every error is a postcard error of the same kind; the
//! instance is checked ([`super::Core::validate`]) by the caller, as before.

use postcard::Error;
use serde::de::DeserializeOwned;

use super::clock::Timestamp;
use super::core::{Channel, Core, Flags, Group, Reg, RegKind, Slot, TaskletSlot, Timer, Timers, Wait};
use super::frames::Frames;
use super::ids::{TaskletId, NONE};
use super::queue::RunQueue;
use super::InstanceStatus;

type Result<T> = std::result::Result<T, Error>;

/// A cursor over postcard bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// Defines a varint reader for one unsigned type: postcard's LEB128, at most `MAX` bytes, the last of
/// which may not carry bits beyond the type (what postcard checks, in the same order).
macro_rules! varint {
    ($name:ident, $slow:ident, $t:ty) => {
        #[inline(always)]
        pub fn $name(&mut self) -> Result<$t> {
            // one or two bytes, inline: nearly every index, count and generation in an instance
            // (two bytes are never the last of a varint of 16 bits or more, so need no check)
            let p = self.pos;
            if let Some(&b0) = self.bytes.get(p) {
                if b0 < 0x80 {
                    self.pos = p + 1;
                    return Ok(<$t>::from(b0));
                }
                if let Some(&b1) = self.bytes.get(p + 1) {
                    if b1 < 0x80 {
                        self.pos = p + 2;
                        return Ok(<$t>::from(b0 & 0x7f) | <$t>::from(b1) << 7);
                    }
                }
            }
            self.$slow()
        }

        #[inline(never)]
        fn $slow(&mut self) -> Result<$t> {
            const BITS: usize = <$t>::BITS as usize;
            const MAX: usize = BITS.div_ceil(7);
            const LAST: u8 = (1 << (BITS % 7)) - 1;
            let mut out: $t = 0;
            for i in 0..MAX {
                let b = self.byte()?;
                out |= <$t>::from(b & 0x7f) << (7 * i);
                if b & 0x80 == 0 {
                    if i == MAX - 1 && b > LAST {
                        return Err(Error::DeserializeBadVarint);
                    }
                    return Ok(out);
                }
            }
            Err(Error::DeserializeBadVarint)
        }
    };
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    #[inline(always)]
    pub fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.pos).ok_or(Error::DeserializeUnexpectedEnd)?;
        self.pos += 1;
        Ok(b)
    }

    varint!(u16, u16_slow, u16);
    varint!(u32, u32_slow, u32);
    varint!(u64, u64_slow, u64);

    /// An index written as index + 1 (see `ids::ix`).
    #[inline(always)]
    pub fn ix(&mut self) -> Result<u32> {
        Ok(self.u32()?.wrapping_sub(1))
    }

    /// A zigzag `i64`.
    #[inline(always)]
    pub fn i64(&mut self) -> Result<i64> {
        let n = self.u64()?;
        Ok((n >> 1) as i64 ^ -((n & 1) as i64))
    }

    /// A sequence's length (postcard: a varint `usize`, read as a `u64` on every platform we build
    /// for; one that does not fit a `usize` cannot be held anyway).
    #[inline(always)]
    pub fn len(&mut self) -> Result<usize> {
        usize::try_from(self.u64()?).map_err(|_| Error::DeserializeBadVarint)
    }

    /// Room to reserve for `len` elements of at least `min_bytes` bytes each: no more than the bytes
    /// left can hold, so that a forged length cannot make us reserve what is not there.
    #[inline(always)]
    fn room(&self, len: usize, min_bytes: usize) -> usize {
        len.min(self.bytes.len().saturating_sub(self.pos) / min_bytes.max(1))
    }

    /// An enum variant index.
    #[inline(always)]
    fn variant(&mut self) -> Result<u32> {
        self.u32()
    }

    /// Anything else, through serde on the same bytes.
    #[inline(always)]
    pub fn serde<T: DeserializeOwned>(&mut self) -> Result<T> {
        let rest = self.rest();
        let (value, left) = postcard::take_from_bytes(rest)?;
        self.pos += rest.len() - left.len();
        Ok(value)
    }

    fn status(&mut self) -> Result<InstanceStatus> {
        Ok(match self.variant()? {
            0 => InstanceStatus::Running,
            1 => InstanceStatus::Completed,
            2 => InstanceStatus::Faulted,
            3 => InstanceStatus::Terminated,
            _ => return Err(Error::SerdeDeCustom),
        })
    }

    #[inline(always)]
    fn timestamp(&mut self) -> Result<Timestamp> {
        Ok(Timestamp(self.i64()?))
    }

    #[inline(always)]
    fn tasklet_id(&mut self) -> Result<TaskletId> {
        let slot = self.u32()?;
        let gen = self.u32()?;
        Ok(TaskletId::new(slot, gen))
    }

    #[inline(always)]
    fn frames<F: DeserializeOwned>(&mut self) -> Result<Frames<F>> {
        Ok(match self.len()? {
            0 => Frames::Empty,
            1 => Frames::One(self.serde()?),
            n => {
                let mut v = Vec::with_capacity(self.room(n, 1));
                for _ in 0..n {
                    v.push(self.serde()?);
                }
                Frames::Many(v)
            }
        })
    }

    #[inline(always)]
    fn slot<V: DeserializeOwned>(&mut self) -> Result<Slot<V>> {
        Ok(match self.variant()? {
            0 => Slot::Empty,
            1 => Slot::Resume(self.serde()?),
            2 => Slot::Offer(self.serde()?),
            3 => Slot::Offers(self.serde()?),
            _ => return Err(Error::SerdeDeCustom),
        })
    }

    /// The number of elements of a sequence of elements of at least `min_bytes` bytes each: an error
    /// (the one postcard would give on running out of bytes) if the bytes left cannot hold them.
    #[inline(always)]
    fn count(&mut self, min_bytes: usize) -> Result<usize> {
        let n = self.len()?;
        if n > self.bytes.len().saturating_sub(self.pos) / min_bytes {
            return Err(Error::DeserializeUnexpectedEnd);
        }
        Ok(n)
    }

    fn tasklets<F: DeserializeOwned, V: DeserializeOwned>(&mut self) -> Result<Vec<TaskletSlot<F, V>>> {
        // a tasklet takes at least 7 bytes: gen, flags, arm, link, extra, frames, slot
        let n = self.count(7)?;
        // made empty first, then filled in place: a tasklet is never assembled aside and copied over
        let mut out = Vec::with_capacity(n);
        out.resize_with(n, TaskletSlot::vacant);
        for t in &mut out {
            t.gen = self.u32()?;
            t.flags = Flags::from_bits(self.byte()?);
            t.arm = self.u16()?;
            t.link = self.ix()?;
            t.extra = self.ix()?;
            t.frames = self.frames()?;
            t.slot = self.slot()?;
        }
        Ok(out)
    }

    fn waits(&mut self) -> Result<Vec<Wait>> {
        let n = self.count(3)?;
        let mut out = vec![Wait::NONE; n];
        for w in &mut out {
            let target = self.ix()?;
            let prev = self.ix()?;
            let next = self.ix()?;
            *w = Wait { target, prev, next };
        }
        Ok(out)
    }

    fn queue(&mut self) -> Result<RunQueue> {
        let n = self.count(1)?;
        let mut out = vec![0; n];
        for s in &mut out {
            *s = self.u32()?;
        }
        Ok(RunQueue::from_vec(out))
    }

    fn regs(&mut self) -> Result<Vec<Reg>> {
        let n = self.count(7)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let kind = RegKind::from_code(self.byte()?).ok_or(Error::SerdeDeCustom)?;
            let arm = self.u16()?;
            let tasklet = self.ix()?;
            let target = self.ix()?;
            let prev = self.ix()?;
            let next = self.ix()?;
            let sibling = self.ix()?;
            out.push(Reg { kind, arm, tasklet, target, prev, next, sibling });
        }
        Ok(out)
    }

    fn channels(&mut self) -> Result<Vec<Channel>> {
        let n = self.count(5)?;
        let mut out = vec![Channel { gen: 0, head: NONE, tail: NONE, senders: 0, receivers: 0 }; n];
        for c in &mut out {
            let gen = self.u32()?;
            let head = self.ix()?;
            let tail = self.ix()?;
            let senders = self.u32()?;
            let receivers = self.u32()?;
            *c = Channel { gen, head, tail, senders, receivers };
        }
        Ok(out)
    }

    fn groups(&mut self) -> Result<Vec<Group>> {
        let n = self.count(6)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let gen = self.u32()?;
            let owner = self.tasklet_id()?;
            let remaining = self.u32()?;
            let head = self.ix()?;
            let tail = self.ix()?;
            out.push(Group { gen, owner, remaining, head, tail });
        }
        Ok(out)
    }

    fn timers(&mut self) -> Result<Timers> {
        let n = self.count(4)?;
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            let gen = self.u32()?;
            let due = self.timestamp()?;
            let seq = self.u64()?;
            let reg = self.ix()?;
            slots.push(Timer { gen, due, seq, reg });
        }
        let free = self.ix()?;
        let next_seq = self.u64()?;
        Ok(Timers::from_parts(slots, free, next_seq))
    }
}

impl<F: DeserializeOwned, V: DeserializeOwned, K: DeserializeOwned> Core<F, V, K> {
    /// Reads an instance's runtime state (not the program's shared state, which follows it) from
    /// `r`: the same result as `Core::deserialize` through postcard, in a fraction of the time.
    pub fn read(r: &mut Reader<'_>) -> Result<Core<F, V, K>> {
        let status = r.status()?;
        let now = r.timestamp()?;
        let main = r.tasklet_id()?;
        let tasklets = r.tasklets()?;
        let waits = r.waits()?;
        let free_tasklet = r.ix()?;
        let queue = r.queue()?;
        let regs = r.regs()?;
        let free_reg = r.ix()?;
        let channels = r.channels()?;
        let free_channel = r.ix()?;
        let groups = r.groups()?;
        let free_group = r.ix()?;
        let timers = r.timers()?;
        let msg_waits = r.serde()?;
        let inbox = r.serde()?;
        let requests = r.serde()?;
        let next_request = r.u64()?;
        let effects = r.serde()?;
        Ok(Core {
            status,
            now,
            main,
            tasklets,
            waits,
            free_tasklet,
            queue,
            regs,
            free_reg,
            channels,
            free_channel,
            groups,
            free_group,
            timers,
            msg_waits,
            inbox,
            requests,
            next_request,
            effects,
            running: NONE,
        })
    }
}

#[cfg(test)]
mod tests {
    //! The fast decoder against serde's derived one: on every state of a run that goes through every
    //! kind of wait, value and slab, and on thousands of corruptions of them, both give the same
    //! instance (or both refuse the bytes).

    use serde::{Deserialize, Serialize};

    use super::super::{
        ChannelId, Effect, Event, GroupId, Instance, Op, Program, RequestId, Step, StepContext, TaskletId, Timestamp, VirtualClock,
    };
    use super::*;

    /// A tasklet's frame: what drives its choices, and how far it is.
    #[derive(Clone, Debug, Serialize, Deserialize)]
    struct Fr {
        seed: u32,
        ip: u16,
    }

    #[derive(Clone, Debug, Default, Serialize, Deserialize)]
    struct Shared {
        chans: Vec<ChannelId>,
        group: Option<GroupId>,
        spawned: Vec<TaskletId>,
        requests: Vec<RequestId>,
    }

    /// A program whose every step is drawn from its frame: channels, choices with several sends,
    /// timers, messages, invokes, groups, kills, calls, yields.
    struct Mix;

    fn mix(seed: u32, ip: u16) -> u32 {
        let mut x = seed ^ u32::from(ip).wrapping_mul(0x9e37_79b9);
        x ^= x >> 16;
        x = x.wrapping_mul(0x85eb_ca6b);
        x ^= x >> 13;
        x = x.wrapping_mul(0xc2b2_ae35);
        x ^ x >> 16
    }

    impl Program for Mix {
        type Frame = Fr;
        type Value = u64;
        type Key = u8;
        type State = Shared;

        fn step(&self, cx: &mut StepContext<'_, Self>) -> Step<u64, u8> {
            let Some(f) = cx.frame_mut() else { return Step::Finish };
            f.ip += 1;
            let (seed, ip) = (f.seed, f.ip);
            let x = mix(seed, ip);
            if ip > if seed == 0 { 120 } else { 24 } {
                return if cx.frames().len() > 1 {
                    cx.pop();
                    Step::Continue
                } else {
                    Step::Finish
                };
            }
            if x & 0x100 != 0 {
                let _ = cx.resume();
            }
            let n = cx.shared().chans.len();
            let ch = |k: u32| cx.shared().chans.get((k as usize) % n.max(1)).copied().unwrap_or(ChannelId::new(0, 1));
            let v = u64::from(x >> 8);
            match x % 17 {
                0 | 16 => {
                    let c = cx.new_channel();
                    cx.shared_mut().chans.push(c);
                    Step::Continue
                }
                1 => Step::Block(Op::Send(ch(x >> 4), v)),
                2 | 3 => Step::Block(Op::Recv(ch(x >> 4))),
                4 => {
                    let mut arms = vec![Op::Send(ch(x >> 3), v), Op::Recv(ch(x >> 5))];
                    if x & 0x200 != 0 {
                        arms.push(Op::Send(ch(x >> 7), v + 1));
                    }
                    if x & 0x400 != 0 {
                        arms.push(Op::Sleep(u64::from(x >> 12) % 40));
                    }
                    if x & 0x800 != 0 {
                        arms.push(Op::Message((x >> 13) as u8 % 3));
                    }
                    Step::Choose(arms)
                }
                5 => Step::Block(Op::Sleep(u64::from(x >> 6) % 50)),
                6 => Step::Block(Op::Message((x >> 6) as u8 % 3)),
                7 | 15 => {
                    let group = match cx.shared().group {
                        Some(g) => g,
                        None => {
                            let g = cx.new_group();
                            cx.shared_mut().group = Some(g);
                            g
                        }
                    };
                    match cx.spawn(group, Fr { seed: x | 1, ip: 0 }) {
                        Some(t) => cx.shared_mut().spawned.push(t),
                        None => cx.shared_mut().group = None,
                    }
                    Step::Continue
                }
                8 => match cx.shared_mut().group.take() {
                    Some(g) => Step::Block(Op::Join(g)),
                    None => Step::Yield,
                },
                9 => Step::Yield,
                10 => {
                    cx.push(Fr { seed: x | 1, ip: 0 });
                    Step::Continue
                }
                11 => {
                    let spawned = &cx.shared().spawned;
                    if let Some(&t) = spawned.get((x as usize >> 4) % spawned.len().max(1)) {
                        cx.kill(t, x & 0x10 != 0);
                    }
                    Step::Continue
                }
                12 => {
                    let req = cx.invoke((x >> 5) as u8 % 3, v);
                    cx.shared_mut().requests.push(req);
                    if x & 0x40 != 0 {
                        Step::Block(Op::Answer(req))
                    } else {
                        Step::Continue
                    }
                }
                13 => {
                    let _ = cx.drop_channel(ch(x >> 4));
                    Step::Continue
                }
                14 => {
                    cx.spawn_detached(Fr { seed: x | 1, ip: 0 });
                    Step::Continue
                }
                _ => Step::Continue,
            }
        }
    }

    type C = Core<Fr, u64, u8>;

    /// The states of a run, checkpointed after every step, as postcard bytes.
    fn states() -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for start in [0u32, 7, 1234] {
            let mut inst: Instance<Mix> = Instance::new(Fr { seed: start.wrapping_mul(2), ip: 0 }, Timestamp::EPOCH);
            let mut clock = VirtualClock::new(Timestamp::EPOCH);
            let mut answered = Vec::new();
            for round in 0..400u32 {
                let x = mix(start, round as u16);
                inst.run(&Mix, &clock, 1);
                out.push(postcard::to_allocvec(&(&inst.core, &inst.state)).unwrap());
                for e in inst.drain_effects() {
                    if let Effect::Invoke { request, one_way: false, .. } = e {
                        answered.push(request);
                    }
                }
                match x % 9 {
                    0 => clock.advance_millis(u64::from(x >> 8) % 30),
                    1 => {
                        let exchange = super::super::ExchangeId(u64::from(round));
                        inst.deliver(Event::Message { key: (x >> 4) as u8 % 3, value: u64::from(x), exchange });
                    }
                    2 if !answered.is_empty() => {
                        let request = answered.remove((x as usize >> 4) % answered.len());
                        let event =
                            if x & 0x1000 != 0 { Event::Answered { request, value: 5 } } else { Event::Failed { request, fault: 6 } };
                        inst.deliver(event);
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// Both decoders on the same bytes: the same instance and the same bytes left, or both refuse.
    fn same(bytes: &[u8]) -> bool {
        let ours = Instance::<Mix>::from_postcard(bytes);
        let serde = postcard::take_from_bytes::<(C, Shared)>(bytes);
        match (ours, serde) {
            (Ok((inst, rest)), Ok(((core, state), left))) => {
                format!("{:?}", (&inst.core, &inst.state)) == format!("{:?}", (&core, &state)) && rest.len() == left.len()
            }
            (Err(_), Err(_)) => true,
            _ => false,
        }
    }

    #[test]
    fn reads_what_serde_reads() {
        let states = states();
        let kinds = |b: &Vec<u8>| {
            let core: C = postcard::from_bytes(b).map(|(c, _): (C, Shared)| c).unwrap();
            [
                core.regs.len(),
                core.timers.slots.len(),
                core.groups.len(),
                core.msg_waits.len(),
                core.inbox.len(),
                core.requests.len(),
                core.queue.iter().count(),
                core.tasklets.iter().filter(|t| matches!(t.slot, Slot::Offers(_))).count(),
                core.tasklets.iter().filter(|t| t.frames.len() > 1).count(),
            ]
        };
        // the run goes through every kind of state
        let seen = states.iter().map(kinds).fold([0; 9], |acc, k| std::array::from_fn(|i| acc[i].max(k[i])));
        assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
        for (i, b) in states.iter().enumerate() {
            assert!(same(b), "state {i}");
            let (inst, rest) = Instance::<Mix>::from_postcard(b).unwrap();
            assert!(rest.is_empty());
            inst.validate().unwrap();
        }
    }

    #[test]
    fn refuses_what_serde_refuses() {
        let states = states();
        let mut checked = 0;
        for b in states.iter().step_by(61) {
            for i in 0..b.len() {
                for value in [0x00u8, 0x7f, 0x80, 0xff, b[i] ^ 0x01, b[i].wrapping_add(1)] {
                    let mut c = b.clone();
                    c[i] = value;
                    assert!(same(&c), "byte {i} = {value:#x} of\n{b:?}");
                    checked += 1;
                }
            }
            for len in 0..b.len() {
                assert!(same(&b[..len]), "cut at {len}");
            }
        }
        assert!(checked > 5_000, "{checked}");
    }
}
