//! Idle timeouts per protocol and state, TCP close, and bounded expiry work.

use crate::support;

use std::time::Duration;

use crate::support::conntrack::{PairDecider, tcp, tuple};
use tagwall::conntrack::{Config, ConnTable, Outcome, PacketDirection, Timeouts, Timestamp};
use tagwall::protocol::Protocol;

const A: u8 = 1;
const B: u8 = 2;

/// Distinct timeouts (in seconds) so each test sees which one applied.
fn timeouts() -> Timeouts {
    Timeouts {
        tcp_established: Duration::from_secs(1000),
        tcp_unreplied: Duration::from_secs(20),
        udp: Duration::from_secs(30),
        other: Duration::from_secs(40),
        closing: Duration::from_secs(5),
        denied: Some(Duration::from_secs(3)),
    }
}

fn table() -> ConnTable {
    let config = Config {
        capacity: 1024,
        shards: 4,
        timeouts: timeouts(),
        sweep_per_insert: 0,
    };
    support::conntrack::table(config)
}

fn at(secs: u64) -> Timestamp {
    Timestamp::from_secs(secs)
}

/// Just before `secs`: the last instant an entry idle since 0 for `secs` is still alive.
fn just_before(secs: u64) -> Timestamp {
    Timestamp::from_nanos(secs * 1_000_000_000 - 1)
}

/// Opens `tuple` at time 0 (replying if `reply`), then asserts it lives until exactly
/// `timeout` seconds of idleness.
fn assert_lives_for(tuple: tagwall::tuple::Tuple, reply: bool, timeout: u64) {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table();
    assert!(table.packet(&decider, &tuple, at(0)).allowed);
    if reply {
        assert!(table.packet(&decider, &tuple.reversed(), at(0)).allowed);
    }
    let before = table.packet(&decider, &tuple.reversed(), just_before(timeout));
    assert_eq!(
        (before.allowed, before.outcome),
        (true, Outcome::Hit),
        "{tuple:?} is alive just before {timeout} s"
    );
    // The reply above refreshed the entry: it is idle from `just_before(timeout)` on.
    let idle_end = Timestamp::from_nanos(just_before(timeout).as_nanos() * 2 + 1);
    let after = table.packet(&decider, &tuple.reversed(), idle_end);
    assert_eq!(
        (after.allowed, after.outcome),
        (false, Outcome::New),
        "{tuple:?} expired after {timeout} s idle, so B's packet is a new attempt"
    );
    assert_eq!(table.counters().expirations, 1);
    assert_eq!(table.len(), 1, "only B's denied attempt is remembered");
}

#[test]
fn unreplied_tcp_lives_for_the_unreplied_timeout() {
    // The packet just before the timeout is B's first reply, which establishes the connection;
    // it is then idle for the established timeout, so probe with A's packets instead.
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table();
    let a_to_b = tcp(A, 1000, B, 80);
    assert!(table.packet(&decider, &a_to_b, at(0)).allowed);
    assert_eq!(
        table.packet(&decider, &a_to_b, just_before(20)).outcome,
        Outcome::Hit
    );
    let late = Timestamp::from_nanos(just_before(20).as_nanos() + 20_000_000_000);
    assert_eq!(table.packet(&decider, &a_to_b, late).outcome, Outcome::New);
    assert_eq!(table.counters().expirations, 1);
}

#[test]
fn established_tcp_lives_for_the_established_timeout() {
    assert_lives_for(tcp(A, 1000, B, 80), true, 1000);
}

#[test]
fn udp_lives_for_the_udp_timeout_replied_or_not() {
    assert_lives_for(tuple(Protocol::Udp, A, 1000, B, 53), false, 30);
    assert_lives_for(tuple(Protocol::Udp, A, 1000, B, 53), true, 30);
}

#[test]
fn other_protocols_live_for_the_other_timeout() {
    assert_lives_for(tuple(Protocol::Other(1), A, 0, B, 0), true, 40);
    assert_lives_for(tuple(Protocol::Sctp, A, 1000, B, 9), false, 40);
}

#[test]
fn every_packet_restarts_the_idle_timer() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table();
    let flow = tuple(Protocol::Udp, A, 1000, B, 53);
    for step in 0..10 {
        let answer = table.packet(&decider, &flow, at(step * 29));
        assert!(answer.allowed);
        assert_eq!(answer.outcome == Outcome::New, step == 0);
    }
    assert_eq!(table.counters().expirations, 0);
}

#[test]
fn a_closed_connection_expires_after_the_closing_timeout() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table();
    let a_to_b = tcp(A, 1000, B, 80);
    assert!(table.packet(&decider, &a_to_b, at(0)).allowed);
    assert!(table.packet(&decider, &a_to_b.reversed(), at(1)).allowed);
    assert!(
        table.close(&a_to_b.reversed(), at(2)),
        "either direction closes"
    );

    // Last packets (the final ACK) still pass while closing.
    let last_ack = table.packet(&decider, &a_to_b, at(3));
    assert_eq!(
        (last_ack.allowed, last_ack.direction, last_ack.outcome),
        (true, PacketDirection::Original, Outcome::Hit)
    );
    // Idle for the closing timeout (5 s), far less than the established one (1000 s).
    let after = table.packet(&decider, &a_to_b.reversed(), at(8));
    assert_eq!((after.allowed, after.outcome), (false, Outcome::New));
    let counters = table.counters();
    assert_eq!((counters.closes, counters.expirations), (1, 1));
}

#[test]
fn close_of_an_unknown_or_denied_connection_finds_nothing() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table();
    assert!(!table.close(&tcp(A, 1, B, 2), at(0)));
    let b_to_a = tcp(B, 1, A, 2);
    assert!(!table.packet(&decider, &b_to_a, at(0)).allowed);
    assert!(
        !table.close(&b_to_a, at(0)),
        "a remembered denial is no connection"
    );
    assert_eq!(table.counters().closes, 0);
}

#[test]
fn a_denial_is_remembered_for_its_timeout_however_often_retried() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table();
    let b_to_a = tcp(B, 1, A, 2);
    assert_eq!(table.packet(&decider, &b_to_a, at(0)).outcome, Outcome::New);
    assert_eq!(table.packet(&decider, &b_to_a, at(1)).outcome, Outcome::Hit);
    assert_eq!(
        table.packet(&decider, &b_to_a, just_before(3)).outcome,
        Outcome::Hit
    );
    let answer = table.packet(&decider, &b_to_a, at(3));
    assert_eq!(
        (answer.allowed, answer.outcome),
        (false, Outcome::New),
        "retries did not extend the 3 s life"
    );
    assert_eq!(decider.decisions(), 2);
}

#[test]
fn expire_removes_only_expired_entries_within_its_budget() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table();
    for port in 0..10 {
        // Unreplied TCP: 20 s.
        assert!(table.packet(&decider, &tcp(A, port, B, 80), at(0)).allowed);
    }
    for port in 0..5 {
        // UDP: 30 s.
        let flow = tuple(Protocol::Udp, A, port, B, 53);
        assert!(table.packet(&decider, &flow, at(0)).allowed);
    }
    assert_eq!(table.len(), 15);
    assert_eq!(table.expire(just_before(20), 100), 0, "nothing expired yet");

    assert_eq!(table.expire(at(25), 3), 3, "the budget bounds the work");
    assert_eq!(table.len(), 12);
    assert_eq!(table.expire(at(25), 100), 7, "the rest of the TCP entries");
    assert_eq!(table.len(), 5, "UDP entries are still alive at 25 s");
    assert_eq!(table.expire(at(30), 100), 5);
    assert!(table.is_empty());
    assert_eq!(table.counters().expirations, 15);
}

#[test]
fn inserts_sweep_expired_entries_of_their_shard() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let config = Config {
        capacity: 1024,
        shards: 1,
        timeouts: timeouts(),
        sweep_per_insert: 2,
    };
    let table = ConnTable::new(config).expect("valid config");
    for port in 0..5 {
        assert!(table.packet(&decider, &tcp(A, port, B, 80), at(0)).allowed);
    }
    assert!(table.packet(&decider, &tcp(A, 100, B, 80), at(21)).allowed);
    assert_eq!(
        table.len(),
        4,
        "two of five expired entries swept, one inserted"
    );
    assert_eq!(table.counters().expirations, 2);
}

#[test]
fn time_never_goes_back_within_a_shard() {
    // A caller thread that read its clock earlier but locks later must not make an entry look
    // younger than it is: the shard keeps its latest time.
    let decider = PairDecider::new(1, &[(A, B)]);
    let config = Config {
        shards: 1,
        capacity: 16,
        timeouts: timeouts(),
        sweep_per_insert: 0,
    };
    let table = ConnTable::new(config).expect("valid config");
    let flow = tuple(Protocol::Udp, A, 1, B, 53);
    assert!(table.packet(&decider, &flow, at(100)).allowed);
    let late_clock = table.packet(&decider, &flow, at(50));
    assert_eq!(late_clock.outcome, Outcome::Hit);
    // Idle since 100 s, not 50 s: expired at 130 s.
    assert_eq!(table.packet(&decider, &flow, at(130)).outcome, Outcome::New);
}
