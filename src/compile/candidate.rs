//! Candidates: a rule as a port list holds it, with its peer pre-test inline so that most
//! candidates are rejected without leaving the list.

use super::ids::{GroupId, PortNameId, SelectorId};
use crate::firewall::{Action, RuleId};

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

/// The `u32` that stands for "no group" / "no port name" in a [`Candidate`].
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
            peer: peer.raw(),
            local_group: local_group.map_or(NONE, |g| g.raw()),
            named: named.map_or(NONE, |n| n.raw()),
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
        SelectorId::from_raw(self.peer)
    }

    /// The inline peer test: kind, word (or group id), mask, and whether it is the whole test.
    #[inline]
    pub(crate) fn peer_test(&self) -> (PeerTest, u32, u64, bool) {
        (self.test, self.word, self.mask, self.exact)
    }

    /// The group endpoint_1 names, if it is an address group.
    #[inline]
    pub(crate) fn local_group(&self) -> Option<GroupId> {
        (self.local_group != NONE).then_some(GroupId::from_raw(self.local_group))
    }

    /// The port name to resolve on the peer, if the service names a port (egress only).
    #[inline]
    pub(crate) fn named(&self) -> Option<PortNameId> {
        (self.named != NONE).then_some(PortNameId::from_raw(self.named))
    }

    /// Whether the candidate matches every peer wherever its list applies: no candidate after
    /// it in a list can ever decide (a policy's deny-all behind another's, allow-all behind a
    /// deny-all), so lists end with it.
    #[inline]
    pub(crate) fn is_unconditional(&self) -> bool {
        self.test == PeerTest::Any && self.exact && self.local_group == NONE && self.named == NONE
    }
}
