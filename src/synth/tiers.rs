//! ClusterNetworkPolicies (`policy.networking.k8s.io/v1alpha2`) over the realistic cluster's
//! vocabulary: cluster-wide guard rails as administrators write them (whole teams and
//! environments as subjects, a third of the rules handing traffic on with `Pass`), in the Admin
//! tier and, one in five, the Baseline tier. Wide subjects and Pass chains are what make tiers
//! expensive for a compiled structure, so the benches and `tagwall bench` measure them.

use serde_json::{Value, json};

use super::cluster::{APP_NAMES, ENVS, TEAMS};
use crate::rng::Rng;

/// Rules per direction: one to this many.
const MAX_RULES: usize = 4;

/// `count` ClusterNetworkPolicies named `admin-<i>` or `baseline-<i>`.
pub(crate) fn cluster_policies(rng: &mut Rng, count: usize) -> Vec<Value> {
    (0..count).map(|i| cluster_policy(rng, i)).collect()
}

fn cluster_policy(rng: &mut Rng, i: usize) -> Value {
    let baseline = rng.chance(5);
    let (tier, name) = if baseline {
        ("Baseline", format!("baseline-{i}"))
    } else {
        ("Admin", format!("admin-{i}"))
    };
    let ingress: Vec<Value> = (0..1 + rng.below(MAX_RULES))
        .map(|r| rule(rng, baseline, false, r))
        .collect();
    let egress: Vec<Value> = (0..1 + rng.below(MAX_RULES))
        .map(|r| rule(rng, baseline, true, r))
        .collect();
    json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha2",
        "kind": "ClusterNetworkPolicy",
        "metadata": {"name": name},
        "spec": {
            "tier": tier,
            "priority": rng.below(1001),
            "subject": subject(rng),
            "ingress": ingress,
            "egress": egress,
        },
    })
}

/// Whole teams, whole environments' apps, or every pod.
fn subject(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0..=4 => json!({"namespaces": {"matchLabels": {"team": rng.pick(TEAMS)}}}),
        5..=7 => json!({"pods": {
            "namespaceSelector": {"matchLabels": {"env": rng.pick(ENVS)}},
            "podSelector": {"matchLabels": {"app": rng.pick(APP_NAMES)}},
        }}),
        _ => json!({"namespaces": {}}),
    }
}

fn rule(rng: &mut Rng, baseline: bool, egress: bool, index: usize) -> Value {
    let action = if baseline {
        *rng.pick(&["Accept", "Deny"])
    } else {
        *rng.pick(&["Accept", "Deny", "Pass"])
    };
    let peers: Vec<Value> = (0..1 + rng.below(2)).map(|_| peer(rng, egress)).collect();
    // "networks/nodes/domainNames peer cannot be set with namedPorts".
    let addresses = peers.iter().any(|p| p.get("networks").is_some());
    let mut rule = json!({"name": format!("r{index}"), "action": action});
    rule[if egress { "to" } else { "from" }] = Value::Array(peers);
    if rng.chance(2) {
        rule["protocols"] = json!([protocol(rng, addresses)]);
    }
    rule
}

fn peer(rng: &mut Rng, egress: bool) -> Value {
    match rng.below(if egress { 8 } else { 6 }) {
        0..=2 => json!({"namespaces": {"matchLabels": {"team": rng.pick(TEAMS)}}}),
        3 | 4 => json!({"pods": {
            "namespaceSelector": {"matchLabels": {"env": rng.pick(ENVS)}},
            "podSelector": {"matchLabels": {"tier": rng.pick(&["frontend", "backend", "data"])}},
        }}),
        5 => json!({"namespaces": {}}),
        // Egress only: pod subnets (the realistic cluster's pods live in 10.244.0.0/16), and
        // now and then everything.
        6 => json!({"networks": [format!("10.244.{}.0/24", rng.below(256))]}),
        _ => json!({"networks": [*rng.pick(&["0.0.0.0/0", "10.0.0.0/8", "192.168.0.0/16"])]}),
    }
}

fn protocol(rng: &mut Rng, addresses: bool) -> Value {
    match rng.below(4) {
        0 if !addresses => json!({"destinationNamedPort": rng.pick(&["http", "metrics", "grpc"])}),
        1 => json!({"tcp": {"destinationPort": {"range": {"start": 8000, "end": 9100}}}}),
        2 => json!({"udp": {"destinationPort": {"number": 53}}}),
        _ => json!({"tcp": {"destinationPort": {"number": *rng.pick(&[5432, 6379, 8080, 8443])}}}),
    }
}
