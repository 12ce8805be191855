//! Model-based test: random sequences of packets, closes, expiry and policy swaps give the same
//! answers, lengths and counters from the table as from a plain single-threaded model.
//!
//! The model keeps each shard's entries in a `BTreeMap` with a touch sequence number and finds
//! the oldest entry of a class by scanning, where the table keeps intrusive recency lists over a
//! slab. Cases: `TAGWALL_PROPTEST_CASES` (default 128).

use crate::support;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::conntrack_support::{ip, verdict};
use proptest::prelude::*;
use tagwall::conntrack::{
    Config, ConnTable, Counters, Outcome, PacketDirection, PacketVerdict, Timeouts, Timestamp,
};
use tagwall::lookup::{Decide, Verdict};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

const HOSTS: u8 = 3;

/// Allows host `s` to open to host `d` iff bit `(s - 1) * HOSTS + (d - 1)` of the mask is set.
#[derive(Clone, Copy, Debug)]
struct MaskDecider {
    generation: u64,
    mask: u16,
}

fn host(address: IpAddr) -> u16 {
    match address {
        IpAddr::V4(v4) => u16::from(v4.octets()[3]),
        IpAddr::V6(_) => 0,
    }
}

impl Decide for MaskDecider {
    fn generation(&self) -> u64 {
        self.generation
    }

    fn decide(&self, tuple: &Tuple) -> Verdict {
        let bit = (host(tuple.src) - 1) * u16::from(HOSTS) + (host(tuple.dst) - 1);
        verdict(self.generation, self.mask & (1 << bit) != 0)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Packet { tuple: Tuple, dt: u64 },
    Close { tuple: Tuple, dt: u64 },
    Expire { budget: usize, dt: u64 },
    Swap { mask: u16 },
}

fn tuples() -> impl Strategy<Value = Tuple> {
    let protocols = prop_oneof![
        Just(Protocol::Tcp),
        Just(Protocol::Udp),
        Just(Protocol::Other(1))
    ];
    (1..=HOSTS, 1..=HOSTS, 1u16..3, 1u16..3, protocols).prop_map(
        |(src, dst, src_port, dst_port, protocol)| Tuple {
            src: ip(src),
            dst: ip(dst),
            protocol,
            src_port,
            dst_port,
        },
    )
}

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (tuples(), 0u64..8).prop_map(|(tuple, dt)| Op::Packet { tuple, dt }),
        1 => (tuples(), 0u64..8).prop_map(|(tuple, dt)| Op::Close { tuple, dt }),
        1 => (0usize..4, 0u64..30).prop_map(|(budget, dt)| Op::Expire { budget, dt }),
        1 => any::<u16>().prop_map(|mask| Op::Swap { mask }),
    ]
}

/// Timeouts in nanoseconds, short enough that sequences see entries expire.
fn timeouts(remember_denials: bool) -> Timeouts {
    Timeouts {
        tcp_established: Duration::from_nanos(100),
        tcp_unreplied: Duration::from_nanos(20),
        udp: Duration::from_nanos(30),
        other: Duration::from_nanos(40),
        closing: Duration::from_nanos(10),
        denied: remember_denials.then_some(Duration::from_nanos(15)),
    }
}

/// The model's state classes, in the table's eviction order; the first five are unprotected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Denied,
    TcpUnreplied,
    UdpUnreplied,
    OtherUnreplied,
    Closing,
    TcpEstablished,
    UdpReplied,
    OtherReplied,
}

const CLASSES: [Class; 8] = [
    Class::Denied,
    Class::TcpUnreplied,
    Class::UdpUnreplied,
    Class::OtherUnreplied,
    Class::Closing,
    Class::TcpEstablished,
    Class::UdpReplied,
    Class::OtherReplied,
];

impl Class {
    fn unreplied(protocol: Protocol) -> Class {
        match protocol {
            Protocol::Tcp => Class::TcpUnreplied,
            Protocol::Udp => Class::UdpUnreplied,
            _ => Class::OtherUnreplied,
        }
    }

    fn after(self, direction: PacketDirection) -> Class {
        match (self, direction) {
            (Class::TcpUnreplied, PacketDirection::Reply) => Class::TcpEstablished,
            (Class::UdpUnreplied, PacketDirection::Reply) => Class::UdpReplied,
            (Class::OtherUnreplied, PacketDirection::Reply) => Class::OtherReplied,
            (class, _) => class,
        }
    }

    fn protected(self) -> bool {
        self >= Class::TcpEstablished
    }

    fn timeout(self, t: &Timeouts) -> u64 {
        let duration = match self {
            Class::Denied => t.denied.unwrap_or(Duration::MAX),
            Class::TcpUnreplied => t.tcp_unreplied,
            Class::UdpUnreplied | Class::UdpReplied => t.udp,
            Class::OtherUnreplied | Class::OtherReplied => t.other,
            Class::Closing => t.closing,
            Class::TcpEstablished => t.tcp_established,
        };
        u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
    }
}

type Endpoint = (IpAddr, u16);
type Key = (Endpoint, Endpoint, Protocol);

#[derive(Clone, Copy, Debug)]
struct Entry {
    opener: Endpoint,
    class: Class,
    verdict: Verdict,
    generation: u64,
    last_seen: u64,
    touched: u64,
}

#[derive(Debug, Default)]
struct Shard {
    entries: BTreeMap<Key, Entry>,
    capacity: usize,
    clock: u64,
}

struct Model {
    shards: Vec<Shard>,
    timeouts: Timeouts,
    sweep_per_insert: usize,
    counters: Counters,
    cursor: usize,
    touches: u64,
}

fn key_of(tuple: &Tuple) -> (Key, Endpoint) {
    let src = (tuple.src, tuple.src_port);
    let dst = (tuple.dst, tuple.dst_port);
    ((src.min(dst), src.max(dst), tuple.protocol), src)
}

fn tuple_from(key: &Key, from: Endpoint) -> Tuple {
    let to = if from == key.0 { key.1 } else { key.0 };
    Tuple {
        src: from.0,
        dst: to.0,
        protocol: key.2,
        src_port: from.1,
        dst_port: to.1,
    }
}

impl Model {
    fn new(config: &Config) -> Model {
        let shards = (0..config.shards)
            .map(|i| Shard {
                capacity: config.capacity / config.shards
                    + usize::from(i < config.capacity % config.shards),
                ..Shard::default()
            })
            .collect();
        Model {
            shards,
            timeouts: config.timeouts,
            sweep_per_insert: config.sweep_per_insert,
            counters: Counters::default(),
            cursor: 0,
            touches: 0,
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.entries.len()).sum()
    }

    fn expired(&self, entry: &Entry, now: u64) -> bool {
        now - entry.last_seen >= entry.class.timeout(&self.timeouts)
    }

    fn advance(&mut self, shard: usize, now: u64) -> u64 {
        let s = &mut self.shards[shard];
        s.clock = s.clock.max(now);
        s.clock
    }

    /// The live entry of `key`, removing it if expired.
    fn live(&mut self, shard: usize, key: &Key, now: u64) -> Option<Entry> {
        let entry = *self.shards[shard].entries.get(key)?;
        if self.expired(&entry, now) {
            self.shards[shard].entries.remove(key);
            self.counters.expirations += 1;
            return None;
        }
        Some(entry)
    }

    fn store(&mut self, shard: usize, key: Key, mut entry: Entry) {
        self.touches += 1;
        entry.touched = self.touches;
        self.shards[shard].entries.insert(key, entry);
    }

    fn oldest_of(&self, shard: usize, class: Class) -> Option<(Key, Entry)> {
        self.shards[shard]
            .entries
            .iter()
            .filter(|(_, e)| e.class == class)
            .min_by_key(|(_, e)| e.touched)
            .map(|(k, e)| (*k, *e))
    }

    fn sweep(&mut self, shard: usize, now: u64, budget: usize) -> usize {
        let mut removed = 0;
        for class in CLASSES {
            while removed < budget {
                match self.oldest_of(shard, class) {
                    Some((key, entry)) if self.expired(&entry, now) => {
                        self.shards[shard].entries.remove(&key);
                        self.counters.expirations += 1;
                        removed += 1;
                    }
                    _ => break,
                }
            }
        }
        removed
    }

    fn evict(&mut self, shard: usize) {
        for protected in [false, true] {
            let mut victim: Option<(Key, Entry)> = None;
            for class in CLASSES.into_iter().filter(|c| c.protected() == protected) {
                if let Some((key, entry)) = self.oldest_of(shard, class)
                    && victim.is_none_or(|(_, v)| entry.last_seen < v.last_seen)
                {
                    victim = Some((key, entry));
                }
            }
            if let Some((key, _)) = victim {
                self.shards[shard].entries.remove(&key);
                self.counters.evictions += 1;
                return;
            }
        }
    }

    fn insert(&mut self, shard: usize, key: Key, entry: Entry) {
        let now = entry.last_seen;
        self.sweep(shard, now, self.sweep_per_insert);
        let s = &self.shards[shard];
        if s.entries.len() >= s.capacity && self.sweep(shard, now, 1) == 0 {
            self.evict(shard);
        }
        self.store(shard, key, entry);
        self.counters.inserts += 1;
    }

    fn decided_class(&self, verdict: Verdict, protocol: Protocol) -> Option<Class> {
        if verdict.allowed() {
            Some(Class::unreplied(protocol))
        } else {
            self.timeouts.denied.map(|_| Class::Denied)
        }
    }

    fn settle(&mut self, shard: usize, key: Key, entry: Entry, class: Option<Class>) {
        match class {
            Some(class) => self.store(shard, key, Entry { class, ..entry }),
            None => {
                self.shards[shard].entries.remove(&key);
                self.counters.revocations += 1;
            }
        }
    }

    fn answer(
        &mut self,
        verdict: Verdict,
        direction: PacketDirection,
        outcome: Outcome,
    ) -> PacketVerdict {
        if !verdict.allowed() {
            self.counters.denials += 1;
        }
        PacketVerdict {
            allowed: verdict.allowed(),
            direction,
            outcome,
            verdict,
        }
    }

    fn packet(
        &mut self,
        decider: &MaskDecider,
        tuple: &Tuple,
        now: u64,
        shard: usize,
    ) -> PacketVerdict {
        let now = self.advance(shard, now);
        self.counters.packets += 1;
        let (key, from) = key_of(tuple);
        let generation = decider.generation;
        let Some(entry) = self.live(shard, &key, now) else {
            self.counters.misses += 1;
            let verdict = decider.decide(tuple);
            if let Some(class) = self.decided_class(verdict, key.2) {
                let entry = Entry {
                    opener: from,
                    class,
                    verdict,
                    generation,
                    last_seen: now,
                    touched: 0,
                };
                self.insert(shard, key, entry);
            }
            return self.answer(verdict, PacketDirection::Original, Outcome::New);
        };
        let direction = if from == entry.opener {
            PacketDirection::Original
        } else {
            PacketDirection::Reply
        };
        let touched = Entry {
            last_seen: now,
            generation,
            ..entry
        };
        if entry.class == Class::Denied && direction == PacketDirection::Reply {
            self.counters.misses += 1;
            let verdict = decider.decide(tuple);
            let class = self.decided_class(verdict, key.2);
            self.settle(
                shard,
                key,
                Entry {
                    opener: from,
                    verdict,
                    ..touched
                },
                class,
            );
            return self.answer(verdict, PacketDirection::Original, Outcome::New);
        }
        if entry.generation != generation {
            self.counters.reevaluations += 1;
            let verdict = decider.decide(&tuple_from(&key, entry.opener));
            let class = match (verdict.allowed(), entry.class) {
                (false, _) => self.decided_class(verdict, key.2),
                (true, Class::Denied) => Some(Class::unreplied(key.2)),
                (true, class) => Some(class.after(direction)),
            };
            self.settle(shard, key, Entry { verdict, ..touched }, class);
            return self.answer(verdict, direction, Outcome::Reevaluated);
        }
        if entry.class == Class::Denied {
            self.counters.denied_hits += 1;
            return self.answer(entry.verdict, direction, Outcome::Hit);
        }
        self.counters.hits += 1;
        let class = entry.class.after(direction);
        self.store(shard, key, Entry { class, ..touched });
        self.answer(entry.verdict, direction, Outcome::Hit)
    }

    fn close(&mut self, tuple: &Tuple, now: u64, shard: usize) -> bool {
        let now = self.advance(shard, now);
        let (key, _) = key_of(tuple);
        match self.live(shard, &key, now) {
            Some(entry) if entry.class != Class::Denied => {
                let closing = Entry {
                    class: Class::Closing,
                    last_seen: now,
                    ..entry
                };
                self.store(shard, key, closing);
                self.counters.closes += 1;
                true
            }
            _ => false,
        }
    }

    fn expire(&mut self, now: u64, budget: usize) -> usize {
        let count = self.shards.len();
        let start = self.cursor;
        let mut removed = 0;
        for step in 0..count {
            if removed >= budget {
                break;
            }
            let shard = (start + step) & (count - 1);
            let now = self.advance(shard, now);
            removed += self.sweep(shard, now, budget - removed);
            self.cursor = shard + 1;
        }
        removed
    }
}

fn configs() -> impl Strategy<Value = Config> {
    (0u32..3, 0usize..12, 0usize..3, any::<bool>()).prop_map(
        |(shard_bits, extra, sweep_per_insert, remember_denials)| {
            let shards = 1 << shard_bits;
            Config {
                capacity: shards + extra,
                shards,
                timeouts: timeouts(remember_denials),
                sweep_per_insert,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(support::cases(128)))]

    #[test]
    fn the_table_behaves_like_the_model(
        config in configs(),
        ops in prop::collection::vec(ops(), 1..200),
    ) {
        let table = ConnTable::new(config).expect("generated configs are valid");
        let mut model = Model::new(&config);
        let mut decider = MaskDecider { generation: 1, mask: 0b1_0101_0110 };
        let mut now = 0u64;
        for (step, op) in ops.iter().enumerate() {
            match *op {
                Op::Packet { tuple, dt } => {
                    now += dt;
                    let got = table.packet(&decider, &tuple, Timestamp::from_nanos(now));
                    let want = model.packet(&decider, &tuple, now, table.shard_of(&tuple));
                    prop_assert_eq!(got, want, "step {}: {:?} at {}", step, op, now);
                }
                Op::Close { tuple, dt } => {
                    now += dt;
                    let got = table.close(&tuple, Timestamp::from_nanos(now));
                    let want = model.close(&tuple, now, table.shard_of(&tuple));
                    prop_assert_eq!(got, want, "step {}: {:?} at {}", step, op, now);
                }
                Op::Expire { budget, dt } => {
                    now += dt;
                    let got = table.expire(Timestamp::from_nanos(now), budget);
                    prop_assert_eq!(got, model.expire(now, budget), "step {}: {:?}", step, op);
                }
                Op::Swap { mask } => {
                    decider = MaskDecider { generation: decider.generation + 1, mask };
                }
            }
            prop_assert_eq!(table.len(), model.len(), "step {}: {:?}", step, op);
            prop_assert!(table.len() <= config.capacity);
            prop_assert_eq!(table.counters(), model.counters, "step {}: {:?}", step, op);
        }
    }
}
