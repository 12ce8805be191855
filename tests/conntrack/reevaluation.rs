//! Policy swaps: connections recorded under an older generation are decided again, lazily.

use crate::support;

use std::time::Duration;

use crate::support::conntrack::{PairDecider, tcp, verdict};
use tagwall::conntrack::{Config, ConnTable, Outcome, PacketDirection, Timeouts, Timestamp};

const A: u8 = 1;
const B: u8 = 2;
const C: u8 = 3;

fn table(denied: Option<Duration>) -> ConnTable {
    let config = Config {
        timeouts: Timeouts {
            denied,
            ..Timeouts::default()
        },
        ..Config::default()
    };
    support::conntrack::table(config)
}

fn at(secs: u64) -> Timestamp {
    Timestamp::from_secs(secs)
}

/// A table holding the established connection A:40000 -> B:80 under generation 1.
fn established(denied: Option<Duration>) -> (ConnTable, PairDecider) {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table(denied);
    let a_to_b = tcp(A, 40000, B, 80);
    assert!(table.packet(&decider, &a_to_b, at(0)).allowed);
    assert!(table.packet(&decider, &a_to_b.reversed(), at(0)).allowed);
    (table, decider)
}

#[test]
fn a_swap_that_removes_the_allow_denies_both_directions() {
    for denied in [None, Some(Duration::from_secs(5))] {
        let (table, old) = established(denied);
        let new = old.swapped(&[(A, C)]);
        let a_to_b = tcp(A, 40000, B, 80);

        let forward = table.packet(&new, &a_to_b, at(1));
        assert_eq!(
            (forward.allowed, forward.direction, forward.outcome),
            (false, PacketDirection::Original, Outcome::Reevaluated),
            "denials remembered: {denied:?}"
        );
        assert_eq!(forward.verdict, verdict(2, false));
        let reply = table.packet(&new, &a_to_b.reversed(), at(1));
        assert!(
            !reply.allowed,
            "B's replies stop too (denials remembered: {denied:?})"
        );
        let again = table.packet(&new, &a_to_b, at(1));
        assert!(!again.allowed);

        let counters = table.counters();
        assert_eq!(counters.reevaluations, 1, "denials remembered: {denied:?}");
        assert_eq!(counters.denials, 3);
        assert_eq!(
            counters.inserts - counters.evictions - counters.expirations - counters.revocations,
            table.len() as u64
        );
    }
}

#[test]
fn a_reply_first_after_the_swap_is_reevaluated_in_the_opening_direction() {
    let (table, old) = established(None);
    let new = old.swapped(&[(B, A)]);
    let a_to_b = tcp(A, 40000, B, 80);
    // The new policy lets B open to A but not A to B: the connection A opened is revoked,
    // although the packet itself goes from B to A.
    let reply = table.packet(&new, &a_to_b.reversed(), at(1));
    assert_eq!(
        (reply.allowed, reply.direction, reply.outcome),
        (false, PacketDirection::Reply, Outcome::Reevaluated)
    );
    assert_eq!(table.counters().revocations, 1);
    assert!(table.is_empty());
    // B's next packet is a connection B opens, which the new policy allows.
    let b_opens = table.packet(&new, &a_to_b.reversed(), at(2));
    assert_eq!(
        (b_opens.allowed, b_opens.direction, b_opens.outcome),
        (true, PacketDirection::Original, Outcome::New)
    );
}

#[test]
fn a_swap_that_keeps_the_allow_keeps_the_connection_and_counts_it() {
    let (table, old) = established(Some(Duration::from_secs(5)));
    let new = old.swapped(&[(A, B), (A, C)]);
    let a_to_b = tcp(A, 40000, B, 80);

    let reply = table.packet(&new, &a_to_b.reversed(), at(1));
    assert_eq!(
        (reply.allowed, reply.direction, reply.outcome),
        (true, PacketDirection::Reply, Outcome::Reevaluated)
    );
    assert_eq!(reply.verdict, verdict(2, true), "decided by the new policy");
    let next = table.packet(&new, &a_to_b, at(1));
    assert_eq!(
        (next.allowed, next.outcome),
        (true, Outcome::Hit),
        "the entry took the new generation"
    );
    assert_eq!(next.verdict, verdict(2, true));
    assert_eq!(new.decisions(), 1);
    let counters = table.counters();
    assert_eq!((counters.reevaluations, counters.hits), (1, 2));
    assert_eq!(table.len(), 1);
}

#[test]
fn a_swap_that_allows_a_remembered_denial_lets_it_through() {
    let decider = PairDecider::new(1, &[]);
    let table = table(Some(Duration::from_secs(5)));
    let c_to_a = tcp(C, 5000, A, 22);
    assert!(!table.packet(&decider, &c_to_a, at(0)).allowed);
    let new = decider.swapped(&[(C, A)]);
    let retry = table.packet(&new, &c_to_a, at(1));
    assert_eq!((retry.allowed, retry.outcome), (true, Outcome::Reevaluated));
    let reply = table.packet(&new, &c_to_a.reversed(), at(1));
    assert_eq!(
        (reply.allowed, reply.direction, reply.outcome),
        (true, PacketDirection::Reply, Outcome::Hit)
    );
}

#[test]
fn connections_are_reevaluated_once_each_and_only_when_seen() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table(None);
    let connections: Vec<_> = (0..10).map(|port| tcp(A, port, B, 80)).collect();
    for connection in &connections {
        assert!(table.packet(&decider, connection, at(0)).allowed);
    }
    let new = decider.swapped(&[(A, B)]);
    assert_eq!(
        table.counters().reevaluations,
        0,
        "a swap alone does no work"
    );
    for connection in &connections[..4] {
        assert_eq!(
            table.packet(&new, connection, at(1)).outcome,
            Outcome::Reevaluated
        );
        assert_eq!(table.packet(&new, connection, at(1)).outcome, Outcome::Hit);
    }
    assert_eq!(table.counters().reevaluations, 4);
    assert_eq!(new.decisions(), 4);
}
