//! The Admin and Baseline tiers of ClusterNetworkPolicy, transcribed from the API type docs
//! (`apis/v1alpha2/clusternetworkpolicy_types.go` in kubernetes-sigs/network-policy-api; the
//! v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy are read into the same shape).
//!
//! Written to be read next to the text, like the rest of this oracle: every call walks every
//! policy, pod and node; nothing is shared with `translate` or `compile`.

use std::net::IpAddr;

use super::{Connection, namespace_labels};
use crate::model::{
    Cluster, ClusterPolicy, Direction, Pod, PodSet, Tier, TierAction, TierPeer, TierPort, TierRule,
};
use crate::tuple::canonical_ip;

/// The first rule of a tier that matches the connection, for the pod on `direction`'s side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TierMatch {
    /// The policy, `Kind/name`.
    pub policy: String,
    /// The rule's index in `spec.ingress` / `spec.egress` (as loaded).
    pub rule: usize,
    /// The rule's `name`.
    pub rule_name: String,
    /// What it does.
    pub action: TierAction,
}

/// ClusterNetworkPolicySpec.priority: "Policies with lower priority values have higher
/// precedence, and are checked before policies with higher priority values in the same tier";
/// ingress/egress: "The relative precedence of ingress rules within a single CNP object (all
/// of which share the priority) will be determined by the order in which the rule is written."
/// The cluster keeps its policies in that order (same priority: by name, our choice).
///
/// Action Accept: "No further ingress ClusterNetworkPolicy or NetworkPolicy rules will be
/// processed"; Deny: "No further ClusterNetworkPolicy or NetworkPolicy rules will be
/// processed"; Pass: "Skips all further ClusterNetworkPolicy rules in the current tier". So the
/// first matching rule of the tier is its answer, whatever its action.
pub(super) fn first_match(
    cluster: &Cluster,
    tier: Tier,
    pod: &Pod,
    direction: Direction,
    connection: &Connection<'_>,
) -> Option<TierMatch> {
    cluster
        .cluster_policies
        .iter()
        .filter(|policy| policy.tier == tier && subject_selects(cluster, policy, pod))
        .find_map(|policy| {
            policy
                .rules(direction)
                .iter()
                .enumerate()
                .find(|(_, rule)| rule_matches(cluster, rule, direction, connection))
                .map(|(index, rule)| TierMatch {
                    policy: policy.key(),
                    rule: index,
                    rule_name: rule.name.clone(),
                    action: rule.action,
                })
        })
}

/// ClusterNetworkPolicySubject: "Namespaces is used to select pods via namespace selectors.
/// Pods is used to select pods via namespace AND pod selectors." ("host-networked pods are not
/// included in subject selection": the loader leaves them out.)
fn subject_selects(cluster: &Cluster, policy: &ClusterPolicy, pod: &Pod) -> bool {
    in_pod_set(cluster, &policy.subject, pod)
}

fn in_pod_set(cluster: &Cluster, set: &PodSet, pod: &Pod) -> bool {
    // NamespacedPod: "NamespaceSelector follows standard label selector semantics; if empty,
    // it selects all Namespaces. PodSelector is used to explicitly select pods within a
    // namespace; if empty, it selects all Pods."
    set.namespace_selector
        .matches(&namespace_labels(cluster, &pod.namespace))
        && set
            .pod_selector
            .as_ref()
            .is_none_or(|selector| selector.matches(&pod.labels))
}

/// A rule matches when a peer matches the other end ("If any element matches the source of
/// incoming traffic then the specified action is applied") and, when it has `protocols`, one of
/// them matches.
fn rule_matches(
    cluster: &Cluster,
    rule: &TierRule,
    direction: Direction,
    connection: &Connection<'_>,
) -> bool {
    let (peer_pod, peer_ip) = connection.peer_end(direction);
    rule.peers
        .iter()
        .any(|peer| peer_matches(cluster, peer, peer_pod, peer_ip))
        && port_matches(rule, connection)
}

fn peer_matches(cluster: &Cluster, peer: &TierPeer, peer_pod: Option<&Pod>, ip: IpAddr) -> bool {
    match peer {
        // Namespaces / Pods: pods only ("host-networked pods are not included in this type of
        // peer"), never other addresses.
        TierPeer::Pods(set) => peer_pod.is_some_and(|pod| in_pod_set(cluster, set, pod)),
        // Nodes: "It selects the nodeIPs as the peer type by matching on the IPs present in the
        // node.Status.Addresses field of the node ... if present but empty, it selects all
        // Nodes."
        TierPeer::Nodes(selector) => cluster.nodes.iter().any(|node| {
            selector.matches(&node.labels)
                && node.addresses.iter().any(|own| canonical_ip(*own) == ip)
        }),
        // Networks: "note that cluster-internal traffic will be checked against the rule as
        // well", so pod addresses count.
        TierPeer::Networks(cidrs) => cidrs.iter().any(|cidr| cidr.contains(&ip)),
    }
}

/// Protocols: "If unspecified, protocol-specific attributes will not be used to match traffic"
/// (every protocol, ICMP included); otherwise one entry must match.
fn port_matches(rule: &TierRule, connection: &Connection<'_>) -> bool {
    let Some(ports) = &rule.ports else {
        return true;
    };
    ports.iter().any(|port| match port {
        TierPort::Numbers { protocol, ports } => {
            *protocol == connection.protocol && ports.contains(connection.dst_port)
        }
        // DestinationNamedPort: "selects a destination port on a pod based on the
        // ContainerPort name", with the protocol the container port declares.
        TierPort::Named(name) => {
            connection.protocol.has_ports()
                && connection
                    .dst_pod
                    .and_then(|pod| pod.named_port(name, connection.protocol))
                    == Some(connection.dst_port)
        }
    })
}
