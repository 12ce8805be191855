//! The one plain model of the connection table (`tagwall::conntrack::ConnTable`), driven by both
//! of its model checks: the proptest in the `conntrack` test binary (`tests/conntrack/model.rs`)
//! and the `conntrack_matches_model` fuzz target (`fuzz/fuzz_targets/common/conntrack.rs`, which
//! includes this file with `#[path]`, so it uses nothing but `std` and `tagwall`).
//!
//! It states the table's documented behaviour in the plainest terms and shares none of its code:
//! each shard's entries in a `BTreeMap` with a touch sequence number, the oldest entry of a class
//! found by scanning (where the table keeps intrusive recency lists over a slab), each counter
//! counted where its event happens. Covered: one entry for both directions (an IPv4-mapped IPv6
//! address is the IPv4 end), replies establishing a connection, remembered denials and the other
//! end's own attempt after one, re-decision in the opening direction after a policy swap (a
//! revocation when denials are not remembered), closes, per-shard clocks that never go back,
//! sweeping on insert, eviction (unprotected classes first, least recently seen first) and
//! budgeted round-robin expiry. Answers, closes, expiry counts, lengths and every counter are the
//! model's to compare.
//!
//! Which shard holds a connection is the table's choice (a seeded hash, `ConnTable::shard_of`):
//! callers pass it in. Nothing here panics, so a panic under the fuzz target is the table's.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use tagwall::conntrack::{Config, Counters, Outcome, PacketDirection, PacketVerdict, Timeouts};
use tagwall::lookup::{Decide, Verdict};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

/// An entry's state class, in the table's eviction order; the first five are unprotected.
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
    /// A newly allowed connection's class: SCTP and every other protocol share one.
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

/// One end of a connection: the address in its 16-byte IPv6 form (IPv4 mapped), and the port.
type End = ([u8; 16], u16);

/// A connection: its two ends, the lower first, and the protocol number.
type Key = (End, End, u8);

fn end(ip: IpAddr, port: u16) -> End {
    let octets = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    (octets, port)
}

/// The key of `tuple`'s connection and the end its packet comes from.
fn key_of(tuple: &Tuple) -> (Key, End) {
    let src = end(tuple.src, tuple.src_port);
    let dst = end(tuple.dst, tuple.dst_port);
    ((src.min(dst), src.max(dst), tuple.protocol.number()), src)
}

/// The tuple of a packet of `key` from `from` to the other end, addresses in canonical form.
fn tuple_from(key: &Key, from: End) -> Tuple {
    let to = if from == key.0 { key.1 } else { key.0 };
    Tuple {
        src: Ipv6Addr::from(from.0).to_canonical(),
        dst: Ipv6Addr::from(to.0).to_canonical(),
        protocol: Protocol::from_number(key.2),
        src_port: from.1,
        dst_port: to.1,
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    opener: End,
    class: Class,
    verdict: Verdict,
    generation: u64,
    last_seen: u64,
    /// When the entry last became the most recent of its class (a per-shard sequence number).
    touched: u64,
}

/// What every shard follows: the idle timeouts and the sweep on insert.
#[derive(Clone, Copy, Debug)]
struct Rules {
    timeouts: Timeouts,
    sweep_per_insert: usize,
}

/// One shard: its entries, its share of the capacity, its clock and its counters.
#[derive(Debug)]
struct Shard {
    entries: BTreeMap<Key, Entry>,
    capacity: usize,
    clock: u64,
    touches: u64,
    counters: Counters,
}

impl Shard {
    fn new(capacity: usize) -> Shard {
        Shard {
            entries: BTreeMap::new(),
            capacity,
            clock: 0,
            touches: 0,
            counters: Counters::default(),
        }
    }

    /// `now`, or the latest time this shard has seen if that is later: time never goes back.
    fn advance(&mut self, now: u64) -> u64 {
        self.clock = self.clock.max(now);
        self.clock
    }

    fn expired(rules: &Rules, entry: &Entry, now: u64) -> bool {
        now.saturating_sub(entry.last_seen) >= entry.class.timeout(&rules.timeouts)
    }

    /// The live entry of `key`, removing it if expired.
    fn live(&mut self, rules: &Rules, key: &Key, now: u64) -> Option<Entry> {
        let entry = *self.entries.get(key)?;
        if Self::expired(rules, &entry, now) {
            self.entries.remove(key);
            self.counters.expirations += 1;
            return None;
        }
        Some(entry)
    }

    /// Stores `entry` as the most recent of its class.
    fn store(&mut self, key: Key, mut entry: Entry) {
        self.touches += 1;
        entry.touched = self.touches;
        self.entries.insert(key, entry);
    }

    fn oldest_of(&self, class: Class) -> Option<(Key, Entry)> {
        self.entries
            .iter()
            .filter(|(_, e)| e.class == class)
            .min_by_key(|(_, e)| e.touched)
            .map(|(k, e)| (*k, *e))
    }

    /// Removes up to `budget` expired entries, oldest first within a class, classes in eviction
    /// order, stopping at a class's first live entry.
    fn sweep(&mut self, rules: &Rules, now: u64, budget: usize) -> usize {
        let mut removed = 0;
        for class in CLASSES {
            while removed < budget {
                match self.oldest_of(class) {
                    Some((key, entry)) if Self::expired(rules, &entry, now) => {
                        self.entries.remove(&key);
                        self.counters.expirations += 1;
                        removed += 1;
                    }
                    _ => break,
                }
            }
        }
        removed
    }

    /// Removes the least recently seen unprotected entry, or protected one if there is none;
    /// ties go to the class earlier in eviction order.
    fn evict(&mut self) {
        for protected in [false, true] {
            let mut victim: Option<(Key, Entry)> = None;
            for class in CLASSES.into_iter().filter(|c| c.protected() == protected) {
                if let Some((key, entry)) = self.oldest_of(class)
                    && victim.is_none_or(|(_, v)| entry.last_seen < v.last_seen)
                {
                    victim = Some((key, entry));
                }
            }
            if let Some((key, _)) = victim {
                self.entries.remove(&key);
                self.counters.evictions += 1;
                return;
            }
        }
    }

    fn insert(&mut self, rules: &Rules, key: Key, entry: Entry) {
        let now = entry.last_seen;
        self.sweep(rules, now, rules.sweep_per_insert);
        if self.entries.len() >= self.capacity && self.sweep(rules, now, 1) == 0 {
            self.evict();
        }
        self.store(key, entry);
        self.counters.inserts += 1;
    }

    /// The class to record a new decision under, or `None` not to record it.
    fn decided_class(rules: &Rules, verdict: Verdict, protocol: Protocol) -> Option<Class> {
        if verdict.allowed() {
            Some(Class::unreplied(protocol))
        } else {
            rules.timeouts.denied.map(|_| Class::Denied)
        }
    }

    /// Stores a decision made again for `key`, or removes the entry when it is not to be recorded.
    fn settle(&mut self, key: Key, entry: Entry, class: Option<Class>) {
        match class {
            Some(class) => self.store(key, Entry { class, ..entry }),
            None => {
                self.entries.remove(&key);
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

    fn packet<D: Decide + ?Sized>(
        &mut self,
        rules: &Rules,
        decider: &D,
        tuple: &Tuple,
        now: u64,
    ) -> PacketVerdict {
        let now = self.advance(now);
        self.counters.packets += 1;
        let (key, from) = key_of(tuple);
        let protocol = Protocol::from_number(key.2);
        let generation = decider.generation();
        let Some(entry) = self.live(rules, &key, now) else {
            self.counters.misses += 1;
            let verdict = decider.decide(tuple);
            if let Some(class) = Self::decided_class(rules, verdict, protocol) {
                let entry = Entry {
                    opener: from,
                    class,
                    verdict,
                    generation,
                    last_seen: now,
                    touched: 0,
                };
                self.insert(rules, key, entry);
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
            // The other end opening after a denial is a new connection of its own.
            self.counters.misses += 1;
            let verdict = decider.decide(tuple);
            let class = Self::decided_class(rules, verdict, protocol);
            let entry = Entry {
                opener: from,
                verdict,
                ..touched
            };
            self.settle(key, entry, class);
            return self.answer(verdict, PacketDirection::Original, Outcome::New);
        }
        if entry.generation != generation {
            // Decided again in the opening direction; still allowed keeps its state.
            self.counters.reevaluations += 1;
            let verdict = decider.decide(&tuple_from(&key, entry.opener));
            let class = match (verdict.allowed(), entry.class) {
                (false, _) => Self::decided_class(rules, verdict, protocol),
                (true, Class::Denied) => Some(Class::unreplied(protocol)),
                (true, class) => Some(class.after(direction)),
            };
            self.settle(key, Entry { verdict, ..touched }, class);
            return self.answer(verdict, direction, Outcome::Reevaluated);
        }
        if entry.class == Class::Denied {
            // Not touched: a denial lives its timeout from the decision, however often retried.
            self.counters.denied_hits += 1;
            return self.answer(entry.verdict, direction, Outcome::Hit);
        }
        self.counters.hits += 1;
        let class = entry.class.after(direction);
        self.store(key, Entry { class, ..touched });
        self.answer(entry.verdict, direction, Outcome::Hit)
    }

    fn close(&mut self, rules: &Rules, tuple: &Tuple, now: u64) -> bool {
        let now = self.advance(now);
        let (key, _) = key_of(tuple);
        match self.live(rules, &key, now) {
            Some(entry) if entry.class != Class::Denied => {
                let closing = Entry {
                    class: Class::Closing,
                    last_seen: now,
                    ..entry
                };
                self.store(key, closing);
                self.counters.closes += 1;
                true
            }
            _ => false,
        }
    }
}

/// The model of a table of one `Config`.
#[derive(Debug)]
pub struct Model {
    /// Shards by index, each made when first used.
    shards: BTreeMap<usize, Shard>,
    shard_count: usize,
    capacity: usize,
    rules: Rules,
    /// Where the next `expire` starts (the shard after the last one it visited).
    cursor: usize,
}

impl Model {
    /// An empty table of `config` (which the caller's table accepted).
    pub fn new(config: &Config) -> Model {
        Model {
            shards: BTreeMap::new(),
            shard_count: config.shards,
            capacity: config.capacity,
            rules: Rules {
                timeouts: config.timeouts,
                sweep_per_insert: config.sweep_per_insert,
            },
            cursor: 0,
        }
    }

    /// Shard `index`, empty with its share of the capacity if not used before: the first
    /// `capacity % shards` shards hold one more.
    fn shard(&mut self, index: usize) -> &mut Shard {
        let base = self.capacity.checked_div(self.shard_count).unwrap_or(0);
        let extra = self.capacity.checked_rem(self.shard_count).unwrap_or(0);
        self.shards
            .entry(index)
            .or_insert_with(|| Shard::new(base + usize::from(index < extra)))
    }

    /// The answer for a packet `tuple` at `now` of the connection in shard `shard`, deciding
    /// with `decider` as the table would.
    pub fn packet<D: Decide + ?Sized>(
        &mut self,
        decider: &D,
        tuple: &Tuple,
        now: u64,
        shard: usize,
    ) -> PacketVerdict {
        let rules = self.rules;
        self.shard(shard).packet(&rules, decider, tuple, now)
    }

    /// Whether closing `tuple`'s connection (in shard `shard`) at `now` finds a live allowed one.
    pub fn close(&mut self, tuple: &Tuple, now: u64, shard: usize) -> bool {
        let rules = self.rules;
        self.shard(shard).close(&rules, tuple, now)
    }

    /// How many entries expiry at `now` with `budget` removes: shards in turn from where the
    /// last call stopped, each shard's clock moving to `now` as it is visited.
    pub fn expire(&mut self, now: u64, budget: usize) -> usize {
        let (count, start, rules) = (self.shard_count, self.cursor, self.rules);
        let mut removed = 0;
        for step in 0..count {
            if removed >= budget {
                break;
            }
            let index = (start + step) & (count - 1);
            let shard = self.shard(index);
            let now = shard.advance(now);
            removed += shard.sweep(&rules, now, budget - removed);
            self.cursor = index + 1;
        }
        removed
    }

    /// The number of entries, expired ones not yet removed included.
    pub fn len(&self) -> usize {
        self.shards.values().map(|s| s.entries.len()).sum()
    }

    /// The event counts so far, summed over the shards.
    pub fn counters(&self) -> Counters {
        let mut total = Counters::default();
        for shard in self.shards.values() {
            total += shard.counters;
        }
        total
    }
}
