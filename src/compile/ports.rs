//! The port index: for one identity and direction, the candidate rules for each protocol and
//! destination port, in first-match order.
//!
//! Ported protocols (TCP, UDP, SCTP) split 0-65535 into disjoint intervals, each with the
//! ordered list of rules that can match there; other protocols get a list each (those that
//! some rule names) and a default list. Equal lists are shared ([`ListInterner`]).

use std::sync::Arc;

use ahash::AHashMap;

use super::ids::{GroupId, PortNameId, SelectorId};
use super::peers::{PeerSet, PeerSets};
use crate::firewall::{Action, RuleId};
use crate::protocol::{PortRange, Protocol};

/// How a candidate tests the peer (endpoint_2), kept in the candidate itself so that most
/// candidates are rejected without leaving the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PeerTest {
    /// Every peer matches.
    Any,
    /// The peer's address is in group `word`.
    Group,
    /// The peer is a workload and has every bit of `mask` in bitset word `word`.
    TagsAll,
    /// The peer is a workload and has some bit of `mask` in bitset word `word`.
    TagsAny,
}

/// The peer test of a candidate: a word test that is either the whole endpoint_2 test
/// (`exact`) or a necessary condition for it (then the selector decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PeerFilter {
    pub(crate) test: PeerTest,
    pub(crate) word: u32,
    pub(crate) mask: u64,
    pub(crate) exact: bool,
}

impl PeerFilter {
    /// The filter that passes every peer.
    pub(crate) const ANY: PeerFilter = PeerFilter {
        test: PeerTest::Any,
        word: 0,
        mask: 0,
        exact: true,
    };
}

/// A rule as a port list holds it: what is left to test once protocol and port matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Candidate {
    mask: u64,
    word: u32,
    rule: u32,
    peer: u32,
    /// The group the local address must be in (endpoint_1 is an address group), or `NONE`.
    local_group: u32,
    /// The port name the peer (the destination) must give the tuple's port, or `NONE`.
    named: u32,
    action: Action,
    test: PeerTest,
    exact: bool,
}

const NONE: u32 = u32::MAX;

impl Candidate {
    /// A candidate for `rule`, whose endpoint_2 is `peer`, pre-tested by `filter`.
    pub(crate) fn new(
        rule: RuleId,
        action: Action,
        peer: SelectorId,
        filter: PeerFilter,
        local_group: Option<GroupId>,
        named: Option<PortNameId>,
    ) -> Candidate {
        Candidate {
            mask: filter.mask,
            word: filter.word,
            rule: rule.0,
            peer: peer.0,
            local_group: local_group.map_or(NONE, |g| g.0),
            named: named.map_or(NONE, |n| n.0),
            action,
            test: filter.test,
            exact: filter.exact,
        }
    }

    /// The rule.
    #[inline]
    pub(crate) fn rule(&self) -> RuleId {
        RuleId(self.rule)
    }

    /// The rule's action.
    #[inline]
    pub(crate) fn action(&self) -> Action {
        self.action
    }

    /// The endpoint_2 selector.
    #[inline]
    pub(crate) fn peer(&self) -> SelectorId {
        SelectorId(self.peer)
    }

    /// The inline peer test: kind, word (or group id), mask, and whether it is the whole test.
    #[inline]
    pub(crate) fn peer_test(&self) -> (PeerTest, u32, u64, bool) {
        (self.test, self.word, self.mask, self.exact)
    }

    /// The group endpoint_1 names, if it is an address group.
    #[inline]
    pub(crate) fn local_group(&self) -> Option<GroupId> {
        (self.local_group != NONE).then_some(GroupId(self.local_group))
    }

    /// The port name to resolve on the peer, if the service names a port (egress only).
    #[inline]
    pub(crate) fn named(&self) -> Option<PortNameId> {
        (self.named != NONE).then_some(PortNameId(self.named))
    }
}

/// Where a candidate applies.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Coverage {
    /// Every protocol, every port.
    Everything,
    /// A ported protocol (TCP, UDP, SCTP), a port range.
    Ported(Protocol, PortRange),
    /// A protocol without ports, by number.
    Portless(u8),
}

/// A candidate list cut into blocks, each with the peers its candidates may match.
#[derive(Debug)]
pub(crate) struct CandidateList {
    /// Blocks in order; each ends at `end` in `candidates` and starts where the last ended.
    blocks: Box<[Block]>,
    candidates: Box<[Candidate]>,
}

/// A run of candidates and the peers any of them may match.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) peers: Arc<PeerSet>,
    end: u32,
}

impl CandidateList {
    /// The blocks, each with its candidates, in rule order.
    #[inline]
    pub(crate) fn blocks(&self) -> impl Iterator<Item = (&PeerSet, &[Candidate])> {
        let mut start = 0usize;
        self.blocks.iter().map(move |block| {
            let end = block.end as usize;
            let candidates = self.candidates.get(start..end).unwrap_or(&[]);
            start = end;
            (&*block.peers, candidates)
        })
    }

    /// Heap bytes of the list's own allocations (peer sets are shared, counted by the caller).
    pub(crate) fn heap_bytes(&self) -> usize {
        2 * size_of::<usize>()
            + size_of::<CandidateList>()
            + size_of_val(&*self.blocks)
            + size_of_val(&*self.candidates)
    }

    /// The peer sets of the blocks.
    pub(crate) fn peer_sets(&self) -> impl Iterator<Item = &Arc<PeerSet>> {
        self.blocks.iter().map(|b| &b.peers)
    }
}

/// A shared candidate list.
pub(crate) type List = Arc<CandidateList>;

/// Shares equal candidate lists, and builds the blocks of new ones.
pub(crate) struct ListInterner<'a> {
    lists: AHashMap<Box<[Candidate]>, List>,
    entries: usize,
    peers: PeerSets<'a>,
    empty: List,
}

impl<'a> ListInterner<'a> {
    /// An interner whose lists get their peer sets from `peers`.
    pub(crate) fn new(peers: PeerSets<'a>) -> ListInterner<'a> {
        ListInterner {
            lists: AHashMap::new(),
            entries: 0,
            peers,
            empty: Arc::new(CandidateList {
                blocks: Box::default(),
                candidates: Box::default(),
            }),
        }
    }

    fn intern(&mut self, candidates: Vec<Candidate>) -> List {
        if candidates.is_empty() {
            return self.empty.clone();
        }
        let candidates: Box<[Candidate]> = candidates.into();
        if let Some(existing) = self.lists.get(&candidates) {
            return existing.clone();
        }
        self.entries += candidates.len();
        let mut blocks = Vec::new();
        let mut start = 0;
        for run in candidates.chunk_by(same_block) {
            for chunk in run.chunks(BLOCK) {
                start += chunk.len();
                blocks.push(Block {
                    peers: self.peers.of(chunk),
                    end: u32::try_from(start).unwrap_or(u32::MAX),
                });
            }
        }
        let list = Arc::new(CandidateList {
            blocks: blocks.into(),
            candidates: candidates.clone(),
        });
        self.lists.insert(candidates, list.clone());
        list
    }

    /// The peer sets builder, for what it knows of identities.
    pub(crate) fn peers(&self) -> &PeerSets<'a> {
        &self.peers
    }

    /// Candidate entries over every distinct list.
    pub(crate) fn entries(&self) -> usize {
        self.entries
    }
}

/// Blocks hold at most this many candidates: a peer in a block's set scans at most these.
const BLOCK: usize = 32;

/// Whether two neighbouring candidates go in one block: same action (a denied peer passes a
/// whole run of allows with one test) and both or neither resolving a named port on the peer
/// (a peer with the wrong port would otherwise scan the plain ones too).
fn same_block(a: &Candidate, b: &Candidate) -> bool {
    a.action == b.action && (a.named == NONE) == (b.named == NONE)
}

/// Disjoint port intervals of one ported protocol.
#[derive(Debug)]
struct Intervals {
    /// Interval starts, ascending (the first is 0), each with its list.
    entries: Box<[(u16, List)]>,
}

impl Intervals {
    fn build(
        entries: &[(usize, Candidate, PortRange)],
        interner: &mut ListInterner<'_>,
    ) -> Intervals {
        let mut bounds: Vec<u16> = vec![0];
        for (_, _, range) in entries {
            bounds.push(range.start);
            if let Some(after) = range.end.checked_add(1) {
                bounds.push(after);
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let mut intervals: Vec<(u16, List)> = Vec::with_capacity(bounds.len());
        for start in bounds {
            let list = interner.intern(ordered(
                entries
                    .iter()
                    .filter(|(_, _, r)| r.contains(start))
                    .map(|(order, c, _)| (*order, *c)),
            ));
            // Neighbouring intervals with the same list are one interval.
            if intervals
                .last()
                .is_some_and(|(_, last)| Arc::ptr_eq(last, &list))
            {
                continue;
            }
            intervals.push((start, list));
        }
        Intervals {
            entries: intervals.into(),
        }
    }

    #[inline]
    fn find(&self, port: u16) -> Option<&CandidateList> {
        let index = match self.entries.len() {
            1 => 0,
            _ => self
                .entries
                .partition_point(|(start, _)| *start <= port)
                .saturating_sub(1),
        };
        self.entries.get(index).map(|(_, l)| &**l)
    }

    fn heap_bytes(&self) -> usize {
        size_of_val(&*self.entries)
    }
}

/// Candidates in rule order, each once.
fn ordered(candidates: impl Iterator<Item = (usize, Candidate)>) -> Vec<Candidate> {
    let mut list: Vec<(usize, Candidate)> = candidates.collect();
    list.sort_by_key(|(order, _)| *order);
    list.dedup_by_key(|(order, _)| *order);
    list.into_iter().map(|(_, c)| c).collect()
}

/// The index of one identity and direction.
#[derive(Debug)]
pub(crate) struct PortTable {
    /// TCP, UDP, SCTP.
    ported: [Intervals; 3],
    /// Protocols without ports that some rule names, by number, ascending.
    other: Box<[(u8, List)]>,
    /// Every other protocol.
    other_default: List,
}

fn ported_slot(protocol: Protocol) -> Option<usize> {
    match protocol {
        Protocol::Tcp => Some(0),
        Protocol::Udp => Some(1),
        Protocol::Sctp => Some(2),
        Protocol::Other(_) => None,
    }
}

impl PortTable {
    /// Builds the table from candidates in rule order, each with where it applies (a
    /// candidate may come several times, with several coverages).
    pub(crate) fn build(
        candidates: &[(Candidate, Coverage)],
        interner: &mut ListInterner<'_>,
    ) -> PortTable {
        let mut ported: [Vec<(usize, Candidate, PortRange)>; 3] = Default::default();
        let mut portless: Vec<(usize, Candidate, Option<u8>)> = Vec::new();
        for (order, (candidate, coverage)) in candidates.iter().enumerate() {
            match *coverage {
                Coverage::Everything => {
                    ported
                        .iter_mut()
                        .for_each(|p| p.push((order, *candidate, PortRange::ALL)));
                    portless.push((order, *candidate, None));
                }
                Coverage::Ported(protocol, range) => {
                    if let Some(slot) = ported_slot(protocol).and_then(|s| ported.get_mut(s)) {
                        slot.push((order, *candidate, range));
                    }
                }
                Coverage::Portless(number) => portless.push((order, *candidate, Some(number))),
            }
        }
        let [tcp, udp, sctp] = ported.map(|entries| Intervals::build(&entries, interner));
        let mut numbers: Vec<u8> = portless.iter().filter_map(|(_, _, n)| *n).collect();
        numbers.sort_unstable();
        numbers.dedup();
        let other = numbers
            .into_iter()
            .map(|number| {
                let list = ordered(
                    portless
                        .iter()
                        .filter(|(_, _, n)| n.is_none_or(|n| n == number))
                        .map(|(order, c, _)| (*order, *c)),
                );
                (number, interner.intern(list))
            })
            .collect();
        let other_default = interner.intern(ordered(
            portless
                .iter()
                .filter(|(_, _, n)| n.is_none())
                .map(|(order, c, _)| (*order, *c)),
        ));
        PortTable {
            ported: [tcp, udp, sctp],
            other,
            other_default,
        }
    }

    /// The candidates for a protocol and destination port, in rule order.
    #[inline]
    pub(crate) fn candidates(&self, protocol: Protocol, port: u16) -> Option<&CandidateList> {
        let [tcp, udp, sctp] = &self.ported;
        match protocol {
            Protocol::Tcp => tcp.find(port),
            Protocol::Udp => udp.find(port),
            Protocol::Sctp => sctp.find(port),
            Protocol::Other(number) => {
                match self.other.binary_search_by_key(&number, |(n, _)| *n) {
                    Ok(index) => self.other.get(index).map(|(_, l)| &**l),
                    Err(_) => Some(&self.other_default),
                }
            }
        }
    }

    /// Where the candidate list of a ported protocol changes: interval starts, ascending, the
    /// first 0 (none for a protocol without ports). For [`super::Decision::port_boundaries`].
    pub(crate) fn port_starts(&self, protocol: Protocol) -> &[(u16, List)] {
        match ported_slot(protocol).and_then(|slot| self.ported.get(slot)) {
            Some(intervals) => &intervals.entries,
            None => &[],
        }
    }

    /// Protocols without ports that have a list of their own; every other such protocol gets
    /// the default list. For [`super::Decision::portless_protocols`].
    pub(crate) fn portless_numbers(&self) -> impl Iterator<Item = u8> + '_ {
        self.other.iter().map(|(number, _)| *number)
    }

    /// Every list the table points to (shared lists more than once).
    pub(crate) fn lists(&self) -> impl Iterator<Item = &List> {
        self.ported
            .iter()
            .flat_map(|p| p.entries.iter().map(|(_, l)| l))
            .chain(self.other.iter().map(|(_, l)| l))
            .chain(std::iter::once(&self.other_default))
    }

    /// Heap bytes of the table itself; its lists are shared, and counted by the caller.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.ported.iter().map(Intervals::heap_bytes).sum::<usize>()
            + self.other.len() * size_of::<(u8, List)>()
    }
}
