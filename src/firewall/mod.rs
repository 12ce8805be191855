//! The Contrail firewall model: the objects CN2 creates for a NetworkPolicy.
//!
//! Tags, Address Groups, Firewall Rules, Firewall Policies and the Application Policy Set that
//! orders them (the seed document's Tables 1-4), plus the Workloads a translated cluster carries
//! (a pod's IPs, tags and named ports). Everything round-trips through JSON.
//!
//! Evaluation is first match: for each direction, the first rule in Application Policy Set ->
//! Firewall Policy -> rule order whose endpoint_1 holds the deciding workload and whose
//! endpoint_2 and service match the connection decides. Egress rules decide at the source
//! workload, ingress rules at the destination. [`crate::reference::linear`] is that scan, as
//! written; [`crate::compile`] makes it fast.

mod display;
pub mod vnc;

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::model::{Direction, NamedPort};
use crate::protocol::{PortRange, Protocol};

/// What a tag stands for. Contrail tags are `type=value`; the kind keeps apart what Kubernetes
/// keeps apart (in `kubernetes` mode a namespace's labels never satisfy a pod-label selector).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagKind {
    /// `namespace=<name>`: the workload's namespace.
    Namespace,
    /// A pod label (in `cn2` mode, also a namespace label: CN2 does not tell them apart).
    Label,
    /// A namespace label, carried by every workload of the namespace (`kubernetes` mode).
    NamespaceLabel,
    /// `node=<name>`: the workload's local node, for NetworkPolicy's local-node rule.
    Node,
}

/// A Contrail tag: `type=value`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Tag {
    /// What the tag stands for.
    pub kind: TagKind,
    /// The tag type (the label key; `namespace` for [`TagKind::Namespace`]).
    pub key: String,
    /// The tag value.
    pub value: String,
}

/// A workload (a pod's interface): its addresses, its tags and its named ports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// `namespace/pod`.
    pub name: String,
    /// Its addresses.
    pub ips: Vec<IpAddr>,
    /// Its tags: namespace, labels, and (in `kubernetes` mode) namespace labels.
    pub tags: BTreeSet<Tag>,
    /// Its named container ports, for services that name a port.
    pub ports: Vec<NamedPort>,
}

/// A Contrail address group: the addresses in any of `prefixes` and in none of `except`.
///
/// CN2 itself only has `prefixes`; `except` is how `kubernetes` mode subtracts an ipBlock's
/// holes from that block alone (written out as exact prefixes in `vnc-json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressGroup {
    /// The group's name.
    pub name: String,
    /// Prefixes in the group.
    pub prefixes: Vec<IpNet>,
    /// Holes: addresses here are not in the group even when a prefix covers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<IpNet>,
}

impl AddressGroup {
    /// Whether `ip` is in the group.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.prefixes.iter().any(|p| p.contains(&ip))
            && !self.except.iter().any(|e| e.contains(&ip))
    }
}

/// A rule's action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Allow the connection.
    Pass,
    /// Drop the connection.
    Deny,
    /// Stop evaluating this tier: go on with the first rule of the next tier (the first later
    /// firewall policy whose [`FirewallPolicy::tier`] differs). The ClusterNetworkPolicy `Pass`
    /// action; Contrail has none, so `vnc-json` exports it as `deny` (see [`vnc`]).
    Next,
}

/// A rule's service: protocol and destination ports.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Service {
    /// The protocol; `None` is any protocol (and then any port).
    pub protocol: Option<Protocol>,
    /// The destination ports.
    pub ports: ServicePorts,
}

impl Service {
    /// Any protocol, any port.
    pub const ANY: Service = Service {
        protocol: None,
        ports: ServicePorts::Any,
    };
}

/// The destination ports of a service.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServicePorts {
    /// Every port.
    Any,
    /// A range of port numbers.
    Range(PortRange),
    /// A named container port of the destination workload; matches nothing toward a non-workload.
    Named(String),
}

/// One term of a tag expression: a test of one tag type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TagTerm {
    /// Which tags the term looks at.
    pub kind: TagKind,
    /// The tag type.
    pub key: String,
    /// The test.
    pub op: TagOp,
}

impl TagTerm {
    /// Whether a workload satisfies the term: the firewall model's meaning of [`TagOp`] (a
    /// workload may carry several values of one tag type, as CN2 mode's merged labels do).
    pub fn holds(&self, workload: &Workload) -> bool {
        let mut values = workload
            .tags
            .iter()
            .filter(|t| t.kind == self.kind && t.key == self.key)
            .map(|t| &t.value);
        match &self.op {
            TagOp::In(wanted) => values.any(|v| wanted.contains(v)),
            TagOp::NotIn(unwanted) => !values.any(|v| unwanted.contains(v)),
            TagOp::Exists => values.next().is_some(),
            TagOp::DoesNotExist => values.next().is_none(),
        }
    }
}

/// The test of a [`TagTerm`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagOp {
    /// The workload has a tag `key=v` for some `v` in the set (one value is plain `key=v`).
    In(BTreeSet<String>),
    /// The workload has no tag `key=v` for any `v` in the set.
    NotIn(BTreeSet<String>),
    /// The workload has some tag of type `key`.
    Exists,
    /// The workload has no tag of type `key`.
    DoesNotExist,
}

/// A rule endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Anything: every workload and every address.
    Any,
    /// Workloads whose tags satisfy every term (no terms: every workload, no other address).
    Tags(Vec<TagTerm>),
    /// Addresses in the named address group (workload addresses included).
    AddressGroup(String),
}

/// A Contrail firewall rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    /// The rule's name (CN2's naming scheme).
    pub name: String,
    /// Pass or deny.
    pub action: Action,
    /// Protocol and destination ports.
    pub service: Service,
    /// The workloads the rule is about (the policy's selected pods).
    pub endpoint_1: Endpoint,
    /// Ingress: traffic from endpoint_2 to endpoint_1; egress: from endpoint_1 to endpoint_2.
    pub direction: Direction,
    /// The peer.
    pub endpoint_2: Endpoint,
}

/// A Contrail firewall policy: rules in sequence order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallPolicy {
    /// The policy's name (`<namespace>-<networkpolicy>` for a translated NetworkPolicy).
    pub name: String,
    /// The tier the policy belongs to (`admin`, `baseline`); consecutive policies with one
    /// tier form it, and a [`Action::Next`] rule jumps past their end. `None` for the
    /// NetworkPolicy objects, which never jump.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// Rules in sequence order.
    pub rules: Vec<FirewallRule>,
}

/// An application policy set: firewall policies in sequence order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationPolicySet {
    /// The set's name.
    pub name: String,
    /// Firewall policies in sequence order.
    pub policies: Vec<FirewallPolicy>,
}

/// Everything a translated cluster holds: the firewall objects and the workloads they act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallConfig {
    /// The tags the policies name, in order of first appearance (the seed's Table 1); workloads
    /// carry their own tags.
    pub tags: Vec<Tag>,
    /// Address groups in order of first appearance (the seed's Table 2), names unique.
    pub address_groups: Vec<AddressGroup>,
    /// The policy set, in evaluation order.
    pub application_policy_set: ApplicationPolicySet,
    /// The workloads, sorted by name.
    pub workloads: Vec<Workload>,
}

/// A rule's position: its index in the flattened Application Policy Set order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RuleId(pub u32);

impl FirewallConfig {
    /// Every rule in evaluation order, with its [`RuleId`] and policy.
    pub fn rules(&self) -> impl Iterator<Item = (RuleId, &FirewallPolicy, &FirewallRule)> {
        self.application_policy_set
            .policies
            .iter()
            .flat_map(|p| p.rules.iter().map(move |r| (p, r)))
            .enumerate()
            .map(|(i, (p, r))| (RuleId(i as u32), p, r))
    }

    /// The rule with this id, and its policy.
    pub fn rule(&self, id: RuleId) -> Option<(&FirewallPolicy, &FirewallRule)> {
        self.rules().nth(id.0 as usize).map(|(_, p, r)| (p, r))
    }

    /// Where each tier begins: the [`RuleId`] of the first rule of every firewall policy whose
    /// [`FirewallPolicy::tier`] differs from the one before it, ascending. A [`Action::Next`]
    /// rule `r` goes on at the first of these after `r` (none: nothing matches after it).
    pub fn tier_starts(&self) -> Vec<RuleId> {
        let mut starts = Vec::new();
        let mut next_id = 0u32;
        let mut previous: Option<Option<&str>> = None;
        for policy in &self.application_policy_set.policies {
            let tier = policy.tier.as_deref();
            if previous.is_some_and(|p| p != tier) {
                starts.push(RuleId(next_id));
            }
            previous = Some(tier);
            next_id = next_id.saturating_add(u32::try_from(policy.rules.len()).unwrap_or(u32::MAX));
        }
        starts
    }

    /// After a [`Action::Next`] rule `rule`: the first rule of the next tier, if any.
    pub fn next_tier(&self, rule: RuleId) -> Option<RuleId> {
        self.tier_starts().into_iter().find(|start| *start > rule)
    }

    /// The address group with this name.
    pub fn address_group(&self, name: &str) -> Option<&AddressGroup> {
        self.address_groups.iter().find(|g| g.name == name)
    }
}
