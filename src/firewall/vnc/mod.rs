//! The objects as a Contrail config API client would post them (`vnc-json`), and a check that
//! a vRouter agent evaluating them decides every connection as tagwall does.
//!
//! [`export_objects`] writes tags, address groups, firewall rules, firewall policies, the
//! application policy set, and the workloads' interfaces (`virtual-machine-interface`, which
//! carries each workload's tag references) with their addresses (`instance-ip`). Every object
//! has a `parent_type`; tags live in the same project as the rules that name them, so the API
//! server resolves a rule's `type=value` there (`_frs_fix_endpoint_tag` in
//! `vnc_cfg_api_server/resources/firewall_rule.py`).
//!
//! The export is exact for the inventory it is given (`src/firewall/vnc/build.rs` says how selectors
//! that are not an AND of tags, and named ports, are said); a rule that matches nothing in the
//! inventory is left out with a [`VncWarning`]. [`eval`] evaluates the objects as the agent
//! does, and [`verify`] compares that with tagwall on every connection that can tell them apart.
//!
//! Names are made safe by [`names`]: lower-case reversible escapes for tag types and values,
//! no `:` in names, zero-padded sequences.

mod build;
pub mod eval;
pub mod names;
pub mod objects;
pub mod verify;

use ipnet::IpNet;
use serde_json::Value;

use super::FirewallConfig;
pub use objects::VncObjects;

/// The project every object is created in.
const PROJECT: [&str; 2] = ["default-domain", "k8s"];
/// The pod network kube-manager creates (`cluster_default_pod_network_fq_name` in
/// `kube_manager/vnc/vnc_kubernetes_config.py`, cluster `k8s`), which workloads attach to.
const POD_NETWORK: [&str; 3] = ["default-domain", "k8s-default", "k8s-default-pod-network"];
/// The pod IPAM kube-manager creates (`<cluster>-pod-ipam` in `kube_manager/vnc/vnc_kubernetes.py`).
const POD_IPAM: [&str; 3] = ["default-domain", "k8s-default", "k8s-pod-ipam"];

/// A rule that `vnc-json` left out because it matches no connection of the inventory.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VncWarning {
    /// The rule's name.
    pub rule: String,
    /// Why it was left out.
    pub message: String,
}

impl std::fmt::Display for VncWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule `{}` of vnc-json: {}", self.rule, self.message)
    }
}

/// `cidr` minus every hole, as the fewest disjoint prefixes (split in halves until each half is
/// inside a hole or clear of all of them).
pub fn subtract(cidr: IpNet, holes: &[IpNet]) -> Vec<IpNet> {
    let mut out = Vec::new();
    let mut pending = vec![cidr];
    while let Some(prefix) = pending.pop() {
        if holes.iter().any(|h| h.contains(&prefix)) {
            continue;
        }
        if !holes.iter().any(|h| prefix.contains(h)) {
            out.push(prefix);
            continue;
        }
        // A hole lies strictly inside, so the prefix is not a host route and splits in two.
        if let Ok(halves) = prefix.subnets(prefix.prefix_len() + 1) {
            let halves: Vec<IpNet> = halves.collect();
            pending.extend(halves.into_iter().rev());
        }
    }
    out
}

/// The configuration as Contrail config API objects, and the rules left out.
pub fn export_objects(config: &FirewallConfig) -> (VncObjects, Vec<VncWarning>) {
    build::Builder::new(config).build()
}

/// [`export_objects`] as JSON, object lists keyed by type (`tag`, `firewall-rule`, ...).
pub fn export(config: &FirewallConfig) -> (Value, Vec<VncWarning>) {
    let (objects, warnings) = export_objects(config);
    // Plain structs of strings and numbers always serialise.
    let value = serde_json::to_value(&objects).unwrap_or(Value::Null);
    (value, warnings)
}
