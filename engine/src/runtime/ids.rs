//! Ids of things inside an instance. Slot ids carry a generation so that a stale id (the tasklet
//! finished, the channel was dropped, the slot was reused) is recognised, never confused with the new
//! occupant of its slot.

use std::fmt;

use serde::{Deserialize, Serialize};

/// "No index": the end of a linked list, an empty free list, no group.
pub(crate) const NONE: u32 = u32::MAX;

/// Serde for an index that is often [`NONE`]: written as index + 1, so `NONE` takes one byte (0)
/// in postcard's varint encoding instead of five.
pub(crate) mod ix {
    use serde::{Deserialize, Deserializer, Serializer};

    #[inline]
    pub fn serialize<S: Serializer>(v: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(v.wrapping_add(1))
    }

    #[inline]
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        Ok(u32::deserialize(d)?.wrapping_sub(1))
    }
}

macro_rules! slot_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name {
            slot: u32,
            gen: u32,
        }

        impl $name {
            /// An id from its parts (for hosts that keep ids elsewhere, and for tests).
            pub const fn new(slot: u32, gen: u32) -> Self {
                Self { slot, gen }
            }

            /// The index of its slot in the instance.
            pub const fn slot(self) -> u32 {
                self.slot
            }

            /// The generation of its slot when the id was made.
            pub const fn gen(self) -> u32 {
                self.gen
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}.{}"), self.slot, self.gen)
            }
        }
    };
}

slot_id!(
    /// A tasklet of an instance.
    TaskletId,
    "t"
);
slot_id!(
    /// A channel of an instance.
    ChannelId,
    "ch"
);
slot_id!(
    /// A group of spawned tasklets that can be joined (a flow's branches, a parallel forEach).
    GroupId,
    "g"
);
slot_id!(
    /// A timer of an instance, as named in [`super::Effect::TimerSet`] and [`super::Event::TimerFired`].
    TimerId,
    "timer"
);

/// An invoke awaiting its answer; numbered by the instance, never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestId(pub u64);

/// An inbound message exchange, numbered by the host; a reply names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExchangeId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req{}", self.0)
    }
}

impl fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ex{}", self.0)
    }
}
