//! Fake deciders and tuple builders shared by the connection table tests.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};

use tagwall::conntrack::{Config, ConnTable};
use tagwall::firewall::{Action, RuleId};
use tagwall::lookup::{Decide, Side, Verdict};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

/// The address `10.0.0.{host}`.
pub fn ip(host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, host))
}

/// A tuple from `10.0.0.{src}:{src_port}` to `10.0.0.{dst}:{dst_port}`.
pub fn tuple(protocol: Protocol, src: u8, src_port: u16, dst: u8, dst_port: u16) -> Tuple {
    Tuple {
        src: ip(src),
        dst: ip(dst),
        protocol,
        src_port,
        dst_port,
    }
}

/// A TCP tuple from `10.0.0.{src}:{src_port}` to `10.0.0.{dst}:{dst_port}`.
pub fn tcp(src: u8, src_port: u16, dst: u8, dst_port: u16) -> Tuple {
    tuple(Protocol::Tcp, src, src_port, dst, dst_port)
}

/// The verdict a fake decider of `generation` gives: allowed by a rule named after the
/// generation (so tests see which policy decided), or denied by no matching ingress rule.
pub fn verdict(generation: u64, allowed: bool) -> Verdict {
    if allowed {
        Verdict {
            egress: Side::NotWorkload,
            ingress: Side::Rule {
                rule: RuleId(generation as u32),
                action: Action::Pass,
            },
        }
    } else {
        Verdict {
            egress: Side::NotWorkload,
            ingress: Side::NoMatch,
        }
    }
}

/// A decider that allows exactly the listed (source, destination) address pairs, counting how
/// often it is asked.
#[derive(Debug)]
pub struct PairDecider {
    generation: u64,
    allowed: BTreeSet<(IpAddr, IpAddr)>,
    decisions: AtomicU64,
}

impl PairDecider {
    /// Generation `generation` allowing `pairs` of hosts `10.0.0.{src}` -> `10.0.0.{dst}`.
    pub fn new(generation: u64, pairs: &[(u8, u8)]) -> PairDecider {
        PairDecider {
            generation,
            allowed: pairs.iter().map(|&(s, d)| (ip(s), ip(d))).collect(),
            decisions: AtomicU64::new(0),
        }
    }

    /// The policy swapped in after this one: the next generation, allowing `pairs`.
    pub fn swapped(&self, pairs: &[(u8, u8)]) -> PairDecider {
        PairDecider::new(self.generation + 1, pairs)
    }

    /// How many times `decide` ran.
    pub fn decisions(&self) -> u64 {
        self.decisions.load(Ordering::Relaxed)
    }
}

impl Decide for PairDecider {
    fn generation(&self) -> u64 {
        self.generation
    }

    fn decide(&self, tuple: &Tuple) -> Verdict {
        self.decisions.fetch_add(1, Ordering::Relaxed);
        verdict(
            self.generation,
            self.allowed.contains(&(tuple.src, tuple.dst)),
        )
    }
}

/// A table of `config`, which the calling test built valid.
pub fn table(config: Config) -> ConnTable {
    match ConnTable::new(config) {
        Ok(table) => table,
        Err(error) => unreachable!("the test config is valid: {error}"),
    }
}
