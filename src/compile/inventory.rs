//! The inventory part of a [`super::Decision`]: which workload, identity and address class
//! each workload address has.

use std::collections::HashMap;
use std::net::IpAddr;

use super::groups::AddressClasses;
use super::ids::{ClassId, IdentityId, WorkloadId, index_u32};
use crate::firewall::Workload;
use crate::tuple::canonical_ip;

/// What the fast path needs about a workload address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Owner {
    pub(crate) workload: WorkloadId,
    pub(crate) identity: IdentityId,
    pub(crate) class: ClassId,
}

/// Workload addresses, IPv4 and IPv6 apart so each map hashes a plain integer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Inventory {
    v4: HashMap<u32, Owner, ahash::RandomState>,
    v6: HashMap<u128, Owner, ahash::RandomState>,
}

impl Inventory {
    /// Indexes every address of `workloads`; `identities[i]` is workload `i`'s identity. An
    /// address two workloads claim belongs to the first, as `linear` finds it.
    pub(crate) fn build(
        workloads: &[Workload],
        identities: &[IdentityId],
        groups: &AddressClasses,
    ) -> Inventory {
        let addresses: usize = workloads.iter().map(|w| w.ips.len()).sum();
        let mut inventory = Inventory {
            v4: HashMap::with_capacity_and_hasher(addresses, ahash::RandomState::new()),
            v6: HashMap::with_hasher(ahash::RandomState::new()),
        };
        for (position, (workload, identity)) in workloads.iter().zip(identities).enumerate() {
            let Some(position) = index_u32(position) else {
                continue;
            };
            for ip in &workload.ips {
                let ip = canonical_ip(*ip);
                let owner = Owner {
                    workload: WorkloadId(position),
                    identity: *identity,
                    class: groups.class_of(ip),
                };
                match ip {
                    IpAddr::V4(v4) => {
                        inventory.v4.entry(v4.to_bits()).or_insert(owner);
                    }
                    IpAddr::V6(v6) => {
                        inventory.v6.entry(v6.to_bits()).or_insert(owner);
                    }
                }
            }
        }
        inventory
    }

    /// The owner of a canonical address.
    #[inline]
    pub(crate) fn owner(&self, ip: IpAddr) -> Option<Owner> {
        match ip {
            IpAddr::V4(v4) => self.v4.get(&v4.to_bits()).copied(),
            IpAddr::V6(v6) => self.v6.get(&v6.to_bits()).copied(),
        }
    }

    /// Addresses indexed.
    pub(crate) fn address_count(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// Heap bytes: buckets plus one control byte each.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.v4.capacity() * (size_of::<(u32, Owner)>() + 1)
            + self.v6.capacity() * (size_of::<(u128, Owner)>() + 1)
    }
}
