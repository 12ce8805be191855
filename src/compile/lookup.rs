//! [`Decision::lookup`]: the fast path an agent runs for every new connection.
//!
//! Per side: one hash probe finds the local workload's identity; its port table gives the
//! ordered candidate rules for the tuple's protocol and port; each candidate's endpoint_2 is
//! tested against the peer (identity bits, or address class) until the first hit. No
//! allocation, no lock, no string is hashed; a non-workload peer's trie walk happens only if
//! a candidate tests an address group.

use std::net::IpAddr;

use rayon::prelude::*;

use super::candidate::{Candidate, PeerTest};
use super::decision::Decision;
use super::ids::{ClassId, GroupId, IdentityId};
use super::inventory::Owner;
use super::key::IdentityKey;
use super::ports::{Around, CandidateList};
use crate::firewall::Action;
use crate::lookup::{Side, Verdict};
use crate::model::Direction;
use crate::protocol::PortRange;
use crate::tuple::{Tuple, canonical_ip};

/// Batches at least this long are split over rayon's threads: below it, handing work to
/// other threads costs more than it saves on a small, busy machine.
const PARALLEL_BATCH: usize = 1 << 16;

/// Tuples whose inventory probes are issued together in a batch.
const CHUNK: usize = 16;

/// A tuple's canonical source and destination, and the workloads that own them.
type Probed = (IpAddr, IpAddr, (Option<Owner>, Option<Owner>));

impl Decision {
    /// The verdict for `tuple`: the same as [`crate::reference::linear::evaluate`] on the
    /// configuration this decision was built from, deciding rules included.
    pub fn lookup(&self, tuple: &Tuple) -> Verdict {
        let (src, dst, owners) = self.probe(tuple);
        self.verdict(tuple, src, dst, owners)
    }

    /// A tuple's canonical addresses and their owners: the two inventory probes.
    #[inline]
    fn probe(&self, tuple: &Tuple) -> Probed {
        let src = canonical_ip(tuple.src);
        let dst = canonical_ip(tuple.dst);
        (
            src,
            dst,
            (self.inventory.owner(src), self.inventory.owner(dst)),
        )
    }

    /// The verdict for `tuple` once its (canonical) addresses' owners are known.
    #[inline]
    fn verdict(
        &self,
        tuple: &Tuple,
        src: IpAddr,
        dst: IpAddr,
        (src_owner, dst_owner): (Option<Owner>, Option<Owner>),
    ) -> Verdict {
        if let (Some(a), Some(b)) = (src_owner, dst_owner)
            && a.workload == b.workload
        {
            return Verdict {
                egress: Side::SameWorkload,
                ingress: Side::SameWorkload,
            };
        }
        let egress = match src_owner {
            None => Side::NotWorkload,
            Some(local) => self.side(Direction::Egress, local, dst_owner, dst, tuple),
        };
        let ingress = match dst_owner {
            None => Side::NotWorkload,
            Some(local) => self.side(Direction::Ingress, local, src_owner, src, tuple),
        };
        Verdict { egress, ingress }
    }

    /// Verdicts for many tuples: `verdicts[i]` for `tuples[i]`, over the shorter of the two
    /// slices. Tuples go in chunks whose inventory probes are all issued before any side is
    /// decided, so their cache misses overlap; very long batches are split over rayon's
    /// threads.
    pub fn lookup_batch(&self, tuples: &[Tuple], verdicts: &mut [Verdict]) {
        let count = tuples.len().min(verdicts.len());
        let (tuples, verdicts) = (&tuples[..count], &mut verdicts[..count]);
        if count >= PARALLEL_BATCH && rayon::current_num_threads() > 1 {
            verdicts
                .par_chunks_mut(PARALLEL_BATCH / 4)
                .zip(tuples.par_chunks(PARALLEL_BATCH / 4))
                .for_each(|(verdicts, tuples)| self.lookup_chunks(tuples, verdicts));
        } else {
            self.lookup_chunks(tuples, verdicts);
        }
    }

    fn lookup_chunks(&self, tuples: &[Tuple], verdicts: &mut [Verdict]) {
        let unspecified = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
        let mut probed: [Probed; CHUNK] = [(unspecified, unspecified, (None, None)); CHUNK];
        for (tuples, verdicts) in tuples.chunks(CHUNK).zip(verdicts.chunks_mut(CHUNK)) {
            for (slot, tuple) in probed.iter_mut().zip(tuples) {
                *slot = self.probe(tuple);
            }
            for ((verdict, tuple), (src, dst, owners)) in
                verdicts.iter_mut().zip(tuples).zip(&probed)
            {
                *verdict = self.verdict(tuple, *src, *dst, *owners);
            }
        }
    }

    /// The first candidate rule at `local` (in `direction`) that the peer matches: the first
    /// of the port's narrow list, unless the wide list has one earlier in rule order.
    #[inline]
    fn side(
        &self,
        direction: Direction,
        local: Owner,
        peer: Option<Owner>,
        peer_ip: IpAddr,
        tuple: &Tuple,
    ) -> Side {
        debug_assert!(
            local.identity.index() < self.identities.len(),
            "inventory names identity {:?} this decision does not have",
            local.identity
        );
        let Some(identity) = self.identities.get(local.identity.index()) else {
            return Side::NoMatch;
        };
        // A non-workload peer's class costs a trie walk: only when a group test asks.
        let mut peer_class = peer.map(|p| p.class);
        // The peer's identity key, found once per side rather than once per block scanned.
        let peer_key = peer
            .and_then(|p| self.identities.get(p.identity.index()))
            .map(|i| &i.key);
        let mut probe = Probe {
            decision: self,
            local,
            peer,
            peer_key,
            peer_class: &mut peer_class,
            peer_ip,
            tuple,
            group_memo: GroupMemo::new(),
        };
        // One table per tier, in order: a tier's pass (a `next` candidate), or no match in it,
        // goes on to the next tier's table.
        for table in identity.tables(direction) {
            let Some(found) = table.candidates(tuple.protocol, tuple.dst_port) else {
                continue;
            };
            let narrow = probe.first(found.narrow, found.ranges, u32::MAX);
            let bound = narrow.map_or(u32::MAX, |c| c.rule().0);
            let wide = found.wide.and_then(|wide| probe.first(wide, None, bound));
            match wide.or(narrow) {
                Some(candidate) if candidate.action() == Action::Next => {}
                Some(candidate) => {
                    return Side::Rule {
                        rule: candidate.rule(),
                        action: candidate.action(),
                    };
                }
                None => {}
            }
        }
        Side::NoMatch
    }
}

/// One side's search: the local workload, the peer, and what is known of the peer's address.
struct Probe<'a, 'c> {
    decision: &'a Decision,
    local: Owner,
    peer: Option<Owner>,
    peer_key: Option<&'a IdentityKey>,
    peer_class: &'c mut Option<ClassId>,
    peer_ip: IpAddr,
    tuple: &'a Tuple,
    /// Group tests already answered for this peer address.
    group_memo: GroupMemo,
}

/// The last few group tests' answers for one peer address. Translation gives every ipBlock of
/// every policy a group of its own, compiled as one when equal, so a long list can test the
/// same group (say `0.0.0.0/0 except 10.0.0.0/8`, once per policy) many times in a row;
/// each test walks the address's class chain.
struct GroupMemo {
    /// `(group, contains)`; `u32::MAX` marks an empty slot.
    slots: [(u32, bool); GroupMemo::SLOTS],
    next: usize,
}

impl GroupMemo {
    const SLOTS: usize = 4;

    fn new() -> GroupMemo {
        GroupMemo {
            slots: [(u32::MAX, false); GroupMemo::SLOTS],
            next: 0,
        }
    }

    #[inline]
    fn contains(&mut self, group: u32, test: impl FnOnce() -> bool) -> bool {
        if let Some((_, answer)) = self.slots.iter().find(|(g, _)| *g == group) {
            return *answer;
        }
        let answer = test();
        if let Some(slot) = self.slots.get_mut(self.next % GroupMemo::SLOTS) {
            *slot = (group, answer);
        }
        self.next = self.next.wrapping_add(1);
        answer
    }
}

impl<'a> Probe<'a, '_> {
    /// The first candidate of `list` before rule `bound` that matches; with `ranges`, a
    /// candidate must also cover the tuple's port.
    #[inline]
    fn first(
        &mut self,
        list: &'a CandidateList,
        ranges: Option<&[PortRange]>,
        bound: u32,
    ) -> Option<&'a Candidate> {
        let groups = &self.decision.policies.groups;
        let peer_identity = self.peer.map(|p| p.identity);
        // The blocks whose group candidates may hold the peer's address: found once, on the
        // first block that asks.
        let mut around: Option<Around> = None;
        // Blocks before the entry's answer hold neither the peer's identity nor every peer;
        // when group blocks come earlier, the peer's address says which of them may hold it.
        let (mut first_block, first_groups) = list.entry(peer_identity.map(IdentityId::raw));
        if first_groups < first_block {
            let class = *self
                .peer_class
                .get_or_insert_with(|| groups.class_of(self.peer_ip));
            let found = around.get_or_insert_with(|| list.blocks_around(groups, class));
            first_block = first_block.min(found.first().unwrap_or(first_groups));
        }
        for (index, (peers, start, candidates)) in list.blocks_from(first_block).enumerate() {
            let index = index + first_block;
            if candidates.first().is_none_or(|c| c.rule().0 >= bound) {
                return None;
            }
            // One set test: a peer outside the block's set matches none of its candidates;
            // one whose address is in none of the block's (distinct) groups matches none of
            // its group candidates.
            let (peer_class, peer_ip, memo) =
                (&mut *self.peer_class, self.peer_ip, &mut self.group_memo);
            let in_groups = || {
                let class = *peer_class.get_or_insert_with(|| groups.class_of(peer_ip));
                around
                    .get_or_insert_with(|| list.blocks_around(groups, class))
                    .contains(list, groups, u32::try_from(index).unwrap_or(u32::MAX))
                    && list.block_groups(index).iter().any(|group| {
                        memo.contains(*group, || groups.contains(class, GroupId::from_raw(*group)))
                    })
            };
            if !peers.may_contain(peer_identity, self.tuple.dst_port, in_groups) {
                continue;
            }
            let ranges = ranges.map(|r| r.get(start..).unwrap_or(&[]));
            if let Some(found) = self.first_match(candidates, ranges, bound) {
                return Some(found);
            }
        }
        None
    }

    /// The first of `candidates` (before rule `bound`, and covering the port where `ranges`
    /// gives each candidate's ports) the peer matches, testing each in full.
    #[inline]
    fn first_match(
        &mut self,
        candidates: &'a [Candidate],
        ranges: Option<&[PortRange]>,
        bound: u32,
    ) -> Option<&'a Candidate> {
        let (tuple, local, peer_key) = (self.tuple, self.local, self.peer_key);
        let policies = &*self.decision.policies;
        let groups = &policies.groups;
        let peer_bits = peer_key.map(|k| &k.bits);
        for (index, candidate) in candidates.iter().enumerate() {
            if candidate.rule().0 >= bound {
                return None;
            }
            if let Some(ranges) = ranges
                && !ranges
                    .get(index)
                    .is_some_and(|r| r.contains(tuple.dst_port))
            {
                continue;
            }
            if let Some(group) = candidate.local_group()
                && !groups.contains(local.class, group)
            {
                continue;
            }
            if let Some(name) = candidate.named() {
                let port = peer_key.and_then(|k| k.named_port(name, tuple.protocol));
                if port != Some(tuple.dst_port) {
                    continue;
                }
            }
            let (test, word, mask, exact) = candidate.peer_test();
            let hit = match test {
                PeerTest::Any => true,
                PeerTest::Group => {
                    let (peer_class, peer_ip) = (&mut *self.peer_class, self.peer_ip);
                    self.group_memo.contains(word, || {
                        let class = *peer_class.get_or_insert_with(|| groups.class_of(peer_ip));
                        groups.contains(class, GroupId::from_raw(word))
                    })
                }
                PeerTest::TagsAll | PeerTest::TagsAny => peer_bits.is_some_and(|bits| {
                    let found = bits.word(word) & mask;
                    let passes = match test {
                        PeerTest::TagsAll => found == mask,
                        _ => found != 0,
                    };
                    // Most candidates stop here; the rest take the full selector test.
                    passes
                        && (exact
                            || policies
                                .selectors
                                .get(candidate.peer().index())
                                .is_some_and(|s| s.matches(Some(bits), groups, || ClassId::NONE)))
                }),
            };
            if hit {
                return Some(candidate);
            }
        }
        None
    }
}
