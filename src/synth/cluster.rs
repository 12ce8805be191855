//! Namespaces, pods and network policies that look like a real multi-team cluster.

use serde_json::{Value, json};

use super::SynthParams;
use crate::rng::Rng;

pub(crate) const TEAMS: &[&str] = &[
    "payments", "search", "checkout", "identity", "platform", "data", "ml", "edge",
];
pub(crate) const ENVS: &[&str] = &["prod", "staging", "dev"];
pub(crate) const VERSIONS: &[&str] = &["v1", "v2", "v3"];

/// The applications' names (`app` labels), as in [`APPS`].
pub(crate) const APP_NAMES: &[&str] = &[
    "web",
    "api",
    "worker",
    "cache",
    "db",
    "gateway",
    "dns-cache",
    "auth",
];

/// An application: its name, tier and named container ports (name, port, protocol).
struct App {
    name: &'static str,
    tier: &'static str,
    ports: &'static [(&'static str, u16, &'static str)],
}

const APPS: &[App] = &[
    App {
        name: "web",
        tier: "frontend",
        ports: &[("http", 8080, "TCP"), ("metrics", 9090, "TCP")],
    },
    App {
        name: "api",
        tier: "backend",
        ports: &[
            ("http", 8080, "TCP"),
            ("grpc", 9000, "TCP"),
            ("metrics", 9090, "TCP"),
        ],
    },
    App {
        name: "worker",
        tier: "backend",
        ports: &[("metrics", 9090, "TCP")],
    },
    App {
        name: "cache",
        tier: "data",
        ports: &[("redis", 6379, "TCP")],
    },
    App {
        name: "db",
        tier: "data",
        ports: &[("postgres", 5432, "TCP"), ("metrics", 9187, "TCP")],
    },
    App {
        name: "gateway",
        tier: "frontend",
        ports: &[("https", 8443, "TCP"), ("http", 8080, "TCP")],
    },
    App {
        name: "dns-cache",
        tier: "infra",
        ports: &[("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")],
    },
    App {
        name: "auth",
        tier: "backend",
        ports: &[("grpc", 9000, "TCP"), ("metrics", 9090, "TCP")],
    },
];

/// The generated objects, by kind.
pub(crate) struct Objects {
    pub namespaces: Vec<Value>,
    pub pods: Vec<Value>,
    pub policies: Vec<Value>,
}

/// Generates `params.namespaces` namespaces, `params.pods` pods and `params.policies` policies.
pub(crate) fn generate(params: &SynthParams) -> Objects {
    let mut rng = Rng::new(params.seed);
    let mut names = Vec::with_capacity(params.namespaces);
    let mut namespaces = Vec::with_capacity(params.namespaces);
    for i in 0..params.namespaces {
        let team = rng.pick(TEAMS);
        let env = rng.pick(ENVS);
        let name = format!("{team}-{env}-{i}");
        namespaces.push(json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "labels": {"kubernetes.io/metadata.name": name, "team": team, "env": env},
            },
        }));
        names.push(name);
    }
    if names.is_empty() {
        names.push("default".to_string());
    }
    let mut pods = Vec::with_capacity(params.pods);
    for i in 0..params.pods {
        let namespace = rng.pick(&names);
        pods.push(pod(&mut rng, i, namespace));
    }
    let mut policies = Vec::with_capacity(params.policies);
    for j in 0..params.policies {
        let namespace = rng.pick(&names);
        policies.push(policy(&mut rng, j, namespace));
    }
    Objects {
        namespaces,
        pods,
        policies,
    }
}

/// Pod `i`'s IPv4 address: 10.244.0.2 onwards, unique for the first 16 million pods.
fn ipv4(i: usize) -> String {
    let n = (0x00F4_0002 + i as u32) & 0x00FF_FFFF;
    format!("10.{}.{}.{}", n >> 16, (n >> 8) & 0xFF, n & 0xFF)
}

pub(crate) fn pod(rng: &mut Rng, i: usize, namespace: &str) -> Value {
    let app = &APPS[rng.below(APPS.len())];
    let version = rng.pick(VERSIONS);
    let hash = rng.next_u64() & 0xFF_FFFF_FFFF;
    let name = format!("{}-{hash:010x}-{i}", app.name);
    let ports: Vec<Value> = app
        .ports
        .iter()
        .map(|(name, port, protocol)| {
            json!({"name": name, "containerPort": port, "protocol": protocol})
        })
        .collect();
    let mut labels = json!({"app": app.name, "tier": app.tier, "version": version});
    if rng.chance(10) {
        labels["canary"] = json!("true");
    }
    // A few pods are still pending, without an IP; a fifth are dual-stack.
    let status = if rng.chance(2) {
        json!({"phase": "Pending"})
    } else {
        let v4 = ipv4(i);
        let mut ips = vec![json!({"ip": v4})];
        if rng.chance(20) {
            ips.push(json!({"ip": format!("fd00:10:244::{:x}", i + 2)}));
        }
        json!({"phase": "Running", "podIP": v4, "podIPs": ips})
    };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": app.name, "ports": ports}]},
        "status": status,
    })
}

pub(crate) fn policy(rng: &mut Rng, j: usize, namespace: &str) -> Value {
    let app = APPS[rng.below(APPS.len())].name;
    let (name, spec) = match rng.below(8) {
        0 => (
            "default-deny-ingress",
            json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        ),
        1 => (
            "default-deny-all",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ),
        2 => (
            "allow-frontend",
            json!({
                "podSelector": {"matchLabels": {"app": app}},
                "ingress": [{
                    "from": [{"podSelector": {"matchLabels": {"tier": "frontend"}}}],
                    "ports": [{"port": "http"}, {"port": "grpc", "protocol": "TCP"}],
                }],
            }),
        ),
        3 => (
            "allow-team",
            json!({
                "podSelector": {"matchLabels": {"app": app}},
                "ingress": [{
                    "from": [{
                        "namespaceSelector": {"matchLabels": {"team": rng.pick(TEAMS)}},
                        "podSelector": {"matchExpressions": [
                            {"key": "app", "operator": "In", "values": ["api", "web"]},
                        ]},
                    }],
                    "ports": [{"port": 8080, "protocol": "TCP"}],
                }],
            }),
        ),
        4 => {
            let second = 16 + rng.below(16);
            let third = rng.below(256);
            (
                "allow-cidr",
                json!({
                    "podSelector": {"matchLabels": {"tier": "frontend"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{
                        "from": [{"ipBlock": {
                            "cidr": format!("172.{second}.0.0/16"),
                            "except": [format!("172.{second}.{third}.0/24")],
                        }}],
                        "ports": [{"port": 30000, "endPort": 32767}, {"port": 443}],
                    }],
                }),
            )
        }
        5 => (
            "egress-dns",
            json!({
                "podSelector": {"matchLabels": {"app": app}},
                "policyTypes": ["Egress"],
                "egress": [{
                    "to": [
                        {"namespaceSelector": {"matchExpressions": [
                            {"key": "env", "operator": "NotIn", "values": ["dev"]},
                            {"key": "team", "operator": "Exists"},
                        ]}},
                        {"podSelector": {"matchExpressions": [
                            {"key": "canary", "operator": "DoesNotExist"},
                        ]}},
                    ],
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": "dns-tcp"}],
                }],
            }),
        ),
        6 => (
            "egress-internet",
            json!({
                "podSelector": {"matchLabels": {"tier": "backend"}},
                "policyTypes": ["Egress"],
                "egress": [{
                    "to": [
                        {"ipBlock": {"cidr": "0.0.0.0/0",
                            "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}},
                        {"ipBlock": {"cidr": "::/0", "except": ["fd00::/8"]}},
                    ],
                    "ports": [{"port": 443}, {"port": 8000, "endPort": 8999, "protocol": "TCP"}],
                }],
            }),
        ),
        _ => (
            "allow-metrics",
            json!({
                "podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"team": "platform"}}}],
                        "ports": [{"port": "metrics"}],
                    },
                    {"from": [{"podSelector": {"matchLabels": {"app": app}}}]},
                ],
            }),
        ),
    };
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": format!("{name}-{j}"), "namespace": namespace},
        "spec": spec,
    })
}
