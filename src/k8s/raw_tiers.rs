//! Serde input types of the network-policy-api kinds (ClusterNetworkPolicy v1alpha2,
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1), before validation.
//!
//! One set of types reads all three: v1alpha1's `ports` and v1alpha2's `protocols` live side by
//! side, and validation reads the ones of the object's version. Peers, subjects and ports keep
//! the names of fields this version does not know (`unknown`), because the types prescribe
//! what to do with a peer that sets none of the known ones: fail closed.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::raw::{RawSelector, Scalar};

/// `spec` of any of the three kinds.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawTierSpec {
    pub tier: Option<Scalar>,
    pub priority: Option<Scalar>,
    pub subject: Option<RawSubject>,
    pub ingress: Option<Vec<RawTierRule>>,
    pub egress: Option<Vec<RawTierRule>>,
}

/// `spec.subject`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawSubject {
    pub namespaces: Option<RawSelector>,
    pub pods: Option<RawNamespacedPod>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// `pods` of a subject or peer.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawNamespacedPod {
    pub namespace_selector: Option<RawSelector>,
    pub pod_selector: Option<RawSelector>,
}

/// One rule of `spec.ingress` / `spec.egress`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawTierRule {
    pub name: Option<Scalar>,
    pub action: Option<Scalar>,
    pub from: Option<Vec<RawTierPeer>>,
    pub to: Option<Vec<RawTierPeer>>,
    /// v1alpha1.
    pub ports: Option<Vec<RawPortV1>>,
    /// v1alpha2.
    pub protocols: Option<Vec<RawProtocol>>,
}

/// One entry of `from` / `to`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawTierPeer {
    pub namespaces: Option<RawSelector>,
    pub pods: Option<RawNamespacedPod>,
    pub nodes: Option<RawSelector>,
    pub networks: Option<Vec<Scalar>>,
    pub domain_names: Option<Vec<Scalar>>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// v1alpha1 `AdminNetworkPolicyPort`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawPortV1 {
    pub port_number: Option<RawPortNumber>,
    pub named_port: Option<Scalar>,
    pub port_range: Option<RawPortRange>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// v1alpha1 `portNumber`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawPortNumber {
    pub protocol: Option<Scalar>,
    pub port: Option<Scalar>,
}

/// v1alpha1 `portRange` and v1alpha2 `range` (the latter without `protocol`).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawPortRange {
    pub protocol: Option<Scalar>,
    pub start: Option<Scalar>,
    pub end: Option<Scalar>,
}

/// v1alpha2 `ClusterNetworkPolicyProtocol`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawProtocol {
    pub tcp: Option<RawProtocolPorts>,
    pub udp: Option<RawProtocolPorts>,
    pub sctp: Option<RawProtocolPorts>,
    pub destination_named_port: Option<Scalar>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// `tcp` / `udp` / `sctp` of a v1alpha2 protocol.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawProtocolPorts {
    pub destination_port: Option<RawDestinationPort>,
}

/// v1alpha2 `Port`: `number` or `range`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct RawDestinationPort {
    pub number: Option<Scalar>,
    pub range: Option<RawPortRange>,
}
