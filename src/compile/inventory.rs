//! The inventory part of a [`super::Decision`]: which workload, identity and address class
//! each workload address has, and which addresses each workload name holds.
//!
//! Both maps are cut into [`SHARDS`] shards behind `Arc`s, so a decision derived by
//! [`super::Decision::update`] shares every shard it does not touch and copies only the few it
//! does: following one pod costs a few shards, not the whole inventory.
//!
//! IPv4 addresses (the common case) sit in a flat open-addressing table keyed by the address,
//! hashed by one multiplication: a probe is a multiply, a shift and usually one cache line.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::groups::AddressClasses;
use super::ids::{ClassId, IdentityId, WorkloadId};
use crate::firewall::Workload;
use crate::tuple::canonical_ip;

/// Address shards; a power of two.
const SHARDS: usize = 256;

/// Name shards; a power of two. Names own heap strings, so a shard costs an allocation per
/// entry to copy: more, smaller shards keep an update's copy small.
const NAME_SHARDS: usize = 4096;

/// What the fast path needs about a workload address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) workload: WorkloadId,
    pub(crate) identity: IdentityId,
    pub(crate) class: ClassId,
}

/// A workload as the inventory registered it under its name.
#[derive(Clone, Debug)]
pub(crate) struct Registered {
    pub(crate) workload: WorkloadId,
    pub(crate) identity: IdentityId,
    ips: Box<[IpAddr]>,
}

/// Workload addresses and names, sharded.
#[derive(Clone, Debug)]
pub(crate) struct Inventory {
    shards: Box<[Arc<AddressShard>]>,
    names: Box<[Arc<NameShard>]>,
    addresses: usize,
    /// The id the next added workload gets: ids grow in inventory order, and an address two
    /// workloads claim belongs to the smaller id (the first, as `linear` finds it).
    next_workload: u32,
}

/// 64-bit multiplicative hash of a v4 address: the top byte picks the shard, lower bits the
/// slot.
#[inline]
fn hash_v4(key: u32) -> u64 {
    u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[inline]
fn hash_v6(key: u128) -> u64 {
    hash_v4(0) ^ ((key as u64) ^ ((key >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[inline]
fn shard_of(hash: u64) -> usize {
    (hash >> 56) as usize & (SHARDS - 1)
}

impl Inventory {
    /// Indexes every address of `workloads`; `identities[i]` is workload `i`'s identity. An
    /// address two workloads claim belongs to the first, as `linear` finds it.
    pub(crate) fn build(
        workloads: &[Workload],
        identities: &[IdentityId],
        groups: &AddressClasses,
    ) -> Inventory {
        let mut shards: Vec<AddressShard> = vec![AddressShard::default(); SHARDS];
        let mut names: Vec<NameShard> = vec![NameShard::default(); NAME_SHARDS];
        let mut next_workload = 0u32;
        for (workload, identity) in workloads.iter().zip(identities) {
            let id = WorkloadId::from_raw(next_workload);
            next_workload = next_workload.saturating_add(1);
            let ips: Box<[IpAddr]> = workload.ips.iter().map(|ip| canonical_ip(*ip)).collect();
            for ip in &ips {
                let owner = Owner {
                    workload: id,
                    identity: *identity,
                    class: groups.class_of(*ip),
                };
                if let Some(shard) = shards.get_mut(address_shard(*ip)) {
                    shard.claim(*ip, owner);
                }
            }
            if let Some(shard) = names.get_mut(name_shard(&workload.name)) {
                shard
                    .0
                    .entry(workload.name.as_str().into())
                    .or_insert(Registered {
                        workload: id,
                        identity: *identity,
                        ips,
                    });
            }
        }
        let mut inventory = Inventory {
            shards: shards.into_iter().map(Arc::new).collect(),
            names: names.into_iter().map(Arc::new).collect(),
            addresses: 0,
            next_workload,
        };
        inventory.addresses = inventory.shards.iter().map(|s| s.len()).sum();
        inventory
    }

    /// The owner of a canonical address.
    #[inline]
    pub(crate) fn owner(&self, ip: IpAddr) -> Option<Owner> {
        match ip {
            IpAddr::V4(v4) => {
                let key = v4.to_bits();
                let hash = hash_v4(key);
                self.shards.get(shard_of(hash))?.v4.get(key, hash)
            }
            IpAddr::V6(v6) => {
                let key = v6.to_bits();
                self.shards
                    .get(shard_of(hash_v6(key)))?
                    .v6
                    .get(&key)
                    .copied()
            }
        }
    }

    /// Removes the workload registered under `name`, and its address claims.
    pub(crate) fn remove(&mut self, name: &str) -> Option<Registered> {
        let shard = Arc::make_mut(self.names.get_mut(name_shard(name))?);
        let registered = shard.0.remove(name)?;
        for ip in &registered.ips {
            if let Some(shard) = self.address_shard_mut(*ip) {
                shard.release(*ip, registered.workload);
            }
        }
        Some(registered)
    }

    /// Adds `workload` with `identity` (a new id unless `keep` gives the one it had), claiming its
    /// addresses. The caller removed any workload registered under the same name.
    pub(crate) fn add(
        &mut self,
        workload: &Workload,
        identity: IdentityId,
        keep: Option<WorkloadId>,
        groups: &AddressClasses,
    ) {
        let id = keep.unwrap_or_else(|| {
            let id = WorkloadId::from_raw(self.next_workload);
            self.next_workload = self.next_workload.saturating_add(1);
            id
        });
        let ips: Box<[IpAddr]> = workload.ips.iter().map(|ip| canonical_ip(*ip)).collect();
        for ip in &ips {
            let owner = Owner {
                workload: id,
                identity,
                class: groups.class_of(*ip),
            };
            if let Some(shard) = self.address_shard_mut(*ip) {
                shard.claim(*ip, owner);
            }
        }
        if let Some(shard) = self.names.get_mut(name_shard(&workload.name)) {
            Arc::make_mut(shard).0.insert(
                workload.name.as_str().into(),
                Registered {
                    workload: id,
                    identity,
                    ips,
                },
            );
        }
    }

    /// Recounts the addresses after changes.
    pub(crate) fn recount(&mut self) {
        self.addresses = self.shards.iter().map(|s| s.len()).sum();
    }

    fn address_shard_mut(&mut self, ip: IpAddr) -> Option<&mut AddressShard> {
        self.shards.get_mut(address_shard(ip)).map(Arc::make_mut)
    }

    /// Addresses indexed.
    pub(crate) fn address_count(&self) -> usize {
        self.addresses
    }

    /// Heap bytes: shards, tables at capacity, names and their address lists.
    pub(crate) fn heap_bytes(&self) -> usize {
        let arcs = (SHARDS + NAME_SHARDS) * (size_of::<usize>() * 3);
        let addresses: usize = self
            .shards
            .iter()
            .map(|s| size_of::<AddressShard>() + s.heap_bytes())
            .sum();
        let names: usize = self
            .names
            .iter()
            .map(|s| {
                size_of::<NameShard>()
                    + s.0.capacity() * (size_of::<(Box<str>, Registered)>() + 1)
                    + s.0
                        .iter()
                        .map(|(name, r)| name.len() + size_of_val(&*r.ips))
                        .sum::<usize>()
            })
            .sum();
        arcs + addresses + names
    }
}

fn address_shard(ip: IpAddr) -> usize {
    match ip {
        IpAddr::V4(v4) => shard_of(hash_v4(v4.to_bits())),
        IpAddr::V6(v6) => shard_of(hash_v6(v6.to_bits())),
    }
}

fn name_shard(name: &str) -> usize {
    // FNV-1a: stable, and this is the update path, not the lookup path.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash >> 32) as usize & (NAME_SHARDS - 1)
}

/// Workload names of one shard.
#[derive(Clone, Debug, Default)]
struct NameShard(HashMap<Box<str>, Registered, ahash::RandomState>);

/// Addresses of one shard, with every claim of addresses more than one workload claims.
#[derive(Clone, Debug, Default)]
struct AddressShard {
    v4: FlatV4,
    v6: HashMap<u128, Owner, ahash::RandomState>,
    /// Addresses two workloads or more claim, with every claim: the owner is the smallest id.
    contested: Vec<(IpAddr, Vec<Owner>)>,
}

impl AddressShard {
    fn len(&self) -> usize {
        self.v4.len + self.v6.len()
    }

    fn current(&self, ip: IpAddr) -> Option<Owner> {
        match ip {
            IpAddr::V4(v4) => self.v4.get(v4.to_bits(), hash_v4(v4.to_bits())),
            IpAddr::V6(v6) => self.v6.get(&v6.to_bits()).copied(),
        }
    }

    fn put(&mut self, ip: IpAddr, owner: Owner) {
        match ip {
            IpAddr::V4(v4) => self.v4.insert(v4.to_bits(), owner),
            IpAddr::V6(v6) => {
                self.v6.insert(v6.to_bits(), owner);
            }
        }
    }

    fn delete(&mut self, ip: IpAddr) {
        match ip {
            IpAddr::V4(v4) => self.v4.remove(v4.to_bits()),
            IpAddr::V6(v6) => {
                self.v6.remove(&v6.to_bits());
            }
        }
    }

    /// Records that `owner`'s workload has `ip`.
    fn claim(&mut self, ip: IpAddr, owner: Owner) {
        let Some(current) = self.current(ip) else {
            self.put(ip, owner);
            return;
        };
        if current.workload == owner.workload {
            return;
        }
        let claims = match self.contested.iter().position(|(a, _)| *a == ip) {
            Some(index) => self.contested.get_mut(index).map(|(_, c)| c),
            None => {
                self.contested.push((ip, vec![current]));
                self.contested.last_mut().map(|(_, c)| c)
            }
        };
        if let Some(claims) = claims {
            claims.push(owner);
            if let Some(first) = claims.iter().min_by_key(|o| o.workload).copied() {
                self.put(ip, first);
            }
        }
    }

    /// Drops `workload`'s claim on `ip`.
    fn release(&mut self, ip: IpAddr, workload: WorkloadId) {
        let Some(index) = self.contested.iter().position(|(a, _)| *a == ip) else {
            if self.current(ip).is_some_and(|o| o.workload == workload) {
                self.delete(ip);
            }
            return;
        };
        let mut claims = self.contested.swap_remove(index).1;
        claims.retain(|o| o.workload != workload);
        match claims.iter().min_by_key(|o| o.workload).copied() {
            None => self.delete(ip),
            Some(first) => {
                self.put(ip, first);
                if claims.len() > 1 {
                    self.contested.push((ip, claims));
                }
            }
        }
    }

    fn heap_bytes(&self) -> usize {
        size_of_val(&*self.v4.slots)
            + self.v6.capacity() * (size_of::<(u128, Owner)>() + 1)
            + self
                .contested
                .iter()
                .map(|(_, c)| size_of::<(IpAddr, Vec<Owner>)>() + size_of_val(&**c))
                .sum::<usize>()
    }
}

/// A slot of [`FlatV4`]; empty when its workload is [`EMPTY`].
#[derive(Clone, Copy, Debug)]
struct Slot {
    key: u32,
    owner: Owner,
}

const EMPTY: WorkloadId = WorkloadId::from_raw(u32::MAX);

const EMPTY_SLOT: Slot = Slot {
    key: 0,
    owner: Owner {
        workload: EMPTY,
        identity: IdentityId::from_raw(0),
        class: ClassId::NONE,
    },
};

/// IPv4 address -> owner, open addressing with linear probing, at most 3/4 full (so every
/// probe ends at an empty slot), capacity a power of two.
#[derive(Clone, Debug, Default)]
struct FlatV4 {
    slots: Box<[Slot]>,
    len: usize,
}

impl FlatV4 {
    #[inline]
    fn home(&self, hash: u64) -> usize {
        (hash >> 24) as usize & (self.slots.len().wrapping_sub(1))
    }

    #[inline]
    fn get(&self, key: u32, hash: u64) -> Option<Owner> {
        let mask = self.slots.len().wrapping_sub(1);
        let mut index = self.home(hash);
        loop {
            let slot = self.slots.get(index)?;
            if slot.owner.workload == EMPTY {
                return None;
            }
            if slot.key == key {
                return Some(slot.owner);
            }
            index = (index + 1) & mask;
        }
    }

    fn insert(&mut self, key: u32, owner: Owner) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len().wrapping_sub(1);
        let mut index = self.home(hash_v4(key));
        while let Some(slot) = self.slots.get_mut(index) {
            if slot.owner.workload == EMPTY {
                *slot = Slot { key, owner };
                self.len += 1;
                return;
            }
            if slot.key == key {
                slot.owner = owner;
                return;
            }
            index = (index + 1) & mask;
        }
    }

    /// Removes `key`, shifting later entries of its probe run back (no tombstones).
    fn remove(&mut self, key: u32) {
        let mask = self.slots.len().wrapping_sub(1);
        let mut index = self.home(hash_v4(key));
        loop {
            match self.slots.get(index) {
                None => return,
                Some(slot) if slot.owner.workload == EMPTY => return,
                Some(slot) if slot.key == key => break,
                Some(_) => index = (index + 1) & mask,
            }
        }
        let mut hole = index;
        let mut next = (hole + 1) & mask;
        while let Some(slot) = self.slots.get(next).copied() {
            if slot.owner.workload == EMPTY {
                break;
            }
            let home = self.home(hash_v4(slot.key));
            // The entry may move back to the hole if the hole lies between its home and it.
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                if let Some(target) = self.slots.get_mut(hole) {
                    *target = slot;
                }
                hole = next;
            }
            next = (next + 1) & mask;
        }
        if let Some(target) = self.slots.get_mut(hole) {
            *target = EMPTY_SLOT;
        }
        self.len -= 1;
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(8);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY_SLOT; capacity].into());
        self.len = 0;
        for slot in old.iter().filter(|s| s.owner.workload != EMPTY) {
            self.insert(slot.key, slot.owner);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::{FlatV4, Owner, hash_v4};
    use crate::compile::ids::{ClassId, IdentityId, WorkloadId};

    fn owner(n: u32) -> Owner {
        Owner {
            workload: WorkloadId::from_raw(n),
            identity: IdentityId::from_raw(n),
            class: ClassId::NONE,
        }
    }

    proptest! {
        /// Inserts and removals (keys from a small range, so probe runs collide and wrap)
        /// leave the table answering as a map does.
        #[test]
        fn flat_table_behaves_as_a_map(ops in prop::collection::vec((any::<bool>(), 0u32..64), 0..400)) {
            let mut table = FlatV4::default();
            let mut model: HashMap<u32, Owner> = HashMap::new();
            for (step, (insert, key)) in ops.into_iter().enumerate() {
                // Spread keys over the address space the way pod addresses are not: adjacent.
                let key = key.wrapping_mul(0x0100_0001);
                if insert {
                    table.insert(key, owner(step as u32));
                    model.insert(key, owner(step as u32));
                } else {
                    table.remove(key);
                    model.remove(&key);
                }
                prop_assert_eq!(table.len, model.len());
            }
            for key in (0u32..64).map(|k| k.wrapping_mul(0x0100_0001)) {
                prop_assert_eq!(table.get(key, hash_v4(key)), model.get(&key).copied());
            }
        }
    }
}
