//! Cluster-wide policies of the network-policy-api (sig-network), validated: `ClusterNetworkPolicy`
//! (`policy.networking.k8s.io/v1alpha2`) and its predecessors `AdminNetworkPolicy` and
//! `BaselineAdminNetworkPolicy` (`v1alpha1`), in one shape.
//!
//! The three kinds say the same things with other words: v1alpha1's `Allow` is v1alpha2's
//! `Accept`; an AdminNetworkPolicy is an `Admin` tier policy, the BaselineAdminNetworkPolicy the
//! `Baseline` tier's. Field names follow v1alpha2 (`apis/v1alpha2/clusternetworkpolicy_types.go`
//! in kubernetes-sigs/network-policy-api).

use std::fmt;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::LabelSelector;
use crate::protocol::{PortRange, Protocol};

/// The kind an object was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ClusterPolicyKind {
    /// `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy.
    ClusterNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy.
    AdminNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` BaselineAdminNetworkPolicy (a singleton, `default`).
    BaselineAdminNetworkPolicy,
}

impl ClusterPolicyKind {
    /// The kind's name, as `kind:` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterPolicyKind::ClusterNetworkPolicy => "ClusterNetworkPolicy",
            ClusterPolicyKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            ClusterPolicyKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
        }
    }
}

impl fmt::Display for ClusterPolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// ClusterNetworkPolicySpec.tier: "Policy tiers are evaluated in the following order: Admin
/// tier, NetworkPolicy tier, Baseline tier".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    /// Ahead of NetworkPolicy: "cluster-wide security rules that cannot be overridden".
    Admin,
    /// After NetworkPolicy: "can be overridden by the v1.NetworkPolicy".
    Baseline,
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Admin => "Admin",
            Tier::Baseline => "Baseline",
        })
    }
}

/// A rule's action (v1alpha1's `Allow` is read as `Accept`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TierAction {
    /// Accept the traffic; no further rule of any tier decides this direction.
    Accept,
    /// Drop the traffic; no further rule decides.
    Deny,
    /// Skip the rest of this tier; evaluation goes on in the next one.
    Pass,
}

impl fmt::Display for TierAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TierAction::Accept => "Accept",
            TierAction::Deny => "Deny",
            TierAction::Pass => "Pass",
        })
    }
}

/// Pods in namespaces: `namespaces` (every pod of the selected namespaces) or `pods` (pods
/// matching `pod_selector` in namespaces matching `namespace_selector`; empty selects all).
/// Host-network pods are never among them ("host-networked pods are not included").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodSet {
    /// Namespaces whose labels match.
    pub namespace_selector: LabelSelector,
    /// Pods whose labels match (`None`: every pod, the `namespaces` form).
    pub pod_selector: Option<LabelSelector>,
}

impl PodSet {
    /// Whether a pod with `pod_labels`, in a namespace with `namespace_labels`, is in the set.
    pub fn matches(&self, pod_labels: &super::Labels, namespace_labels: &super::Labels) -> bool {
        self.namespace_selector.matches(namespace_labels)
            && self
                .pod_selector
                .as_ref()
                .is_none_or(|selector| selector.matches(pod_labels))
    }
}

/// One entry of `from` / `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TierPeer {
    /// `namespaces` or `pods`.
    Pods(PodSet),
    /// `nodes` (egress only): the IPs in `status.addresses` of the nodes whose labels match.
    Nodes(LabelSelector),
    /// `networks` (egress only): addresses in any of the CIDRs, pod addresses included.
    Networks(Vec<IpNet>),
}

/// One entry of `protocols` (v1alpha2) or `ports` (v1alpha1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TierPort {
    /// A protocol and a port or range (`start < end`, or one port).
    Numbers {
        /// TCP, UDP or SCTP.
        protocol: Protocol,
        /// The destination ports.
        ports: PortRange,
    },
    /// `destinationNamedPort` / `namedPort`: the destination pod's container port of that name,
    /// with the protocol it declares.
    Named(String),
}

/// One ingress or egress rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRule {
    /// `name` (may be empty; at most 100 characters).
    pub name: String,
    /// `action`.
    pub action: TierAction,
    /// `from` / `to`: at least one.
    pub peers: Vec<TierPeer>,
    /// `protocols` / `ports`; `None` when absent: every protocol and port, ICMP included.
    pub ports: Option<Vec<TierPort>>,
}

/// A ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterPolicy {
    /// Which kind it was read as.
    pub kind: ClusterPolicyKind,
    /// `metadata.name` (the objects are cluster-scoped).
    pub name: String,
    /// `spec.tier` (v1alpha1: by kind).
    pub tier: Tier,
    /// `spec.priority`, 0-1000, lower first. A BaselineAdminNetworkPolicy has none and sorts
    /// after every Baseline ClusterNetworkPolicy ([`BANP_PRIORITY`]).
    pub priority: u32,
    /// `spec.subject`: the pods the policy applies to.
    pub subject: PodSet,
    /// `spec.ingress`, in written order.
    pub ingress: Vec<TierRule>,
    /// `spec.egress`, in written order.
    pub egress: Vec<TierRule>,
}

/// The priority a BaselineAdminNetworkPolicy sorts at: after every Baseline ClusterNetworkPolicy
/// (upstream does not say how the two versions mix; this is our choice, documented).
pub const BANP_PRIORITY: u32 = 1001;

impl ClusterPolicy {
    /// `Kind/name`, as reasons and warnings name it.
    pub fn key(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// The rules of one direction.
    pub fn rules(&self, direction: super::Direction) -> &[TierRule] {
        match direction {
            super::Direction::Ingress => &self.ingress,
            super::Direction::Egress => &self.egress,
        }
    }

    /// Evaluation order within a tier: priority, then (upstream leaves same-priority order to
    /// the implementation) name, then kind.
    pub fn order_key(&self) -> (Tier, u32, &str, ClusterPolicyKind) {
        (self.tier, self.priority, self.name.as_str(), self.kind)
    }
}
