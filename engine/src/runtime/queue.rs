//! The run queue: a FIFO of tasklet slots in a ring whose size is a power of two, so that pushing and
//! popping are a mask and a store (std's `VecDeque` wraps with a compare and does not inline its
//! growth check: it was an eighth of a rendezvous round trip). Serializes as a plain sequence of slots,
//! front first, exactly as a `VecDeque<u32>` does.

use std::fmt;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Default)]
pub(crate) struct RunQueue {
    /// The ring: empty, or a power of two long.
    buf: Box<[u32]>,
    /// Where the front is.
    head: usize,
    len: usize,
}

impl RunQueue {
    pub fn new() -> RunQueue {
        RunQueue { buf: Box::default(), head: 0, len: 0 }
    }

    /// A queue holding `slots`, front first.
    pub fn from_vec(mut slots: Vec<u32>) -> RunQueue {
        let len = slots.len();
        if len == 0 {
            return RunQueue::new();
        }
        slots.resize(len.next_power_of_two(), 0);
        RunQueue { buf: slots.into_boxed_slice(), head: 0, len }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.buf.len().wrapping_sub(1)
    }

    #[inline(always)]
    pub fn push_back(&mut self, slot: u32) {
        if self.len == self.buf.len() {
            self.grow(1);
        }
        let i = (self.head + self.len) & self.mask();
        if let Some(cell) = self.buf.get_mut(i) {
            *cell = slot;
            self.len += 1;
        }
    }

    #[inline(always)]
    pub fn push_front(&mut self, slot: u32) {
        if self.len == self.buf.len() {
            self.grow(1);
        }
        let i = self.head.wrapping_add(self.mask()) & self.mask();
        if let Some(cell) = self.buf.get_mut(i) {
            *cell = slot;
            self.head = i;
            self.len += 1;
        }
    }

    #[inline(always)]
    pub fn pop_front(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let slot = self.buf.get(self.head).copied();
        self.head = (self.head + 1) & self.mask();
        self.len -= 1;
        slot
    }

    /// The slots, front first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        let mask = self.mask();
        (0..self.len).map(move |i| self.buf[(self.head + i) & mask])
    }

    /// Makes room for `more` slots beyond those held.
    pub fn reserve(&mut self, more: usize) {
        if self.len + more > self.buf.len() {
            self.grow(more);
        }
    }

    /// Gives back what the queue does not need (the smallest power of two that holds it).
    pub fn shrink_to_fit(&mut self) {
        let want = if self.len == 0 { 0 } else { self.len.next_power_of_two() };
        if want < self.buf.len() {
            self.rebuild(want);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, more: usize) {
        let want = (self.len + more).max(8).next_power_of_two().max(self.buf.len() * 2);
        self.rebuild(want);
    }

    /// Copies the slots to the front of a ring of `size` (a power of two, at least `len`).
    fn rebuild(&mut self, size: usize) {
        let mut buf = Vec::with_capacity(size);
        buf.extend(self.iter());
        buf.resize(size, 0);
        self.buf = buf.into_boxed_slice();
        self.head = 0;
    }
}

impl fmt::Debug for RunQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for RunQueue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for RunQueue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SlotsVisitor;

        impl<'de> Visitor<'de> for SlotsVisitor {
            type Value = RunQueue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence of tasklet slots")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RunQueue, A::Error> {
                let mut slots = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(slot) = seq.next_element()? {
                    slots.push(slot);
                }
                Ok(RunQueue::from_vec(slots))
            }
        }

        d.deserialize_seq(SlotsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;

    #[test]
    fn behaves_like_a_vecdeque() {
        let mut ours = RunQueue::new();
        let mut theirs = VecDeque::new();
        // a fixed pseudo-random walk of pushes and pops, through several growths and wraps
        let mut x = 12345u32;
        for step in 0..20_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            match (x >> 16) % 7 {
                0..=2 => {
                    ours.push_back(step);
                    theirs.push_back(step);
                }
                3 => {
                    ours.push_front(step);
                    theirs.push_front(step);
                }
                _ => assert_eq!(ours.pop_front(), theirs.pop_front()),
            }
            assert_eq!(ours.len(), theirs.len());
            if step % 997 == 0 {
                assert!(ours.iter().eq(theirs.iter().copied()));
                ours.shrink_to_fit();
                assert!(ours.iter().eq(theirs.iter().copied()));
                assert!(ours.capacity().is_power_of_two() || ours.capacity() == 0);
            }
        }
        while let Some(s) = theirs.pop_front() {
            assert_eq!(ours.pop_front(), Some(s));
        }
        assert_eq!(ours.pop_front(), None);
        assert!(ours.is_empty());
    }

    #[test]
    fn serializes_as_a_vecdeque() {
        let mut ours = RunQueue::new();
        let mut theirs = VecDeque::new();
        for s in [5u32, 0, 300, u32::MAX, 7, 8, 9, 10, 11] {
            ours.push_back(s);
            theirs.push_back(s);
        }
        ours.pop_front();
        theirs.pop_front();
        ours.push_back(1);
        theirs.push_back(1);
        let bytes = postcard::to_allocvec(&ours).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&theirs).unwrap());
        let back: RunQueue = postcard::from_bytes(&bytes).unwrap();
        assert!(back.iter().eq(theirs.iter().copied()));
        assert_eq!(format!("{back:?}"), format!("{theirs:?}"));
        let mut r = RunQueue::new();
        r.reserve(1000);
        assert_eq!(r.capacity(), 1024);
    }
}
