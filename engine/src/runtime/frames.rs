//! A tasklet's stack of frames, inline while it holds one frame (the common case: a tasklet blocked in
//! a flow branch, a spawned iteration), on the heap beyond.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A stack of frames, bottom first. Serializes as a plain sequence, whatever its current shape.
#[derive(Clone, Debug, Default)]
pub enum Frames<F> {
    #[default]
    Empty,
    One(F),
    Many(Vec<F>),
}

impl<F> Frames<F> {
    pub fn new() -> Frames<F> {
        Frames::Empty
    }

    pub fn as_slice(&self) -> &[F] {
        match self {
            Frames::Empty => &[],
            Frames::One(f) => std::slice::from_ref(f),
            Frames::Many(v) => v,
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [F] {
        match self {
            Frames::Empty => &mut [],
            Frames::One(f) => std::slice::from_mut(f),
            Frames::Many(v) => v,
        }
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// The top frame.
    pub fn top(&self) -> Option<&F> {
        self.as_slice().last()
    }

    pub fn top_mut(&mut self) -> Option<&mut F> {
        self.as_mut_slice().last_mut()
    }

    pub fn push(&mut self, frame: F) {
        match self {
            Frames::Many(v) => v.push(frame),
            Frames::Empty => *self = Frames::One(frame),
            Frames::One(_) => {
                if let Frames::One(below) = std::mem::take(self) {
                    *self = Frames::Many(vec![below, frame]);
                }
            }
        }
    }

    pub fn pop(&mut self) -> Option<F> {
        match self {
            Frames::Empty => None,
            Frames::Many(v) => v.pop(),
            Frames::One(_) => match std::mem::take(self) {
                Frames::One(f) => Some(f),
                _ => None,
            },
        }
    }

    /// Replaces the top frame (pushes onto an empty stack); returns the frame replaced.
    pub fn replace_top(&mut self, frame: F) -> Option<F> {
        match self.top_mut() {
            Some(top) => Some(std::mem::replace(top, frame)),
            None => {
                self.push(frame);
                None
            }
        }
    }
}

impl<F> From<Vec<F>> for Frames<F> {
    fn from(mut v: Vec<F>) -> Frames<F> {
        match v.len() {
            0 => Frames::Empty,
            1 => v.pop().map_or(Frames::Empty, Frames::One),
            _ => Frames::Many(v),
        }
    }
}

impl<F: Serialize> Serialize for Frames<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

impl<'de, F: Deserialize<'de>> Deserialize<'de> for Frames<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FramesVisitor<F>(PhantomData<F>);

        impl<'de, F: Deserialize<'de>> Visitor<'de> for FramesVisitor<F> {
            type Value = Frames<F>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence of frames")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Frames<F>, A::Error> {
                // Built in its final shape directly: most stacks hold one frame.
                let Some(first) = seq.next_element()? else {
                    return Ok(Frames::Empty);
                };
                let Some(second) = seq.next_element()? else {
                    return Ok(Frames::One(first));
                };
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096) + 2);
                v.push(first);
                v.push(second);
                while let Some(frame) = seq.next_element()? {
                    v.push(frame);
                }
                Ok(Frames::Many(v))
            }
        }

        d.deserialize_seq(FramesVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pop_replace() {
        let mut f = Frames::new();
        assert!(f.is_empty());
        assert_eq!(f.pop(), None::<u32>);
        f.push(1);
        assert!(matches!(f, Frames::One(1)));
        f.push(2);
        f.push(3);
        assert_eq!(f.as_slice(), &[1, 2, 3]);
        assert_eq!(f.replace_top(4), Some(3));
        assert_eq!(f.pop(), Some(4));
        assert_eq!(f.top(), Some(&2));
        assert_eq!(f.len(), 2);
        let mut g = Frames::new();
        assert_eq!(g.replace_top(7), None);
        assert_eq!(g.as_slice(), &[7]);
    }

    #[test]
    fn one_frame_costs_no_allocation_and_the_enum_is_small() {
        assert_eq!(std::mem::size_of::<Frames<u32>>(), 24);
        assert_eq!(std::mem::size_of::<Frames<[u64; 2]>>(), 24);
    }

    #[test]
    fn serializes_as_a_sequence_whatever_the_shape() {
        let mut many = Frames::Many(vec![5u32, 6]);
        many.pop();
        let one = Frames::One(5u32);
        let a = postcard::to_allocvec(&many).unwrap();
        let b = postcard::to_allocvec(&one).unwrap();
        assert_eq!(a, b);
        let back: Frames<u32> = postcard::from_bytes(&a).unwrap();
        assert!(matches!(back, Frames::One(5)));
    }
}
