//! Bounded memory: capacity is exact, every eviction is counted, floods evict themselves first.

use crate::support;

use std::time::Duration;

use crate::support::conntrack::{PairDecider, tcp, tuple};
use tagwall::conntrack::{
    Config, ConfigError, ConnTable, MAX_SHARDS, Outcome, Timeouts, Timestamp,
};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

const A: u8 = 1;
const B: u8 = 2;
const ATTACKER: u8 = 3;

fn table(capacity: usize, shards: usize) -> ConnTable {
    let config = Config {
        capacity,
        shards,
        ..Config::default()
    };
    support::conntrack::table(config)
}

fn at(secs: u64) -> Timestamp {
    Timestamp::from_secs(secs)
}

/// The `n`th tuple of a flood from the attacker to B, all distinct.
fn flood_tuple(n: u32) -> Tuple {
    tcp(ATTACKER, (n % 60000) as u16, B, 1000 + (n / 60000) as u16)
}

#[test]
fn a_flood_fills_the_table_exactly_and_every_eviction_is_counted() {
    let decider = PairDecider::new(1, &[(ATTACKER, B)]);
    let table = table(64, 4);
    for n in 0..5000 {
        assert!(table.packet(&decider, &flood_tuple(n), at(1)).allowed);
        assert!(table.len() <= 64, "capacity exceeded after {n} packets");
    }
    assert_eq!(table.len(), 64);
    let counters = table.counters();
    assert_eq!(counters.inserts, 5000);
    assert_eq!(counters.evictions, 5000 - 64);
    assert_eq!(counters.expirations, 0);
    assert_eq!(
        counters.inserts - counters.evictions - counters.expirations,
        table.len() as u64
    );
}

#[test]
fn capacity_not_divisible_by_shards_is_still_exact() {
    let decider = PairDecider::new(1, &[(ATTACKER, B)]);
    let table = table(10, 4);
    for n in 0..2000 {
        table.packet(&decider, &flood_tuple(n), at(1));
    }
    assert_eq!(table.len(), 10);
}

#[test]
fn established_connections_survive_a_flood_of_fresh_ones() {
    let decider = PairDecider::new(1, &[(A, B), (ATTACKER, B)]);
    let table = table(64, 4);
    // Half of every shard's 16 places go to connections with replies.
    let mut per_shard = [0; 4];
    let mut established = Vec::new();
    for port in 0..u16::MAX {
        let candidate = tcp(A, port, B, 443);
        let shard = table.shard_of(&candidate);
        if per_shard[shard] < 8 {
            per_shard[shard] += 1;
            established.push(candidate);
        }
        if established.len() == 32 {
            break;
        }
    }
    for connection in &established {
        assert!(table.packet(&decider, connection, at(1)).allowed);
        assert!(
            table
                .packet(&decider, &connection.reversed(), at(1))
                .allowed
        );
    }

    for n in 0..10_000 {
        assert!(table.packet(&decider, &flood_tuple(n), at(2)).allowed);
    }
    assert_eq!(table.len(), 64);
    let evictions = table.counters().evictions;
    assert_eq!(evictions, 10_000 - 32, "the flood evicted only itself");

    for connection in &established {
        let reply = table.packet(&decider, &connection.reversed(), at(3));
        assert_eq!(
            (reply.allowed, reply.outcome),
            (true, Outcome::Hit),
            "{connection:?} survived"
        );
    }
}

#[test]
fn expired_entries_go_before_live_ones() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table(2, 1);
    let dns = tuple(Protocol::Udp, A, 1, B, 53);
    let web = tcp(A, 2, B, 80);
    assert!(table.packet(&decider, &dns, at(0)).allowed);
    assert!(table.packet(&decider, &web, at(100)).allowed);
    // At 121 s the UDP flow (2 min) has expired; the TCP one (unreplied, 2 min) has not.
    assert!(table.packet(&decider, &tcp(A, 3, B, 80), at(121)).allowed);
    let counters = table.counters();
    assert_eq!((counters.expirations, counters.evictions), (1, 0));
    assert_eq!(table.packet(&decider, &web, at(122)).outcome, Outcome::Hit);
}

#[test]
fn the_least_recently_seen_unprotected_entry_is_evicted() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table(3, 1);
    let (x, y, z) = (tcp(A, 1, B, 80), tcp(A, 2, B, 80), tcp(A, 3, B, 80));
    for (i, flow) in [x, y, z].iter().enumerate() {
        assert!(table.packet(&decider, flow, at(i as u64)).allowed);
    }
    assert_eq!(table.packet(&decider, &x, at(4)).outcome, Outcome::Hit);
    assert!(table.packet(&decider, &tcp(A, 4, B, 80), at(5)).allowed);
    assert_eq!(table.counters().evictions, 1);
    assert_eq!(table.packet(&decider, &x, at(6)).outcome, Outcome::Hit);
    assert_eq!(table.packet(&decider, &z, at(6)).outcome, Outcome::Hit);
    assert_eq!(
        table.packet(&decider, &y, at(6)).outcome,
        Outcome::New,
        "y was least recently seen"
    );
}

#[test]
fn established_entries_are_evicted_only_when_nothing_else_is_left() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table(2, 1);
    let (old, recent) = (tcp(A, 1, B, 80), tcp(A, 2, B, 80));
    for (i, flow) in [old, recent].iter().enumerate() {
        assert!(table.packet(&decider, flow, at(i as u64)).allowed);
        assert!(
            table
                .packet(&decider, &flow.reversed(), at(i as u64))
                .allowed
        );
    }
    let newcomer = tcp(A, 3, B, 80);
    assert!(table.packet(&decider, &newcomer, at(5)).allowed);
    assert_eq!(table.counters().evictions, 1);
    assert_eq!(table.packet(&decider, &recent, at(6)).outcome, Outcome::Hit);
    // Unreplied now, so it goes before `recent` when room is needed again.
    assert!(table.packet(&decider, &tcp(A, 4, B, 80), at(7)).allowed);
    assert_eq!(table.packet(&decider, &recent, at(8)).outcome, Outcome::Hit);
    assert_eq!(table.packet(&decider, &old, at(8)).outcome, Outcome::New);
}

#[test]
fn remembered_denials_count_against_capacity_and_go_before_established_connections() {
    let decider = PairDecider::new(1, &[(A, B)]);
    let table = table(4, 1);
    let kept = tcp(A, 1, B, 80);
    assert!(table.packet(&decider, &kept, at(0)).allowed);
    assert!(table.packet(&decider, &kept.reversed(), at(0)).allowed);
    let attempts: Vec<Tuple> = (0..100).map(|port| tcp(ATTACKER, port, A, 22)).collect();
    for attempt in &attempts {
        assert!(!table.packet(&decider, attempt, at(1)).allowed);
    }
    assert_eq!(table.len(), 4);
    let counters = table.counters();
    assert_eq!(counters.inserts, 101);
    assert_eq!(
        counters.evictions, 97,
        "each denial past the third evicts the oldest one"
    );
    assert_eq!(table.packet(&decider, &kept, at(2)).outcome, Outcome::Hit);
    for attempt in &attempts[97..] {
        assert_eq!(
            table.packet(&decider, attempt, at(2)).outcome,
            Outcome::Hit,
            "the most recent denials are remembered"
        );
    }
}

#[test]
fn invalid_configs_are_refused_with_a_reason() {
    let refused = |config: Config| ConnTable::new(config).err();
    let shards_3 = Config {
        shards: 3,
        ..Config::default()
    };
    assert_eq!(refused(shards_3), Some(ConfigError::ShardsNotPowerOfTwo(3)));
    let too_many = Config {
        shards: MAX_SHARDS * 2,
        capacity: MAX_SHARDS * 2,
        ..Config::default()
    };
    assert_eq!(
        refused(too_many),
        Some(ConfigError::ShardsNotPowerOfTwo(MAX_SHARDS * 2))
    );
    let too_small = Config {
        capacity: 2,
        shards: 4,
        ..Config::default()
    };
    let error = refused(too_small);
    assert_eq!(
        error.as_ref().map(ToString::to_string).as_deref(),
        Some("capacity `2` is below the shard count `4`")
    );
    let zero = Config {
        timeouts: Timeouts {
            udp: Duration::ZERO,
            ..Timeouts::default()
        },
        ..Config::default()
    };
    assert_eq!(refused(zero), Some(ConfigError::ZeroTimeout("udp")));
    assert_eq!(refused(Config::default()), None);
}
