//! Ids of things inside an instance. Slot ids carry a generation so that a stale id (the tasklet
//! finished, the channel was dropped, the slot was reused) is recognised, never confused with the new
//! occupant of its slot.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

const PAIR_FIELDS: &[&str] = &["slot", "gen"];

/// Reads a slot id as the struct `{ slot: u32, gen: u32 }` it was derived as: a sequence in compact
/// formats (postcard), a map in self-describing ones.
struct PairVisitor(&'static str);

impl<'de> Visitor<'de> for PairVisitor {
    type Value = (u32, u32);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "struct {}", self.0)
    }

    #[inline]
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(u32, u32), A::Error> {
        let slot = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let gen = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Ok((slot, gen))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(u32, u32), A::Error> {
        let (mut slot, mut gen) = (None, None);
        while let Some(field) = map.next_key::<Field>()? {
            let (name, place) = match field {
                Field::Slot => ("slot", &mut slot),
                Field::Gen => ("gen", &mut gen),
                Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                    continue;
                }
            };
            if place.is_some() {
                return Err(de::Error::duplicate_field(name));
            }
            *place = Some(map.next_value()?);
        }
        Ok((slot.ok_or_else(|| de::Error::missing_field("slot"))?, gen.ok_or_else(|| de::Error::missing_field("gen"))?))
    }
}

/// A field name of a slot id, as derived code reads it (by name or by index; unknown ones ignored).
enum Field {
    Slot,
    Gen,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl Visitor<'_> for FieldVisitor {
            type Value = Field;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field identifier")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Field, E> {
                Ok(match v {
                    0 => Field::Slot,
                    1 => Field::Gen,
                    _ => Field::Other,
                })
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "slot" => Field::Slot,
                    "gen" => Field::Gen,
                    _ => Field::Other,
                })
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Field, E> {
                Ok(match v {
                    b"slot" => Field::Slot,
                    b"gen" => Field::Gen,
                    _ => Field::Other,
                })
            }
        }

        d.deserialize_identifier(FieldVisitor)
    }
}

macro_rules! slot_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        ///
        /// Held as one 64-bit word (the slot in the low half, the generation in the high half), so that
        /// an id is written and read with one move: a step returns its [`super::Op`] through memory,
        /// and an id stored as two halves and loaded as one word stalls the load (no store-to-load
        /// forwarding). Packed to the alignment of a `u32`, so that it takes no more room in a frame
        /// than a pair of `u32`s. Compares, hashes, prints and serializes as the pair
        /// `{ slot, gen }`, slot first.
        #[derive(Clone, Copy, PartialEq, Eq)]
        #[repr(C, packed(4))]
        pub struct $name {
            bits: u64,
        }

        impl $name {
            /// An id from its parts (for hosts that keep ids elsewhere, and for tests).
            #[inline(always)]
            pub const fn new(slot: u32, gen: u32) -> Self {
                Self { bits: slot as u64 | (gen as u64) << 32 }
            }

            /// The index of its slot in the instance.
            #[inline(always)]
            pub const fn slot(self) -> u32 {
                self.bits as u32
            }

            /// The generation of its slot when the id was made.
            #[inline(always)]
            pub const fn gen(self) -> u32 {
                (self.bits >> 32) as u32
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("slot", &self.slot()).field("gen", &self.gen()).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}.{}"), self.slot(), self.gen())
            }
        }

        impl Hash for $name {
            fn hash<H: Hasher>(&self, h: &mut H) {
                self.slot().hash(h);
                self.gen().hash(h);
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> Ordering {
                (self.slot(), self.gen()).cmp(&(other.slot(), other.gen()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut st = s.serialize_struct(stringify!($name), 2)?;
                st.serialize_field("slot", &self.slot())?;
                st.serialize_field("gen", &self.gen())?;
                st.end()
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let (slot, gen) = d.deserialize_struct(stringify!($name), PAIR_FIELDS, PairVisitor(stringify!($name)))?;
                Ok($name::new(slot, gen))
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

#[cfg(test)]
mod tests {
    use std::hash::DefaultHasher;

    use super::*;

    /// What the ids were before they became one word: the derived struct, under the same name.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    struct TaskletId {
        slot: u32,
        gen: u32,
    }

    fn hash_of(v: impl Hash) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn one_word_ids_behave_as_the_derived_pair() {
        let values = [(0, 0), (1, 1), (5, 2), (127, 128), (u32::MAX, 0), (0, u32::MAX), (u32::MAX, u32::MAX), (300, 70_000)];
        for (slot, gen) in values {
            let ours = super::TaskletId::new(slot, gen);
            let theirs = TaskletId { slot, gen };
            assert_eq!((ours.slot(), ours.gen()), (slot, gen));
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
            assert_eq!(format!("{ours:#?}"), format!("{theirs:#?}"));
            assert_eq!(hash_of(ours), hash_of(theirs));
            let bytes = postcard::to_allocvec(&theirs).unwrap();
            assert_eq!(postcard::to_allocvec(&ours).unwrap(), bytes);
            assert_eq!(postcard::from_bytes::<super::TaskletId>(&bytes).unwrap(), ours);
            let json = serde_json::to_string(&theirs).unwrap();
            assert_eq!(serde_json::to_string(&ours).unwrap(), json);
            assert_eq!(serde_json::from_str::<super::TaskletId>(&json).unwrap(), ours);
            for (s2, g2) in values {
                let (o2, t2) = (super::TaskletId::new(s2, g2), TaskletId { slot: s2, gen: g2 });
                assert_eq!(ours.cmp(&o2), theirs.cmp(&t2));
                assert_eq!(ours == o2, theirs == t2);
            }
        }
        // fields in another order, unknown ones, as serde's derive accepts them
        let id: super::TaskletId = serde_json::from_str(r#"{"gen": 2, "x": [1], "slot": 1}"#).unwrap();
        assert_eq!(id, super::TaskletId::new(1, 2));
        assert!(serde_json::from_str::<super::TaskletId>(r#"{"slot": 1}"#).is_err());
        assert!(serde_json::from_str::<super::TaskletId>(r#"{"slot": 1, "slot": 2, "gen": 0}"#).is_err());
        assert!(postcard::from_bytes::<super::TaskletId>(&[1]).is_err());
    }
}
