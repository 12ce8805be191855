//! Peer sets: for a block of candidates, every peer any of them can match, as one cheap test.
//!
//! A peer is a workload (an identity, and the address class of its address) or an outside
//! address (an address class only). A block's [`PeerSet`] holds the identities its tag
//! selectors match, the boundaries its address groups' prefixes sit at, and whether one of
//! them matches anything. It is a necessary condition: a peer outside it matches no candidate
//! of the block, so a lookup skips the block. Conditions that do not depend on the peer alone
//! (endpoint_1 groups, named ports) are left to the candidates.
//!
//! Sizes follow what the block's selectors match, never the number of identities or
//! classes times the number of blocks: identities are a sorted list when few (the usual case
//! with per-pod selectors) and a trimmed bitset when many; groups are their prefix boundaries,
//! which a peer's class chain must pass through (see `groups`).
//!
//! Identities get their id once and keep it (see [`super::Decision::update`]), so a set stays
//! right as identities come and go; an identity newer than the set (`id >= known`) may match,
//! and the lookup scans the block for it.

use std::sync::Arc;

use ahash::AHashMap;
use smallvec::SmallVec;

use super::candidate::{Candidate, PeerTest};
use super::groups::AddressClasses;
use super::holders::Holders;
use super::ids::{IdentityId, PortNameId, SelectorId, TagBit};
use super::key::IdentityKey;
use super::selector::Selector;

/// The peers some candidate of a block may match.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PeerSet {
    /// Some candidate matches every peer.
    any: bool,
    /// Identities below this id are exactly in `ids`; later ones may match.
    known: u32,
    /// The identities the block's tag selectors match.
    ids: IdSet,
    /// Whether the block has address-group candidates (which of them a peer's address may be
    /// in, the list says: [`super::ports::CandidateList::blocks_around`]).
    groups: bool,
    /// For a block of named-port candidates (the port resolved on the peer): every port an
    /// identity below `known` gives one of their names, sorted. A known peer asked on another
    /// port, or a peer that is no workload (no named ports), matches none of them.
    named_ports: Option<Arc<[u16]>>,
}

/// A set of identity ids: sorted ids when that is smaller, else a trimmed bitset.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum IdSet {
    Sparse(Box<[u32]>),
    Dense(Words),
}

impl IdSet {
    /// The representation of the sorted, deduplicated `ids`: a short list is searched in a few
    /// compares; past that a bitset answers in one, and is kept unless it would be more than
    /// four times the list's size (sparse ids over many identities, as per-pod selectors give).
    fn of_sorted(ids: Vec<u32>) -> IdSet {
        let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
            return IdSet::Sparse(Box::default());
        };
        let dense_words = (last / 64 - first / 64 + 1) as usize;
        let sparse_bytes = ids.len() * size_of::<u32>();
        if ids.len() <= 8 || 4 * sparse_bytes < dense_words * size_of::<u64>() {
            return IdSet::Sparse(ids.into_boxed_slice());
        }
        let base = first / 64;
        let mut words: SmallVec<[u64; 2]> = SmallVec::from_elem(0, dense_words);
        for id in ids {
            if let Some(word) = words.get_mut((id / 64 - base) as usize) {
                *word |= 1 << (id % 64);
            }
        }
        IdSet::Dense(Words { base, words })
    }

    #[inline]
    fn contains(&self, id: u32) -> bool {
        match self {
            IdSet::Sparse(ids) => match ids.len() {
                0 => false,
                1..=8 => ids.contains(&id),
                _ => ids.binary_search(&id).is_ok(),
            },
            IdSet::Dense(words) => words.contains(id),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            IdSet::Sparse(ids) => size_of_val(&**ids),
            IdSet::Dense(words) => words.heap_bytes(),
        }
    }
}

/// Calls `f` with every set bit of `words`, ascending, numbered from word `first_word` on.
fn for_each_bit(words: &[u64], first_word: u32, mut f: impl FnMut(u32)) {
    for (word, bits) in (first_word..).zip(words) {
        let mut bits = *bits;
        while bits != 0 {
            f(word * 64 + bits.trailing_zeros());
            bits &= bits - 1;
        }
    }
}

/// A bitset kept as the range of its nonzero words; short ones inline (no pointer to chase).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Words {
    /// Word index of `words[0]`: the words before it are all zero.
    base: u32,
    words: SmallVec<[u64; 2]>,
}

impl Words {
    #[inline]
    fn contains(&self, bit: u32) -> bool {
        let index = (bit / 64).wrapping_sub(self.base) as usize;
        self.words
            .get(index)
            .is_some_and(|w| w >> (bit % 64) & 1 != 0)
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
    /// The set every peer passes.
    fn everything(named_ports: Option<Arc<[u16]>>) -> PeerSet {
        PeerSet {
            any: true,
            known: 0,
            ids: IdSet::Sparse(Box::default()),
            groups: false,
            named_ports,
        }
    }

    /// Whether the peer may match: `identity` is the peer's identity (`None`: not a workload),
    /// `in_groups` whether the peer's address may be in one of the block's groups, asked only
    /// if the block has group candidates.
    #[inline]
    pub(crate) fn may_contain(
        &self,
        identity: Option<IdentityId>,
        port: u16,
        in_groups: impl FnOnce() -> bool,
    ) -> bool {
        if let Some(ports) = &self.named_ports {
            match identity {
                None => return false,
                Some(id) if id.raw() < self.known && ports.binary_search(&port).is_err() => {
                    return false;
                }
                Some(_) => {}
            }
        }
        if self.any {
            return true;
        }
        if let Some(id) = identity.map(IdentityId::raw)
            && (id >= self.known || self.ids.contains(id))
        {
            return true;
        }
        self.groups && in_groups()
    }

    /// Whether every peer may match (a candidate matches any peer).
    pub(crate) fn is_open(&self) -> bool {
        self.any
    }

    /// Whether the block has address-group candidates.
    pub(crate) fn has_groups(&self) -> bool {
        self.groups
    }

    /// Identities from this id on may match without being in the set.
    pub(crate) fn known(&self) -> u32 {
        self.known
    }

    /// Calls `f` with every identity id in the set, ascending.
    pub(crate) fn for_each_id(&self, f: impl FnMut(u32)) {
        match &self.ids {
            IdSet::Sparse(ids) => ids.iter().copied().for_each(f),
            IdSet::Dense(words) => for_each_bit(&words.words, words.base, f),
        }
    }

    /// Heap bytes of the set's own allocation (one `Arc`).
    pub(crate) fn heap_bytes(&self) -> usize {
        2 * size_of::<usize>() + size_of::<PeerSet>() + self.ids.heap_bytes()
    }
}

/// Builds peer sets over a fixed list of identities, sharing equal sets.
pub(crate) struct PeerSets<'a> {
    selectors: &'a [Selector],
    groups: &'a AddressClasses,
    /// Every identity, by id.
    keys: &'a [Option<&'a IdentityKey>],
    holders: Holders,
    /// Identities of tag selectors, ascending, computed when a block first needs them.
    selector_ids: AHashMap<SelectorId, Box<[u32]>>,
    /// The ports identities give a name, computed when a block first needs them.
    name_ports: AHashMap<PortNameId, Arc<[u16]>>,
    shared: AHashMap<Arc<PeerSet>, ()>,
    /// Every block gets the set of all peers: no set is computed (see [`PeerSets::deferred`]).
    deferred: bool,
    /// A bitset over identities, reused to merge a block's sets.
    union: Vec<u64>,
}

impl<'a> PeerSets<'a> {
    /// A builder over `keys` (identity id -> key; `None` for ids no longer in use).
    pub(crate) fn new(
        selectors: &'a [Selector],
        groups: &'a AddressClasses,
        keys: &'a [Option<&'a IdentityKey>],
        tag_bits: usize,
    ) -> PeerSets<'a> {
        PeerSets {
            selectors,
            groups,
            keys,
            holders: Holders::new(keys.iter().copied(), tag_bits),
            selector_ids: AHashMap::new(),
            name_ports: AHashMap::new(),
            shared: AHashMap::new(),
            deferred: false,
            union: Vec::new(),
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
            holders: Holders::default(),
            selector_ids: AHashMap::new(),
            name_ports: AHashMap::new(),
            shared: AHashMap::new(),
            deferred: true,
            union: Vec::new(),
        }
    }

    /// The address classes the sets are built over.
    pub(crate) fn groups(&self) -> &'a AddressClasses {
        self.groups
    }

    /// How many identities hold `bit`.
    pub(crate) fn holder_count(&self, bit: TagBit) -> usize {
        self.holders.count(bit)
    }

    /// The peer set of a block of candidates.
    pub(crate) fn of(&mut self, block: &[Candidate]) -> Arc<PeerSet> {
        if self.deferred {
            return self.share(PeerSet::everything(None));
        }
        // Blocks are all named-port candidates or none (see `ports::same_block`).
        let named_ports = match block.first().and_then(Candidate::named) {
            Some(_) => {
                let mut ports: Vec<u16> = Vec::new();
                for name in block.iter().filter_map(Candidate::named) {
                    ports.extend_from_slice(&self.ports_named(name));
                }
                ports.sort_unstable();
                ports.dedup();
                Some(Arc::from(ports))
            }
            None => None,
        };
        let mut any = false;
        let mut ids: Vec<u32> = Vec::new();
        let mut has_groups = false;
        for candidate in block {
            let (test, _, _, _) = candidate.peer_test();
            match test {
                PeerTest::Any => any = true,
                PeerTest::Group => has_groups = true,
                PeerTest::TagsAll | PeerTest::TagsAny => {
                    let selector = candidate.peer();
                    if !self.selector_ids.contains_key(&selector) {
                        let computed = self.identities_of(selector);
                        self.selector_ids.insert(selector, computed);
                    }
                    if let Some(set) = self.selector_ids.get(&selector) {
                        ids.extend_from_slice(set);
                    }
                }
            }
        }
        if any {
            return self.share(PeerSet::everything(named_ports));
        }
        self.sort_unique(&mut ids);
        let set = PeerSet {
            any,
            known: u32::try_from(self.keys.len()).unwrap_or(u32::MAX),
            ids: IdSet::of_sorted(ids),
            groups: has_groups,
            named_ports,
        };
        self.share(set)
    }

    /// Sorts and deduplicates `ids` (the concatenated sets of a block's selectors): by sorting
    /// when few, else through a bitset over every identity, which costs a word per 64
    /// identities rather than a sort of a block's thirty-odd selectors' sets.
    fn sort_unique(&mut self, ids: &mut Vec<u32>) {
        let words = self.keys.len().div_ceil(64);
        if ids.len() <= 2 * words.max(32) {
            ids.sort_unstable();
            ids.dedup();
            return;
        }
        self.union.clear();
        self.union.resize(words, 0);
        for id in ids.iter() {
            if let Some(word) = self.union.get_mut((id / 64) as usize) {
                *word |= 1 << (id % 64);
            }
        }
        ids.clear();
        for_each_bit(&self.union, 0, |id| ids.push(id));
    }

    /// The ports any identity gives `name`, ascending.
    fn ports_named(&mut self, name: PortNameId) -> Arc<[u16]> {
        if let Some(ports) = self.name_ports.get(&name) {
            return ports.clone();
        }
        let mut ports: Vec<u16> = self
            .keys
            .iter()
            .flatten()
            .flat_map(|k| k.named.iter())
            .filter(|e| e.name == name)
            .map(|e| e.port)
            .collect();
        ports.sort_unstable();
        ports.dedup();
        let ports: Arc<[u16]> = Arc::from(ports);
        self.name_ports.insert(name, ports.clone());
        ports
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

    /// The identities a tag selector matches, ascending: only the holders of its driver bits
    /// are tested.
    fn identities_of(&self, selector: SelectorId) -> Box<[u32]> {
        let Some(Selector::Tags(test)) = self.selectors.get(selector.index()) else {
            return Box::default();
        };
        let mut ids = Vec::new();
        self.holders.candidates(test).for_each(|id| {
            if let Some(Some(key)) = self.keys.get(id as usize)
                && test.matches(&key.bits)
            {
                ids.push(id);
            }
        });
        ids.into_boxed_slice()
    }
}
