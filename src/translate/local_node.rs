//! NetworkPolicy's local-node rule as firewall objects.
//!
//! NetworkPolicySpec.ingress: traffic to a pod is allowed "if the traffic source is the pod's
//! local node". A pod's local node is known by its addresses: the `status.addresses` of the Node
//! its `spec.nodeName` names, and the pod's own `status.hostIPs`. Pods sharing one set of local
//! addresses carry one `node:node=<value>` tag; each set becomes an address group; one ingress
//! pass rule per set, from the group to the tagged workloads, sits in the firewall policy
//! [`LOCAL_NODE_POLICY`] ahead of every NetworkPolicy's, so no deny-all or CN2 `except` rule
//! can shadow it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;

use crate::firewall::{
    Action, AddressGroup, Endpoint, FirewallPolicy, FirewallRule, Service, Tag, TagKind, TagOp,
    TagTerm,
};
use crate::model::{Cluster, Direction, Pod};

/// The firewall policy holding the local-node pass rules.
pub const LOCAL_NODE_POLICY: &str = "k8s-local-node";

/// The tag type (of [`TagKind::Node`]) a workload's local node is named by.
pub const NODE_TAG_KEY: &str = "node";

/// The local-node rule's objects.
#[derive(Debug, Default)]
pub struct LocalNode {
    /// The pass rules, one per set of local addresses; `None` when no pod has a known node.
    pub policy: Option<FirewallPolicy>,
    /// One address group per set of local addresses. Names hold `_`, which no Kubernetes name
    /// (and so no NetworkPolicy's group) holds.
    pub groups: Vec<AddressGroup>,
    /// The node tags, in order of first appearance.
    pub tags: Vec<Tag>,
    /// Each pod's node tag, in the cluster's pod order.
    pub pod_tags: Vec<Option<Tag>>,
}

/// A pod's local-node addresses: its node's `status.addresses` and its own `status.hostIPs`,
/// sorted, without repeats.
pub fn local_addresses(cluster: &Cluster, pod: &Pod) -> Vec<IpAddr> {
    let mut addresses: BTreeSet<IpAddr> = pod.host_ips.iter().copied().collect();
    if let Some(node) = pod.node_name.as_deref().and_then(|name| cluster.node(name)) {
        addresses.extend(node.addresses.iter().copied());
    }
    addresses.into_iter().collect()
}

/// The local-node objects of `cluster` (whether the rule is on is the caller's choice).
pub fn local_node(cluster: &Cluster) -> LocalNode {
    // Each distinct set of addresses, with the tag value naming it.
    let mut values: BTreeMap<Vec<IpAddr>, String> = BTreeMap::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out = LocalNode::default();
    let mut rules = Vec::new();
    for pod in &cluster.pods {
        let addresses = local_addresses(cluster, pod);
        let Some(first) = addresses.first() else {
            out.pod_tags.push(None);
            continue;
        };
        let value = match values.get(&addresses) {
            Some(value) => value.clone(),
            None => {
                // The node's name; pods of one node that report other host IPs get `-<k>`.
                let base = pod.node_name.clone().unwrap_or_else(|| first.to_string());
                let mut value = base.clone();
                let mut k = 1;
                while taken.contains(&value) {
                    value = format!("{base}-{k}");
                    k += 1;
                }
                taken.insert(value.clone());
                values.insert(addresses.clone(), value.clone());
                let group = format!("local-node_{value}");
                out.groups.push(AddressGroup {
                    name: group.clone(),
                    prefixes: addresses.iter().map(|ip| IpNet::from(*ip)).collect(),
                    except: Vec::new(),
                });
                let tag = node_tag(&value);
                out.tags.push(tag);
                rules.push(FirewallRule {
                    name: format!("local-node_{value}-ingress"),
                    action: Action::Pass,
                    service: Service::ANY,
                    endpoint_1: Endpoint::Tags(vec![TagTerm {
                        kind: TagKind::Node,
                        key: NODE_TAG_KEY.to_string(),
                        op: TagOp::In([value.clone()].into()),
                    }]),
                    direction: Direction::Ingress,
                    endpoint_2: Endpoint::AddressGroup(group),
                });
                value
            }
        };
        out.pod_tags.push(Some(node_tag(&value)));
    }
    if !rules.is_empty() {
        out.policy = Some(FirewallPolicy {
            tier: None,
            name: LOCAL_NODE_POLICY.to_string(),
            rules,
        });
    }
    out
}

fn node_tag(value: &str) -> Tag {
    Tag {
        kind: TagKind::Node,
        key: NODE_TAG_KEY.to_string(),
        value: value.to_string(),
    }
}
