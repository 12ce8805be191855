//! Compiled endpoints: what a rule's endpoint tests, as bit and class tests.

use super::groups::AddressClasses;
use super::ids::{ClassId, GroupId, index_u32};
use super::tags::{TagSpace, TagTest};
use ahash::AHashMap;

use crate::firewall::Endpoint;

/// A compiled endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Selector {
    /// Every workload and every address.
    Any,
    /// Workloads whose tag bits pass the test; never a non-workload address.
    Tags(TagTest),
    /// Addresses (workload or not) in the group.
    Group(GroupId),
    /// Nothing: an unknown group, or a tag expression no workload can satisfy.
    Never,
}

impl Selector {
    /// Compiles `endpoint`, interning the tags it mentions and flagging the group it names
    /// (`groups`: each group name's index in the firewall's address groups).
    pub(crate) fn compile(
        endpoint: &Endpoint,
        tags: &mut TagSpace,
        groups: &AHashMap<&str, usize>,
        used_groups: &mut [bool],
    ) -> Selector {
        match endpoint {
            Endpoint::Any => Selector::Any,
            Endpoint::Tags(terms) => tags.compile(terms).map_or(Selector::Never, Selector::Tags),
            Endpoint::AddressGroup(name) => {
                // `groups` maps each name to its first group, as `FirewallConfig::address_group`
                // finds it, so both engines resolve a name to the same group. (Groups are in
                // order of first appearance, not sorted: a binary search here missed groups.)
                let found = groups
                    .get(name.as_str())
                    .and_then(|&i| Some((i, index_u32(i)?)));
                match found {
                    Some((index, id)) => {
                        if let Some(flag) = used_groups.get_mut(index) {
                            *flag = true;
                        }
                        Selector::Group(GroupId(id))
                    }
                    None => Selector::Never,
                }
            }
        }
    }

    /// Whether a party matches: `bits` is its identity's bitset (`None`: not a workload),
    /// `class` its address class, computed only when a group test needs it.
    #[inline]
    pub(crate) fn matches(
        &self,
        bits: Option<&[u64]>,
        groups: &AddressClasses,
        class: impl FnOnce() -> ClassId,
    ) -> bool {
        match self {
            Selector::Any => true,
            Selector::Tags(test) => bits.is_some_and(|b| test.matches(b)),
            Selector::Group(group) => groups.contains(class(), *group),
            Selector::Never => false,
        }
    }

    /// Heap bytes, estimated.
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            Selector::Tags(test) => test.heap_bytes(),
            _ => 0,
        }
    }
}
