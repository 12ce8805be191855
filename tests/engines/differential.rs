//! The backbone: on generated clusters, every engine gives the same answer.
//!
//! - `reference` (Kubernetes semantics) == `linear` over the `kubernetes`-mode translation ==
//!   `compiled` over it, on every pod pair, external address, protocol and port;
//! - `compiled` == `linear` verdict for verdict (deciding rules included) in both modes.
//!
//! Clusters carry nodes (pods on them, or with only a host IP) and ClusterNetworkPolicy tiers
//! (`support::tiers`), so the local-node rule, Admin/Baseline order and Pass chains are compared
//! too. Clusters come from a small vocabulary on purpose (few labels, values, namespaces and CIDRs),
//! so selectors, peers and ipBlocks collide often, and port ranges overlap. Each case is one
//! seed; a failure prints the seed and the cluster as JSON. Cases: `TAGWALL_PROPTEST_CASES`
//! (default 256).
//!
//! `compiled` is built twice: with the default limits, and with a split budget of zero, which
//! keeps every port table's narrow candidates as a scan list (the bounded form big inputs
//! degrade to), so both forms face the oracles on every case. The hostile shapes of
//! `tagwall gen --shape` (unique identities, nested prefixes, overlapping port ranges) run at
//! small sizes too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "generated clusters are valid by construction; a failure is a test bug"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use proptest::prelude::*;
use tagwall::compile::{Builder, Config};
use tagwall::model::{
    Cluster, IpBlock, LabelSelector, Labels, LocalNodeRule, NAMESPACE_NAME_LABEL, NamedPort,
    Namespace, NetworkPolicy, Node, Operator, Peer, Pod, PolicyPort, PolicyTypes, PortRule,
    Requirement, Rule,
};
use tagwall::protocol::{PortRange, Protocol};
use tagwall::reference::{kubernetes, linear};
use tagwall::synth::Rng;
use tagwall::translate::{Mode, translate};
use tagwall::tuple::Tuple;

use crate::support;

/// Cases: `TAGWALL_PROPTEST_CASES`, 256 by default.
fn cases() -> u32 {
    support::cases(256)
}

const NAMESPACES: [&str; 3] = ["x", "y", "z"];
const KEYS: [&str; 3] = ["app", "tier", "team"];
const VALUES: [&str; 3] = ["a", "b", "c"];
const PORT_NAMES: [(&str, u16, Protocol); 4] = [
    ("http", 80, Protocol::Tcp),
    ("alt", 81, Protocol::Tcp),
    ("dns", 53, Protocol::Udp),
    ("sig", 90, Protocol::Sctp),
];
const CIDRS: [&str; 9] = [
    "10.0.0.0/16",
    "10.0.1.0/24",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "192.168.0.0/16",
    "10.0.2.0/25",
    "fd00::/16",
    "::/0",
    "fd00:0:0:1::/64",
];
const EXCEPTS: [&str; 8] = [
    "10.0.1.0/25",
    "10.0.1.1/32",
    "10.0.2.0/24",
    "10.0.0.0/24",
    "192.168.1.0/24",
    "fd00:0:0:1::/64",
    "fd00:0:0:1::2/128",
    "10.0.0.0/16",
];
const EXTERNALS: [&str; 5] = [
    "10.0.1.77",
    "10.9.9.9",
    "192.168.1.5",
    "8.8.8.8",
    "fd00:0:0:9::1",
];

/// Nodes n1 and n2; each has one IPv4 address of [`NODE_ADDRESSES`] and n2 an IPv6 one too.
const NODES: [&str; 2] = ["n1", "n2"];
const NODE_ADDRESSES: [&str; 3] = ["10.0.9.1", "10.0.9.2", "fd00:0:0:9::2"];

fn nodes(rng: &mut Rng) -> Vec<Node> {
    vec![
        Node {
            name: "n1".to_string(),
            labels: labels(rng, 1),
            addresses: vec![NODE_ADDRESSES[0].parse().unwrap()],
        },
        Node {
            name: "n2".to_string(),
            labels: labels(rng, 1),
            addresses: vec![
                NODE_ADDRESSES[1].parse().unwrap(),
                NODE_ADDRESSES[2].parse().unwrap(),
            ],
        },
    ]
}

fn labels(rng: &mut Rng, max: usize) -> Labels {
    let mut labels = Labels::new();
    for _ in 0..rng.below(max + 1) {
        labels.insert(rng.pick(&KEYS).to_string(), rng.pick(&VALUES).to_string());
    }
    labels
}

fn selector(rng: &mut Rng) -> LabelSelector {
    let mut selector = LabelSelector {
        match_labels: labels(rng, 1),
        match_expressions: Vec::new(),
    };
    for _ in 0..rng.below(2) {
        let operator = *rng.pick(&[
            Operator::In,
            Operator::NotIn,
            Operator::Exists,
            Operator::DoesNotExist,
        ]);
        let values: BTreeSet<String> = match operator {
            Operator::In | Operator::NotIn => (0..1 + rng.below(2))
                .map(|_| rng.pick(&VALUES).to_string())
                .collect(),
            Operator::Exists | Operator::DoesNotExist => BTreeSet::new(),
        };
        selector.match_expressions.push(Requirement {
            key: rng.pick(&KEYS).to_string(),
            operator,
            values,
        });
    }
    selector
}

fn ip_block(rng: &mut Rng) -> IpBlock {
    let cidr: IpNet = rng.pick(&CIDRS).parse().unwrap();
    let except = EXCEPTS
        .iter()
        .map(|e| e.parse::<IpNet>().unwrap())
        .filter(|e| cidr.contains(e) && e.prefix_len() > cidr.prefix_len() && rng.chance(50))
        .collect();
    IpBlock { cidr, except }
}

fn peer(rng: &mut Rng) -> Peer {
    match rng.below(5) {
        0 => Peer::IpBlock(ip_block(rng)),
        1 => Peer::Pods {
            namespace_selector: Some(selector(rng)),
            pod_selector: None,
        },
        2 => Peer::Pods {
            namespace_selector: None,
            pod_selector: Some(selector(rng)),
        },
        _ => Peer::Pods {
            namespace_selector: Some(selector(rng)),
            pod_selector: Some(selector(rng)),
        },
    }
}

fn port_rule(rng: &mut Rng) -> PortRule {
    let protocol = *rng.pick(&[Protocol::Tcp, Protocol::Tcp, Protocol::Udp, Protocol::Sctp]);
    let port = match rng.below(6) {
        0 => None,
        1 => Some(PolicyPort::Numbers(PortRange::single(
            *rng.pick(&[80, 81, 53, 90]),
        ))),
        2 => Some(PolicyPort::Numbers(PortRange { start: 80, end: 85 })),
        // Overlapping ranges, some reaching the ends of the port space.
        3 => {
            let start = *rng.pick(&[1, 80, 81, 82]);
            let end = *rng.pick(&[81, 85, 65535]);
            Some(PolicyPort::Numbers(PortRange {
                start: start.min(end),
                end: start.max(end),
            }))
        }
        _ => Some(PolicyPort::Named(
            rng.pick(&["http", "alt", "dns", "sig", "none"]).to_string(),
        )),
    };
    PortRule { protocol, port }
}

fn rules(rng: &mut Rng) -> Vec<Rule> {
    (0..rng.below(3))
        .map(|_| Rule {
            peers: rng
                .chance(75)
                .then(|| (0..1 + rng.below(3)).map(|_| peer(rng)).collect()),
            ports: rng
                .chance(60)
                .then(|| (0..1 + rng.below(2)).map(|_| port_rule(rng)).collect()),
        })
        .collect()
}

/// A small cluster: namespaces x/y/z, 1-4 pods each (some dual-stack), 1-5 policies.
fn cluster(seed: u64) -> Cluster {
    let mut rng = Rng::new(seed);
    let mut cluster = Cluster {
        nodes: nodes(&mut rng),
        local_node_rule: if rng.chance(80) {
            LocalNodeRule::On
        } else {
            LocalNodeRule::Off
        },
        ..Cluster::default()
    };
    for (n, name) in NAMESPACES.iter().enumerate() {
        let mut ns_labels = labels(&mut rng, 2);
        ns_labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.to_string());
        cluster.namespaces.insert(
            name.to_string(),
            Namespace {
                name: name.to_string(),
                labels: ns_labels,
            },
        );
        for p in 0..1 + rng.below(4) {
            let mut ips: Vec<IpAddr> = vec![format!("10.0.{n}.{}", p + 1).parse().unwrap()];
            if rng.chance(30) {
                ips.push(format!("fd00:0:0:{n}::{}", p + 1).parse().unwrap());
            }
            let mut ports = Vec::new();
            for (name, port, protocol) in PORT_NAMES {
                if rng.chance(50) {
                    ports.push(NamedPort {
                        name: name.to_string(),
                        // Pods disagree on a name's number, as real ones do.
                        port: port + u16::from(rng.chance(20)),
                        protocol,
                    });
                }
            }
            ports.sort();
            // Pods run on one of the nodes, or report only a host IP, or neither (pending).
            let (node_name, host_ips) = match rng.below(4) {
                0 => (None, Vec::new()),
                1 => (None, vec![rng.pick(&NODE_ADDRESSES).parse().unwrap()]),
                _ => (Some(rng.pick(&NODES).to_string()), Vec::new()),
            };
            cluster.pods.push(Pod {
                namespace: name.to_string(),
                name: format!("p{p}"),
                labels: labels(&mut rng, 3),
                ips,
                ports,
                node_name,
                host_ips,
            });
        }
    }
    let mut names = BTreeMap::new();
    for i in 0..1 + rng.below(5) {
        let namespace = rng.pick(&NAMESPACES).to_string();
        let ingress = rules(&mut rng);
        let egress = rules(&mut rng);
        let policy_types = match rng.below(3) {
            0 => PolicyTypes {
                ingress: true,
                egress: false,
            },
            1 => PolicyTypes {
                ingress: false,
                egress: true,
            },
            _ => PolicyTypes {
                ingress: true,
                egress: true,
            },
        };
        let policy = NetworkPolicy {
            namespace: namespace.clone(),
            // Names repeat across namespaces (as `default-deny` does in real clusters).
            name: format!("np{}", i % 2),
            pod_selector: if rng.chance(30) {
                LabelSelector::default()
            } else {
                selector(&mut rng)
            },
            policy_types,
            ingress,
            egress,
        };
        names.insert((namespace, policy.name.clone()), policy);
    }
    cluster.policies = names.into_values().collect();
    let names: Vec<&str> = PORT_NAMES.iter().map(|(name, _, _)| *name).collect();
    cluster.cluster_policies = support::tiers::cluster_policies(&mut rng, &mut selector, &names);
    cluster
}

fn tuples(cluster: &Cluster) -> Vec<Tuple> {
    let mut addresses: Vec<IpAddr> = cluster.pods.iter().flat_map(|p| p.ips.clone()).collect();
    addresses.extend(EXTERNALS.iter().map(|a| a.parse::<IpAddr>().unwrap()));
    addresses.extend(NODE_ADDRESSES.iter().map(|a| a.parse::<IpAddr>().unwrap()));
    let mut out = Vec::new();
    for &src in &addresses {
        for &dst in &addresses {
            if src.is_ipv4() != dst.is_ipv4() {
                continue;
            }
            for protocol in [
                Protocol::Tcp,
                Protocol::Udp,
                Protocol::Sctp,
                Protocol::Other(1),
            ] {
                // Every range edge of the generator, and either side of it.
                for port in [1, 53, 79, 80, 81, 82, 85, 86, 90, 9999, 65535] {
                    out.push(Tuple {
                        src,
                        dst,
                        protocol,
                        src_port: 40000,
                        dst_port: port,
                    });
                }
            }
        }
    }
    out
}

/// Limits under which every port table keeps its narrow candidates as a scan list.
fn scan_everything() -> Config {
    Config {
        split_factor: 0,
        split_minimum: 0,
        ..Config::default()
    }
}

fn check(seed: u64) -> Result<(), TestCaseError> {
    let cluster = cluster(seed);
    let dump = || serde_json::to_string(&cluster).unwrap();
    let builder = Builder::new(Config::default());
    let k8s = translate(&cluster, Mode::Kubernetes).config;
    let cn2 = translate(&cluster, Mode::Cn2).config;
    let compiled_k8s = builder.build(&k8s).expect("compiles");
    let compiled_cn2 = builder.build(&cn2).expect("compiles");
    let scanned_k8s = Builder::new(scan_everything())
        .build(&k8s)
        .expect("compiles");
    for tuple in tuples(&cluster) {
        let reference = kubernetes::evaluate(&cluster, &tuple);
        let linear_k8s = linear::evaluate(&k8s, &tuple);
        prop_assert_eq!(
            reference.allowed(),
            linear_k8s.allowed(),
            "seed {} tuple {:?}\nreference: {}\nlinear: {:?}\ncluster: {}",
            seed,
            tuple,
            reference,
            linear_k8s,
            dump()
        );
        prop_assert_eq!(
            compiled_k8s.lookup(&tuple),
            linear_k8s,
            "seed {} tuple {:?}",
            seed,
            tuple
        );
        prop_assert_eq!(
            scanned_k8s.lookup(&tuple),
            linear_k8s,
            "seed {} tuple {:?} (scan lists)",
            seed,
            tuple
        );
        let linear_cn2 = linear::evaluate(&cn2, &tuple);
        prop_assert_eq!(
            compiled_cn2.lookup(&tuple),
            linear_cn2,
            "seed {} tuple {:?}",
            seed,
            tuple
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(support::proptest_config(cases()))]

    #[test]
    fn all_engines_agree_on_small_worlds(seed in any::<u64>()) {
        check(seed)?;
    }
}

/// The synthetic generator's clusters (realistic shapes, bigger) agree too.
#[test]
fn all_engines_agree_on_synthetic_clusters() {
    for seed in 0..u64::from(cases() / 64).max(2) {
        let params = tagwall::synth::SynthParams {
            namespaces: 4,
            pods: 40,
            policies: 12,
            seed,
            ..Default::default()
        };
        let cluster = tagwall::k8s::load_str("synthetic.json", &tagwall::synth::generate(&params))
            .expect("synthetic clusters load")
            .cluster;
        let k8s = translate(&cluster, Mode::Kubernetes).config;
        let compiled = Builder::new(Config::default())
            .build(&k8s)
            .expect("compiles");
        for tuple in tuples(&cluster).into_iter().step_by(7) {
            let reference = kubernetes::evaluate(&cluster, &tuple);
            let verdict = compiled.lookup(&tuple);
            assert_eq!(
                reference.allowed(),
                verdict.allowed(),
                "seed {seed} tuple {tuple:?}\n{reference}"
            );
            assert_eq!(
                verdict,
                linear::evaluate(&k8s, &tuple),
                "seed {seed} tuple {tuple:?}"
            );
        }
    }
}

/// The hostile shapes at small sizes: every engine, both compiled forms, every pod pair on the
/// edges of every rule's port range, and addresses in, beside and outside every prefix.
#[test]
fn all_engines_agree_on_hostile_shapes() {
    use tagwall::synth::{Shape, SynthParams, generate};
    let shapes = [
        (Shape::UniqueIdentities, 24, 12),
        (Shape::Prefixes, 12, 10),
        (Shape::PortRanges, 5, 40),
    ];
    for seed in 0..u64::from(cases() / 64).max(2) {
        for (shape, pods, policies) in shapes {
            let params = SynthParams {
                pods,
                policies,
                seed,
                shape,
                ..SynthParams::default()
            };
            let cluster = tagwall::k8s::load_str("shape.json", &generate(&params))
                .expect("shapes load")
                .cluster;
            let k8s = translate(&cluster, Mode::Kubernetes).config;
            let compiled = Builder::new(Config::default())
                .build(&k8s)
                .expect("compiles");
            let scanned = Builder::new(scan_everything())
                .build(&k8s)
                .expect("compiles");
            if shape == Shape::PortRanges {
                // The degraded form is really the one under test.
                assert!(scanned.degraded_count() > 0, "seed {seed}");
            }
            for tuple in shape_tuples(&cluster, &k8s) {
                let reference = kubernetes::evaluate(&cluster, &tuple);
                let oracle = linear::evaluate(&k8s, &tuple);
                let context = || format!("{shape:?} seed {seed} tuple {tuple:?}");
                assert_eq!(
                    reference.allowed(),
                    oracle.allowed(),
                    "{}
{reference}",
                    context()
                );
                assert_eq!(compiled.lookup(&tuple), oracle, "{}", context());
                assert_eq!(scanned.lookup(&tuple), oracle, "{} (scan lists)", context());
            }
        }
    }
}

/// Pod pairs on every rule's range edges (and either side), plus, per prefix, its first and
/// last address and the addresses just outside it, as peers of every pod, both ways.
fn shape_tuples(cluster: &Cluster, config: &tagwall::firewall::FirewallConfig) -> Vec<Tuple> {
    use tagwall::firewall::ServicePorts;
    let mut ports: BTreeSet<u16> = [1, 443, 65535].into();
    for (_, _, rule) in config.rules() {
        if let ServicePorts::Range(range) = &rule.service.ports {
            for port in [range.start, range.end] {
                ports.extend([port.saturating_sub(1), port, port.saturating_add(1)]);
            }
        }
    }
    let ports: Vec<u16> = ports.into_iter().filter(|p| *p != 0).collect();
    let pods: Vec<IpAddr> = cluster.pods.iter().flat_map(|p| p.ips.clone()).collect();
    let mut outside: BTreeSet<IpAddr> = BTreeSet::new();
    for group in &config.address_groups {
        for net in group.prefixes.iter().chain(&group.except) {
            if let (IpAddr::V4(first), IpAddr::V4(last)) = (net.network(), net.broadcast()) {
                outside.extend([first, last].map(IpAddr::V4));
                outside.extend(first.to_bits().checked_sub(1).map(|a| IpAddr::V4(a.into())));
                outside.extend(last.to_bits().checked_add(1).map(|a| IpAddr::V4(a.into())));
            }
        }
    }
    let mut out = Vec::new();
    let mut push = |src: IpAddr, dst: IpAddr, port: u16| {
        out.push(Tuple {
            src,
            dst,
            protocol: Protocol::Tcp,
            src_port: 40000,
            dst_port: port,
        });
    };
    for &src in &pods {
        for &dst in &pods {
            for &port in &ports {
                push(src, dst, port);
            }
        }
        for &external in &outside {
            push(src, external, 443);
            push(external, src, 443);
        }
    }
    out
}

/// `vnc-json` on the same small worlds, both modes: the exported Contrail objects, evaluated in
/// vRouter agent order (`tagwall::firewall::vnc::eval`), decide every tuple as the linear scan
/// of the firewall model does, and every verifier probe as the compiled engine does.
fn check_vnc(seed: u64) -> Result<(), TestCaseError> {
    let cluster = cluster(seed);
    for mode in [Mode::Kubernetes, Mode::Cn2] {
        let config = translate(&cluster, mode).config;
        let (objects, _) = tagwall::firewall::vnc::export_objects(&config);
        let evaluator =
            tagwall::firewall::vnc::eval::Evaluator::new(&objects).expect("objects resolve");
        // A tier pass has no Contrail form and is exported as a deny: then the export may
        // only allow less; without one it must be exact.
        let has_pass = config
            .rules()
            .any(|(_, _, r)| r.action == tagwall::firewall::Action::Next);
        for tuple in tuples(&cluster) {
            let vnc = evaluator.evaluate(&tuple);
            let linear = linear::evaluate(&config, &tuple);
            if has_pass {
                prop_assert!(
                    !vnc.allowed() || linear.allowed(),
                    "seed {} {} tuple {:?}: the export allows what tagwall denies\nvnc: {:?}\nlinear: {:?}",
                    seed,
                    mode,
                    tuple,
                    vnc,
                    linear
                );
                continue;
            }
            prop_assert_eq!(
                vnc.allowed(),
                linear.allowed(),
                "seed {} {} tuple {:?}\nvnc: {:?}\nlinear: {:?}",
                seed,
                mode,
                tuple,
                vnc,
                linear
            );
        }
        let compiled = Builder::new(Config::default())
            .build(&config)
            .expect("compiles");
        let report = tagwall::firewall::vnc::verify::verify(&config, &objects, |t| {
            compiled.lookup(t).allowed()
        })
        .expect("objects resolve");
        prop_assert!(
            report.widening().next().is_none(),
            "seed {} {}: {:?}",
            seed,
            mode,
            report.widening().next()
        );
        prop_assert!(
            has_pass || report.disagreements.is_empty(),
            "seed {} {}: {:?}",
            seed,
            mode,
            report.disagreements.first()
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(support::proptest_config(cases() / 4))]

    #[test]
    fn vnc_export_decides_as_tagwall_on_small_worlds(seed in any::<u64>()) {
        check_vnc(seed)?;
    }
}
