//! The embedded store: one redb file, one write transaction (with an fsync) per batch.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::{new_store_id, Batch, Recovered, SavedCall, SavedInstance, Store, StoreError};

/// Instance id → postcard of [`SavedInstance`].
const INSTANCES: TableDefinition<u64, &[u8]> = TableDefinition::new("instances");
/// (instance, request) → postcard of [`SavedCall`].
const CALLS: TableDefinition<(u64, u64), &[u8]> = TableDefinition::new("calls");
/// The store's own facts: [`STORE_ID`] and [`INSTANCES_THROUGH`].
const META: TableDefinition<&str, u128> = TableDefinition::new("meta");
const STORE_ID: &str = "store id";
const INSTANCES_THROUGH: &str = "instances through";

pub struct RedbStore {
    db: Database,
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// redb's page cache. Its default (1 GiB) is most of what a server holding a million idle
/// instances out of memory (`--idle-evict`) would keep resident; the shards read instances back
/// rarely (a message or timer for an evicted one), and write whole batches.
const CACHE_BYTES: usize = 128 * 1024 * 1024;

impl RedbStore {
    /// Opens the store at `path`, creating it if it does not exist.
    pub fn open(path: &Path) -> Result<RedbStore, StoreError> {
        let open = |message: String| StoreError::Open { path: path.display().to_string(), message };
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(path).map_err(|e| open(e.to_string()))?;
        // both tables exist from the start, so that reads never meet a missing table
        let txn = db.begin_write().map_err(|e| open(e.to_string()))?;
        txn.open_table(INSTANCES).map_err(|e| open(e.to_string()))?;
        txn.open_table(CALLS).map_err(|e| open(e.to_string()))?;
        {
            let mut meta = txn.open_table(META).map_err(|e| open(e.to_string()))?;
            if meta.get(STORE_ID).map_err(|e| open(e.to_string()))?.is_none() {
                meta.insert(STORE_ID, new_store_id()).map_err(|e| open(e.to_string()))?;
            }
        }
        txn.commit().map_err(|e| open(e.to_string()))?;
        Ok(RedbStore { db })
    }
}

impl Store for RedbStore {
    fn recover(&self) -> Result<Recovered, StoreError> {
        let txn = self.db.begin_read().map_err(failed)?;
        let mut out = Recovered::default();
        let instances = txn.open_table(INSTANCES).map_err(failed)?;
        for entry in instances.iter().map_err(failed)? {
            let (_, value) = entry.map_err(failed)?;
            let saved: SavedInstance = postcard::from_bytes(value.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.instances.push(saved);
        }
        let calls = txn.open_table(CALLS).map_err(failed)?;
        for entry in calls.iter().map_err(failed)? {
            let (_, value) = entry.map_err(failed)?;
            let saved: SavedCall = postcard::from_bytes(value.value()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            out.calls.push(saved);
        }
        let meta = txn.open_table(META).map_err(failed)?;
        out.store_id = meta.get(STORE_ID).map_err(failed)?.map_or(0, |v| v.value());
        let through = meta.get(INSTANCES_THROUGH).map_err(failed)?.map_or(0, |v| v.value());
        out.instances_through = u64::try_from(through).unwrap_or(u64::MAX);
        Ok(out)
    }

    fn load(&self, id: u64) -> Result<Option<SavedInstance>, StoreError> {
        let txn = self.db.begin_read().map_err(failed)?;
        let instances = txn.open_table(INSTANCES).map_err(failed)?;
        let Some(value) = instances.get(id).map_err(failed)? else { return Ok(None) };
        postcard::from_bytes(value.value()).map(Some).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    fn commit(&self, batch: &Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(failed)?;
        {
            let mut instances = txn.open_table(INSTANCES).map_err(failed)?;
            for saved in &batch.save {
                let bytes = postcard::to_stdvec(saved).map_err(failed)?;
                instances.insert(saved.id, bytes.as_slice()).map_err(failed)?;
            }
            for id in &batch.delete {
                instances.remove(*id).map_err(failed)?;
            }
            let mut calls = txn.open_table(CALLS).map_err(failed)?;
            for call in &batch.calls_made {
                let bytes = postcard::to_stdvec(call).map_err(failed)?;
                calls.insert((call.instance, call.request), bytes.as_slice()).map_err(failed)?;
            }
            for key in &batch.calls_answered {
                calls.remove(*key).map_err(failed)?;
            }
            // A call stays until it is answered (or, one-way, sent), even when its instance ended
            // in the meantime or in this very batch (a one-way invoke as the last activity): it
            // has still to be made, at least once.
            if batch.instances_through > 0 {
                let mut meta = txn.open_table(META).map_err(failed)?;
                let through = meta.get(INSTANCES_THROUGH).map_err(failed)?.map_or(0, |v| v.value());
                if u128::from(batch.instances_through) > through {
                    meta.insert(INSTANCES_THROUGH, u128::from(batch.instances_through)).map_err(failed)?;
                }
            }
        }
        txn.commit().map_err(failed)
    }

    fn durable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(id: u64) -> SavedInstance {
        SavedInstance { id, process: "P".into(), definition: 7, checkpoint: vec![id as u8; 10] }
    }

    #[test]
    fn batches_survive_reopening() {
        let dir = std::env::temp_dir().join(format!("bpel-redb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.redb");
        let _ = std::fs::remove_file(&path);
        let first_id = {
            let store = RedbStore::open(&path).unwrap();
            let batch = Batch {
                save: vec![saved(1), saved(2), saved(3)],
                calls_made: vec![
                    SavedCall { instance: 2, request: 5, call: vec![1, 2] },
                    SavedCall { instance: 3, request: 1, call: vec![3] },
                ],
                instances_through: 3,
                ..Batch::default()
            };
            store.commit(&batch).unwrap();
            store.commit(&Batch { delete: vec![3], calls_answered: vec![], instances_through: 2, ..Batch::default() }).unwrap();
            store.recover().unwrap().store_id
        };
        let store = RedbStore::open(&path).unwrap();
        let recovered = store.recover().unwrap();
        assert_eq!(recovered.instances, vec![saved(1), saved(2)]);
        assert_eq!(recovered.instances_through, 3, "instance 3 ended, its id stays given out");
        assert_ne!(recovered.store_id, 0);
        assert_eq!(recovered.store_id, first_id, "the store keeps its identity");
        assert_eq!(store.load(2).unwrap(), Some(saved(2)));
        assert_eq!(store.load(3).unwrap(), None, "deleted");
        assert_eq!(store.load(9).unwrap(), None, "never saved");
        assert_eq!(
            recovered.calls,
            vec![SavedCall { instance: 2, request: 5, call: vec![1, 2] }, SavedCall { instance: 3, request: 1, call: vec![3] }],
            "the ended instance's call stays until it is made"
        );
        store.commit(&Batch { calls_answered: vec![(2, 5), (3, 1)], ..Batch::default() }).unwrap();
        assert!(store.recover().unwrap().calls.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
