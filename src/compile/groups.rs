//! Address groups as address classes in a longest-prefix trie.
//!
//! Every prefix and every except prefix of a mentioned group is a *boundary*; all of them go
//! into one LPM trie (IPv4 and IPv6 apart), each as a dense [`ClassId`]. The class of an
//! address is its deepest boundary, and every boundary knows its parent (the next shallower
//! boundary around it), so the boundaries around an address are one chain from its class up.
//! Two addresses of one class are in exactly the same groups: a group's prefixes and excepts
//! are all boundaries, so the ones around an address are the ones around its class.
//!
//! Nothing here is a product of prefixes and groups: each boundary stores only the
//! `(group, prefix|except)` roles written at it, and "is class `c` in group `g`" walks the
//! chain (at most 33 boundaries for IPv4, 129 for IPv6, in practice two or three), one
//! binary search a step. Each group also lists its own prefix boundaries, so a block of rules
//! can say which boundaries a peer's chain must pass through (see `peers`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ip_network::{IpNetwork, Ipv4Network, Ipv6Network};
use ip_network_table::IpNetworkTable;
use ipnet::IpNet;

use super::config::{CompileError, Config, Limit};
use super::flat::Flat;
use super::ids::{ClassId, GroupId, checked_id};
use crate::firewall::AddressGroup;

/// The trie, the boundaries' chains and roles, and each group's prefix boundaries.
pub(crate) struct AddressClasses {
    table: IpNetworkTable<ClassId>,
    /// By class: the next shallower boundary around it ([`ClassId::NONE`] at the top).
    /// Index 0 is [`ClassId::NONE`] itself, the class of addresses inside no boundary.
    parent: Vec<ClassId>,
    /// By class: the roles written at this boundary, sorted by group.
    roles: Flat<(GroupId, Role)>,
    /// By group: the classes of its prefixes (not its excepts), ascending.
    group_prefixes: Flat<ClassId>,
}

/// Whether a boundary is one of a group's prefixes or one of its excepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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
        let mut prefix_count = 0usize;
        for (index, group) in groups.iter().enumerate() {
            if !used.get(index).copied().unwrap_or(false) {
                continue;
            }
            let id = GroupId::new(index, "address groups")?;
            let roles = group
                .prefixes
                .iter()
                .map(|p| (p, Role::Prefix))
                .chain(group.except.iter().map(|e| (e, Role::Except)));
            for (net, role) in roles {
                prefix_count += 1;
                config.check(Limit::Prefixes, prefix_count)?;
                boundaries.entry(net.trunc()).or_default().push((id, role));
            }
        }
        let mut classes = AddressClasses {
            table: IpNetworkTable::new(),
            parent: Vec::with_capacity(boundaries.len() + 1),
            roles: Flat::default(),
            group_prefixes: Flat::default(),
        };
        classes.parent.push(ClassId::NONE);
        classes.roles.push([], "prefixes")?;
        let mut nets = Vec::with_capacity(boundaries.len());
        for (net, mut roles) in boundaries {
            let class = ClassId::from_raw(checked_id(classes.roles.len(), "prefixes")?);
            roles.sort_unstable();
            roles.dedup();
            classes.table.insert(network(net), class);
            classes.roles.push(roles, "prefixes")?;
            nets.push(net);
        }
        let mut prefixes_of: Vec<Vec<ClassId>> = vec![Vec::new(); groups.len()];
        for (position, net) in nets.iter().enumerate() {
            // The covering boundaries are all found from the network address; the parent is
            // the longest of those shorter than this one.
            let parent = classes
                .table
                .matches(net.network())
                .filter(|(covering, _)| covering.netmask() < net.prefix_len())
                .max_by_key(|(covering, _)| covering.netmask())
                .map_or(ClassId::NONE, |(_, class)| *class);
            classes.parent.push(parent);
            let class = ClassId::new(position + 1, "prefixes")?;
            for (group, role) in classes.roles.get(position + 1) {
                if *role == Role::Prefix
                    && let Some(list) = prefixes_of.get_mut(group.index())
                {
                    list.push(class);
                }
            }
        }
        for prefixes in prefixes_of {
            classes.group_prefixes.push(prefixes, "prefixes")?;
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

    /// The boundaries around the addresses of `class`, deepest first (none for
    /// [`ClassId::NONE`]).
    #[inline]
    pub(crate) fn chain(&self, class: ClassId) -> impl Iterator<Item = ClassId> + '_ {
        let mut next = class;
        std::iter::from_fn(move || {
            if next == ClassId::NONE {
                return None;
            }
            let current = next;
            next = self
                .parent
                .get(current.index())
                .copied()
                .unwrap_or(ClassId::NONE);
            Some(current)
        })
    }

    /// Whether the addresses of `class` are in `group`: some prefix of the group is around
    /// them and none of its excepts is.
    #[inline]
    pub(crate) fn contains(&self, class: ClassId, group: GroupId) -> bool {
        let mut inside = false;
        for boundary in self.chain(class) {
            let roles = self.roles.get(boundary.index());
            let first = roles.partition_point(|(g, _)| *g < group);
            for (_, role) in roles
                .get(first..)
                .into_iter()
                .flatten()
                .take_while(|(g, _)| *g == group)
            {
                match role {
                    Role::Except => return false,
                    Role::Prefix => inside = true,
                }
            }
        }
        inside
    }

    /// The classes of `group`'s prefixes: an address in the group has one of them on its
    /// chain.
    pub(crate) fn prefixes_of(&self, group: GroupId) -> &[ClassId] {
        self.group_prefixes.get(group.index())
    }

    /// Prefixes in the tries.
    pub(crate) fn prefix_count(&self) -> usize {
        self.roles.len() - 1
    }

    /// Distinct classes, [`ClassId::NONE`] included.
    pub(crate) fn class_count(&self) -> usize {
        self.roles.len()
    }

    /// Heap bytes, estimated: chains, roles and group lists exactly; the trie at 64 bytes a
    /// prefix, a generous figure for a tree bitmap of this size (the crate does not report
    /// its own).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.parent.capacity() * size_of::<ClassId>()
            + self.roles.heap_bytes()
            + self.group_prefixes.heap_bytes()
            + self.prefix_count() * 64
    }
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
