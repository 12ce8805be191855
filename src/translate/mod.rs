//! NetworkPolicy -> Contrail firewall objects, as Juniper CN2 creates them.
//!
//! For every NetworkPolicy, a Firewall Policy `<namespace>-<name>` whose rules follow CN2's
//! naming (the seed document's Table 3); tags for the labels and namespaces the policies name
//! (Table 1); address groups for ipBlocks (Table 2). Isolation and default-allow are expressed
//! the way Contrail does it: after every NetworkPolicy's firewall policy comes a deny-all policy
//! with one deny rule per NetworkPolicy and direction for its selected pods, then an allow-all
//! policy. All of them sit, in that sequence, in one Application Policy Set; evaluation is first
//! match (see [`crate::firewall`]).
//!
//! ClusterNetworkPolicy tiers ([`tiers`]) surround that: the Admin tier's firewall policies come
//! first, the Baseline tier's between the deny-all and the allow-all policy, and a tier's Pass
//! is the firewall action `next`, which jumps past the tier's last policy.
//!
//! Two [`Mode`]s:
//! - [`Mode::Cn2`] reproduces CN2, faults included: an `except` becomes a deny rule ahead of the
//!   pass (which shadows other policies' passes), egress rule names lack the rule index (so two
//!   egress rules can collide, and the later one replaces the earlier), namespace labels and pod
//!   labels share one tag space, and `namespaceSelector: {}` becomes `any` (external IPs too).
//! - [`Mode::Kubernetes`] (the default) keeps the same objects and names but is correct: each
//!   address group subtracts its own ipBlock's `except`, egress names carry the rule index,
//!   namespace labels are tags of their own kind, and `namespaceSelector: {}` means every pod.

mod endpoints;
pub mod local_node;
mod naming;
mod policy;
pub mod tiers;
mod workloads;

use std::fmt;

use serde::Serialize;

use crate::firewall::{
    Action, ApplicationPolicySet, Endpoint, FirewallConfig, FirewallPolicy, FirewallRule, Service,
    TagTerm,
};
use crate::model::{Cluster, Direction, LocalNodeRule, Tier};

pub use naming::{ALLOW_ALL_POLICY, APPLICATION_POLICY_SET, DENY_ALL_POLICY};
pub use workloads::workload;

/// How NetworkPolicies are translated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The same objects and names as CN2, but Kubernetes-correct where CN2 is not.
    #[default]
    Kubernetes,
    /// CN2 exactly, faults included.
    Cn2,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Kubernetes => "kubernetes",
            Mode::Cn2 => "cn2",
        })
    }
}

/// Something the translation did that the user should know about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TranslateWarning {
    /// The firewall rule concerned.
    pub rule: String,
    /// What happened.
    pub message: String,
}

impl fmt::Display for TranslateWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule `{}`: {}", self.rule, self.message)
    }
}

/// The firewall objects for a cluster, and what the translation warns about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Translation {
    /// The mode the translation ran in.
    pub mode: Mode,
    /// Tags, address groups, the policy set and the workloads.
    pub config: FirewallConfig,
    /// Warnings, in rule order.
    pub warnings: Vec<TranslateWarning>,
}

/// Translates every NetworkPolicy of `cluster` and the cluster's pods.
pub fn translate(cluster: &Cluster, mode: Mode) -> Translation {
    let mut objects = policy::Objects::new(mode);
    let mut policies: Vec<FirewallPolicy> = cluster
        .policies
        .iter()
        .map(|np| objects.firewall_policy(np))
        .collect();

    // Contrail's isolation: a pod selected by a NetworkPolicy for a direction drops what no
    // earlier pass rule allowed; every other pod falls through to allow-all.
    let mut deny_all = Vec::new();
    for np in &cluster.policies {
        for direction in Direction::BOTH {
            if np.policy_types.isolates(direction) {
                deny_all.push(FirewallRule {
                    name: naming::deny_all_rule(np, direction),
                    action: Action::Deny,
                    service: Service::ANY,
                    endpoint_1: objects.selected_pods(np),
                    direction,
                    endpoint_2: Endpoint::Any,
                });
            }
        }
    }
    policies.push(FirewallPolicy {
        tier: None,
        name: DENY_ALL_POLICY.to_string(),
        rules: deny_all,
    });
    // The Baseline tier: after `k8s-denyall`, which has ended evaluation for every pod a
    // NetworkPolicy isolates, and before the default allow.
    let baseline = tiers::tier_objects(cluster, Tier::Baseline, mode);
    let baseline_tags = baseline.tags();
    policies.extend(baseline.policies);
    policies.push(FirewallPolicy {
        tier: None,
        name: ALLOW_ALL_POLICY.to_string(),
        rules: Direction::BOTH
            .into_iter()
            .map(|direction| FirewallRule {
                name: naming::allow_all_rule(direction),
                action: Action::Pass,
                service: Service::ANY,
                endpoint_1: Endpoint::Tags(Vec::<TagTerm>::new()),
                direction,
                endpoint_2: Endpoint::Any,
            })
            .collect(),
    });

    let (mut tags, mut address_groups, mut warnings) = objects.finish();
    let mut workloads = workloads::workloads(cluster, mode);
    // The Admin tier: ahead of everything (the local-node rule included: it is NetworkPolicy's).
    let admin = tiers::tier_objects(cluster, Tier::Admin, mode);
    // The local-node rule (`cluster.local_node_rule`) comes ahead of every NetworkPolicy: the API
    // allows that traffic whatever isolates the pod. CN2 creates no such objects (the seed's
    // tables hold none), so `cn2` mode leaves it out, as CN2 does.
    if cluster.local_node_rule == LocalNodeRule::On && mode == Mode::Kubernetes {
        let local = local_node::local_node(cluster);
        if let Some(policy) = local.policy {
            policies.insert(0, policy);
        }
        tags.extend(local.tags);
        address_groups.extend(local.groups);
        for (workload, tag) in workloads.iter_mut().zip(local.pod_tags) {
            workload.tags.extend(tag);
        }
    }
    for tag in admin.tags().into_iter().chain(baseline_tags) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    policies.splice(0..0, admin.policies);
    address_groups.extend(admin.groups);
    address_groups.extend(baseline.groups);
    // Names unique across namespaces and tiers (`a-b/c` and `a/b-c` are one CN2 name).
    naming::make_unique(&mut policies, &mut warnings);
    Translation {
        mode,
        config: FirewallConfig {
            tags,
            address_groups,
            application_policy_set: ApplicationPolicySet {
                name: APPLICATION_POLICY_SET.to_string(),
                policies,
            },
            workloads,
        },
        warnings,
    }
}
