//! [`Decision`]: the compiled, immutable answer to "may this connection open?".

use std::collections::HashSet;
use std::sync::Arc;

use ahash::AHashMap;

use super::config::{CompileError, Limit};
use super::identity::Identity;
use super::ids::IdentityId;
use super::inventory::Inventory;
use super::key::IdentityKey;
use super::policy::Policies;
use crate::firewall::Workload;

/// A compiled firewall: policies indexed per security identity, workload addresses hashed,
/// address groups in longest-prefix tries.
///
/// Immutable once built, `Send + Sync`, meant to be shared behind an `Arc` (see
/// [`crate::engine::Engine`]). [`Decision::lookup`] answers exactly what
/// [`crate::reference::linear::evaluate`] answers on the configuration it was built from.
pub struct Decision {
    /// Compiled rules, selectors, tags and address classes: shared with derived decisions.
    pub(crate) policies: Arc<Policies>,
    /// Identities by [`IdentityId`]: every identity of this decision's lineage, so that ids stay
    /// put across [`Decision::with_workloads`] (peer sets are over ids). Some may be unused.
    pub(crate) identities: Vec<Arc<Identity>>,
    identity_index: Arc<AHashMap<IdentityKey, IdentityId>>,
    /// Identities some workload has.
    live_identities: usize,
    /// Workloads per identity id.
    identity_users: Vec<u32>,
    pub(crate) inventory: Inventory,
    workload_count: usize,
    generation: u64,
}

impl Decision {
    /// Puts together the inventory part for `workloads` over compiled `policies`, keeping the
    /// identities (ids and tables) `previous` already has.
    pub(crate) fn assemble(
        policies: Arc<Policies>,
        workloads: &[Workload],
        previous: Option<&Decision>,
    ) -> Result<Decision, CompileError> {
        policies.config.check(Limit::Workloads, workloads.len())?;
        let (mut identity_index, mut identities) = match previous {
            Some(p) => (p.identity_index.as_ref().clone(), p.identities.clone()),
            None => (AHashMap::new(), Vec::new()),
        };
        let mut new_keys: Vec<IdentityKey> = Vec::new();
        let mut identity_users: Vec<u32> = vec![0; identities.len()];
        let mut live_identities = 0;
        let mut workload_identities = Vec::with_capacity(workloads.len());
        for workload in workloads {
            let key = policies.identity_key(workload);
            let id = match identity_index.get(&key) {
                Some(id) => *id,
                None => {
                    let position = identities.len() + new_keys.len();
                    let id = IdentityId::new(position, "identities")?;
                    new_keys.push(key.clone());
                    identity_users.push(0);
                    identity_index.insert(key, id);
                    id
                }
            };
            if let Some(users) = identity_users.get_mut(id.index()) {
                if *users == 0 {
                    live_identities += 1;
                    policies.config.check(Limit::Identities, live_identities)?;
                }
                *users += 1;
            }
            workload_identities.push(id);
        }
        // Unused identities are kept for their ids; once they outnumber the used ones, start
        // afresh so that churn cannot grow the structure without bound.
        if previous.is_some() && identity_users.len() > 2 * live_identities + 64 {
            return Decision::assemble(policies, workloads, None);
        }
        // New identities, and those an update built without peer sets.
        let build: Vec<usize> = identities
            .iter()
            .enumerate()
            .filter(|(_, i)| i.deferred)
            .map(|(id, _)| id)
            .chain(identities.len()..identities.len() + new_keys.len())
            .collect();
        let built = {
            let all: Vec<Option<&IdentityKey>> = identities
                .iter()
                .map(|i| Some(&i.key))
                .chain(new_keys.iter().map(Some))
                .collect();
            policies.build_identities(&all, &build, false)?
        };
        for (id, identity) in build.into_iter().zip(built) {
            match identities.get_mut(id) {
                Some(slot) => *slot = Arc::new(identity),
                None => identities.push(Arc::new(identity)),
            }
        }
        let inventory = Inventory::build(workloads, &workload_identities, &policies.groups);
        Ok(Decision {
            identities,
            identity_index: Arc::new(identity_index),
            live_identities,
            identity_users,
            inventory,
            workload_count: workloads.len(),
            generation: 0,
            policies,
        })
    }

    /// The same policies over another workload inventory, without recompiling the policies:
    /// identities this decision already has keep their ids and tables; only new ones are built.
    pub fn with_workloads(&self, workloads: &[Workload]) -> Result<Decision, CompileError> {
        Decision::assemble(self.policies.clone(), workloads, Some(self))
    }

    /// This decision with some workloads added or changed (matched by name) and some removed
    /// (by name), without rebuilding the inventory: only the inventory shards the changed
    /// addresses and names fall in are copied, the rest is shared with `self`.
    ///
    /// The result answers as a fresh build would on the workload list where each changed
    /// workload replaced the one of its name in place, the removed ones were dropped and the
    /// added ones were appended in order. Names are expected to be unique (as
    /// `namespace/pod` names are); a name is matched to the first workload that had it. A
    /// workload whose tags and named ports match an existing identity costs a few shard
    /// copies; a new identity gets its tables built by one pass over the rules, without the
    /// per-block peer sets (lookups at it test each candidate until the next
    /// [`Decision::with_workloads`] or build computes them). Identities no
    /// workload has any more are kept (their ids stay reserved) until the next
    /// [`Decision::with_workloads`] or build.
    pub fn update(
        &self,
        added_or_changed: &[Workload],
        removed: &[&str],
    ) -> Result<Decision, CompileError> {
        let policies = &self.policies;
        let mut inventory = self.inventory.clone();
        let mut identity_users = self.identity_users.clone();
        let mut live_identities = self.live_identities;
        let mut workload_count = self.workload_count;
        let release = |users: &mut Vec<u32>, live: &mut usize, id: IdentityId| {
            if let Some(count) = users.get_mut(id.index())
                && *count > 0
            {
                *count -= 1;
                if *count == 0 {
                    *live -= 1;
                }
            }
        };
        for name in removed {
            if let Some(gone) = inventory.remove(name) {
                release(&mut identity_users, &mut live_identities, gone.identity);
                workload_count -= 1;
            }
        }
        // Identities first: new ones need tables before workloads can point at them.
        let keys: Vec<IdentityKey> = added_or_changed
            .iter()
            .map(|w| policies.identity_key(w))
            .collect();
        let mut new_keys: Vec<IdentityKey> = Vec::new();
        let mut new_ids: AHashMap<IdentityKey, IdentityId> = AHashMap::new();
        for key in &keys {
            if self.identity_index.contains_key(key) || new_ids.contains_key(key) {
                continue;
            }
            let position = self.identities.len() + new_keys.len();
            new_ids.insert(key.clone(), IdentityId::new(position, "identities")?);
            new_keys.push(key.clone());
        }
        let mut identities = self.identities.clone();
        let mut identity_index = None;
        if !new_keys.is_empty() {
            let all: Vec<Option<&IdentityKey>> = identities
                .iter()
                .map(|i| Some(&i.key))
                .chain(new_keys.iter().map(Some))
                .collect();
            let build: Vec<usize> = (identities.len()..all.len()).collect();
            let built = policies.build_identities(&all, &build, true)?;
            identities.extend(built.into_iter().map(Arc::new));
            identity_users.resize(identities.len(), 0);
            let mut index = self.identity_index.as_ref().clone();
            index.extend(new_ids.iter().map(|(k, v)| (k.clone(), *v)));
            identity_index = Some(Arc::new(index));
        }
        for (workload, key) in added_or_changed.iter().zip(&keys) {
            let Some(id) = self
                .identity_index
                .get(key)
                .or_else(|| new_ids.get(key))
                .copied()
            else {
                continue;
            };
            let kept = inventory.remove(&workload.name).map(|old| {
                release(&mut identity_users, &mut live_identities, old.identity);
                old.workload
            });
            if kept.is_none() {
                workload_count += 1;
            }
            if let Some(users) = identity_users.get_mut(id.index()) {
                if *users == 0 {
                    live_identities += 1;
                }
                *users += 1;
            }
            inventory.add(workload, id, kept, &policies.groups);
        }
        policies.config.check(Limit::Workloads, workload_count)?;
        policies.config.check(Limit::Identities, live_identities)?;
        inventory.recount();
        Ok(Decision {
            policies: policies.clone(),
            identities,
            identity_index: identity_index.unwrap_or_else(|| self.identity_index.clone()),
            live_identities,
            identity_users,
            inventory,
            workload_count,
            generation: 0,
        })
    }

    /// The generation the [`crate::engine::Engine`] gave this decision (0 before any swap).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn set_generation(&mut self, generation: u64) {
        self.generation = generation;
    }

    /// Firewall rules compiled.
    pub fn rule_count(&self) -> usize {
        self.policies.rule_count()
    }

    /// Workloads in the inventory.
    pub fn workload_count(&self) -> usize {
        self.workload_count
    }

    /// Workload addresses in the inventory.
    pub fn address_count(&self) -> usize {
        self.inventory.address_count()
    }

    /// Distinct security identities of the workloads.
    pub fn identity_count(&self) -> usize {
        self.live_identities
    }

    /// Prefixes (group prefixes and excepts) in the longest-prefix tries.
    pub fn prefix_count(&self) -> usize {
        self.policies.groups.prefix_count()
    }

    /// Distinct address classes (sets of groups an address can be in).
    pub fn class_count(&self) -> usize {
        self.policies.groups.class_count()
    }

    /// Parts of the structure that went over their budget and were built in their bounded,
    /// slower form: port tables whose narrow candidates of one protocol stay a scan list
    /// instead of being split by port interval (counted once per distinct table and protocol).
    pub fn degraded_count(&self) -> usize {
        let mut seen = HashSet::new();
        self.identities
            .iter()
            .flat_map(|i| i.all_tables())
            .filter(|table| seen.insert(Arc::as_ptr(table)))
            .map(|table| table.degraded())
            .sum()
    }

    /// Heap memory of the structure, estimated honestly: every allocation counted once (shared
    /// tables and lists too), hash maps at capacity, the tries at 64 bytes a prefix.
    pub fn structure_bytes(&self) -> usize {
        self.memory().total()
    }

    /// [`Decision::structure_bytes`], part by part.
    pub fn memory(&self) -> Memory {
        let mut seen = HashSet::new();
        let mut memory = Memory {
            policies: size_of::<Decision>() + self.policies.heap_bytes(),
            identities: self.identities.capacity() * size_of::<Arc<Identity>>(),
            ..Memory::default()
        };
        for identity in &self.identities {
            memory.identities +=
                2 * size_of::<usize>() + size_of::<Identity>() + identity.key.heap_bytes();
            for table in identity.all_tables() {
                if !seen.insert(Arc::as_ptr(table).cast::<u8>()) {
                    continue;
                }
                memory.tables +=
                    size_of_val(&**table) + 2 * size_of::<usize>() + table.heap_bytes();
                for list in table.lists() {
                    if !seen.insert(Arc::as_ptr(list).cast::<u8>()) {
                        continue;
                    }
                    memory.lists += list.heap_bytes();
                    for set in list.peer_sets() {
                        if seen.insert(Arc::as_ptr(set).cast::<u8>()) {
                            memory.peer_sets += set.heap_bytes();
                        }
                    }
                }
            }
        }
        memory.identities += self.identity_index.capacity()
            * (size_of::<(IdentityKey, IdentityId)>() + 1)
            + self
                .identity_index
                .keys()
                .map(IdentityKey::heap_bytes)
                .sum::<usize>()
            + self.identity_users.capacity() * size_of::<u32>();
        memory.inventory = self.inventory.heap_bytes();
        memory
    }
}

/// Where a [`Decision`]'s bytes are, as [`Decision::memory`] estimates them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Memory {
    /// Compiled rules, selectors, tags, address classes (the boundary trie).
    pub policies: usize,
    /// Identities, their keys and the key index.
    pub identities: usize,
    /// Port tables (per identity and direction, shared when equal) and their intervals.
    pub tables: usize,
    /// Candidate lists and their blocks.
    pub lists: usize,
    /// Blocks' peer sets.
    pub peer_sets: usize,
    /// Workload addresses and names.
    pub inventory: usize,
}

impl Memory {
    /// Every part together.
    pub fn total(&self) -> usize {
        self.policies + self.identities + self.tables + self.lists + self.peer_sets + self.inventory
    }
}

impl std::fmt::Debug for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decision")
            .field("generation", &self.generation)
            .field("rules", &self.rule_count())
            .field("workloads", &self.workload_count)
            .field("identities", &self.identity_count())
            .field("prefixes", &self.prefix_count())
            .finish_non_exhaustive()
    }
}
