//! The validated cluster: what the Kubernetes layer hands to every later layer.
//!
//! These types mirror `networking.k8s.io/v1` after the API server's validation and defaulting:
//! every CIDR is parsed and normalised, every port and protocol is typed, `policyTypes` is filled
//! in, and `kubernetes.io/metadata.name` is on every namespace's labels. Nothing here can be
//! invalid, so later layers never re-check input. Collections are sorted (`BTreeMap`, sorted
//! `Vec`s), so everything derived from a `Cluster` is deterministic.

mod endpoint;
mod selector;
mod tiers;

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::protocol::{PortRange, Protocol};
use crate::tuple::canonical_ip;

pub use endpoint::{Endpoint, EndpointError, addresses};
pub use selector::{LabelSelector, Operator, Requirement};
pub use tiers::{
    BANP_PRIORITY, ClusterPolicy, ClusterPolicyKind, PodSet, Tier, TierAction, TierPeer, TierPort,
    TierRule,
};

/// Labels of a pod or namespace, sorted by key.
pub type Labels = BTreeMap<String, String>;

/// The label the API server sets on every namespace to its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Namespaces, pods and network policies, validated and defaulted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// Every namespace by name: those read from input, and those only named by a pod or policy
    /// (with just the implied `kubernetes.io/metadata.name` label).
    pub namespaces: BTreeMap<String, Namespace>,
    /// Pods sorted by namespace, then name.
    pub pods: Vec<Pod>,
    /// Network policies sorted by namespace, then name.
    pub policies: Vec<NetworkPolicy>,
    /// Nodes sorted by name (`v1` Node objects read from input).
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// ClusterNetworkPolicies, AdminNetworkPolicies and the BaselineAdminNetworkPolicy, in
    /// evaluation order ([`ClusterPolicy::order_key`]: tier, priority, name, kind).
    #[serde(default)]
    pub cluster_policies: Vec<ClusterPolicy>,
    /// Whether NetworkPolicy's local-node rule applies (see [`LocalNodeRule`]).
    #[serde(default)]
    pub local_node_rule: LocalNodeRule,
}

/// NetworkPolicySpec.ingress: "Traffic is allowed to a pod if there are no NetworkPolicies
/// selecting the pod ..., OR if the traffic source is the pod's local node, OR if the traffic
/// matches at least one ingress rule". Kubelet probes rely on it. Some CNIs make it
/// configurable, so it is a setting: on by default, as the API reference states it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocalNodeRule {
    /// Traffic from a pod's local node to the pod is allowed whatever NetworkPolicy isolates it.
    #[default]
    On,
    /// The local node is an address like any other.
    Off,
}

/// A node: its labels and addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// The node's name.
    pub name: String,
    /// Its labels.
    pub labels: Labels,
    /// The IPs of `status.addresses` (types `InternalIP` and `ExternalIP`), canonical, sorted,
    /// without repeats.
    pub addresses: Vec<IpAddr>,
}

/// A namespace and its labels (including `kubernetes.io/metadata.name`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// The namespace's name.
    pub name: String,
    /// Its labels, `kubernetes.io/metadata.name` included.
    pub labels: Labels,
}

/// A pod as network policy sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pod {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub name: String,
    /// The pod's labels.
    pub labels: Labels,
    /// The pod's IPs (`status.podIPs`, else `status.podIP`), canonical (IPv4-mapped IPv6 as IPv4).
    pub ips: Vec<IpAddr>,
    /// Named container ports, sorted by name then protocol.
    pub ports: Vec<NamedPort>,
    /// `spec.nodeName`: the node the pod runs on, when scheduled.
    #[serde(default)]
    pub node_name: Option<String>,
    /// `status.hostIPs` (else `status.hostIP`): the addresses of the pod's node, as the kubelet
    /// reports them; canonical.
    #[serde(default)]
    pub host_ips: Vec<IpAddr>,
}

impl Pod {
    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The port number this pod gives `name` for `protocol`, if any container declares it.
    pub fn named_port(&self, name: &str, protocol: Protocol) -> Option<u16> {
        self.ports
            .iter()
            .find(|p| p.name == name && p.protocol == protocol)
            .map(|p| p.port)
    }

    /// The addresses of a connection from this pod to `dst`: the first pair, in the order of
    /// this pod's IPs and then `dst`'s IPs, whose two addresses are of the same family; `None`
    /// when the pods share no family (no connection between them can exist). `tagwall matrix`
    /// and the scenario runner both pair pods this way, so their matrices mean the same.
    pub fn pair_addresses(&self, dst: &Pod) -> Option<(IpAddr, IpAddr)> {
        self.ips.iter().find_map(|&src_ip| {
            dst.address_toward(src_ip)
                .map(|dst_ip| (canonical_ip(src_ip), dst_ip))
        })
    }

    /// This pod's first address of the same family as `other`, if it has one.
    pub fn address_toward(&self, other: IpAddr) -> Option<IpAddr> {
        let other = canonical_ip(other);
        self.ips
            .iter()
            .map(|&ip| canonical_ip(ip))
            .find(|ip| ip.is_ipv4() == other.is_ipv4())
    }
}

impl Cluster {
    /// The node named `name`, if the input holds it.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.name == name)
    }
}

/// A named container port (`spec.containers[*].ports[*]` with a `name`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NamedPort {
    /// The port's name (an IANA_SVC_NAME).
    pub name: String,
    /// The container port number.
    pub port: u16,
    /// The port's protocol.
    pub protocol: Protocol,
}

/// A `networking.k8s.io/v1` NetworkPolicy, validated and defaulted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPolicy {
    /// The policy's namespace; it selects pods of this namespace only.
    pub namespace: String,
    /// The policy's name.
    pub name: String,
    /// `spec.podSelector`: the pods the policy applies to (empty = every pod of the namespace).
    pub pod_selector: LabelSelector,
    /// `spec.policyTypes` after defaulting.
    pub policy_types: PolicyTypes,
    /// `spec.ingress`: rules allowing traffic to the selected pods.
    pub ingress: Vec<Rule>,
    /// `spec.egress`: rules allowing traffic from the selected pods.
    pub egress: Vec<Rule>,
}

impl NetworkPolicy {
    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The rules of one direction.
    pub fn rules(&self, direction: Direction) -> &[Rule] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}

/// A traffic direction, seen from the pod a policy selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic to the selected pod.
    Ingress,
    /// Traffic from the selected pod.
    Egress,
}

impl Direction {
    /// Both directions, ingress first.
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    /// `ingress` or `egress`: the one spelling rule names, tables, reasons and JSON use.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// Which directions a policy isolates (`spec.policyTypes` after the API server's defaulting:
/// Ingress always when absent, plus Egress when `spec.egress` has a rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyTypes {
    /// The policy isolates its pods for ingress.
    pub ingress: bool,
    /// The policy isolates its pods for egress.
    pub egress: bool,
}

impl PolicyTypes {
    /// Whether the policy isolates `direction`.
    pub fn isolates(self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }
}

/// One ingress or egress rule: traffic to/from any of `peers` on any of `ports`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `from`/`to`; `None` when absent or empty, which matches every source/destination,
    /// external IPs included.
    pub peers: Option<Vec<Peer>>,
    /// `ports`; `None` when absent or empty, which matches every port of every protocol.
    pub ports: Option<Vec<PortRule>>,
}

/// One entry of `from`/`to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Peer {
    /// `podSelector` and/or `namespaceSelector`: pods, never external IPs.
    ///
    /// `namespace_selector: None` means the policy's own namespace; `pod_selector: None` means
    /// every pod of the selected namespaces. At least one is `Some`.
    Pods {
        /// `namespaceSelector`.
        namespace_selector: Option<LabelSelector>,
        /// `podSelector`.
        pod_selector: Option<LabelSelector>,
    },
    /// `ipBlock`: addresses in `cidr` and in none of `except` (pod IPs included).
    IpBlock(IpBlock),
}

/// An `ipBlock`: a CIDR minus the CIDRs in `except`, each strictly inside `cidr`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpBlock {
    /// The block, normalised to its network address.
    pub cidr: IpNet,
    /// Holes in the block, each strictly inside `cidr`, normalised.
    pub except: Vec<IpNet>,
}

impl IpBlock {
    /// Whether `ip` is in `cidr` and in none of `except`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(&ip) && !self.except.iter().any(|hole| hole.contains(&ip))
    }
}

/// One entry of `ports`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRule {
    /// The protocol (defaulted to TCP).
    pub protocol: Protocol,
    /// The port; `None` means every port of `protocol`.
    pub port: Option<PolicyPort>,
}

/// A port as a policy names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyPort {
    /// A number, or a range `port..=endPort`.
    Numbers(PortRange),
    /// A named container port, resolved on the destination pod.
    Named(String),
}
