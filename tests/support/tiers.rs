//! Generated ClusterNetworkPolicy tiers for the differential test (`tests/engines/differential.rs`):
//! Admin and Baseline policies of the three kinds, with colliding priorities (so same-priority
//! order by name matters), Pass chains, pods/namespaces/nodes/networks peers (networks over pod
//! and node addresses), and ports; shaped as the loader would hand them over (valid, in
//! evaluation order).

use ipnet::IpNet;
use tagwall::model::{
    BANP_PRIORITY, ClusterPolicy, ClusterPolicyKind, Direction, LabelSelector, PodSet, Tier,
    TierAction, TierPeer, TierPort, TierRule,
};
use tagwall::protocol::{PortRange, Protocol};
use tagwall::synth::Rng;

/// Networks peers: pod subnets (10.0.<namespace>.0/24), single pods, node addresses, and
/// everything.
const NETWORKS: [&str; 8] = [
    "10.0.1.0/24",
    "10.0.0.0/16",
    "10.0.2.1/32",
    "10.0.9.0/24",
    "10.0.9.2/32",
    "0.0.0.0/0",
    "fd00::/16",
    "192.168.0.0/16",
];

/// Cluster policies over the differential test's vocabulary; `selector` draws a label selector
/// (its keys and values are the pods', namespaces' and nodes' too).
pub fn cluster_policies(
    rng: &mut Rng,
    selector: &mut dyn FnMut(&mut Rng) -> LabelSelector,
    port_names: &[&str],
) -> Vec<ClusterPolicy> {
    let mut policies = Vec::new();
    for i in 0..rng.below(4) {
        let kind = match rng.below(6) {
            0 => ClusterPolicyKind::AdminNetworkPolicy,
            1 if !policies.iter().any(|p: &ClusterPolicy| {
                p.kind == ClusterPolicyKind::BaselineAdminNetworkPolicy
            }) =>
            {
                ClusterPolicyKind::BaselineAdminNetworkPolicy
            }
            _ => ClusterPolicyKind::ClusterNetworkPolicy,
        };
        let (tier, priority, name) = match kind {
            ClusterPolicyKind::BaselineAdminNetworkPolicy => {
                (Tier::Baseline, BANP_PRIORITY, "default".to_string())
            }
            ClusterPolicyKind::AdminNetworkPolicy => {
                (Tier::Admin, *rng.pick(&[0, 5, 5, 10]), format!("t{i}"))
            }
            ClusterPolicyKind::ClusterNetworkPolicy => (
                *rng.pick(&[Tier::Admin, Tier::Baseline]),
                *rng.pick(&[0, 5, 5, 10]),
                // Names in both orders of creation, so same-priority order is by name.
                format!("{}{i}", rng.pick(&["z", "a"])),
            ),
        };
        let subject = pod_set(rng, selector);
        let mut rules_of = |direction: Direction, rng: &mut Rng| -> Vec<TierRule> {
            (0..rng.below(3))
                .map(|r| rule(rng, selector, port_names, kind, direction, r))
                .collect()
        };
        let ingress = rules_of(Direction::Ingress, rng);
        let egress = rules_of(Direction::Egress, rng);
        policies.push(ClusterPolicy {
            kind,
            name,
            tier,
            priority,
            subject,
            ingress,
            egress,
        });
    }
    policies.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    policies
}

fn pod_set(rng: &mut Rng, selector: &mut dyn FnMut(&mut Rng) -> LabelSelector) -> PodSet {
    PodSet {
        namespace_selector: if rng.chance(50) {
            LabelSelector::default()
        } else {
            selector(rng)
        },
        pod_selector: rng.chance(60).then(|| selector(rng)),
    }
}

fn rule(
    rng: &mut Rng,
    selector: &mut dyn FnMut(&mut Rng) -> LabelSelector,
    port_names: &[&str],
    kind: ClusterPolicyKind,
    direction: Direction,
    index: usize,
) -> TierRule {
    let action = match kind {
        ClusterPolicyKind::BaselineAdminNetworkPolicy => {
            *rng.pick(&[TierAction::Accept, TierAction::Deny])
        }
        _ => *rng.pick(&[TierAction::Accept, TierAction::Deny, TierAction::Pass]),
    };
    let peers: Vec<TierPeer> = (0..1 + rng.below(2))
        .map(|_| match (direction, rng.below(5)) {
            // Ingress peers are pods; a failed-closed Deny/Pass is read as a deny of all
            // addresses (the loader's networks 0.0.0.0/0 and ::/0), so now and then one.
            (Direction::Ingress, 0) if rng.chance(30) => {
                TierPeer::Networks(vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()])
            }
            (Direction::Ingress, _) | (Direction::Egress, 0 | 1) => {
                TierPeer::Pods(pod_set(rng, selector))
            }
            (Direction::Egress, 2) => TierPeer::Nodes(if rng.chance(30) {
                LabelSelector::default()
            } else {
                selector(rng)
            }),
            (Direction::Egress, _) => {
                let mut networks: Vec<IpNet> = (0..1 + rng.below(2))
                    .map(|_| rng.pick(&NETWORKS).parse().unwrap())
                    .collect();
                networks.sort();
                networks.dedup();
                TierPeer::Networks(networks)
            }
        })
        .collect();
    // "networks/nodes ... peer cannot be set with namedPorts".
    let addresses = peers
        .iter()
        .any(|p| matches!(p, TierPeer::Nodes(_) | TierPeer::Networks(_)));
    let ports = rng.chance(50).then(|| {
        (0..1 + rng.below(2))
            .map(|_| match rng.below(4) {
                0 if !addresses => TierPort::Named(rng.pick(port_names).to_string()),
                1 => TierPort::Numbers {
                    protocol: *rng.pick(&[Protocol::Tcp, Protocol::Udp, Protocol::Sctp]),
                    ports: PortRange { start: 80, end: 85 },
                },
                _ => TierPort::Numbers {
                    protocol: *rng.pick(&[Protocol::Tcp, Protocol::Tcp, Protocol::Udp]),
                    ports: PortRange::single(*rng.pick(&[80, 81, 53, 90])),
                },
            })
            .collect()
    });
    TierRule {
        name: format!("r{index}"),
        action,
        peers,
        ports,
    }
}
