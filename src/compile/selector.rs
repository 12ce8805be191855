//! Compiled endpoints: what a rule's endpoint tests, as bit and class tests.

use ahash::AHashMap;
use ipnet::IpNet;

use super::candidate::{PeerFilter, PeerTest};
use super::groups::AddressClasses;
use super::ids::{ClassId, GroupId, TagBit, index_u32};
use super::tags::{TagBits, TagSpace, TagTest};
use crate::firewall::{AddressGroup, Endpoint};

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

/// Address group names to positions: the first group with a name, as
/// [`crate::firewall::FirewallConfig::address_group`] finds it, and of the groups with the
/// same addresses, the first.
///
/// Translation gives every ipBlock of every policy a group of its own, so a thousand policies
/// with one `0.0.0.0/0 except 10.0.0.0/8` make a thousand equal groups. Compiled as one,
/// their boundaries list one group, not a thousand, and their rules' peers are one selector.
pub(crate) struct GroupNames<'a>(AHashMap<&'a str, usize>);

impl<'a> GroupNames<'a> {
    /// Indexes `groups` by name.
    pub(crate) fn new(groups: &'a [AddressGroup]) -> GroupNames<'a> {
        let mut names = AHashMap::with_capacity(groups.len());
        let mut contents: AHashMap<(Vec<IpNet>, Vec<IpNet>), usize> = AHashMap::new();
        for (index, group) in groups.iter().enumerate() {
            if names.contains_key(group.name.as_str()) {
                continue;
            }
            let canonical = |nets: &[IpNet]| {
                let mut nets: Vec<IpNet> = nets.iter().map(IpNet::trunc).collect();
                nets.sort_unstable();
                nets.dedup();
                nets
            };
            let content = (canonical(&group.prefixes), canonical(&group.except));
            let first = *contents.entry(content).or_insert(index);
            names.insert(group.name.as_str(), first);
        }
        GroupNames(names)
    }

    fn first(&self, name: &str) -> Option<usize> {
        self.0.get(name).copied()
    }
}

impl Selector {
    /// Compiles `endpoint`, interning the tags it mentions and flagging the group it names.
    pub(crate) fn compile(
        endpoint: &Endpoint,
        tags: &mut TagSpace,
        groups: &GroupNames<'_>,
        used_groups: &mut [bool],
    ) -> Selector {
        match endpoint {
            Endpoint::Any => Selector::Any,
            Endpoint::Tags(terms) => tags.compile(terms).map_or(Selector::Never, Selector::Tags),
            Endpoint::AddressGroup(name) => {
                let found = groups.first(name).and_then(|i| Some((i, index_u32(i)?)));
                match found {
                    Some((index, id)) => {
                        if let Some(flag) = used_groups.get_mut(index) {
                            *flag = true;
                        }
                        Selector::Group(GroupId::from_raw(id))
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
        bits: Option<&TagBits>,
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

    /// The inline test of a candidate with this endpoint_2; `None` when nothing matches.
    /// `holders` counts the identities with a bit, to pick the rarest bit as a filter.
    pub(crate) fn filter(&self, holders: impl Fn(TagBit) -> usize) -> Option<PeerFilter> {
        match self {
            Selector::Any => Some(PeerFilter::ANY),
            Selector::Never => None,
            Selector::Group(group) => Some(PeerFilter {
                test: PeerTest::Group,
                word: group.raw(),
                mask: 0,
                exact: true,
            }),
            Selector::Tags(test) => {
                let (word, mask, all, exact) = test.key(holders);
                Some(PeerFilter {
                    test: if all {
                        PeerTest::TagsAll
                    } else {
                        PeerTest::TagsAny
                    },
                    word,
                    mask,
                    exact,
                })
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, prefixes: &[&str], except: &[&str]) -> AddressGroup {
        let nets = |list: &[&str]| list.iter().filter_map(|p| p.parse().ok()).collect();
        AddressGroup {
            name: name.to_string(),
            prefixes: nets(prefixes),
            except: nets(except),
        }
    }

    #[test]
    fn groups_with_the_same_addresses_are_one_and_others_are_not() {
        let groups = [
            group("a", &["0.0.0.0/0"], &["10.0.0.0/8", "192.168.0.0/16"]),
            // The same addresses: other order, a repeat, host bits set.
            group(
                "b",
                &["0.0.0.0/0"],
                &["192.168.0.0/16", "10.1.2.3/8", "10.0.0.0/8"],
            ),
            // Other holes, other prefixes: groups of their own.
            group("c", &["0.0.0.0/0"], &["10.0.0.0/8"]),
            group("d", &["10.0.0.0/8"], &["0.0.0.0/0", "192.168.0.0/16"]),
            // A second group of an existing name is not the one the name finds.
            group("a", &["172.16.0.0/12"], &[]),
        ];
        let names = GroupNames::new(&groups);
        assert_eq!(names.first("a"), Some(0));
        assert_eq!(names.first("b"), Some(0));
        assert_eq!(names.first("c"), Some(2));
        assert_eq!(names.first("d"), Some(3));
        assert_eq!(names.first("e"), None);
    }
}
