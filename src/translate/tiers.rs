//! ClusterNetworkPolicy tiers as firewall policies, in Application Policy Set order.
//!
//! Every Admin or Baseline tier policy becomes one firewall policy (`cnp_<name>`, `anp_<name>`,
//! `banp_<name>`; `_` never occurs in a Kubernetes name, so no NetworkPolicy's policy takes it)
//! with [`FirewallPolicy::tier`] `admin` or `baseline`, one firewall rule per rule, peer and
//! port entry in written order. The set reads:
//!
//! ```text
//! admin tier policies (priority, then name) | k8s-local-node, NetworkPolicies, k8s-denyall |
//! baseline tier policies | k8s-allowall
//! ```
//!
//! so first match reproduces the tiers: `Accept` is `pass` and `Deny` is `deny`, both final;
//! `Pass` is [`Action::Next`], which goes on at the first rule after the tier. The Baseline
//! tier applies "only for pods no NetworkPolicy isolates" without any object of its own:
//! `k8s-denyall` already ends evaluation for every isolated pod before the baseline policies.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::firewall::{
    Action, AddressGroup, Endpoint, FirewallPolicy, FirewallRule, Service, ServicePorts, Tag,
    TagKind, TagOp,
};
use crate::model::{
    Cluster, ClusterPolicy, ClusterPolicyKind, Direction, PodSet, Tier, TierAction, TierPeer,
    TierPort, TierRule,
};
use crate::protocol::Protocol;

use super::Mode;
use super::endpoints::{namespace_label_kind, selector_terms};

/// The [`FirewallPolicy::tier`] of the Admin tier.
pub const ADMIN_TIER: &str = "admin";
/// The [`FirewallPolicy::tier`] of the Baseline tier.
pub const BASELINE_TIER: &str = "baseline";

/// The firewall policies of one tier, and the address groups their peers name.
#[derive(Debug, Default)]
pub struct TierObjects {
    /// Firewall policies in evaluation order.
    pub policies: Vec<FirewallPolicy>,
    /// Address groups of `networks` and `nodes` peers.
    pub groups: Vec<AddressGroup>,
}

/// The firewall objects of `cluster`'s policies in `tier`.
pub fn tier_objects(cluster: &Cluster, tier: Tier, mode: Mode) -> TierObjects {
    let mut out = TierObjects::default();
    for policy in cluster.cluster_policies.iter().filter(|p| p.tier == tier) {
        let name = policy_name(policy);
        let subject = pod_set(&policy.subject, mode);
        let mut rules = Vec::new();
        for direction in Direction::BOTH {
            for (i, rule) in policy.rules(direction).iter().enumerate() {
                for (j, peer) in rule.peers.iter().enumerate() {
                    let prefix = format!("{name}-{}-{i}-{j}", direction_word(direction));
                    let endpoint_2 = peer_endpoint(cluster, peer, &prefix, mode, &mut out.groups);
                    for (k, service) in services(rule).into_iter().enumerate() {
                        rules.push(FirewallRule {
                            name: format!("{prefix}-{k}"),
                            action: action(rule.action),
                            service,
                            endpoint_1: subject.clone(),
                            direction,
                            endpoint_2: endpoint_2.clone(),
                        });
                    }
                }
            }
        }
        out.policies.push(FirewallPolicy {
            name,
            tier: Some(
                match tier {
                    Tier::Admin => ADMIN_TIER,
                    Tier::Baseline => BASELINE_TIER,
                }
                .to_string(),
            ),
            rules,
        });
    }
    out
}

impl TierObjects {
    /// The tags the policies' endpoints name (`In` values), for Table 1.
    pub fn tags(&self) -> Vec<Tag> {
        let mut out: Vec<Tag> = Vec::new();
        for rule in self.policies.iter().flat_map(|p| &p.rules) {
            for endpoint in [&rule.endpoint_1, &rule.endpoint_2] {
                let Endpoint::Tags(terms) = endpoint else {
                    continue;
                };
                for term in terms {
                    let (TagOp::In(values) | TagOp::NotIn(values)) = &term.op else {
                        continue;
                    };
                    for value in values {
                        let tag = Tag {
                            kind: term.kind,
                            key: term.key.clone(),
                            value: value.clone(),
                        };
                        if !out.contains(&tag) {
                            out.push(tag);
                        }
                    }
                }
            }
        }
        out
    }
}

/// `cnp_<name>`, `anp_<name>` or `banp_<name>`.
pub fn policy_name(policy: &ClusterPolicy) -> String {
    let prefix = match policy.kind {
        ClusterPolicyKind::ClusterNetworkPolicy => "cnp",
        ClusterPolicyKind::AdminNetworkPolicy => "anp",
        ClusterPolicyKind::BaselineAdminNetworkPolicy => "banp",
    };
    format!("{prefix}_{}", policy.name)
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "ingress",
        Direction::Egress => "egress",
    }
}

fn action(action: TierAction) -> Action {
    match action {
        TierAction::Accept => Action::Pass,
        TierAction::Deny => Action::Deny,
        TierAction::Pass => Action::Next,
    }
}

/// Pods in namespaces: the namespace selector over namespace-label tags, the pod selector over
/// label tags (no terms: every workload, and no other address).
fn pod_set(set: &PodSet, mode: Mode) -> Endpoint {
    let mut terms = selector_terms(&set.namespace_selector, namespace_label_kind(mode));
    if let Some(pods) = &set.pod_selector {
        terms.extend(selector_terms(pods, TagKind::Label));
    }
    Endpoint::Tags(terms)
}

fn peer_endpoint(
    cluster: &Cluster,
    peer: &TierPeer,
    group_name: &str,
    mode: Mode,
    groups: &mut Vec<AddressGroup>,
) -> Endpoint {
    let prefixes: Vec<IpNet> = match peer {
        TierPeer::Pods(set) => return pod_set(set, mode),
        TierPeer::Networks(cidrs) => cidrs.clone(),
        // The addresses of the nodes the selector matches now: a node's `status.addresses`.
        TierPeer::Nodes(selector) => {
            let mut addresses: Vec<IpAddr> = cluster
                .nodes
                .iter()
                .filter(|node| selector.matches(&node.labels))
                .flat_map(|node| node.addresses.iter().copied())
                .collect();
            addresses.sort();
            addresses.dedup();
            addresses.into_iter().map(IpNet::from).collect()
        }
    };
    groups.push(AddressGroup {
        name: group_name.to_string(),
        prefixes,
        except: Vec::new(),
    });
    Endpoint::AddressGroup(group_name.to_string())
}

/// One service per port entry; a named port (which names no protocol) once per protocol that
/// has ports, each resolved on the destination with that protocol; no entries: any.
fn services(rule: &TierRule) -> Vec<Service> {
    let Some(ports) = &rule.ports else {
        return vec![Service::ANY];
    };
    let mut out = Vec::new();
    for port in ports {
        match port {
            TierPort::Numbers { protocol, ports } => out.push(Service {
                protocol: Some(*protocol),
                ports: ServicePorts::Range(*ports),
            }),
            TierPort::Named(name) => {
                for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
                    out.push(Service {
                        protocol: Some(protocol),
                        ports: ServicePorts::Named(name.clone()),
                    });
                }
            }
        }
    }
    out
}
