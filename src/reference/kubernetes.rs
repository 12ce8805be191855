//! Kubernetes NetworkPolicy semantics, transcribed literally from the `networking.k8s.io/v1` API
//! reference (NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort, IPBlock:
//! <https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/>).
//!
//! This is the oracle the firewall engines are compared against, so it is written to be read
//! next to the API text rather than to be fast: every call walks every pod and every policy, and
//! nothing here is shared with `translate`, `compile` or the linear firewall scan (only the
//! model's own [`LabelSelector::matches`](crate::model::LabelSelector::matches), itself a
//! transcription of the label-selector documentation).
//!
//! A connection `S -> D` is allowed iff both sides allow it:
//! - egress at `S`: `S` is not a pod, or is `D` itself, or no policy isolates it for egress, or
//!   some egress rule of a policy isolating it matches `D`;
//! - ingress at `D`: likewise with ingress rules matching `S` (and the local-node rule).
//!
//! ClusterNetworkPolicy tiers wrap that (`tiers`): on each side the Admin tier decides first
//! (its first matching rule by priority, name and written order: Accept or Deny final, Pass on
//! to NetworkPolicy), then NetworkPolicy for the pods it isolates, then the Baseline tier, then
//! the default allow.
//!
//! The [`Explanation`] names, for each side, why: which policies isolate the pod and which of
//! their rules (and which peer and port entry of each rule) allow the connection.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use serde::{Serialize, Serializer};

use crate::model::{
    Cluster, Direction, Labels, LocalNodeRule, NAMESPACE_NAME_LABEL, NetworkPolicy, Peer, Pod,
    PolicyPort, PortRule, Rule, Tier, TierAction,
};
use crate::protocol::Protocol;
use crate::tuple::{Tuple, canonical_ip};

/// Why a connection is allowed or denied: one reason per side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The egress decision at the source.
    pub egress: SideReason,
    /// The ingress decision at the destination.
    pub ingress: SideReason,
}

impl Explanation {
    /// Whether the connection is allowed: both sides must allow it.
    pub fn allowed(&self) -> bool {
        self.egress.allows() && self.ingress.allows()
    }
}

/// The decision of one side (egress at the source, or ingress at the destination).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SideReason {
    /// The address belongs to no pod, so no NetworkPolicy applies on this side.
    NotPod {
        /// The (canonical) address.
        ip: IpAddr,
    },
    /// Source and destination are the same pod, which policies cannot block.
    SamePod {
        /// The pod, `namespace/name`.
        pod: String,
    },
    /// The pod is isolated for ingress, and the source is its local node: NetworkPolicy's
    /// local-node rule allows the connection.
    LocalNode {
        /// The pod, `namespace/name`.
        pod: String,
        /// The source address, one of the node's.
        node_ip: IpAddr,
    },
    /// A rule of the Admin or Baseline tier decided: its Accept or Deny, or (Baseline) its Pass
    /// to the default, which allows.
    Tier {
        /// The pod, `namespace/name`.
        pod: String,
        /// The tier.
        tier: Tier,
        /// The policy, `Kind/name`.
        policy: String,
        /// The rule's index in the policy's `ingress` / `egress`.
        rule: usize,
        /// The rule's `name` (may be empty).
        rule_name: String,
        /// The rule's action.
        action: TierAction,
    },
    /// No policy of any tier decides for the pod in this direction: the default allows.
    NotIsolated {
        /// The pod, `namespace/name`.
        pod: String,
    },
    /// The pod is isolated, and these rules allow the connection.
    Allowed {
        /// The pod, `namespace/name`.
        pod: String,
        /// Every allowing rule, in policy order then rule order.
        by: Vec<Allowance>,
    },
    /// The pod is isolated and no rule of the isolating policies allows the connection.
    Denied {
        /// The pod, `namespace/name`.
        pod: String,
        /// The policies isolating the pod for this direction (`namespace/name`), in policy
        /// order.
        isolated_by: Vec<String>,
    },
}

impl SideReason {
    /// Whether this side lets the connection through.
    pub fn allows(&self) -> bool {
        !matches!(
            self,
            SideReason::Denied { .. }
                | SideReason::Tier {
                    action: TierAction::Deny,
                    ..
                }
        )
    }
}

/// One rule that allows a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Allowance {
    /// The policy, `namespace/name`.
    pub policy: String,
    /// The direction of the rule (`spec.ingress` or `spec.egress`).
    pub direction: Direction,
    /// The rule's index in `spec.ingress` / `spec.egress`.
    pub rule: usize,
    /// The first matching entry of `from`/`to`, or all when the rule has no peers.
    pub peer: Entry,
    /// The first matching entry of `ports`, or all when the rule has no ports.
    pub port: Entry,
}

/// Which entry of a rule's list matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The list is absent or empty, which matches everything.
    All,
    /// The entry at this index matched first.
    Index(usize),
}

impl Serialize for Entry {
    /// `"all"` or the index.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::All => serializer.serialize_str("all"),
            Entry::Index(index) => serializer.serialize_u64(*index as u64),
        }
    }
}

/// Decides `tuple` under Kubernetes semantics and says why.
///
/// Addresses are compared canonically ([`canonical_ip`]): `::ffff:10.0.0.1` is `10.0.0.1`. An
/// address belongs to the first pod (in cluster order) whose `ips` hold it; any other address
/// is external.
pub fn evaluate(cluster: &Cluster, tuple: &Tuple) -> Explanation {
    let src_ip = canonical_ip(tuple.src);
    let dst_ip = canonical_ip(tuple.dst);
    let connection = Connection {
        src_ip,
        dst_ip,
        src_pod: pod_with_ip(cluster, src_ip),
        dst_pod: pod_with_ip(cluster, dst_ip),
        protocol: tuple.protocol,
        dst_port: tuple.dst_port,
    };
    Explanation {
        egress: side(cluster, &connection, Direction::Egress),
        ingress: side(cluster, &connection, Direction::Ingress),
    }
}

/// The tuple with its addresses resolved to pods.
struct Connection<'c> {
    src_ip: IpAddr,
    dst_ip: IpAddr,
    src_pod: Option<&'c Pod>,
    dst_pod: Option<&'c Pod>,
    protocol: Protocol,
    dst_port: u16,
}

impl<'c> Connection<'c> {
    /// The end a policy of `direction` would select: the source for egress, the destination for
    /// ingress.
    fn selected_end(&self, direction: Direction) -> (Option<&'c Pod>, IpAddr) {
        match direction {
            Direction::Egress => (self.src_pod, self.src_ip),
            Direction::Ingress => (self.dst_pod, self.dst_ip),
        }
    }

    /// The other end, which the rule's `from`/`to` must match.
    fn peer_end(&self, direction: Direction) -> (Option<&'c Pod>, IpAddr) {
        match direction {
            Direction::Egress => (self.dst_pod, self.dst_ip),
            Direction::Ingress => (self.src_pod, self.src_ip),
        }
    }

    fn is_same_pod(&self) -> bool {
        match (self.src_pod, self.dst_pod) {
            (Some(src), Some(dst)) => src.namespace == dst.namespace && src.name == dst.name,
            _ => false,
        }
    }
}

fn pod_with_ip(cluster: &Cluster, ip: IpAddr) -> Option<&Pod> {
    cluster
        .pods
        .iter()
        .find(|pod| pod.ips.iter().any(|pod_ip| canonical_ip(*pod_ip) == ip))
}

/// One side of the connection, through the tiers ClusterNetworkPolicySpec.tier lists: "Policy
/// tiers are evaluated in the following order: Admin tier, NetworkPolicy tier, Baseline tier ...
/// If a given connection wasn't allowed or denied by any of the tiers, the default kubernetes
/// policy is applied, which says that all pods can communicate with each other."
fn side(cluster: &Cluster, connection: &Connection<'_>, direction: Direction) -> SideReason {
    let (selected, ip) = connection.selected_end(direction);
    let Some(pod) = selected else {
        return SideReason::NotPod { ip };
    };
    // The NetworkPolicy concept page, "What you can't do": "Pods cannot currently block
    // localhost access"; a pod reaching its own address never leaves it. And the
    // network-policy-api overview: "A Pod connecting to its own Pod IP is not subject to CNP."
    if connection.is_same_pod() {
        return SideReason::SamePod { pod: pod.key() };
    }
    // "If Admin tier has made a final decision (Accept or Deny) on a connection, then no
    // further evaluation is done"; a Pass goes on to the NetworkPolicy tier.
    let admin = tiers::first_match(cluster, Tier::Admin, pod, direction, connection);
    if let Some(decided) = admin.filter(|m| m.action != TierAction::Pass) {
        return tier_reason(pod, Tier::Admin, decided);
    }
    if let Some(reason) = network_policy_tier(cluster, connection, direction, pod) {
        return reason;
    }
    // "Baseline tier is a cluster-wide policy that can be overridden by the v1.NetworkPolicy.
    // If Baseline tier has made a final decision (Accept or Deny) on a connection, then no
    // further evaluation is done." Its Pass goes on to the default, which allows.
    if let Some(decided) = tiers::first_match(cluster, Tier::Baseline, pod, direction, connection) {
        return tier_reason(pod, Tier::Baseline, decided);
    }
    SideReason::NotIsolated { pod: pod.key() }
}

fn tier_reason(pod: &Pod, tier: Tier, decided: tiers::TierMatch) -> SideReason {
    SideReason::Tier {
        pod: pod.key(),
        tier,
        policy: decided.policy,
        rule: decided.rule,
        rule_name: decided.rule_name,
        action: decided.action,
    }
}

/// The NetworkPolicy tier, following NetworkPolicySpec.ingress/egress: "Traffic is allowed
/// [to/out of] a pod if there are no NetworkPolicies selecting the pod ... OR if the traffic
/// matches at least one [ingress/egress] rule across all of the NetworkPolicy objects whose
/// podSelector matches the pod". ClusterNetworkPolicySpec.tier: "v1.NetworkPolicy always makes
/// a final decision for selected pods. Further evaluation only happens for Pods not selected by
/// a v1.NetworkPolicy." `None`: no decision, the Baseline tier goes on.
fn network_policy_tier(
    cluster: &Cluster,
    connection: &Connection<'_>,
    direction: Direction,
    pod: &Pod,
) -> Option<SideReason> {
    // NetworkPolicySpec.ingress: "Traffic is allowed to a pod ... OR if the traffic source is
    // the pod's local node" (unless the cluster turns that rule off). It is one of the three
    // alternatives, not bound to the pod being selected, so it decides for every pod, ahead of
    // the Baseline tier (our reading where the tiers' text is silent: kubelet probes keep
    // working under a baseline that denies).
    if direction == Direction::Ingress
        && cluster.local_node_rule == LocalNodeRule::On
        && is_local_node(cluster, pod, connection.src_ip)
    {
        return Some(SideReason::LocalNode {
            pod: pod.key(),
            node_ip: connection.src_ip,
        });
    }
    // policyTypes: a policy only isolates (and only its rules of) the directions it lists;
    // "spec.egress" rules of a policy whose policyTypes lacks Egress are ignored.
    let isolating: Vec<&NetworkPolicy> = cluster
        .policies
        .iter()
        .filter(|policy| selects(policy, pod) && policy.policy_types.isolates(direction))
        .collect();
    if isolating.is_empty() {
        return None;
    }
    let by: Vec<Allowance> = isolating
        .iter()
        .flat_map(|policy| allowances(cluster, policy, direction, connection))
        .collect();
    Some(if by.is_empty() {
        SideReason::Denied {
            pod: pod.key(),
            isolated_by: isolating.iter().map(|policy| policy.key()).collect(),
        }
    } else {
        SideReason::Allowed { pod: pod.key(), by }
    })
}

/// Whether `ip` is an address of `pod`'s node: one of the `status.addresses` of the Node its
/// `spec.nodeName` names, or one of its `status.hostIPs` (the node's IPs as the kubelet reports
/// them to the pod).
fn is_local_node(cluster: &Cluster, pod: &Pod, ip: IpAddr) -> bool {
    let host_ip = pod.host_ips.iter().any(|host| canonical_ip(*host) == ip);
    let node_address = cluster
        .nodes
        .iter()
        .filter(|node| pod.node_name.as_deref() == Some(node.name.as_str()))
        .any(|node| node.addresses.iter().any(|own| canonical_ip(*own) == ip));
    host_ip || node_address
}

/// NetworkPolicySpec.podSelector: "Selects the pods to which this NetworkPolicy object applies
/// ... An empty podSelector selects all pods in this namespace."
fn selects(policy: &NetworkPolicy, pod: &Pod) -> bool {
    policy.namespace == pod.namespace && policy.pod_selector.matches(&pod.labels)
}

/// Every rule of `policy` in `direction` that matches the connection, in rule order.
fn allowances(
    cluster: &Cluster,
    policy: &NetworkPolicy,
    direction: Direction,
    connection: &Connection<'_>,
) -> Vec<Allowance> {
    let (peer_pod, peer_ip) = connection.peer_end(direction);
    policy
        .rules(direction)
        .iter()
        .enumerate()
        .filter_map(|(index, rule)| {
            let peer = matching_peer(cluster, policy, rule, peer_pod, peer_ip)?;
            let port = matching_port(rule, connection)?;
            Some(Allowance {
                policy: policy.key(),
                direction,
                rule: index,
                peer,
                port,
            })
        })
        .collect()
}

/// NetworkPolicyIngressRule.from / NetworkPolicyEgressRule.to: "If this field is empty or
/// missing, this rule matches all [sources/destinations] ... If this field is present and
/// contains at least one item, this rule allows traffic only if the traffic matches at least one
/// item".
fn matching_peer(
    cluster: &Cluster,
    policy: &NetworkPolicy,
    rule: &Rule,
    peer_pod: Option<&Pod>,
    peer_ip: IpAddr,
) -> Option<Entry> {
    match &rule.peers {
        None => Some(Entry::All),
        Some(peers) if peers.is_empty() => Some(Entry::All),
        Some(peers) => peers
            .iter()
            .position(|peer| peer_matches(cluster, policy, peer, peer_pod, peer_ip))
            .map(Entry::Index),
    }
}

/// NetworkPolicyPeer.
fn peer_matches(
    cluster: &Cluster,
    policy: &NetworkPolicy,
    peer: &Peer,
    peer_pod: Option<&Pod>,
    peer_ip: IpAddr,
) -> bool {
    match peer {
        // IPBlock: "a particular CIDR ... The except entry describes CIDRs that should not be
        // included within this rule." It speaks of addresses, so pod addresses count too.
        Peer::IpBlock(block) => block.contains(peer_ip),
        Peer::Pods {
            namespace_selector,
            pod_selector,
        } => {
            // Pod and namespace selectors select pods, never external addresses.
            let Some(pod) = peer_pod else {
                return false;
            };
            // namespaceSelector: "selects namespaces using cluster-scoped labels ... If
            // podSelector is also set, then the NetworkPolicyPeer as a whole selects the pods
            // matching podSelector in the namespaces selected by namespaceSelector. Otherwise
            // it selects all pods in the namespaces selected by namespaceSelector."
            // podSelector without namespaceSelector: "it selects the pods matching podSelector
            // in the policy's own namespace."
            let in_selected_namespace = match namespace_selector {
                None => pod.namespace == policy.namespace,
                Some(selector) => selector.matches(&namespace_labels(cluster, &pod.namespace)),
            };
            let pod_selected = match pod_selector {
                None => true,
                Some(selector) => selector.matches(&pod.labels),
            };
            in_selected_namespace && pod_selected
        }
    }
}

/// The labels of namespace `name`; a namespace the input never described still carries the
/// `kubernetes.io/metadata.name` label the API server puts on every namespace.
fn namespace_labels<'c>(cluster: &'c Cluster, name: &str) -> Cow<'c, Labels> {
    match cluster.namespaces.get(name) {
        Some(namespace) => Cow::Borrowed(&namespace.labels),
        None => Cow::Owned(Labels::from([(
            NAMESPACE_NAME_LABEL.to_string(),
            name.to_string(),
        )])),
    }
}

/// NetworkPolicyIngressRule.ports / NetworkPolicyEgressRule.ports: "If this field is empty or
/// missing, this rule matches all ports (traffic not restricted by port). If this field is
/// present and contains at least one item, then this rule allows traffic only if the traffic
/// matches at least one port in the list." Matching all ports includes protocols without ports,
/// such as ICMP.
fn matching_port(rule: &Rule, connection: &Connection<'_>) -> Option<Entry> {
    match &rule.ports {
        None => Some(Entry::All),
        Some(ports) if ports.is_empty() => Some(Entry::All),
        Some(ports) => ports
            .iter()
            .position(|port| port_matches(port, connection))
            .map(Entry::Index),
    }
}

/// NetworkPolicyPort.
fn port_matches(port_rule: &PortRule, connection: &Connection<'_>) -> bool {
    // protocol: "The protocol (TCP, UDP, or SCTP) which traffic must match."
    if port_rule.protocol != connection.protocol {
        return false;
    }
    match &port_rule.port {
        // port: "If this field is not provided, this matches all port names and numbers."
        None => true,
        // endPort: "the range of ports from port to endPort if set, inclusive".
        Some(PolicyPort::Numbers(range)) => range.contains(connection.dst_port),
        // port: "This can either be a numerical or named port on a pod." The name is looked up
        // on the pod receiving the connection (the selected pod for ingress, the peer for
        // egress), with the same protocol; an address that is no pod has no named ports.
        Some(PolicyPort::Named(name)) => {
            connection
                .dst_pod
                .and_then(|pod| pod.named_port(name, connection.protocol))
                == Some(connection.dst_port)
        }
    }
}

impl fmt::Display for Explanation {
    /// Two lines: `egress: ...` and `ingress: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "egress:  {}", self.egress)?;
        write!(f, "ingress: {}", self.ingress)
    }
}

impl fmt::Display for SideReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SideReason::NotPod { ip } => {
                write!(f, "allowed: {ip} is not a pod, so no policy applies")
            }
            SideReason::SamePod { pod } => {
                write!(
                    f,
                    "allowed: {pod} connects to itself, which no policy can block"
                )
            }
            SideReason::NotIsolated { pod } => {
                write!(f, "allowed: no policy isolates {pod} in this direction")
            }
            SideReason::Tier {
                pod,
                tier,
                policy,
                rule,
                rule_name,
                action,
            } => {
                let verdict = if *action == TierAction::Deny {
                    "denied"
                } else {
                    "allowed"
                };
                let what = match action {
                    TierAction::Accept => "accepts the connection",
                    TierAction::Deny => "denies the connection",
                    TierAction::Pass => "passes it on to the default, which allows it",
                };
                write!(f, "{verdict}: {tier} tier: {policy} rule {rule}")?;
                if !rule_name.is_empty() {
                    write!(f, " `{rule_name}`")?;
                }
                write!(f, " ({action}) selects {pod} and {what}")
            }
            SideReason::LocalNode { pod, node_ip } => write!(
                f,
                "allowed: {node_ip} is {pod}'s local node, whose traffic NetworkPolicy allows"
            ),
            SideReason::Allowed { pod, by } => {
                write!(f, "allowed: {pod} is isolated, allowed by ")?;
                for (index, allowance) in by.iter().enumerate() {
                    if index > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{allowance}")?;
                }
                Ok(())
            }
            SideReason::Denied { pod, isolated_by } => write!(
                f,
                "denied: {pod} is isolated by {} and no rule allows the connection",
                isolated_by.join(", ")
            ),
        }
    }
}

impl fmt::Display for Allowance {
    /// `ns/name ingress rule 0 (peer 1, all ports)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = self.direction.as_str();
        write!(f, "{} {direction} rule {} (", self.policy, self.rule)?;
        match self.peer {
            Entry::All => f.write_str("all peers")?,
            Entry::Index(index) => write!(f, "peer {index}")?,
        }
        f.write_str(", ")?;
        match self.port {
            Entry::All => f.write_str("all ports")?,
            Entry::Index(index) => write!(f, "port {index}")?,
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests;
mod tiers;
