//! `conntrack_matches_model`: the connection table against a plain model.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use arbitrary::Unstructured;
use tagwall::conntrack::{
    Config as ConnConfig, ConnTable, Counters, Outcome, PacketDirection, PacketVerdict, Timeouts,
    Timestamp,
};
use tagwall::firewall::RuleId;
use tagwall::lookup::{Decide, Side, Verdict};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

use super::Failure;

/// Endpoints the connection ops draw from: two hosts, the first also IPv4-mapped (the same host
/// to the table), and an IPv6 host; two ports.
pub(super) const HOSTS: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
    IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)),
];

/// The host index the decider sees: the mapped form is host 0.
pub(super) fn host_index(ip: IpAddr) -> u32 {
    match ip.to_canonical() {
        IpAddr::V4(v4) => u32::from(v4.octets()[3]) - 1,
        IpAddr::V6(_) => 2,
    }
}

/// Allows `s -> d` iff bit `3 * s + d` (plus 9 for UDP, none for other protocols) of `mask`.
#[derive(Clone, Copy, Debug)]
pub(super) struct MaskDecider {
    generation: u64,
    mask: u32,
}

impl Decide for MaskDecider {
    fn generation(&self) -> u64 {
        self.generation
    }

    fn decide(&self, tuple: &Tuple) -> Verdict {
        let offset = if tuple.protocol == Protocol::Udp {
            9
        } else {
            0
        };
        let bit = offset + 3 * host_index(tuple.src) + host_index(tuple.dst);
        let ingress = if self.mask & (1 << bit) != 0 {
            Side::Rule {
                rule: RuleId(self.generation as u32),
                action: tagwall::firewall::Action::Pass,
            }
        } else {
            Side::NoMatch
        };
        Verdict {
            egress: Side::NotWorkload,
            ingress,
        }
    }
}

/// Most operations one input runs.
pub(super) const MAX_OPS: usize = 4096;

#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Packet(Tuple),
    Close(Tuple),
    Expire(usize),
    Swap(u32),
}

pub(super) fn arbitrary_op(u: &mut Unstructured<'_>) -> arbitrary::Result<(Op, u64, bool)> {
    let tuple = Tuple {
        src: *u.choose(&HOSTS)?,
        dst: *u.choose(&HOSTS)?,
        protocol: Protocol::from_number(*u.choose(&[6, 17, 1, 132])?),
        src_port: *u.choose(&[1000, 80])?,
        dst_port: *u.choose(&[80, 1000])?,
    };
    let op = match u.int_in_range(0..=9)? {
        0..=5 => Op::Packet(tuple),
        6 => Op::Packet(tuple.reversed()),
        7 => Op::Close(tuple),
        8 => Op::Expire(u.int_in_range(0..=4)?),
        _ => Op::Swap(u.arbitrary()?),
    };
    // Time mostly moves forward, sometimes jumps, and sometimes goes back (the table must
    // treat an earlier time as its latest).
    let dt = u.int_in_range(0..=40)?;
    let back = u.ratio(1, 16)?;
    Ok((op, dt, back))
}

/// The model's state of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    Denied,
    Unreplied,
    Replied,
    Closing,
}

pub(super) type End = ([u8; 16], u16);
pub(super) type Key = (End, End, u8);

#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    opener: End,
    class: Class,
    verdict: Verdict,
    generation: u64,
    last_seen: u64,
}

/// A plain model of the table with room for every entry: one map, per-shard clocks, entries
/// removed only when found expired or swept by a full expiry.
pub(super) struct Model {
    entries: BTreeMap<Key, Entry>,
    clocks: Vec<u64>,
    timeouts: Timeouts,
}

pub(super) fn end(ip: IpAddr, port: u16) -> End {
    let octets = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    (octets, port)
}

pub(super) fn key_of(tuple: &Tuple) -> (Key, End) {
    let src = end(tuple.src, tuple.src_port);
    let dst = end(tuple.dst, tuple.dst_port);
    ((src.min(dst), src.max(dst), tuple.protocol.number()), src)
}

pub(super) fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl Model {
    fn timeout(&self, class: Class, protocol: u8) -> u64 {
        let t = &self.timeouts;
        nanos(match (class, Protocol::from_number(protocol)) {
            (Class::Denied, _) => t.denied.unwrap_or(Duration::MAX),
            (Class::Closing, _) => t.closing,
            (Class::Unreplied, Protocol::Tcp) => t.tcp_unreplied,
            (Class::Replied, Protocol::Tcp) => t.tcp_established,
            (_, Protocol::Udp) => t.udp,
            _ => t.other,
        })
    }

    fn clock(&mut self, shard: usize, now: u64) -> u64 {
        match self.clocks.get_mut(shard) {
            Some(clock) => {
                *clock = (*clock).max(now);
                *clock
            }
            None => now,
        }
    }

    fn expired(&self, key: &Key, entry: &Entry, now: u64) -> bool {
        now.saturating_sub(entry.last_seen) >= self.timeout(entry.class, key.2)
    }

    fn live(&mut self, key: &Key, now: u64) -> Option<Entry> {
        let entry = *self.entries.get(key)?;
        if self.expired(key, &entry, now) {
            self.entries.remove(key);
            return None;
        }
        Some(entry)
    }

    fn decided(&self, verdict: Verdict) -> Option<Class> {
        if verdict.allowed() {
            Some(Class::Unreplied)
        } else {
            self.timeouts.denied.map(|_| Class::Denied)
        }
    }

    fn settle(&mut self, key: Key, entry: Entry, class: Option<Class>) {
        match class {
            Some(class) => {
                self.entries.insert(key, Entry { class, ..entry });
            }
            None => {
                self.entries.remove(&key);
            }
        }
    }

    fn packet(&mut self, decider: &MaskDecider, tuple: &Tuple, now: u64) -> PacketVerdict {
        let (key, from) = key_of(tuple);
        let answer = |verdict: Verdict, direction, outcome| PacketVerdict {
            allowed: verdict.allowed(),
            direction,
            outcome,
            verdict,
        };
        let Some(entry) = self.live(&key, now) else {
            let verdict = decider.decide(tuple);
            if let Some(class) = self.decided(verdict) {
                let entry = Entry {
                    opener: from,
                    class,
                    verdict,
                    generation: decider.generation,
                    last_seen: now,
                };
                self.entries.insert(key, entry);
            }
            return answer(verdict, PacketDirection::Original, Outcome::New);
        };
        let direction = if from == entry.opener {
            PacketDirection::Original
        } else {
            PacketDirection::Reply
        };
        let touched = Entry {
            last_seen: now,
            generation: decider.generation,
            ..entry
        };
        if entry.class == Class::Denied && direction == PacketDirection::Reply {
            // The other end opening after a denial is a new connection of its own.
            let verdict = decider.decide(tuple);
            let class = self.decided(verdict);
            let entry = Entry {
                opener: from,
                verdict,
                ..touched
            };
            self.settle(key, entry, class);
            return answer(verdict, PacketDirection::Original, Outcome::New);
        }
        if entry.generation != decider.generation {
            let opener = if entry.opener == key.0 { key.0 } else { key.1 };
            let other = if entry.opener == key.0 { key.1 } else { key.0 };
            let opening = Tuple {
                src: Ipv6Addr::from(opener.0).to_canonical(),
                dst: Ipv6Addr::from(other.0).to_canonical(),
                protocol: Protocol::from_number(key.2),
                src_port: opener.1,
                dst_port: other.1,
            };
            let verdict = decider.decide(&opening);
            let class = match (verdict.allowed(), entry.class) {
                (false, _) => self.decided(verdict),
                (true, Class::Denied) => Some(Class::Unreplied),
                (true, Class::Unreplied) if direction == PacketDirection::Reply => {
                    Some(Class::Replied)
                }
                (true, class) => Some(class),
            };
            self.settle(key, Entry { verdict, ..touched }, class);
            return answer(verdict, direction, Outcome::Reevaluated);
        }
        if entry.class == Class::Denied {
            return answer(entry.verdict, direction, Outcome::Hit);
        }
        let class = match (entry.class, direction) {
            (Class::Unreplied, PacketDirection::Reply) => Class::Replied,
            (class, _) => class,
        };
        self.entries.insert(key, Entry { class, ..touched });
        answer(entry.verdict, direction, Outcome::Hit)
    }

    fn close(&mut self, tuple: &Tuple, now: u64) -> bool {
        let (key, _) = key_of(tuple);
        match self.live(&key, now) {
            Some(entry) if entry.class != Class::Denied => {
                let closing = Entry {
                    class: Class::Closing,
                    last_seen: now,
                    ..entry
                };
                self.entries.insert(key, closing);
                true
            }
            _ => false,
        }
    }

    /// Entries not expired at their shard's clock.
    fn live_count(&self, table: &ConnTable) -> usize {
        self.entries
            .iter()
            .filter(|(key, entry)| {
                let tuple = Tuple {
                    src: Ipv6Addr::from(key.0.0).to_canonical(),
                    dst: Ipv6Addr::from(key.1.0).to_canonical(),
                    protocol: Protocol::from_number(key.2),
                    src_port: key.0.1,
                    dst_port: key.1.1,
                };
                let clock = self
                    .clocks
                    .get(table.shard_of(&tuple))
                    .copied()
                    .unwrap_or(0);
                !self.expired(key, entry, clock)
            })
            .count()
    }
}

pub(super) fn check_counters(
    counters: &Counters,
    len: usize,
    context: &str,
) -> Result<(), Failure> {
    let c = counters;
    if c.packets != c.hits + c.denied_hits + c.misses + c.reevaluations {
        return Err(format!("{context}: packets do not add up: {c:?}"));
    }
    let expected =
        c.inserts as i128 - c.evictions as i128 - c.expirations as i128 - c.revocations as i128;
    if expected != len as i128 {
        return Err(format!(
            "{context}: length {len} but counters say {expected}: {c:?}"
        ));
    }
    Ok(())
}

/// Connection-table operation sequences (packets both ways, closes, expiry with budgets,
/// policy swaps, time going back) against a plain model: with room for every entry, each
/// packet's answer (allowed, direction, outcome, verdict), each close, and the entry count
/// after a full expiry are the model's; with a tight capacity, the table stays within it, a
/// new connection is decided by the decider, and the counters add up.
pub fn conntrack_matches_model(data: &[u8]) -> Result<(), Failure> {
    let mut u = Unstructured::new(data);
    let Ok(setup) = (|| -> arbitrary::Result<_> {
        let shards = 1usize << u.int_in_range(0..=2)?;
        let roomy: bool = u.arbitrary()?;
        let capacity = if roomy {
            shards * 256
        } else {
            shards + u.int_in_range(0..=6)?
        };
        let timeouts = Timeouts {
            tcp_established: Duration::from_nanos(u.int_in_range(1..=200)?),
            tcp_unreplied: Duration::from_nanos(u.int_in_range(1..=60)?),
            udp: Duration::from_nanos(u.int_in_range(1..=60)?),
            other: Duration::from_nanos(u.int_in_range(1..=60)?),
            closing: Duration::from_nanos(u.int_in_range(1..=30)?),
            denied: if u.arbitrary()? {
                Some(Duration::from_nanos(u.int_in_range(1..=30)?))
            } else {
                None
            },
        };
        let sweep_per_insert = u.int_in_range(0..=3)?;
        Ok((
            ConnConfig {
                capacity,
                shards,
                timeouts,
                sweep_per_insert,
            },
            roomy,
            u.arbitrary::<u32>()?,
        ))
    })() else {
        return Ok(());
    };
    let (config, roomy, mask) = setup;
    let table = ConnTable::new(config).map_err(|error| format!("config {config:?}: {error}"))?;
    let mut model = Model {
        entries: BTreeMap::new(),
        clocks: vec![0; config.shards],
        timeouts: config.timeouts,
    };
    let mut decider = MaskDecider {
        generation: 1,
        mask,
    };
    let mut now = 0u64;
    let mut step = 0usize;
    let mut seen_replies: BTreeSet<Key> = BTreeSet::new();
    // An exhausted `Unstructured` keeps answering (with zeros), so stop at its end.
    while !u.is_empty() && step < MAX_OPS {
        let Ok((op, dt, back)) = arbitrary_op(&mut u) else {
            break;
        };
        step += 1;
        now = if back {
            now.saturating_sub(dt)
        } else {
            now + dt
        };
        let context = format!("{config:?} step {step} {op:?} at {now}");
        let at = Timestamp::from_nanos(now);
        match op {
            Op::Packet(tuple) => {
                let got = table.packet(&decider, &tuple, at);
                if got.outcome == Outcome::New && got.verdict != decider.decide(&tuple) {
                    return Err(format!("{context}: a new connection not decided: {got:?}"));
                }
                if got.allowed != got.verdict.allowed() {
                    return Err(format!(
                        "{context}: answer disagrees with its verdict {got:?}"
                    ));
                }
                if roomy {
                    let shard = table.shard_of(&tuple);
                    let clock = model.clock(shard, now);
                    let want = model.packet(&decider, &tuple, clock);
                    if got != want {
                        return Err(format!("{context}: table {got:?}, model {want:?}"));
                    }
                } else if got.direction == PacketDirection::Reply {
                    seen_replies.insert(key_of(&tuple).0);
                }
            }
            Op::Close(tuple) => {
                let got = table.close(&tuple, at);
                if roomy {
                    let clock = model.clock(table.shard_of(&tuple), now);
                    let want = model.close(&tuple, clock);
                    if got != want {
                        return Err(format!("{context}: close gave {got}, model {want}"));
                    }
                }
            }
            Op::Expire(budget) => {
                // With room for everything, expire in full: every shard's clock then moves to
                // `now`, as the model's do, and exactly the live connections stay.
                let budget = if roomy { usize::MAX } else { budget };
                let removed = table.expire(at, budget);
                if removed > budget {
                    return Err(format!("{context}: removed {removed} over budget {budget}"));
                }
                if roomy {
                    for shard in 0..config.shards {
                        model.clock(shard, now);
                    }
                    let (len, live) = (table.len(), model.live_count(&table));
                    if len != live {
                        return Err(format!(
                            "{context}: after a full expiry the table holds {len}, the model {live}"
                        ));
                    }
                }
            }
            Op::Swap(mask) => {
                decider = MaskDecider {
                    generation: decider.generation + 1,
                    mask,
                };
            }
        }
        let len = table.len();
        if len > config.capacity {
            return Err(format!(
                "{context}: {len} entries over capacity {}",
                config.capacity
            ));
        }
        check_counters(&table.counters(), len, &context)?;
        if roomy {
            if table.counters().evictions != 0 {
                return Err(format!("{context}: evicted with room to spare"));
            }
            if len > model.entries.len() {
                return Err(format!(
                    "{context}: table holds {len}, model only {}",
                    model.entries.len()
                ));
            }
        }
    }
    // A full expiry at the latest time leaves exactly the live connections.
    let removed = table.expire(Timestamp::from_nanos(now), usize::MAX);
    let len = table.len();
    check_counters(&table.counters(), len, "after a full expiry")?;
    if roomy {
        for shard in 0..config.shards {
            model.clock(shard, now);
        }
        let live = model.live_count(&table);
        if len != live {
            return Err(format!(
                "after a full expiry at {now} (removed {removed}): table holds {len}, model {live}"
            ));
        }
    }
    Ok(())
}
