//! `conntrack_matches_model`: the connection table against the plain model the `conntrack`
//! test binary's proptest drives too, `tests/support/conntrack_model.rs` (included below). This
//! file is the fuzz driver: arbitrary bytes decoded into a configuration and an operation
//! sequence.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use arbitrary::Unstructured;
use tagwall::conntrack::{Config as ConnConfig, ConnTable, Counters, Outcome, Timeouts, Timestamp};
use tagwall::firewall::RuleId;
use tagwall::lookup::{Decide, Side, Verdict};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

use super::Failure;

#[path = "../../../tests/support/conntrack_model.rs"]
mod conntrack_model;

use conntrack_model::Model;

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

/// Connection-table operation sequences (packets both ways, IPv4-mapped and IPv6 endpoints,
/// closes, expiry with budgets, policy swaps, time going back) against the model: every packet's
/// answer (allowed, direction, outcome, verdict), every close, every expiry's count, the length
/// and every counter after each step are the model's, with room for every entry and with a tight
/// capacity alike. Besides, stated without the model: the table stays within its capacity, evicts
/// nothing while it has room, decides every new connection with the decider, answers as its
/// verdict says, and its counters add up.
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
    let mut model = Model::new(&config);
    let mut decider = MaskDecider {
        generation: 1,
        mask,
    };
    let mut now = 0u64;
    let mut step = 0usize;
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
                let want = model.packet(&decider, &tuple, now, table.shard_of(&tuple));
                if got != want {
                    return Err(format!("{context}: table {got:?}, model {want:?}"));
                }
            }
            Op::Close(tuple) => {
                let got = table.close(&tuple, at);
                let want = model.close(&tuple, now, table.shard_of(&tuple));
                if got != want {
                    return Err(format!("{context}: close gave {got}, model {want}"));
                }
            }
            Op::Expire(budget) => {
                // With room for everything, expire in full (every shard's clock then moves to
                // `now`: the saved findings are of that); with a tight capacity, on the budget.
                let budget = if roomy { usize::MAX } else { budget };
                let removed = table.expire(at, budget);
                if removed > budget {
                    return Err(format!("{context}: removed {removed} over budget {budget}"));
                }
                let want = model.expire(now, budget);
                if removed != want {
                    return Err(format!("{context}: expiry removed {removed}, model {want}"));
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
        let counters = table.counters();
        check_counters(&counters, len, &context)?;
        if roomy && counters.evictions != 0 {
            return Err(format!("{context}: evicted with room to spare"));
        }
        if len != model.len() {
            return Err(format!(
                "{context}: table holds {len}, model {}",
                model.len()
            ));
        }
        if counters != model.counters() {
            return Err(format!(
                "{context}: table counted {counters:?}, model {:?}",
                model.counters()
            ));
        }
    }
    // A full expiry at the latest time leaves exactly the live connections.
    let removed = table.expire(Timestamp::from_nanos(now), usize::MAX);
    let len = table.len();
    check_counters(&table.counters(), len, "after a full expiry")?;
    let want = model.expire(now, usize::MAX);
    if removed != want || len != model.len() {
        return Err(format!(
            "after a full expiry at {now}: table removed {removed} and holds {len}, model {want} and {}",
            model.len()
        ));
    }
    Ok(())
}
