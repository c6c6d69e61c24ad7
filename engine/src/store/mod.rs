//! Where instances live between messages (core decision 7, durable by default).
//!
//! A [`Store`] takes a [`Batch`] of changes (instances saved as checkpoints, instances ended,
//! partner calls made and answered) and makes it durable before it returns; `serve` commits each
//! batch of work of a shard before any reply or call of that batch leaves the process, so a crash
//! loses nothing that was acknowledged and repeats no reply. Calls made but not answered are kept
//! (the outbox) and made again after a restart: at least once, each time with the same
//! idempotency key ([`call_key`]), so that a partner can tell a repeated call from a new one.
//!
//! [`RedbStore`] is the embedded default; [`MemoryStore`] keeps nothing (`--in-memory`). The trait is
//! what another store (a shared database) would implement.

mod redb_store;

use serde::{Deserialize, Serialize};

pub use redb_store::RedbStore;

/// An instance as the store keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedInstance {
    pub id: u64,
    /// The process's name, to tell the user which one a leftover belongs to.
    pub process: String,
    /// The definition hash of the process (the checkpoint's header has it too).
    pub definition: u128,
    /// A checkpoint file's bytes ([`crate::checkpoint`]).
    pub checkpoint: Vec<u8>,
}

/// A partner call made and not answered yet: the serialized [`crate::exec::Invocation`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedCall {
    pub instance: u64,
    pub request: u64,
    pub call: Vec<u8>,
}

/// One atomic set of changes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    pub save: Vec<SavedInstance>,
    pub delete: Vec<u64>,
    pub calls_made: Vec<SavedCall>,
    pub calls_answered: Vec<(u64, u64)>,
    /// Instance ids reserved through this one (0: no new reservation) by the shard that made the
    /// batch, beyond every id it has given out: the store keeps the highest of all batches, so
    /// that ids seen outside (in replies, logs, idempotency keys) are never given to another
    /// instance after a restart. A shard reserves ahead, so few batches carry one.
    pub instances_through: u64,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.save.is_empty()
            && self.delete.is_empty()
            && self.calls_made.is_empty()
            && self.calls_answered.is_empty()
            && self.instances_through == 0
    }
}

/// What a store holds, read back at start.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recovered {
    pub instances: Vec<SavedInstance>,
    pub calls: Vec<SavedCall>,
    /// New instances are numbered above this ([`Batch::instances_through`]).
    pub instances_through: u64,
    /// This store's own identity, made when it was created: the first part of every call's
    /// idempotency key, so that two stores' calls never share a key.
    pub store_id: u128,
}

/// The idempotency key of a partner call (the `Idempotency-Key` header `serve` sends): the same
/// for every attempt of one call, including the attempts after a restart, and different for any
/// other call of any instance of the store.
pub fn call_key(store_id: u128, instance: u64, request: u64) -> String {
    format!("{store_id:032x}-{instance}-{request}")
}

/// A store identity that no other store is likely to have: the standard library's per-process
/// random hash keys, the time and the process id, hashed.
pub fn new_store_id() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let half = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(salt);
        hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        hasher.write_u32(std::process::id());
        hasher.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {path} cannot be opened: {message}")]
    Open { path: String, message: String },
    #[error("the store failed: {0}")]
    Failed(String),
    #[error("the store holds a record it cannot read: {0}")]
    Corrupt(String),
}

pub trait Store: Send + Sync {
    /// Everything kept, for a restart.
    fn recover(&self) -> Result<Recovered, StoreError>;
    /// The instance `id` as the last committed batch left it (`None`: no batch saved it, or one
    /// deleted it). A shard reads instances back this way after a batch that failed.
    fn load(&self, id: u64) -> Result<Option<SavedInstance>, StoreError>;
    /// Makes the batch durable (all of it or none) before returning.
    fn commit(&self, batch: &Batch) -> Result<(), StoreError>;
    /// Whether committed batches survive a crash (false for [`MemoryStore`]).
    fn durable(&self) -> bool;
}

/// Keeps nothing: instances live in memory only, and a restart starts empty.
#[derive(Clone, Copy, Debug)]
pub struct MemoryStore {
    id: u128,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore { id: new_store_id() }
    }
}

impl Store for MemoryStore {
    fn recover(&self) -> Result<Recovered, StoreError> {
        Ok(Recovered { store_id: self.id, ..Recovered::default() })
    }

    fn load(&self, _id: u64) -> Result<Option<SavedInstance>, StoreError> {
        Ok(None)
    }

    fn commit(&self, _batch: &Batch) -> Result<(), StoreError> {
        Ok(())
    }

    fn durable(&self) -> bool {
        false
    }
}
