//! A replayable mix of connection tuples for a firewall configuration, for benchmarks.
//!
//! The mix is what an agent sees: mostly pod-to-pod connections, some from and to addresses
//! outside the cluster (inside and outside the configured address groups), on ports the rules
//! name (so that many are allowed) and on other ports (so that many are denied). The same
//! seed gives the same tuples, so `tagwall bench` and the criterion benches can be compared.
//!
//! ```
//! use tagwall::compile::traffic::TrafficMix;
//! use tagwall::firewall::{ApplicationPolicySet, FirewallConfig};
//!
//! let config = FirewallConfig {
//!     tags: vec![],
//!     address_groups: vec![],
//!     application_policy_set: ApplicationPolicySet { name: "k8s".into(), policies: vec![] },
//!     workloads: vec![],
//! };
//! let mix = TrafficMix::new(&config);
//! assert_eq!(mix.tuples(100, 7), mix.tuples(100, 7));
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use crate::firewall::{FirewallConfig, ServicePorts};
use crate::protocol::Protocol;
use crate::rng::Rng;
use crate::tuple::Tuple;

/// Ports any mix tries besides the ones rules name: common services and random high ports.
const COMMON_PORTS: [u16; 8] = [22, 53, 80, 443, 3306, 5432, 6379, 8080];

/// The material a mix draws from: workload addresses, group prefixes, ports rules name.
#[derive(Clone, Debug)]
pub struct TrafficMix {
    workload_ips: Vec<IpAddr>,
    /// Named container ports over every workload.
    named_ports: Vec<u16>,
    prefixes: Vec<IpNet>,
    rule_ports: Vec<u16>,
}

impl TrafficMix {
    /// Collects what `config`'s workloads, groups and rules offer.
    pub fn new(config: &FirewallConfig) -> TrafficMix {
        let workload_ips = config
            .workloads
            .iter()
            .flat_map(|w| w.ips.iter().copied())
            .collect();
        let mut named_ports: Vec<u16> = config
            .workloads
            .iter()
            .flat_map(|w| w.ports.iter().map(|p| p.port))
            .collect();
        named_ports.sort_unstable();
        named_ports.dedup();
        let prefixes = config
            .address_groups
            .iter()
            .flat_map(|g| g.prefixes.iter().chain(&g.except).copied())
            .collect();
        let mut rule_ports: Vec<u16> = config
            .rules()
            .filter_map(|(_, _, r)| match &r.service.ports {
                ServicePorts::Range(range) => Some(range.start),
                _ => None,
            })
            .collect();
        rule_ports.sort_unstable();
        rule_ports.dedup();
        TrafficMix {
            workload_ips,
            named_ports,
            prefixes,
            rule_ports,
        }
    }

    /// `count` tuples from `seed`: 60% pod to pod, 20% outside to pod, 20% pod to outside
    /// (all outside when there are no workloads).
    pub fn tuples(&self, count: usize, seed: u64) -> Vec<Tuple> {
        let mut rng = SplitMix64::new(seed);
        (0..count).map(|_| self.tuple(&mut rng)).collect()
    }

    fn tuple(&self, rng: &mut SplitMix64) -> Tuple {
        let (src, dst) = match rng.below(10) {
            0 | 1 => (self.outside(rng), self.workload(rng)),
            2 | 3 => (self.workload(rng), self.outside(rng)),
            _ => (self.workload(rng), self.workload(rng)),
        };
        let protocol = match rng.below(20) {
            0..=15 => Protocol::Tcp,
            16..=18 => Protocol::Udp,
            _ => Protocol::Other(1),
        };
        let dst_port = if protocol.has_ports() {
            self.port(rng)
        } else {
            0
        };
        Tuple {
            src,
            dst,
            protocol,
            src_port: 32768 + rng.below(28232) as u16,
            dst_port,
        }
    }

    fn workload(&self, rng: &mut SplitMix64) -> IpAddr {
        pick(&self.workload_ips, rng).unwrap_or_else(|| self.outside(rng))
    }

    fn outside(&self, rng: &mut SplitMix64) -> IpAddr {
        if rng.below(2) == 0
            && let Some(prefix) = pick(&self.prefixes, rng)
        {
            return inside(prefix, rng);
        }
        IpAddr::V4(Ipv4Addr::from_bits(rng.next() as u32))
    }

    fn port(&self, rng: &mut SplitMix64) -> u16 {
        let choice = match rng.below(10) {
            0..=3 => pick(&self.rule_ports, rng),
            4..=5 => pick(&self.named_ports, rng),
            6..=8 => pick(&COMMON_PORTS, rng),
            _ => None,
        };
        choice.unwrap_or_else(|| rng.next() as u16)
    }
}

/// A random address inside `prefix`.
fn inside(prefix: IpNet, rng: &mut SplitMix64) -> IpAddr {
    match prefix.trunc() {
        IpNet::V4(net) => {
            let host = (rng.next() as u32)
                .checked_shr(u32::from(net.prefix_len()))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from_bits(net.network().to_bits() | host))
        }
        IpNet::V6(net) => {
            let random = u128::from(rng.next()) << 64 | u128::from(rng.next());
            let host = random.checked_shr(u32::from(net.prefix_len())).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from_bits(net.network().to_bits() | host))
        }
    }
}

fn pick<T: Copy>(items: &[T], rng: &mut SplitMix64) -> Option<T> {
    if items.is_empty() {
        return None;
    }
    items.get(rng.below(items.len() as u64) as usize).copied()
}

/// The crate's one SplitMix64, with the modulo `below` this mix has always drawn with (so a
/// seed gives the tuples it always gave, and benchmark figures stay comparable).
struct SplitMix64(Rng);

impl SplitMix64 {
    fn new(seed: u64) -> SplitMix64 {
        SplitMix64(Rng::new(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (`n > 0`; a tiny modulo bias does not matter here).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
