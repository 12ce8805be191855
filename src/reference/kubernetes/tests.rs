//! Unit tests of the reference evaluator over clusters built in code.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::*;
use crate::model::{
    IpBlock, LabelSelector, NamedPort, Namespace, Operator, PolicyTypes, PortRule, Requirement,
};
use crate::protocol::PortRange;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn selector(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: labels(pairs),
        match_expressions: Vec::new(),
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn pod(namespace: &str, name: &str, ips: &[&str]) -> Pod {
    Pod {
        namespace: namespace.to_string(),
        name: name.to_string(),
        labels: labels(&[("pod", name)]),
        ips: ips.iter().map(|text| ip(text)).collect(),
        ports: Vec::new(),
        node_name: None,
        host_ips: Vec::new(),
    }
}

fn namespace(name: &str) -> Namespace {
    Namespace {
        name: name.to_string(),
        labels: labels(&[("ns", name), (NAMESPACE_NAME_LABEL, name)]),
    }
}

/// Namespaces x and y; pods x/a 10.0.0.1, x/b 10.0.0.2, y/a 10.0.1.1, y/b 10.0.1.2.
fn cluster(policies: Vec<NetworkPolicy>) -> Cluster {
    Cluster {
        namespaces: [namespace("x"), namespace("y")]
            .into_iter()
            .map(|ns| (ns.name.clone(), ns))
            .collect(),
        pods: vec![
            pod("x", "a", &["10.0.0.1"]),
            pod("x", "b", &["10.0.0.2"]),
            pod("y", "a", &["10.0.1.1"]),
            pod("y", "b", &["10.0.1.2"]),
        ],
        policies,
        ..Cluster::default()
    }
}

fn policy(
    namespace: &str,
    name: &str,
    ingress: Option<Vec<Rule>>,
    egress: Option<Vec<Rule>>,
) -> NetworkPolicy {
    NetworkPolicy {
        namespace: namespace.to_string(),
        name: name.to_string(),
        pod_selector: LabelSelector::default(),
        policy_types: PolicyTypes {
            ingress: ingress.is_some(),
            egress: egress.is_some(),
        },
        ingress: ingress.unwrap_or_default(),
        egress: egress.unwrap_or_default(),
    }
}

fn rule(peers: Option<Vec<Peer>>, ports: Option<Vec<PortRule>>) -> Rule {
    Rule { peers, ports }
}

fn tcp(port: u16) -> PortRule {
    PortRule {
        protocol: Protocol::Tcp,
        port: Some(PolicyPort::Numbers(PortRange::single(port))),
    }
}

fn pods_peer(namespace: Option<LabelSelector>, pods: Option<LabelSelector>) -> Peer {
    Peer::Pods {
        namespace_selector: namespace,
        pod_selector: pods,
    }
}

fn tuple(src: &str, dst: &str, protocol: Protocol, port: u16) -> Tuple {
    Tuple {
        src: ip(src),
        dst: ip(dst),
        protocol,
        src_port: 40000,
        dst_port: port,
    }
}

fn allowed(cluster: &Cluster, src: &str, dst: &str, port: u16) -> bool {
    evaluate(cluster, &tuple(src, dst, Protocol::Tcp, port)).allowed()
}

const XA: &str = "10.0.0.1";
const XB: &str = "10.0.0.2";
const YA: &str = "10.0.1.1";
const YB: &str = "10.0.1.2";
const EXTERNAL: &str = "192.0.2.9";

#[test]
fn without_policies_everything_is_allowed_and_not_isolated() {
    let cluster = cluster(Vec::new());
    let explanation = evaluate(&cluster, &tuple(XA, YB, Protocol::Tcp, 80));
    assert!(explanation.allowed());
    assert_eq!(
        explanation.egress,
        SideReason::NotIsolated {
            pod: "x/a".to_string()
        }
    );
    assert_eq!(
        explanation.ingress,
        SideReason::NotIsolated {
            pod: "y/b".to_string()
        }
    );
}

#[test]
fn external_addresses_are_not_pods() {
    let cluster = cluster(vec![policy(
        "x",
        "deny",
        Some(Vec::new()),
        Some(Vec::new()),
    )]);
    let explanation = evaluate(&cluster, &tuple(EXTERNAL, YA, Protocol::Tcp, 80));
    assert_eq!(explanation.egress, SideReason::NotPod { ip: ip(EXTERNAL) });
    assert!(explanation.allowed());
    // Toward an external address only the source's egress matters.
    let explanation = evaluate(&cluster, &tuple(XA, EXTERNAL, Protocol::Tcp, 80));
    assert_eq!(explanation.ingress, SideReason::NotPod { ip: ip(EXTERNAL) });
    assert!(!explanation.allowed());
}

#[test]
fn default_deny_ingress_isolates_only_its_namespace() {
    let cluster = cluster(vec![policy("x", "deny", Some(Vec::new()), None)]);
    let explanation = evaluate(&cluster, &tuple(YA, XA, Protocol::Tcp, 80));
    assert_eq!(
        explanation.ingress,
        SideReason::Denied {
            pod: "x/a".to_string(),
            isolated_by: vec!["x/deny".to_string()]
        }
    );
    assert!(!explanation.allowed());
    assert!(allowed(&cluster, XA, YA, 80));
}

#[test]
fn a_pod_always_reaches_itself() {
    let cluster = cluster(vec![policy(
        "x",
        "deny",
        Some(Vec::new()),
        Some(Vec::new()),
    )]);
    let explanation = evaluate(&cluster, &tuple(XA, XA, Protocol::Tcp, 80));
    assert_eq!(
        explanation.egress,
        SideReason::SamePod {
            pod: "x/a".to_string()
        }
    );
    assert!(explanation.allowed());
    assert!(!allowed(&cluster, XA, XB, 80));
}

#[test]
fn pod_selector_peer_is_limited_to_the_policy_namespace() {
    let allow_a = rule(
        Some(vec![pods_peer(None, Some(selector(&[("pod", "a")])))]),
        None,
    );
    let mut policy = policy("x", "allow-a", Some(vec![allow_a]), None);
    policy.pod_selector = selector(&[("pod", "b")]);
    let cluster = cluster(vec![policy]);
    assert!(allowed(&cluster, XA, XB, 80));
    // y/a carries pod=a too, but lives in another namespace.
    assert!(!allowed(&cluster, YA, XB, 80));
    // x/a is not selected by the policy, so it is not isolated.
    assert!(allowed(&cluster, YB, XA, 80));
}

#[test]
fn namespace_selector_matches_namespace_labels_not_pod_labels() {
    let by_ns = rule(
        Some(vec![pods_peer(Some(selector(&[("ns", "y")])), None)]),
        None,
    );
    let cluster_ns = cluster(vec![policy("x", "from-y", Some(vec![by_ns]), None)]);
    assert!(allowed(&cluster_ns, YA, XA, 80));
    assert!(allowed(&cluster_ns, YB, XA, 80));
    assert!(!allowed(&cluster_ns, XB, XA, 80));

    // A pod carrying the label `ns=y` itself is not in namespace y.
    let mut c = cluster_ns.clone();
    c.pods[1].labels.insert("ns".to_string(), "y".to_string());
    assert!(!allowed(&c, XB, XA, 80));
}

#[test]
fn both_selectors_in_one_peer_intersect_and_two_peers_unite() {
    let ns_y = selector(&[("ns", "y")]);
    let pod_a = selector(&[("pod", "a")]);
    let and = rule(
        Some(vec![pods_peer(Some(ns_y.clone()), Some(pod_a.clone()))]),
        None,
    );
    let or = rule(
        Some(vec![
            pods_peer(Some(ns_y), None),
            pods_peer(None, Some(pod_a)),
        ]),
        None,
    );
    let mut and_policy = policy("x", "and", Some(vec![and]), None);
    and_policy.pod_selector = selector(&[("pod", "b")]);
    let mut or_policy = policy("x", "or", Some(vec![or]), None);
    or_policy.pod_selector = selector(&[("pod", "b")]);

    let and_cluster = cluster(vec![and_policy]);
    assert!(allowed(&and_cluster, YA, XB, 80));
    assert!(!allowed(&and_cluster, YB, XB, 80));
    assert!(!allowed(&and_cluster, XA, XB, 80));

    let or_cluster = cluster(vec![or_policy]);
    assert!(allowed(&or_cluster, YA, XB, 80));
    assert!(allowed(&or_cluster, YB, XB, 80));
    let explanation = evaluate(&or_cluster, &tuple(XA, XB, Protocol::Tcp, 80));
    let SideReason::Allowed { by, .. } = explanation.ingress else {
        panic!("expected allowed ingress, got {explanation}");
    };
    assert_eq!(by[0].peer, Entry::Index(1));
}

#[test]
fn match_expressions_use_all_four_operators() {
    let expression = |operator, values: &[&str]| LabelSelector {
        match_labels: Labels::new(),
        match_expressions: vec![Requirement {
            key: "pod".to_string(),
            operator,
            values: values
                .iter()
                .map(|v| v.to_string())
                .collect::<BTreeSet<_>>(),
        }],
    };
    let from = |sel: LabelSelector| {
        cluster(vec![policy(
            "y",
            "p",
            Some(vec![rule(
                Some(vec![pods_peer(Some(LabelSelector::default()), Some(sel))]),
                None,
            )]),
            None,
        )])
    };
    let c = from(expression(Operator::In, &["a"]));
    assert!(allowed(&c, XA, YB, 80) && !allowed(&c, XB, YB, 80));
    let mut c = from(expression(Operator::NotIn, &["a"]));
    assert!(!allowed(&c, XA, YB, 80) && allowed(&c, XB, YB, 80));
    // NotIn matches a pod lacking the key.
    c.pods[0].labels.clear();
    assert!(allowed(&c, XA, YB, 80));
    let mut c = from(expression(Operator::Exists, &[]));
    assert!(allowed(&c, XA, YB, 80));
    c.pods[0].labels.clear();
    assert!(!allowed(&c, XA, YB, 80));
    let mut c = from(expression(Operator::DoesNotExist, &[]));
    assert!(!allowed(&c, XA, YB, 80));
    c.pods[0].labels.clear();
    assert!(allowed(&c, XA, YB, 80));
}

#[test]
fn ip_block_with_except_covers_pods_and_external_addresses() {
    let block = Peer::IpBlock(IpBlock {
        cidr: "10.0.0.0/16".parse().unwrap(),
        except: vec!["10.0.0.2/32".parse().unwrap()],
    });
    let cluster = cluster(vec![policy(
        "y",
        "block",
        Some(vec![rule(Some(vec![block.clone()]), None)]),
        None,
    )]);
    assert!(allowed(&cluster, XA, YA, 80));
    assert!(!allowed(&cluster, XB, YA, 80));
    assert!(allowed(&cluster, "10.0.200.1", YA, 80));
    assert!(!allowed(&cluster, EXTERNAL, YA, 80));
}

#[test]
fn ipv4_mapped_tuple_addresses_are_the_pods_addresses() {
    let cluster = cluster(vec![policy("x", "deny", Some(Vec::new()), None)]);
    let explanation = evaluate(
        &cluster,
        &tuple("::ffff:10.0.1.1", "::ffff:10.0.0.1", Protocol::Tcp, 80),
    );
    assert_eq!(
        explanation.ingress,
        SideReason::Denied {
            pod: "x/a".to_string(),
            isolated_by: vec!["x/deny".to_string()]
        }
    );
}

#[test]
fn numeric_ports_ranges_and_protocols() {
    let ports = vec![
        tcp(80),
        PortRule {
            protocol: Protocol::Udp,
            port: Some(PolicyPort::Numbers(PortRange {
                start: 1000,
                end: 2000,
            })),
        },
        PortRule {
            protocol: Protocol::Sctp,
            port: None,
        },
    ];
    let cluster = cluster(vec![policy(
        "y",
        "ports",
        Some(vec![rule(None, Some(ports))]),
        None,
    )]);
    let check = |protocol, port| evaluate(&cluster, &tuple(XA, YA, protocol, port)).allowed();
    assert!(check(Protocol::Tcp, 80));
    assert!(!check(Protocol::Tcp, 81));
    assert!(!check(Protocol::Udp, 80));
    assert!(check(Protocol::Udp, 1000) && check(Protocol::Udp, 2000));
    assert!(!check(Protocol::Udp, 2001));
    assert!(check(Protocol::Sctp, 9));
    assert!(!check(Protocol::Other(1), 0));
}

#[test]
fn absent_ports_allow_protocols_without_ports() {
    let cluster = cluster(vec![policy("y", "all", Some(vec![rule(None, None)]), None)]);
    let explanation = evaluate(&cluster, &tuple(XA, YA, Protocol::Other(1), 0));
    assert!(explanation.allowed());
    let SideReason::Allowed { by, .. } = &explanation.ingress else {
        panic!("expected allowed ingress, got {explanation}");
    };
    assert_eq!((by[0].peer, by[0].port), (Entry::All, Entry::All));
}

#[test]
fn named_ports_resolve_on_the_destination_pod() {
    let named = PortRule {
        protocol: Protocol::Tcp,
        port: Some(PolicyPort::Named("http".to_string())),
    };
    let mut c = cluster(vec![
        policy(
            "y",
            "in",
            Some(vec![rule(None, Some(vec![named.clone()]))]),
            None,
        ),
        policy("x", "out", None, Some(vec![rule(None, Some(vec![named]))])),
    ]);
    // y/a serves `http` on 8080/TCP and `dns` on 53/UDP; nothing else names ports.
    c.pods[2].ports = vec![
        NamedPort {
            name: "dns".to_string(),
            port: 53,
            protocol: Protocol::Udp,
        },
        NamedPort {
            name: "http".to_string(),
            port: 8080,
            protocol: Protocol::Tcp,
        },
    ];
    // Egress from x/a: the name is looked up on the peer y/a; ingress at y/a: on y/a itself.
    assert!(allowed(&c, XA, YA, 8080));
    assert!(!allowed(&c, XA, YA, 80));
    // y/b does not name `http`.
    assert!(!allowed(&c, XA, YB, 8080));
    // A named port toward an external address matches nothing.
    let explanation = evaluate(&c, &tuple(XA, EXTERNAL, Protocol::Tcp, 8080));
    assert!(!explanation.egress.allows());
    // The name must match the protocol too.
    c.pods[2].ports[1].protocol = Protocol::Udp;
    assert!(!allowed(&c, XA, YA, 8080));
}

#[test]
fn egress_rules_count_only_when_policy_types_include_egress() {
    let mut p = policy(
        "x",
        "ingress-only",
        Some(Vec::new()),
        Some(vec![rule(None, None)]),
    );
    p.policy_types.egress = false;
    let cluster = cluster(vec![p]);
    // Not egress-isolated: traffic out of x/a to an external address is allowed.
    let explanation = evaluate(&cluster, &tuple(XA, EXTERNAL, Protocol::Tcp, 80));
    assert_eq!(
        explanation.egress,
        SideReason::NotIsolated {
            pod: "x/a".to_string()
        }
    );
}

#[test]
fn every_allowing_rule_is_listed_in_policy_order() {
    let from_a = rule(
        Some(vec![pods_peer(
            Some(LabelSelector::default()),
            Some(selector(&[("pod", "a")])),
        )]),
        Some(vec![tcp(81), tcp(80)]),
    );
    let cluster = cluster(vec![
        policy(
            "y",
            "p1",
            Some(vec![rule(Some(Vec::new()), Some(vec![tcp(443)])), from_a]),
            None,
        ),
        policy("y", "p2", Some(vec![rule(None, None)]), None),
        policy("y", "p3", Some(Vec::new()), None),
    ]);
    let explanation = evaluate(&cluster, &tuple(XA, YB, Protocol::Tcp, 80));
    let expected = vec![
        Allowance {
            policy: "y/p1".to_string(),
            direction: Direction::Ingress,
            rule: 1,
            peer: Entry::Index(0),
            port: Entry::Index(1),
        },
        Allowance {
            policy: "y/p2".to_string(),
            direction: Direction::Ingress,
            rule: 0,
            peer: Entry::All,
            port: Entry::All,
        },
    ];
    assert_eq!(
        explanation.ingress,
        SideReason::Allowed {
            pod: "y/b".to_string(),
            by: expected
        }
    );
    let text = explanation.to_string();
    assert!(
        text.contains(
            "y/p1 ingress rule 1 (peer 0, port 1); y/p2 ingress rule 0 (all peers, all ports)"
        ),
        "{text}"
    );

    // Without p2's allow-all rule, port 22 matches no rule of the three isolating policies.
    let mut cluster = cluster;
    cluster.policies[1].ingress[0].ports = Some(vec![tcp(443)]);
    let denied = evaluate(&cluster, &tuple(XA, YB, Protocol::Tcp, 22));
    assert_eq!(
        denied.ingress,
        SideReason::Denied {
            pod: "y/b".to_string(),
            isolated_by: vec!["y/p1".to_string(), "y/p2".to_string(), "y/p3".to_string()]
        }
    );
    assert!(denied.to_string().contains("isolated by y/p1, y/p2, y/p3"));
}

#[test]
fn namespaces_missing_from_input_still_carry_their_name_label() {
    let by_name = rule(
        Some(vec![pods_peer(
            Some(selector(&[(NAMESPACE_NAME_LABEL, "z")])),
            None,
        )]),
        None,
    );
    let mut c = cluster(vec![policy("x", "from-z", Some(vec![by_name]), None)]);
    c.pods.push(pod("z", "a", &["10.0.2.1"]));
    assert!(allowed(&c, "10.0.2.1", XA, 80));
    assert!(!allowed(&c, YA, XA, 80));
}

#[test]
fn explanations_serialize_with_reason_tags() {
    let cluster = cluster(vec![policy(
        "y",
        "p",
        Some(vec![rule(None, Some(vec![tcp(80)]))]),
        None,
    )]);
    let json =
        serde_json::to_value(evaluate(&cluster, &tuple(EXTERNAL, YA, Protocol::Tcp, 80))).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "egress": {"reason": "not_pod", "ip": EXTERNAL},
            "ingress": {"reason": "allowed", "pod": "y/a", "by": [
                {"policy": "y/p", "direction": "ingress", "rule": 0, "peer": "all", "port": 0}
            ]}
        })
    );
}

#[test]
fn empty_peer_and_port_lists_match_everything_like_absent_ones() {
    // The API text: "If this field is empty or missing, this rule matches all sources" (and
    // likewise all ports); the model normalises empty to `None`, but a cluster built in code
    // may carry `Some(vec![])`.
    let cluster = cluster(vec![policy(
        "y",
        "empty-lists",
        Some(vec![rule(Some(Vec::new()), Some(Vec::new()))]),
        None,
    )]);
    let explanation = evaluate(&cluster, &tuple(EXTERNAL, YA, Protocol::Other(1), 0));
    let SideReason::Allowed { by, .. } = &explanation.ingress else {
        panic!("expected allowed ingress, got {explanation}");
    };
    assert_eq!((by[0].peer, by[0].port), (Entry::All, Entry::All));
}
