//! The port index: for one identity and direction, the candidate rules for each protocol and
//! destination port, in first-match order.
//!
//! For each ported protocol (TCP, UDP, SCTP) the candidates covering every port form one
//! *wide* list, and the others (*narrow*: a port range, a resolved named port) are split over
//! disjoint port intervals, each with the ordered list of narrow rules that can match there. A
//! lookup takes the first match of its interval's list, then looks in the wide list only for
//! a match that comes earlier in rule order. Keeping wide rules (default-deny, allow-all,
//! port-less allows) out of the intervals is what keeps the intervals small: their lists
//! would otherwise repeat every wide rule once per interval.
//!
//! Splitting costs the sum of the interval lists' lengths, which overlapping ranges make
//! quadratic (policy `i` admitting ports `[i, 65535]`). The split is computed by one sweep
//! that stops once that sum passes a budget linear in the narrow candidates
//! ([`Config::split_factor`]); past it the
//! protocol's narrow candidates stay one *scan* list, each with its port range, tested in
//! order: a bounded representation, counted by [`PortTable::degraded`].
//!
//! Other protocols get a list each (those that some rule names) and a default list. Equal
//! lists are shared ([`ListInterner`]).

use std::sync::Arc;

use ahash::AHashMap;

use super::candidate::{Candidate, PeerTest};
use super::config::Config;
use super::entry::Entry;
use super::flat::Flat;
use super::groups::AddressClasses;
use super::ids::{ClassId, GroupId};
use super::peers::{PeerSet, PeerSets};
use crate::protocol::{PortRange, Protocol};

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
    /// For the blocks with address-group candidates: `(boundary, block)` for every prefix
    /// boundary of their groups, sorted. A peer's address can be in one of a block's groups only
    /// if its class chain passes one of the block's boundaries, so one search per chain step
    /// gives every block whose group candidates may match.
    group_blocks: Box<[(ClassId, u32)]>,
    /// Per block, the distinct groups of its group candidates: equal groups compile to one id,
    /// so a block of a hundred policies' `0.0.0.0/0 except 10.0.0.0/8` has one, and a peer
    /// outside it skips the block with one test rather than one per candidate.
    block_groups: Flat<u32>,
    /// Where a peer's walk over the blocks starts (long lists only).
    entry: Option<Entry>,
}

/// A run of candidates and the peers any of them may match.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) peers: Arc<PeerSet>,
    end: u32,
}

impl CandidateList {
    /// The blocks from block `first` on, in rule order, each with the position of its first
    /// candidate and its candidates.
    #[inline]
    pub(crate) fn blocks_from(
        &self,
        first: usize,
    ) -> impl Iterator<Item = (&PeerSet, usize, &[Candidate])> {
        let mut start = match first.checked_sub(1) {
            Some(previous) => self.blocks.get(previous).map_or(0, |b| b.end as usize),
            None => 0,
        };
        self.blocks
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .map(move |block| {
                let end = block.end as usize;
                let candidates = self.candidates.get(start..end).unwrap_or(&[]);
                let first = start;
                start = end;
                (&*block.peers, first, candidates)
            })
    }

    /// Heap bytes of the list's own allocations (peer sets are shared, counted by the caller).
    pub(crate) fn heap_bytes(&self) -> usize {
        2 * size_of::<usize>()
            + size_of::<CandidateList>()
            + size_of_val(&*self.blocks)
            + size_of_val(&*self.candidates)
            + size_of_val(&*self.group_blocks)
            + self.block_groups.heap_bytes()
            + self.entry.as_ref().map_or(0, Entry::heap_bytes)
    }

    /// The distinct groups of block `index`'s group candidates.
    #[inline]
    pub(crate) fn block_groups(&self, index: usize) -> &[u32] {
        self.block_groups.get(index)
    }

    /// The first block a peer of `identity` may match, by its identity alone (see
    /// [`Entry::start`]), and the first block with address groups; `(0, 0)` for a short list.
    #[inline]
    pub(crate) fn entry(&self, identity: Option<u32>) -> (usize, usize) {
        self.entry.as_ref().map_or((0, 0), |e| e.start(identity))
    }

    /// The blocks whose address-group candidates may hold an address of `class`: up to
    /// [`Around::CAPACITY`] of them listed, past that [`Around::Many`] (then ask
    /// [`CandidateList::block_around`] block by block). No allocation either way.
    #[inline]
    pub(crate) fn blocks_around(&self, groups: &AddressClasses, class: ClassId) -> Around {
        let mut found = [0u32; Around::CAPACITY];
        let mut len = 0;
        if !self.group_blocks.is_empty() {
            for boundary in groups.chain(class) {
                let first = self.group_blocks.partition_point(|(c, _)| *c < boundary);
                let entries = self.group_blocks.get(first..).into_iter().flatten();
                for (_, block) in entries.take_while(|(c, _)| *c == boundary) {
                    match found.get_mut(len) {
                        Some(slot) => *slot = *block,
                        None => return Around::Many(class),
                    }
                    len += 1;
                }
            }
        }
        Around::Few(found, len)
    }

    /// Whether block `index` has a group candidate that may hold an address of `class`.
    #[inline]
    pub(crate) fn block_around(&self, groups: &AddressClasses, class: ClassId, index: u32) -> bool {
        groups
            .chain(class)
            .any(|boundary| self.group_blocks.binary_search(&(boundary, index)).is_ok())
    }

    /// The peer sets of the blocks.
    pub(crate) fn peer_sets(&self) -> impl Iterator<Item = &Arc<PeerSet>> {
        self.blocks.iter().map(|b| &b.peers)
    }
}

/// A shared candidate list.
pub(crate) type List = Arc<CandidateList>;

/// The blocks of a list whose group candidates may hold a peer's address.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Around {
    /// These blocks (the first `.1` of the array, maybe repeated).
    Few([u32; Around::CAPACITY], usize),
    /// More than fit: ask per block, for the address class held here.
    Many(ClassId),
}

impl Around {
    /// Blocks listed before giving up on a list.
    pub(crate) const CAPACITY: usize = 8;

    /// The first block that may hold the address, if known without asking block by block
    /// (`Many` gives `None`: the caller starts no later than the list's first group block).
    #[inline]
    pub(crate) fn first(&self) -> Option<usize> {
        match self {
            Around::Few(blocks, len) => Some(
                blocks
                    .get(..*len)
                    .and_then(|b| b.iter().min())
                    .map_or(usize::MAX, |b| *b as usize),
            ),
            Around::Many(_) => None,
        }
    }

    /// Whether block `index` of `list` may hold the address.
    #[inline]
    pub(crate) fn contains(
        &self,
        list: &CandidateList,
        groups: &AddressClasses,
        index: u32,
    ) -> bool {
        match self {
            Around::Few(blocks, len) => blocks.get(..*len).is_some_and(|b| b.contains(&index)),
            Around::Many(class) => list.block_around(groups, *class, index),
        }
    }
}

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
                group_blocks: Box::default(),
                block_groups: Flat::default(),
                entry: None,
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
        let list = self.blocks_of(candidates.clone());
        self.lists.insert(candidates, list.clone());
        list
    }

    /// A list of its own (a scan list: its candidates may repeat a rule, with other ports,
    /// so it is never shared with a list that does not carry the same ranges).
    fn intern_unshared(&mut self, candidates: Vec<Candidate>) -> List {
        self.blocks_of(candidates.into())
    }

    /// Cuts `candidates` into blocks with their peer sets.
    fn blocks_of(&mut self, candidates: Box<[Candidate]>) -> List {
        self.entries += candidates.len();
        let mut blocks = Vec::new();
        let mut group_blocks = Vec::new();
        let mut block_groups: Flat<u32> = Flat::default();
        let mut distinct: Vec<u32> = Vec::new();
        let mut start = 0;
        for run in candidates.chunk_by(same_block) {
            for chunk in run.chunks(BLOCK) {
                start += chunk.len();
                // Lists are at most `max_candidates` long, which ids fit (see `ids`).
                let index = u32::try_from(blocks.len()).unwrap_or(u32::MAX);
                for candidate in chunk {
                    if let (PeerTest::Group, group, _, _) = candidate.peer_test()
                        && !distinct.contains(&group)
                    {
                        distinct.push(group);
                        let prefixes = self.peers.groups().prefixes_of(GroupId::from_raw(group));
                        group_blocks.extend(prefixes.iter().map(|class| (*class, index)));
                    }
                }
                // A list's groups are at most its candidates, whose positions fit (see above).
                let pushed = block_groups.push(distinct.drain(..), "list candidates");
                debug_assert!(pushed.is_ok(), "{pushed:?}");
                blocks.push(Block {
                    peers: self.peers.of(chunk),
                    end: u32::try_from(start).unwrap_or(u32::MAX),
                });
            }
        }
        group_blocks.sort_unstable();
        group_blocks.dedup();
        Arc::new(CandidateList {
            entry: Entry::of(&blocks),
            blocks: blocks.into(),
            candidates,
            group_blocks: group_blocks.into(),
            // Most lists have no group candidate: then no allocation.
            block_groups: block_groups.trimmed(),
        })
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
    a.action() == b.action() && a.named().is_none() == b.named().is_none()
}

/// The candidates of one ported protocol.
#[derive(Debug)]
struct Intervals {
    narrow: Narrow,
    /// Candidates covering every port, in rule order.
    wide: List,
}

/// The narrow candidates of one ported protocol.
#[derive(Debug)]
enum Narrow {
    /// Interval starts, ascending (the first is 0), each with its list.
    Split(Box<[(u16, List)]>),
    /// One list in rule order, `ranges[i]` the ports of candidate `i` (over budget to split).
    Scan {
        list: List,
        ranges: Box<[PortRange]>,
    },
}

/// Where a lookup finds its candidates: the narrow list (with per-candidate port ranges when
/// it is a scan list), then the wide list for anything earlier.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Found<'a> {
    /// Narrow candidates that may match the port.
    pub(crate) narrow: &'a CandidateList,
    /// For a scan list: each candidate's ports, to test before anything else.
    pub(crate) ranges: Option<&'a [PortRange]>,
    /// Candidates that match every port (none for protocols without ports).
    pub(crate) wide: Option<&'a CandidateList>,
}

impl Intervals {
    fn build(
        entries: &[(usize, Candidate, PortRange)],
        interner: &mut ListInterner<'_>,
        config: &Config,
    ) -> Intervals {
        type Entry = (usize, Candidate, PortRange);
        let (wide, narrow): (Vec<&Entry>, Vec<&Entry>) = entries
            .iter()
            .partition(|(_, _, range)| *range == PortRange::ALL);
        let wide = interner.intern(ordered(wide.iter().map(|(o, c, _)| (*o, *c))));
        let budget = config.split_budget(narrow.len());
        let narrow = match split(&narrow, budget) {
            Some(lists) => {
                let mut intervals: Vec<(u16, List)> = Vec::with_capacity(lists.len());
                for (start, list) in lists {
                    let list = interner.intern(list);
                    // Neighbouring intervals with the same list are one interval.
                    if intervals
                        .last()
                        .is_some_and(|(_, last)| Arc::ptr_eq(last, &list))
                    {
                        continue;
                    }
                    intervals.push((start, list));
                }
                Narrow::Split(intervals.into())
            }
            None => {
                let mut sorted: Vec<&(usize, Candidate, PortRange)> = narrow.clone();
                sorted.sort_by_key(|(order, _, range)| (*order, range.start));
                Narrow::Scan {
                    list: interner.intern_unshared(sorted.iter().map(|(_, c, _)| *c).collect()),
                    ranges: sorted.iter().map(|(_, _, r)| *r).collect(),
                }
            }
        };
        Intervals { narrow, wide }
    }

    #[inline]
    fn find(&self, port: u16) -> Option<Found<'_>> {
        let (narrow, ranges) = match &self.narrow {
            Narrow::Split(entries) => {
                let index = match entries.len() {
                    1 => 0,
                    _ => entries
                        .partition_point(|(start, _)| *start <= port)
                        .saturating_sub(1),
                };
                (&*entries.get(index)?.1, None)
            }
            Narrow::Scan { list, ranges } => (&**list, Some(&**ranges)),
        };
        Some(Found {
            narrow,
            ranges,
            wide: Some(&self.wide),
        })
    }

    fn lists(&self) -> impl Iterator<Item = &List> {
        let narrow: Box<dyn Iterator<Item = &List>> = match &self.narrow {
            Narrow::Split(entries) => Box::new(entries.iter().map(|(_, l)| l)),
            Narrow::Scan { list, .. } => Box::new(std::iter::once(list)),
        };
        narrow.chain(std::iter::once(&self.wide))
    }

    fn degraded(&self) -> bool {
        matches!(self.narrow, Narrow::Scan { .. })
    }

    fn heap_bytes(&self) -> usize {
        match &self.narrow {
            Narrow::Split(entries) => size_of_val(&**entries),
            Narrow::Scan { ranges, .. } => size_of_val(&**ranges),
        }
    }
}

/// The narrow candidates' lists per interval (interval start, candidates in rule order), by
/// one sweep over the range ends; `None` once the lists' total length passes `budget`.
fn split(
    entries: &[&(usize, Candidate, PortRange)],
    budget: usize,
) -> Option<Vec<(u16, Vec<Candidate>)>> {
    // (port, opens) events; a range closing at `end` is gone from `end + 1`.
    let mut events: Vec<(u32, bool, usize)> = Vec::with_capacity(2 * entries.len());
    for (index, (_, _, range)) in entries.iter().enumerate() {
        events.push((u32::from(range.start), true, index));
        events.push((u32::from(range.end) + 1, false, index));
    }
    events.sort_unstable();
    // Sorted by (rule order, entry): an insertion or removal costs at most the length of the
    // list emitted at that bound, which the budget already pays for.
    let mut active: Vec<((usize, usize), Candidate)> = Vec::new();
    let mut lists: Vec<(u16, Vec<Candidate>)> = vec![(0, Vec::new())];
    let mut total = 0usize;
    let mut at = 0;
    while let Some(&(port, _, _)) = events.get(at) {
        while let Some(&(p, opens, index)) = events.get(at)
            && p == port
        {
            if let Some((order, candidate, _)) = entries.get(index) {
                let key = (*order, index);
                match (active.binary_search_by_key(&key, |(k, _)| *k), opens) {
                    (Err(at), true) => active.insert(at, (key, *candidate)),
                    (Ok(at), false) => {
                        active.remove(at);
                    }
                    _ => {}
                }
            }
            at += 1;
        }
        let Ok(start) = u16::try_from(port) else {
            break;
        };
        total += active.len();
        if total > budget {
            return None;
        }
        let mut list: Vec<Candidate> = Vec::with_capacity(active.len());
        let mut last_order = None;
        for ((order, _), candidate) in &active {
            // A rule covers a port once, whatever ranges brought it here.
            if last_order != Some(*order) {
                list.push(*candidate);
                last_order = Some(*order);
                if candidate.is_unconditional() {
                    break;
                }
            }
        }
        match lists.last_mut() {
            Some((last_start, last)) if *last_start == start => *last = list,
            _ => lists.push((start, list)),
        }
    }
    Some(lists)
}

/// Candidates in rule order, each once.
/// Candidates in rule order, each once, up to the first unconditional one.
fn ordered(candidates: impl Iterator<Item = (usize, Candidate)>) -> Vec<Candidate> {
    let mut list: Vec<(usize, Candidate)> = candidates.collect();
    list.sort_by_key(|(order, _)| *order);
    list.dedup_by_key(|(order, _)| *order);
    if let Some(last) = list.iter().position(|(_, c)| c.is_unconditional()) {
        list.truncate(last + 1);
    }
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
        config: &Config,
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
        let [tcp, udp, sctp] = ported.map(|entries| Intervals::build(&entries, interner, config));
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
    pub(crate) fn candidates(&self, protocol: Protocol, port: u16) -> Option<Found<'_>> {
        let [tcp, udp, sctp] = &self.ported;
        match protocol {
            Protocol::Tcp => tcp.find(port),
            Protocol::Udp => udp.find(port),
            Protocol::Sctp => sctp.find(port),
            Protocol::Other(number) => {
                let list = match self.other.binary_search_by_key(&number, |(n, _)| *n) {
                    Ok(index) => self.other.get(index).map(|(_, l)| &**l)?,
                    Err(_) => &*self.other_default,
                };
                Some(Found {
                    narrow: list,
                    ranges: None,
                    wide: None,
                })
            }
        }
    }

    /// Ports where the candidates of a ported protocol can change, in no particular order: the
    /// interval starts of a split table, or each scanned candidate's first port and the port
    /// after its last (wide candidates cover every port and add none). None for a protocol
    /// without ports. For [`super::Decision::port_boundaries`].
    pub(crate) fn port_starts(&self, protocol: Protocol) -> Vec<u16> {
        let Some(intervals) = ported_slot(protocol).and_then(|slot| self.ported.get(slot)) else {
            return Vec::new();
        };
        match &intervals.narrow {
            Narrow::Split(entries) => entries.iter().map(|(start, _)| *start).collect(),
            Narrow::Scan { ranges, .. } => ranges
                .iter()
                .flat_map(|range| std::iter::once(range.start).chain(range.end.checked_add(1)))
                .collect(),
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
            .flat_map(Intervals::lists)
            .chain(self.other.iter().map(|(_, l)| l))
            .chain(std::iter::once(&self.other_default))
    }

    /// How many of the ported protocols keep their narrow candidates as a scan list.
    pub(crate) fn degraded(&self) -> usize {
        self.ported.iter().filter(|p| p.degraded()).count()
    }

    /// Heap bytes of the table itself; its lists are shared, and counted by the caller.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.ported.iter().map(Intervals::heap_bytes).sum::<usize>()
            + self.other.len() * size_of::<(u8, List)>()
    }
}
