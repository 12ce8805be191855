//! Hostile input shapes: clusters built so that one input dimension multiplies another in a
//! naive compiled structure (identities x rules, prefixes x groups, port intervals x
//! candidates). `tagwall gen --shape` writes them; benches and the differential tests use them
//! at small sizes to keep every engine honest where the fast path is most tempted to cut
//! corners.

use serde_json::{Value, json};

use super::cluster::Objects;
use super::{Shape, SynthParams};
use crate::rng::Rng;

/// Pods each unique-identity policy selects, and peers it admits.
const UNIQUE_FANOUT: usize = 20;

/// Label groups of the prefix shape.
const PREFIX_GROUPS: usize = 50;

/// Client label values of the port-range shape.
const PORT_CLIENTS: usize = 16;

/// Generates the objects of `params.shape` (not [`Shape::Friendly`], which `cluster` writes).
pub(crate) fn generate(params: &SynthParams) -> Objects {
    let mut rng = Rng::new(params.seed);
    let namespace = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shape", "labels": {"kubernetes.io/metadata.name": "shape"}},
    });
    let (pods, policies) = match params.shape {
        Shape::UniqueIdentities => unique_identities(&mut rng, params),
        Shape::Prefixes => prefixes(&mut rng, params),
        Shape::PortRanges => port_ranges(&mut rng, params),
        Shape::Friendly => (Vec::new(), Vec::new()),
    };
    Objects {
        namespaces: vec![namespace],
        pods,
        policies,
    }
}

fn pod(i: usize, labels: Value) -> Value {
    let n = (0x00F4_0002 + i as u32) & 0x00FF_FFFF;
    let ip = format!("10.{}.{}.{}", n >> 16, (n >> 8) & 0xFF, n & 0xFF);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": format!("pod-{i}"), "namespace": "shape", "labels": labels},
        "spec": {"containers": [{"name": "main"}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
    })
}

fn policy(j: usize, spec: Value) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": format!("shape-{j}"), "namespace": "shape"},
        "spec": spec,
    })
}

/// `count` distinct pod ids out of `pods`.
fn ids(rng: &mut Rng, pods: usize, count: usize) -> Vec<String> {
    let mut picked: Vec<usize> = (0..count.min(pods)).map(|_| rng.below(pods)).collect();
    picked.sort_unstable();
    picked.dedup();
    picked.into_iter().map(|i| format!("p{i}")).collect()
}

/// Every pod its own identity (a per-pod label, as StatefulSet pod-name selectors give); each
/// policy selects 20 pods by `id In [...]` and admits 20 others on its own port.
fn unique_identities(rng: &mut Rng, params: &SynthParams) -> (Vec<Value>, Vec<Value>) {
    let pods = (0..params.pods)
        .map(|i| pod(i, json!({"id": format!("p{i}")})))
        .collect();
    let policies = (0..params.policies)
        .map(|j| {
            let selected = ids(rng, params.pods, UNIQUE_FANOUT);
            let admitted = ids(rng, params.pods, UNIQUE_FANOUT);
            policy(
                j,
                json!({
                    "podSelector": {"matchExpressions": [
                        {"key": "id", "operator": "In", "values": selected},
                    ]},
                    "policyTypes": ["Ingress"],
                    "ingress": [{
                        "from": [{"podSelector": {"matchExpressions": [
                            {"key": "id", "operator": "In", "values": admitted},
                        ]}}],
                        "ports": [{"port": 1024 + (j % 60_000) as u16, "protocol": "TCP"}],
                    }],
                }),
            )
        })
        .collect();
    (pods, policies)
}

/// 50 label groups; each policy an ingress `ipBlock` /16 (one of 16,384 in 10.0.0.0/8 to
/// 73.0.0.0/8, so that blocks repeat and their excepts nest inside them) with five /24
/// `except`s on TCP 443, plus an egress /24.
fn prefixes(rng: &mut Rng, params: &SynthParams) -> (Vec<Value>, Vec<Value>) {
    let pods = (0..params.pods)
        .map(|i| pod(i, json!({"group": format!("g{}", i % PREFIX_GROUPS)})))
        .collect();
    let policies = (0..params.policies)
        .map(|j| {
            let block = format!("{}.{}", 10 + rng.below(64), rng.below(256));
            let except: Vec<String> = (0..5)
                .map(|_| format!("{block}.{}.0/24", rng.below(256)))
                .collect();
            let egress = format!("{}.{}.{}.0/24", 10 + rng.below(64), rng.below(256), rng.below(256));
            policy(
                j,
                json!({
                    "podSelector": {"matchLabels": {"group": format!("g{}", rng.below(PREFIX_GROUPS))}},
                    "policyTypes": ["Ingress", "Egress"],
                    "ingress": [{
                        "from": [{"ipBlock": {"cidr": format!("{block}.0.0/16"), "except": except}}],
                        "ports": [{"port": 443, "protocol": "TCP"}],
                    }],
                    "egress": [{"to": [{"ipBlock": {"cidr": egress}}]}],
                }),
            )
        })
        .collect();
    (pods, policies)
}

/// One server pod and clients; policy `i` admits ports `[1 + i, 65535]` (wrapping below
/// 65535) to the server from one of 16 client groups: every port interval has its own
/// candidate list, each almost as long as the rules.
fn port_ranges(_rng: &mut Rng, params: &SynthParams) -> (Vec<Value>, Vec<Value>) {
    let mut pods = vec![pod(0, json!({"role": "server"}))];
    pods.extend(
        (1..params.pods.max(2))
            .map(|i| pod(i, json!({"client": format!("c{}", i % PORT_CLIENTS)}))),
    );
    let policies = (0..params.policies)
        .map(|j| {
            let start = 1 + (j % 65_534) as u16;
            policy(
                j,
                json!({
                    "podSelector": {"matchLabels": {"role": "server"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{
                        "from": [{"podSelector": {"matchLabels": {"client": format!("c{}", j % PORT_CLIENTS)}}}],
                        "ports": [{"port": start, "endPort": 65535, "protocol": "TCP"}],
                    }],
                }),
            )
        })
        .collect();
    (pods, policies)
}
