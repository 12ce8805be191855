//! The self-check: the exported objects, evaluated as the agent does, against tagwall.
//!
//! The connections tried are those that can tell two evaluations apart: every pair of
//! addresses (of one family) among the workloads' addresses and the addresses in and around
//! every address-group prefix and hole; every protocol with ports plus ICMP; every port a rule
//! names, the ports on either side of each range, every number a named port resolves to, and
//! one port no rule names.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::eval::{Evaluator, VncError, VncVerdict};
use super::objects::VncObjects;
use crate::firewall::{FirewallConfig, ServicePorts};
use crate::protocol::Protocol;
use crate::tuple::Tuple;

/// A connection on which the exported objects and tagwall disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// The connection.
    pub tuple: Tuple,
    /// Whether tagwall allows it.
    pub tagwall: bool,
    /// How the exported objects decide it.
    pub vnc: VncVerdict,
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Connections tried.
    pub tried: usize,
    /// Those decided differently (all of them).
    pub disagreements: Vec<Disagreement>,
}

/// The network address, the last address, and the addresses just outside a prefix.
fn around(prefix: IpNet) -> Vec<IpAddr> {
    let mut out = vec![prefix.network(), prefix.broadcast()];
    match prefix {
        IpNet::V4(net) => {
            let first = u32::from(net.network());
            let last = u32::from(net.broadcast());
            out.extend(first.checked_sub(1).map(|a| IpAddr::from(a.to_be_bytes())));
            out.extend(last.checked_add(1).map(|a| IpAddr::from(a.to_be_bytes())));
        }
        IpNet::V6(net) => {
            let first = u128::from(net.network());
            let last = u128::from(net.broadcast());
            out.extend(first.checked_sub(1).map(|a| IpAddr::from(a.to_be_bytes())));
            out.extend(last.checked_add(1).map(|a| IpAddr::from(a.to_be_bytes())));
        }
    }
    out
}

/// The connections [`verify`] tries for `config`.
pub fn probes(config: &FirewallConfig) -> Vec<Tuple> {
    let mut addresses: BTreeSet<IpAddr> = config
        .workloads
        .iter()
        .flat_map(|w| w.ips.clone())
        .collect();
    for group in &config.address_groups {
        for prefix in group.prefixes.iter().chain(&group.except) {
            addresses.extend(around(*prefix));
        }
    }
    let mut ports: BTreeSet<u16> = BTreeSet::new();
    let mut protocols: BTreeSet<Protocol> = [
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Sctp,
        Protocol::Other(1),
    ]
    .into();
    for (_, _, rule) in config.rules() {
        protocols.extend(rule.service.protocol);
        match &rule.service.ports {
            ServicePorts::Any => {}
            ServicePorts::Range(range) => {
                ports.extend([range.start, range.end]);
                ports.extend(range.start.checked_sub(1));
                ports.extend(range.end.checked_add(1));
            }
            ServicePorts::Named(name) => ports.extend(
                config
                    .workloads
                    .iter()
                    .flat_map(|w| &w.ports)
                    .filter(|p| &p.name == name)
                    .map(|p| p.port),
            ),
        }
    }
    if let Some(unnamed) = (1..=u16::MAX).find(|p| !ports.contains(p)) {
        ports.insert(unnamed);
    }
    let mut out = Vec::new();
    for &src in &addresses {
        for &dst in &addresses {
            if src.is_ipv4() != dst.is_ipv4() {
                continue;
            }
            for &protocol in &protocols {
                let tried: Vec<u16> = if protocol.has_ports() {
                    ports.iter().copied().collect()
                } else {
                    vec![0]
                };
                for dst_port in tried {
                    out.push(Tuple {
                        src,
                        dst,
                        protocol,
                        src_port: 40000,
                        dst_port,
                    });
                }
            }
        }
    }
    out
}

/// Evaluates `objects` on every probe of `config` and compares with `tagwall` (whether tagwall
/// allows a connection, from any engine over `config`).
pub fn verify(
    config: &FirewallConfig,
    objects: &VncObjects,
    tagwall: impl Fn(&Tuple) -> bool,
) -> Result<Report, VncError> {
    let evaluator = Evaluator::new(objects)?;
    let tuples = probes(config);
    let disagreements = tuples
        .iter()
        .filter_map(|tuple| {
            let vnc = evaluator.evaluate(tuple);
            let allowed = tagwall(tuple);
            (vnc.allowed() != allowed).then_some(Disagreement {
                tuple: *tuple,
                tagwall: allowed,
                vnc,
            })
        })
        .collect();
    Ok(Report {
        tried: tuples.len(),
        disagreements,
    })
}
