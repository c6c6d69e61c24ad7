//! Checkpoint files: an [`Instance`] saved as bytes, to be restored later, elsewhere, by a later build
//! (core decision 6).
//!
//! # Format (version 1)
//!
//! A fixed header of 42 bytes, then the body. Integers in the header are little-endian.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0  | 8  | magic bytes `BPELCKPT` |
//! | 8  | 2  | format version (`u16`), [`FORMAT_VERSION`] when written by this build |
//! | 10 | 16 | definition hash (`u128`): [`DefinitionHash::of_texts`] over the process and its imports |
//! | 26 | 8  | body length in bytes (`u64`) |
//! | 34 | 8  | checksum (`u64`) of bytes 0..34 followed by the body, see [`checksum`] |
//! | 42 | n  | body: the instance state in postcard (serde), exactly `n` bytes |
//!
//! The magic and the version stay at these offsets in every future version; the rest of the header
//! may change with the version. Loading checks, in order: the length of the header, the magic, the
//! version (this build reads [`OLDEST_READABLE`]..=[`FORMAT_VERSION`]), the body length against the
//! file length, the checksum (so a corrupt definition hash reads as corruption, not as another
//! process), the definition hash against the process loaded now, then decodes the body (every byte
//! used) and checks the instance's internal consistency ([`Instance::validate`]). Each failure is a
//! [`CheckpointError`]; none panics.
//!
//! The body is the instance as serde sees it: postcard's varints for integers, sequences with a length
//! prefix, enum variants by index. [`save`] writes it through serde; [`load`] reads the runtime's own
//! slabs with a decoder of exactly that layout (`runtime/decode.rs`: one pass, slabs of their exact
//! size, no visitor per field; a unit test holds it to serde's result on every state of a run and on
//! thousands of corruptions) and the program's frames, values and keys through serde. The model is
//! never copied: frames refer to activities by `ActivityId`, and the definition hash ties the file to
//! the process it was made with. The layout of every type in the body (the runtime's and the
//! program's frames and values) is part of the format: a change to any of them changes
//! [`FORMAT_VERSION`] (a test fingerprints the layout of a fixed instance to catch that), and this
//! module keeps a reader for each older version it still supports.
//!
//! # Hashes
//!
//! Both hashes are written here, with fixed constants and fixed byte order, so they are the same on
//! every platform and every Rust version (std's `DefaultHasher` promises neither).
//!
//! - The definition hash is FNV-1a with 128 bits. It tells the process a checkpoint was made with from
//!   an edited one, by accident, not against an adversary: someone who can write checkpoint files can
//!   already make the engine do anything the process can. For accidents, 128 bits make a collision
//!   between two versions of a process negligible.
//! - The checksum detects corruption (a truncated copy, a flipped bit): an FNV-style hash over 64-bit
//!   words with a rotation. Every step is a bijection of the running state for a given word and an
//!   injection of the word for a given state, so any change confined to one 8-byte word always
//!   changes the result; it runs at a few cycles per 8 bytes, well inside the restore budget.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::runtime::{Instance, InvalidState, Program};

/// The first eight bytes of every checkpoint.
pub const MAGIC: [u8; 8] = *b"BPELCKPT";

/// The format this build writes.
///
/// - 1: the first.
/// - 2: WS-BPEL instances: frames hold typed per-activity states, scope instances are freed and
///   their slots reused, the trace is a bounded queue. The runtime's own layout is unchanged, so a
///   program whose state did not change (see [`Program::OLDEST_READABLE_FORMAT`]) still reads 1.
pub const FORMAT_VERSION: u16 = 2;

/// The oldest format this build still reads for any program.
pub const OLDEST_READABLE: u16 = 1;

/// The header's size in format version 1.
pub const HEADER_LEN: usize = 42;

/// Identifies a process definition: the process text and the texts of its imports.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DefinitionHash(pub u128);

const FNV128_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV128_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

impl DefinitionHash {
    /// The hash of a process text and its imports' texts (WSDL, XSD, as read from their files). The
    /// order of the imports does not matter; each text is length-prefixed, so no two different lists
    /// of texts hash the same input.
    pub fn of_texts<'a>(process: &str, imports: impl IntoIterator<Item = &'a str>) -> DefinitionHash {
        let mut imports: Vec<&str> = imports.into_iter().collect();
        imports.sort_unstable();
        let mut h = Fnv128(FNV128_OFFSET);
        h.write(b"bpel definition v1\0");
        h.write(&(imports.len() as u64 + 1).to_le_bytes());
        for text in std::iter::once(process).chain(imports) {
            h.write(&(text.len() as u64).to_le_bytes());
            h.write(text.as_bytes());
        }
        DefinitionHash(h.0)
    }
}

struct Fnv128(u128);

impl Fnv128 {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u128::from(b);
            self.0 = self.0.wrapping_mul(FNV128_PRIME);
        }
    }
}

impl fmt::Display for DefinitionHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for DefinitionHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DefinitionHash({self})")
    }
}

const FNV64_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV64_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The checksum of format version 1 over several byte slices taken as one: for each 8-byte
/// little-endian word `w` (the last one zero-padded), `h = rotl((h ^ w) * FNV64_PRIME, 31)`, from the
/// FNV-64 offset basis; the result is `h ^ length`.
pub fn checksum(parts: &[&[u8]]) -> u64 {
    let mut h = FNV64_OFFSET;
    let mut len = 0u64;
    let mut carry = [0u8; 8];
    let mut filled = 0usize;
    let mix = |h: &mut u64, w: u64| *h = (*h ^ w).wrapping_mul(FNV64_PRIME).rotate_left(31);
    for part in parts {
        len += part.len() as u64;
        let mut bytes = *part;
        if filled > 0 {
            let take = (8 - filled).min(bytes.len());
            carry[filled..filled + take].copy_from_slice(&bytes[..take]);
            filled += take;
            bytes = &bytes[take..];
            if filled < 8 {
                continue;
            }
            mix(&mut h, u64::from_le_bytes(carry));
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            mix(&mut h, u64::from_le_bytes(word));
        }
        let rest = words.remainder();
        carry[..rest.len()].copy_from_slice(rest);
        filled = rest.len();
    }
    if filled > 0 {
        carry[filled..].fill(0);
        mix(&mut h, u64::from_le_bytes(carry));
    }
    h ^ len
}

/// A checkpoint's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub version: u16,
    pub definition: DefinitionHash,
    pub body_len: u64,
    pub checksum: u64,
}

/// Why a checkpoint cannot be written or restored.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("not a checkpoint: the data does not start with the magic bytes \"BPELCKPT\"")]
    NotACheckpoint,
    #[error("checkpoint truncated: {len} bytes, and the header alone takes {needed}")]
    TruncatedHeader { len: usize, needed: usize },
    #[error("checkpoint format version {found} is not supported: this build reads versions {oldest} to {newest}")]
    UnsupportedVersion { found: u16, oldest: u16, newest: u16 },
    #[error(
        "checkpoint format version {found} is too old for this kind of instance: its layout changed in version {oldest} \
         (this build reads {oldest} to {newest}); finish the instance with the release that saved it, or start it anew"
    )]
    ProgramLayoutChanged { found: u16, oldest: u16, newest: u16 },
    #[error("checkpoint truncated: the header announces a body of {expected} bytes, only {found} follow it")]
    TruncatedBody { expected: u64, found: usize },
    #[error("checkpoint has {extra} unexpected bytes after its body")]
    TrailingBytes { extra: usize },
    #[error("checkpoint is corrupt: its checksum says {stored:016x}, its content gives {computed:016x}")]
    Corrupt { stored: u64, computed: u64 },
    #[error(
        "checkpoint was made for another process definition: the file has definition hash {found}, the process loaded \
         now has {expected}; restore it against the process (and imports) it was made with"
    )]
    DefinitionMismatch { found: DefinitionHash, expected: DefinitionHash },
    #[error("checkpoint body cannot be decoded: {0}")]
    Decode(#[source] postcard::Error),
    #[error("checkpoint body has {extra} bytes its content does not use")]
    UnusedBytes { extra: usize },
    #[error("checkpoint body decodes to an unusable instance: {0}")]
    Invalid(#[from] InvalidState),
    #[error("the instance cannot be encoded: {0}")]
    Encode(#[source] postcard::Error),
    #[error("checkpoint does not fit its process: {0}")]
    Inconsistent(String),
    #[error("no such process is deployed")]
    NoSuchProcess,
}

/// Writes a checkpoint of `instance`, made with the process whose hash is `definition`.
pub fn save<P: Program>(instance: &Instance<P>, definition: DefinitionHash) -> Result<Vec<u8>, CheckpointError> {
    let mut out = Vec::new();
    save_into(instance, definition, &mut out)?;
    Ok(out)
}

/// Like [`save`], appending to `out` (which a caller may reuse between checkpoints).
pub fn save_into<P: Program>(instance: &Instance<P>, definition: DefinitionHash, out: &mut Vec<u8>) -> Result<(), CheckpointError> {
    let start = out.len();
    out.reserve(HEADER_LEN + instance.core.size_hint());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&definition.0.to_le_bytes());
    out.extend_from_slice(&[0; 16]); // body length and checksum, filled in below
    let body_start = out.len();
    if let Err(e) = postcard::serialize_with_flavor(&(&instance.core, &instance.state), Append(out)) {
        out.truncate(start);
        return Err(CheckpointError::Encode(e));
    }
    let body_len = (out.len() - body_start) as u64;
    out[start + 26..start + 34].copy_from_slice(&body_len.to_le_bytes());
    let sum = checksum(&[&out[start..start + 34], &out[body_start..]]);
    out[start + 34..start + 42].copy_from_slice(&sum.to_le_bytes());
    Ok(())
}

/// A postcard flavor appending to a `Vec` that already holds the header.
struct Append<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        // most pieces are a varint of a few bytes: pushing them beats a call to memcpy
        if data.len() <= 8 {
            for &b in data {
                self.0.push(b);
            }
        } else {
            self.0.extend_from_slice(data);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Reads and checks the header alone: magic, version, and enough bytes for the header.
pub fn read_header(bytes: &[u8]) -> Result<Header, CheckpointError> {
    if bytes.len() < MAGIC.len() + 2 {
        // too short to hold even the version: say "not a checkpoint" if the magic already differs
        let n = bytes.len().min(MAGIC.len());
        if bytes[..n] != MAGIC[..n] {
            return Err(CheckpointError::NotACheckpoint);
        }
        return Err(CheckpointError::TruncatedHeader { len: bytes.len(), needed: HEADER_LEN });
    }
    if bytes[..8] != MAGIC {
        return Err(CheckpointError::NotACheckpoint);
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if !(OLDEST_READABLE..=FORMAT_VERSION).contains(&version) {
        return Err(CheckpointError::UnsupportedVersion { found: version, oldest: OLDEST_READABLE, newest: FORMAT_VERSION });
    }
    // version 1 (the only one so far)
    let Some(h) = bytes.get(..HEADER_LEN) else {
        return Err(CheckpointError::TruncatedHeader { len: bytes.len(), needed: HEADER_LEN });
    };
    let field = |range: std::ops::Range<usize>| -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..range.len()].copy_from_slice(&h[range]);
        out
    };
    let definition = DefinitionHash(u128::from_le_bytes(field(10..26)));
    let [a, b, c, d, e, f, g, i, ..] = field(26..34);
    let body_len = u64::from_le_bytes([a, b, c, d, e, f, g, i]);
    let [a, b, c, d, e, f, g, i, ..] = field(34..42);
    let checksum = u64::from_le_bytes([a, b, c, d, e, f, g, i]);
    Ok(Header { version, definition, body_len, checksum })
}

/// Restores an instance from a checkpoint, refusing one made with another process definition than
/// `definition`, and any corrupt, truncated or inconsistent data.
pub fn load<P: Program>(bytes: &[u8], definition: DefinitionHash) -> Result<Instance<P>, CheckpointError> {
    let header = read_header(bytes)?;
    if header.version < P::OLDEST_READABLE_FORMAT {
        return Err(CheckpointError::ProgramLayoutChanged {
            found: header.version,
            oldest: P::OLDEST_READABLE_FORMAT,
            newest: FORMAT_VERSION,
        });
    }
    let body = &bytes[HEADER_LEN..];
    let expected = header.body_len;
    if (body.len() as u64) < expected {
        return Err(CheckpointError::TruncatedBody { expected, found: body.len() });
    }
    if (body.len() as u64) > expected {
        return Err(CheckpointError::TrailingBytes { extra: body.len() - expected as usize });
    }
    let computed = checksum(&[&bytes[..34], body]);
    if computed != header.checksum {
        return Err(CheckpointError::Corrupt { stored: header.checksum, computed });
    }
    if header.definition != definition {
        return Err(CheckpointError::DefinitionMismatch { found: header.definition, expected: definition });
    }
    let (instance, rest) = Instance::<P>::from_postcard(body).map_err(CheckpointError::Decode)?;
    if !rest.is_empty() {
        return Err(CheckpointError::UnusedBytes { extra: rest.len() });
    }
    instance.validate()?;
    Ok(instance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_hash_is_stable_and_order_free() {
        let a = DefinitionHash::of_texts("<process/>", ["<wsdl/>", "<xsd/>"]);
        let b = DefinitionHash::of_texts("<process/>", ["<xsd/>", "<wsdl/>"]);
        assert_eq!(a, b);
        assert_ne!(a, DefinitionHash::of_texts("<process/> ", ["<wsdl/>", "<xsd/>"]));
        // the framing keeps texts apart
        assert_ne!(DefinitionHash::of_texts("ab", ["c"]), DefinitionHash::of_texts("a", ["bc"]));
        assert_ne!(DefinitionHash::of_texts("a", []), DefinitionHash::of_texts("a", [""]));
        // fixed value: a change here breaks every stored checkpoint
        assert_eq!(DefinitionHash::of_texts("<process/>", []).to_string(), "246717bdc97b6bf65782701831371757");
    }

    #[test]
    fn fnv128_matches_the_reference() {
        // FNV-1a 128 of "" and "a" (reference values from the FNV specification's test suite)
        let mut h = Fnv128(FNV128_OFFSET);
        assert_eq!(h.0, 0x6c62272e07bb014262b821756295c58d);
        h.write(b"a");
        assert_eq!(h.0, 0xd228cb696f1a8caf78912b704e4a8964);
    }

    #[test]
    fn checksum_is_independent_of_how_the_bytes_are_split() {
        let data: Vec<u8> = (0..100u8).collect();
        let whole = checksum(&[&data]);
        for cut in 0..data.len() {
            assert_eq!(checksum(&[&data[..cut], &data[cut..]]), whole);
        }
        assert_ne!(checksum(&[&data[..99]]), whole);
        assert_ne!(checksum(&[&[0u8; 3]]), checksum(&[&[0u8; 4]]));
    }

    #[test]
    fn checksum_notices_every_single_byte_change() {
        let data: Vec<u8> = (0..64u8).map(|b| b.wrapping_mul(37)).collect();
        let sum = checksum(&[&data]);
        for i in 0..data.len() {
            for flip in [1u8, 0x80, 0xff] {
                let mut d = data.clone();
                d[i] ^= flip;
                assert_ne!(checksum(&[&d]), sum, "byte {i} ^ {flip:#x}");
            }
        }
    }
}
