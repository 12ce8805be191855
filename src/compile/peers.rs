//! Peer sets: for a block of candidates, every peer any of them can match, as one bit test.
//!
//! A peer is a workload (an identity, and the address class of its address) or an outside
//! address (an address class only). A block's [`PeerSet`] holds the identities its tag
//! selectors match, the classes its address-group selectors match, and whether one of them
//! matches anything. It is a necessary condition: a peer outside it matches no candidate of the
//! block, so a lookup skips the block after one bit test. Conditions that do not depend on the
//! peer's identity alone (endpoint_1 groups, named ports) are left to the candidates.
//!
//! Identities get their id once and keep it (see [`super::Decision::update`]), so a set stays
//! right as identities come and go; an identity newer than the set (`id >= known`) may match,
//! and the lookup scans the block for it.

use std::sync::Arc;

use ahash::AHashMap;
use smallvec::SmallVec;

use super::groups::AddressClasses;
use super::identity::IdentityKey;
use super::ids::{ClassId, IdentityId, SelectorId, TagBit};
use super::ports::{Candidate, PeerTest};
use super::selector::Selector;

/// The peers some candidate of a block may match.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PeerSet {
    /// Some candidate matches every peer.
    any: bool,
    /// Identities below this id are exactly in `ids`; later ones may match.
    known: u32,
    /// Identity bitset, trimmed to its nonzero words.
    ids: Words,
    /// Address class bitset, likewise.
    classes: Words,
    /// For a block of named-port candidates (the port resolved on the peer): every port an
    /// identity below `known` gives one of their names, sorted. A known peer asked on another
    /// port, or a peer that is no workload (no named ports), matches none of them.
    named_ports: Option<Box<[u16]>>,
}

/// A bitset kept as the range of its nonzero words; short ones inline (no pointer to chase).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Words {
    /// Word index of `words[0]`: the words before it are all zero.
    base: u32,
    words: SmallVec<[u64; 2]>,
}

impl Words {
    fn trimmed(words: &[u64]) -> Words {
        let first = words.iter().position(|w| *w != 0).unwrap_or(words.len());
        let last = words.iter().rposition(|w| *w != 0).map_or(first, |l| l + 1);
        Words {
            base: u32::try_from(first).unwrap_or(u32::MAX),
            words: words.get(first..last).unwrap_or(&[]).into(),
        }
    }

    #[inline]
    fn contains(&self, bit: u32) -> bool {
        let index = (bit / 64).wrapping_sub(self.base) as usize;
        self.words
            .get(index)
            .is_some_and(|w| w >> (bit % 64) & 1 != 0)
    }

    fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    fn heap_bytes(&self) -> usize {
        if self.words.spilled() {
            size_of_val(&*self.words)
        } else {
            0
        }
    }
}

impl PeerSet {
    /// Whether the peer may match: `identity` is the peer's identity (`None`: not a workload),
    /// `class` its address class, computed only if the set holds classes.
    #[inline]
    pub(crate) fn may_contain(
        &self,
        identity: Option<IdentityId>,
        port: u16,
        class: impl FnOnce() -> ClassId,
    ) -> bool {
        if let Some(ports) = &self.named_ports {
            match identity {
                None => return false,
                Some(IdentityId(id)) if id < self.known && ports.binary_search(&port).is_err() => {
                    return false;
                }
                Some(_) => {}
            }
        }
        if self.any {
            return true;
        }
        if let Some(IdentityId(id)) = identity {
            if id >= self.known {
                return true;
            }
            if self.ids.contains(id) {
                return true;
            }
        }
        !self.classes.is_empty() && self.classes.contains(class().0)
    }

    /// Heap bytes of the set's own allocation (one `Arc`).
    pub(crate) fn heap_bytes(&self) -> usize {
        2 * size_of::<usize>()
            + size_of::<PeerSet>()
            + self.ids.heap_bytes()
            + self.classes.heap_bytes()
            + self.named_ports.as_ref().map_or(0, |p| size_of_val(&**p))
    }
}

/// Builds peer sets over a fixed list of identities, sharing equal sets.
pub(crate) struct PeerSets<'a> {
    selectors: &'a [Selector],
    groups: &'a AddressClasses,
    /// Every identity, by id.
    keys: &'a [Option<&'a IdentityKey>],
    /// For each tag bit, the identities holding it.
    holders: Vec<Vec<u32>>,
    /// Identity bitsets of tag selectors, computed when a block first needs them.
    selector_ids: AHashMap<SelectorId, Box<[u64]>>,
    /// Class bitsets of groups, likewise.
    group_classes: AHashMap<u32, Box<[u64]>>,
    shared: AHashMap<Arc<PeerSet>, ()>,
    /// Every block gets the set of all peers: no set is computed (see [`PeerSets::deferred`]).
    deferred: bool,
}

impl<'a> PeerSets<'a> {
    /// A builder over `keys` (identity id -> key; `None` for ids no longer in use).
    pub(crate) fn new(
        selectors: &'a [Selector],
        groups: &'a AddressClasses,
        keys: &'a [Option<&'a IdentityKey>],
        tag_bits: usize,
    ) -> PeerSets<'a> {
        let mut holders: Vec<Vec<u32>> = vec![Vec::new(); tag_bits];
        for (id, key) in keys.iter().enumerate() {
            let (Some(key), Ok(id)) = (key, u32::try_from(id)) else {
                continue;
            };
            for (word_index, word) in key.bits.iter().enumerate() {
                let mut rest = *word;
                while rest != 0 {
                    let bit = word_index * 64 + rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    if let Some(list) = holders.get_mut(bit) {
                        list.push(id);
                    }
                }
            }
        }
        PeerSets {
            selectors,
            groups,
            keys,
            holders,
            selector_ids: AHashMap::new(),
            group_classes: AHashMap::new(),
            shared: AHashMap::new(),
            deferred: false,
        }
    }

    /// A builder that gives every block the set of all peers: lookups then test each
    /// candidate, exact but slower. [`super::Decision::update`] uses it for the few identities
    /// a pod event creates, so that the event costs one pass over the rules and not a pass
    /// over every identity per selector; the next [`super::Decision::with_workloads`] or build
    /// computes their sets.
    pub(crate) fn deferred(
        selectors: &'a [Selector],
        groups: &'a AddressClasses,
        keys: &'a [Option<&'a IdentityKey>],
    ) -> PeerSets<'a> {
        PeerSets {
            selectors,
            groups,
            keys,
            holders: Vec::new(),
            selector_ids: AHashMap::new(),
            group_classes: AHashMap::new(),
            shared: AHashMap::new(),
            deferred: true,
        }
    }

    /// How many identities hold `bit`.
    pub(crate) fn holder_count(&self, bit: TagBit) -> usize {
        self.holders.get(bit.0 as usize).map_or(0, Vec::len)
    }

    /// The peer set of a block of candidates.
    pub(crate) fn of(&mut self, block: &[Candidate]) -> Arc<PeerSet> {
        if self.deferred {
            return self.share(PeerSet {
                any: true,
                known: 0,
                ids: Words::default(),
                classes: Words::default(),
                named_ports: None,
            });
        }
        let words = self.keys.len().div_ceil(64);
        let mut any = false;
        let mut ids = vec![0u64; words];
        let mut classes: Vec<u64> = Vec::new();
        for candidate in block {
            let (test, word, _, _) = candidate.peer_test();
            match test {
                PeerTest::Any => any = true,
                PeerTest::Group => {
                    let set = self
                        .group_classes
                        .entry(word)
                        .or_insert_with(|| class_bits(self.groups, super::ids::GroupId(word)));
                    if classes.len() < set.len() {
                        classes.resize(set.len(), 0);
                    }
                    classes
                        .iter_mut()
                        .zip(set.iter())
                        .for_each(|(a, b)| *a |= b);
                }
                PeerTest::TagsAll | PeerTest::TagsAny => {
                    let selector = candidate.peer();
                    let set = match self.selector_ids.get(&selector) {
                        Some(set) => set,
                        None => {
                            let computed = self.identity_bits(selector);
                            self.selector_ids.entry(selector).or_insert(computed)
                        }
                    };
                    ids.iter_mut().zip(set.iter()).for_each(|(a, b)| *a |= b);
                }
            }
        }
        let known = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        // Blocks are all named-port candidates or none (see `ports::same_block`).
        let named_ports = match block.first().and_then(Candidate::named) {
            Some(_) => {
                let mut ports: Vec<u16> = block
                    .iter()
                    .filter_map(Candidate::named)
                    .flat_map(|name| {
                        self.keys
                            .iter()
                            .flatten()
                            .flat_map(|k| k.named.iter())
                            .filter(move |e| e.name == name)
                            .map(|e| e.port)
                    })
                    .collect();
                ports.sort_unstable();
                ports.dedup();
                Some(ports.into_boxed_slice())
            }
            None => None,
        };
        let set = if any {
            PeerSet {
                any,
                known,
                ids: Words::default(),
                classes: Words::default(),
                named_ports,
            }
        } else {
            PeerSet {
                any,
                known,
                ids: Words::trimmed(&ids),
                classes: Words::trimmed(&classes),
                named_ports,
            }
        };
        self.share(set)
    }

    /// The shared copy of `set`.
    fn share(&mut self, set: PeerSet) -> Arc<PeerSet> {
        if let Some((existing, ())) = self.shared.get_key_value(&set) {
            return existing.clone();
        }
        let set = Arc::new(set);
        self.shared.insert(set.clone(), ());
        set
    }

    /// The identities a tag selector matches, as a bitset over every identity.
    fn identity_bits(&self, selector: SelectorId) -> Box<[u64]> {
        let mut bits = vec![0u64; self.keys.len().div_ceil(64)];
        let Some(Selector::Tags(test)) = self.selectors.get(selector.0 as usize) else {
            return bits.into();
        };
        let mut check = |id: u32| {
            if let Some(Some(key)) = self.keys.get(id as usize)
                && test.matches(&key.bits)
                && let Some(word) = bits.get_mut((id / 64) as usize)
            {
                *word |= 1 << (id % 64);
            }
        };
        match test.required_bit() {
            Some(bit) => self
                .holders
                .get(bit.0 as usize)
                .into_iter()
                .flatten()
                .for_each(|id| check(*id)),
            None => (0..self.keys.len())
                .filter_map(|id| u32::try_from(id).ok())
                .for_each(check),
        }
        bits.into()
    }
}

/// The classes whose addresses are in `group`, as a bitset.
fn class_bits(groups: &AddressClasses, group: super::ids::GroupId) -> Box<[u64]> {
    let count = groups.class_count();
    let mut bits = vec![0u64; count.div_ceil(64)];
    for class in 0..count {
        let Ok(id) = u32::try_from(class) else {
            break;
        };
        if groups.contains(ClassId(id), group)
            && let Some(word) = bits.get_mut(class / 64)
        {
            *word |= 1 << (class % 64);
        }
    }
    bits.into()
}
