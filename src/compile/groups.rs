//! Address groups as address classes in longest-prefix tries.
//!
//! Every prefix and every except prefix of a mentioned group goes into an LPM trie (IPv4 and
//! IPv6 apart). At each prefix the trie stores the class of that prefix: the set of groups
//! that hold its addresses (groups with a prefix covering it, minus groups with an except
//! covering it). Because every prefix and except is in the trie, the longest match for an
//! address is the most specific boundary around it, and its class is exactly the set of groups
//! the address is in: one walk answers every group test. Classes are interned to dense ids.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ahash::AHashMap;
use ip_network::{IpNetwork, Ipv4Network, Ipv6Network};
use ip_network_table::IpNetworkTable;
use ipnet::IpNet;

use super::config::{CompileError, Config, Limit};
use super::ids::{ClassId, GroupId, index_u32};
use crate::firewall::AddressGroup;

/// The tries and the interned classes.
pub(crate) struct AddressClasses {
    table: IpNetworkTable<ClassId>,
    /// Group sets, sorted; [`ClassId::NONE`] is the empty set.
    classes: Vec<Box<[GroupId]>>,
    prefixes: usize,
}

/// Whether a trie entry comes from a group's prefixes or its excepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Prefix,
    Except,
}

impl AddressClasses {
    /// Indexes the groups whose `used` flag is set (groups no endpoint names cannot matter).
    pub(crate) fn build(
        groups: &[AddressGroup],
        used: &[bool],
        config: &Config,
    ) -> Result<AddressClasses, CompileError> {
        let mut boundaries: BTreeMap<IpNet, Vec<(GroupId, Role)>> = BTreeMap::new();
        for (index, group) in groups.iter().enumerate() {
            if !used.get(index).copied().unwrap_or(false) {
                continue;
            }
            let id = GroupId(group_index(index)?);
            let roles = group
                .prefixes
                .iter()
                .map(|p| (p, Role::Prefix))
                .chain(group.except.iter().map(|e| (e, Role::Except)));
            for (net, role) in roles {
                boundaries.entry(net.trunc()).or_default().push((id, role));
            }
        }
        config.check(Limit::Prefixes, boundaries.len())?;

        let entries: Vec<(IpNet, Vec<(GroupId, Role)>)> = boundaries.into_iter().collect();
        let mut by_prefix = IpNetworkTable::new();
        for (index, (net, _)) in entries.iter().enumerate() {
            by_prefix.insert(network(*net), index);
        }

        let mut classes = AddressClasses {
            table: IpNetworkTable::new(),
            classes: vec![Box::default()],
            prefixes: entries.len(),
        };
        let mut interned: AHashMap<Box<[GroupId]>, ClassId> = AHashMap::new();
        interned.insert(Box::default(), ClassId::NONE);
        for (net, _) in &entries {
            // Every boundary that contains this prefix also contains its network address, and
            // is no longer than it.
            let mut inside = Vec::new();
            let mut holes = Vec::new();
            for (covering, index) in by_prefix.matches(net.network()) {
                if covering.netmask() > net.prefix_len() {
                    continue;
                }
                if let Some((_, roles)) = entries.get(*index) {
                    for (group, role) in roles {
                        match role {
                            Role::Prefix => inside.push(*group),
                            Role::Except => holes.push(*group),
                        }
                    }
                }
            }
            inside.sort_unstable();
            inside.dedup();
            holes.sort_unstable();
            inside.retain(|g| holes.binary_search(g).is_err());
            let set = inside.into_boxed_slice();
            let next = ClassId(group_index(classes.classes.len())?);
            let class = *interned.entry(set.clone()).or_insert_with(|| {
                classes.classes.push(set);
                next
            });
            classes.table.insert(network(*net), class);
        }
        Ok(classes)
    }

    /// The class of an address (canonical: IPv4-mapped IPv6 already turned into IPv4).
    #[inline]
    pub(crate) fn class_of(&self, ip: IpAddr) -> ClassId {
        let found = match ip {
            IpAddr::V4(v4) => self.table.longest_match_ipv4(v4).map(|(_, c)| *c),
            IpAddr::V6(v6) => self.table.longest_match_ipv6(v6).map(|(_, c)| *c),
        };
        found.unwrap_or(ClassId::NONE)
    }

    /// Whether the addresses of `class` are in `group`.
    #[inline]
    pub(crate) fn contains(&self, class: ClassId, group: GroupId) -> bool {
        self.classes
            .get(class.0 as usize)
            .is_some_and(|set| match set.len() {
                0 => false,
                1..=8 => set.contains(&group),
                _ => set.binary_search(&group).is_ok(),
            })
    }

    /// Prefixes in the tries.
    pub(crate) fn prefix_count(&self) -> usize {
        self.prefixes
    }

    /// Distinct classes.
    pub(crate) fn class_count(&self) -> usize {
        self.classes.len()
    }

    /// Heap bytes, estimated: the class sets exactly; the tries at 64 bytes a prefix, a
    /// generous figure for a tree bitmap of this size (the crate does not report its own).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.classes.capacity() * size_of::<Box<[GroupId]>>()
            + self
                .classes
                .iter()
                .map(|c| c.len() * size_of::<GroupId>())
                .sum::<usize>()
            + self.prefixes * 64
    }
}

fn group_index(index: usize) -> Result<u32, CompileError> {
    index_u32(index).ok_or(CompileError::LimitExceeded {
        limit: Limit::Prefixes,
        count: index,
        max: u32::MAX as usize,
    })
}

/// The `ip_network` form of a normalised prefix (the trie rejects host bits; `trunc` removed
/// them, and a prefix length from `ipnet` is always in range).
fn network(net: IpNet) -> IpNetwork {
    match net {
        IpNet::V4(n) => IpNetwork::V4(
            Ipv4Network::new_truncate(n.network(), n.prefix_len())
                .unwrap_or_else(|_| Ipv4Network::from(n.network())),
        ),
        IpNet::V6(n) => IpNetwork::V6(
            Ipv6Network::new_truncate(n.network(), n.prefix_len())
                .unwrap_or_else(|_| Ipv6Network::from(n.network())),
        ),
    }
}
