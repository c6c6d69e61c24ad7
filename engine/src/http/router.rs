//! Which shard a request goes to. Each shard (a worker thread) owns its instances outright; a
//! message for an existing instance must reach the shard that owns it. Instances are numbered so
//! that the number tells the shard; correlation values tell the instance, through an index the
//! shards fill as their instances initiate correlation sets.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::exec::engine::Correlated;
use crate::exec::messages::{message_from_body, message_type, operation, Direction};
use crate::exec::{Deployed, InstanceId, ProcessId};
use crate::xml::XmlElement;

type Key = (ProcessId, String, Vec<String>);

pub struct Router {
    shards: usize,
    next: AtomicUsize,
    index: Mutex<Index>,
}

#[derive(Default)]
struct Index {
    instance_of: BTreeMap<Key, InstanceId>,
    keys_of: BTreeMap<InstanceId, Vec<Key>>,
}

impl Router {
    pub fn new(shards: usize) -> Router {
        Router { shards: shards.max(1), next: AtomicUsize::new(0), index: Mutex::new(Index::default()) }
    }

    pub fn shards(&self) -> usize {
        self.shards
    }

    /// The shard that owns an instance: instance ids of shard `s` are `s + 1`, `s + 1 + shards`...
    pub fn shard_of(&self, id: InstanceId) -> usize {
        (id.0.saturating_sub(1) % self.shards as u64) as usize
    }

    /// The first instance id of a shard (the step is the number of shards).
    pub fn first_id(&self, shard: usize) -> u64 {
        shard as u64 + 1
    }

    pub fn publish(&self, correlated: &Correlated) {
        let Ok(mut index) = self.index.lock() else { return };
        let key = (correlated.process, correlated.set.clone(), correlated.values.clone());
        index.instance_of.insert(key.clone(), correlated.instance);
        index.keys_of.entry(correlated.instance).or_default().push(key);
    }

    /// The instance ended: its correlation values route nothing any more.
    pub fn forget(&self, id: InstanceId) {
        let Ok(mut index) = self.index.lock() else { return };
        for key in index.keys_of.remove(&id).unwrap_or_default() {
            if index.instance_of.get(&key) == Some(&id) {
                index.instance_of.remove(&key);
            }
        }
    }

    /// The shard for a request: the owner of the instance its correlation values name; for a
    /// message that creates an instance, the shards in turn. A process that receives a message
    /// without correlation on an instance it did not create keeps all its instances on shard 0,
    /// the only way such a message finds its instance.
    pub fn route(&self, deployed: &Deployed, process: ProcessId, partner_link: &str, operation_name: &str, body: &[XmlElement]) -> usize {
        if self.shards == 1 || deployed.needs_affinity() {
            return 0;
        }
        let Some(inbound) = deployed.inbound.get(&(partner_link.to_string(), operation_name.to_string())) else { return 0 };
        if inbound.correlations.is_empty() {
            return if inbound.creates { self.next.fetch_add(1, Ordering::Relaxed) % self.shards } else { 0 };
        }
        let message = operation(deployed, partner_link, operation_name, true)
            .and_then(|op| message_type(deployed, op, Direction::Input))
            .map(|ty| message_from_body(&ty, body));
        let Some(message) = message else { return 0 };
        let Ok(routing) = crate::exec::messages::routing(deployed, partner_link, operation_name, &message) else { return 0 };
        if let Ok(index) = self.index.lock() {
            for (set, values) in routing.keys {
                if let Some(id) = index.instance_of.get(&(process, set, values)) {
                    return self.shard_of(*id);
                }
            }
        }
        if routing.creates {
            return self.next.fetch_add(1, Ordering::Relaxed) % self.shards;
        }
        0
    }
}
