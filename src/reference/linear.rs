//! The `linear` engine: the firewall model evaluated as a Contrail agent scans it.
//!
//! For each side of a connection, the first rule in Application Policy Set order whose
//! direction, endpoints and service match decides; a matching `next` rule (a tier's Pass) only
//! moves the scan on to the first rule of the next tier. This is the literal statement of the
//! firewall semantics and the oracle [`crate::compile::Decision`] is tested against: no
//! indexes, no caches, nothing shared with the compiled fast path. It is also the baseline
//! the benchmarks compare with.
//!
//! ```
//! use tagwall::firewall::{ApplicationPolicySet, FirewallConfig};
//! use tagwall::lookup::Side;
//! use tagwall::protocol::Protocol;
//! use tagwall::tuple::Tuple;
//!
//! let config = FirewallConfig {
//!     tags: vec![],
//!     address_groups: vec![],
//!     application_policy_set: ApplicationPolicySet { name: "k8s".into(), policies: vec![] },
//!     workloads: vec![],
//! };
//! let tuple = Tuple {
//!     src: "192.0.2.1".parse().unwrap(),
//!     dst: "192.0.2.2".parse().unwrap(),
//!     protocol: Protocol::Tcp,
//!     src_port: 40000,
//!     dst_port: 80,
//! };
//! let verdict = tagwall::reference::linear::evaluate(&config, &tuple);
//! assert_eq!(verdict.egress, Side::NotWorkload);
//! assert!(verdict.allowed());
//! ```

use std::net::IpAddr;

use crate::firewall::{
    Action, Endpoint, FirewallConfig, FirewallRule, RuleId, ServicePorts, TagTerm, Workload,
};
use crate::lookup::{Side, Verdict};
use crate::model::Direction;
use crate::protocol::Protocol;
use crate::tuple::{Tuple, canonical_ip};

/// The verdict of the firewall `config` for `tuple`, by a first-match scan of every rule.
pub fn evaluate(config: &FirewallConfig, tuple: &Tuple) -> Verdict {
    let src = canonical_ip(tuple.src);
    let dst = canonical_ip(tuple.dst);
    let src_workload = workload_at(config, src);
    let dst_workload = workload_at(config, dst);
    if let (Some((a, _)), Some((b, _))) = (src_workload, dst_workload)
        && a == b
    {
        return Verdict {
            egress: Side::SameWorkload,
            ingress: Side::SameWorkload,
        };
    }
    let src_workload = src_workload.map(|(_, w)| w);
    let dst_workload = dst_workload.map(|(_, w)| w);
    let egress = match src_workload {
        None => Side::NotWorkload,
        Some(workload) => first_match(
            config,
            Direction::Egress,
            Party {
                ip: src,
                workload: Some(workload),
            },
            Party {
                ip: dst,
                workload: dst_workload,
            },
            dst_workload,
            tuple,
        ),
    };
    let ingress = match dst_workload {
        None => Side::NotWorkload,
        Some(workload) => first_match(
            config,
            Direction::Ingress,
            Party {
                ip: dst,
                workload: Some(workload),
            },
            Party {
                ip: src,
                workload: src_workload,
            },
            dst_workload,
            tuple,
        ),
    };
    Verdict { egress, ingress }
}

/// One end of the connection: its address and, if it is a workload's, the workload.
#[derive(Clone, Copy)]
struct Party<'a> {
    ip: IpAddr,
    workload: Option<&'a Workload>,
}

/// The first workload (in config order) that owns `ip`, with its position.
fn workload_at(config: &FirewallConfig, ip: IpAddr) -> Option<(usize, &Workload)> {
    config
        .workloads
        .iter()
        .enumerate()
        .find(|(_, w)| w.ips.iter().any(|own| canonical_ip(*own) == ip))
}

/// The first rule of `direction` whose endpoint_1 holds `local`, whose endpoint_2 holds `peer`
/// and whose service matches the tuple (named ports resolved on `destination`).
fn first_match(
    config: &FirewallConfig,
    direction: Direction,
    local: Party<'_>,
    peer: Party<'_>,
    destination: Option<&Workload>,
    tuple: &Tuple,
) -> Side {
    // A `next` rule (a tier's Pass) skips the rest of its tier: the scan goes on at the first
    // rule of the next tier.
    let mut from = RuleId(0);
    loop {
        let found = config.rules().find(|(id, _, rule)| {
            *id >= from
                && rule.direction == direction
                && endpoint_matches(config, &rule.endpoint_1, local)
                && endpoint_matches(config, &rule.endpoint_2, peer)
                && service_matches(rule, destination, tuple)
        });
        match found {
            None => return Side::NoMatch,
            Some((id, _, rule)) if rule.action == Action::Next => match config.next_tier(id) {
                Some(start) => from = start,
                None => return Side::NoMatch,
            },
            Some((id, _, rule)) => {
                return Side::Rule {
                    rule: id,
                    action: rule.action,
                };
            }
        }
    }
}

fn endpoint_matches(config: &FirewallConfig, endpoint: &Endpoint, party: Party<'_>) -> bool {
    match endpoint {
        Endpoint::Any => true,
        Endpoint::Tags(terms) => party
            .workload
            .is_some_and(|w| terms.iter().all(|term| term_holds(term, w))),
        Endpoint::AddressGroup(name) => config
            .address_group(name)
            .is_some_and(|group| group.contains(party.ip)),
    }
}

fn term_holds(term: &TagTerm, workload: &Workload) -> bool {
    term.holds(workload)
}

fn service_matches(rule: &FirewallRule, destination: Option<&Workload>, tuple: &Tuple) -> bool {
    let service = &rule.service;
    if service.protocol.is_some_and(|p| p != tuple.protocol) {
        return false;
    }
    match &service.ports {
        ServicePorts::Any => true,
        // Port ranges and named ports only ever match protocols that have ports.
        _ if !tuple.protocol.has_ports() => false,
        ServicePorts::Range(range) => range.contains(tuple.dst_port),
        ServicePorts::Named(name) => destination
            .and_then(|w| named_port(w, name, tuple.protocol))
            .is_some_and(|port| port == tuple.dst_port),
    }
}

/// The port a workload gives `name` for `protocol`: its first such declaration.
fn named_port(workload: &Workload, name: &str, protocol: Protocol) -> Option<u16> {
    workload
        .ports
        .iter()
        .find(|p| p.name == name && p.protocol == protocol)
        .map(|p| p.port)
}
