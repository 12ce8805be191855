//! [`Decision`]: the compiled, immutable answer to "may this connection open?".

use std::collections::HashSet;
use std::sync::Arc;

use ahash::AHashMap;

use super::config::{CompileError, Limit};
use super::identity::{Identity, IdentityKey};
use super::ids::{IdentityId, index_u32};
use super::inventory::Inventory;
use super::policy::Policies;
use super::ports::list_heap_bytes;
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
    /// Identities by [`IdentityId`].
    pub(crate) identities: Vec<Identity>,
    identity_index: AHashMap<IdentityKey, IdentityId>,
    pub(crate) inventory: Inventory,
    workload_count: usize,
    generation: u64,
}

impl Decision {
    /// Puts together the inventory part for `workloads` over compiled `policies`, reusing the
    /// identities `previous` already built.
    pub(crate) fn assemble(
        policies: Arc<Policies>,
        workloads: &[Workload],
        previous: Option<&Decision>,
    ) -> Result<Decision, CompileError> {
        policies.config.check(Limit::Workloads, workloads.len())?;
        let mut identity_index: AHashMap<IdentityKey, IdentityId> = AHashMap::new();
        let mut identities: Vec<Option<Identity>> = Vec::new();
        let mut to_build: Vec<(usize, IdentityKey)> = Vec::new();
        let mut workload_identities = Vec::with_capacity(workloads.len());
        for workload in workloads {
            let key = policies.identity_key(workload);
            let id = match identity_index.get(&key) {
                Some(id) => *id,
                None => {
                    let position = identities.len();
                    policies.config.check(Limit::Identities, position + 1)?;
                    let id = IdentityId(index_u32(position).unwrap_or(u32::MAX));
                    let reused = previous.and_then(|p| p.identity(&key));
                    if reused.is_none() {
                        to_build.push((position, key.clone()));
                    }
                    identities.push(reused);
                    identity_index.insert(key, id);
                    id
                }
            };
            workload_identities.push(id);
        }
        let (positions, keys): (Vec<usize>, Vec<IdentityKey>) = to_build.into_iter().unzip();
        for (position, built) in positions.into_iter().zip(policies.build_identities(keys)?) {
            if let Some(slot) = identities.get_mut(position) {
                *slot = Some(built);
            }
        }
        let inventory = Inventory::build(workloads, &workload_identities, &policies.groups);
        Ok(Decision {
            identities: identities.into_iter().flatten().collect(),
            identity_index,
            inventory,
            workload_count: workloads.len(),
            generation: 0,
            policies,
        })
    }

    fn identity(&self, key: &IdentityKey) -> Option<Identity> {
        self.identity_index
            .get(key)
            .and_then(|id| self.identities.get(id.0 as usize))
            .cloned()
    }

    /// The same policies over another workload inventory, without recompiling the policies:
    /// identities this decision already has keep their tables; only new ones are built.
    pub fn with_workloads(&self, workloads: &[Workload]) -> Result<Decision, CompileError> {
        Decision::assemble(self.policies.clone(), workloads, Some(self))
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

    /// Distinct security identities.
    pub fn identity_count(&self) -> usize {
        self.identities.len()
    }

    /// Prefixes (group prefixes and excepts) in the longest-prefix tries.
    pub fn prefix_count(&self) -> usize {
        self.policies.groups.prefix_count()
    }

    /// Distinct address classes (sets of groups an address can be in).
    pub fn class_count(&self) -> usize {
        self.policies.groups.class_count()
    }

    /// Heap memory of the structure, estimated honestly: every allocation counted once (shared
    /// tables and lists too), hash maps at capacity, the tries at 64 bytes a prefix.
    pub fn structure_bytes(&self) -> usize {
        let mut seen_tables = HashSet::new();
        let mut seen_lists = HashSet::new();
        let mut bytes = size_of::<Decision>() + self.policies.heap_bytes();
        bytes += self.identities.capacity() * size_of::<Identity>();
        for identity in &self.identities {
            bytes += identity.key.heap_bytes();
            for table in [&identity.ingress, &identity.egress] {
                if !seen_tables.insert(Arc::as_ptr(table)) {
                    continue;
                }
                bytes += size_of_val(&**table) + 2 * size_of::<usize>() + table.heap_bytes();
                for list in table.lists() {
                    if seen_lists.insert(Arc::as_ptr(list).cast::<u8>()) {
                        bytes += list_heap_bytes(list);
                    }
                }
            }
        }
        bytes += self.identity_index.capacity() * (size_of::<(IdentityKey, IdentityId)>() + 1)
            + self
                .identity_index
                .keys()
                .map(IdentityKey::heap_bytes)
                .sum::<usize>();
        bytes + self.inventory.heap_bytes()
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
