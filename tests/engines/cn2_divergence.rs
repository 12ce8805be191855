//! Where CN2 and Kubernetes disagree: the same input, `cn2` mode answering as CN2 does and
//! `kubernetes` mode answering as Kubernetes does (checked against the `reference` evaluator).

#![allow(clippy::expect_used, reason = "a test fails loudly on broken fixtures")]

use std::net::IpAddr;

use tagwall::k8s::load_str;
use tagwall::model::Cluster;
use tagwall::protocol::Protocol;
use tagwall::reference::{kubernetes, linear};
use tagwall::translate::{Mode, translate};
use tagwall::tuple::Tuple;

const PODS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Namespace
metadata: {name: myproject, labels: {project: myproject}}
---
apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: default, labels: {role: db}}
status: {podIP: 10.244.0.10}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default, labels: {role: a}}
status: {podIP: 10.244.0.11}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: default, labels: {role: b}}
status: {podIP: 10.244.0.12}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: myproject}
status: {podIP: 10.244.1.10}
---
apiVersion: v1
kind: Pod
metadata: {name: impostor, namespace: other, labels: {project: myproject}}
status: {podIP: 10.244.2.10}
"#;

fn cluster(policies: &str) -> Cluster {
    load_str("divergence.yaml", &format!("{PODS}\n---\n{policies}"))
        .expect("the input loads")
        .cluster
}

fn tcp(src: &str, dst: &str, port: u16) -> Tuple {
    Tuple {
        src: src.parse::<IpAddr>().expect("test IP"),
        dst: dst.parse::<IpAddr>().expect("test IP"),
        protocol: Protocol::Tcp,
        src_port: 40000,
        dst_port: port,
    }
}

/// (reference, kubernetes mode, cn2 mode) answers for a tuple.
fn answers(cluster: &Cluster, tuple: &Tuple) -> (bool, bool, bool) {
    let reference = kubernetes::evaluate(cluster, tuple).allowed();
    let k8s = linear::evaluate(&translate(cluster, Mode::Kubernetes).config, tuple).allowed();
    let cn2 = linear::evaluate(&translate(cluster, Mode::Cn2).config, tuple).allowed();
    (reference, k8s, cn2)
}

#[test]
fn except_subtracts_from_its_own_block_only() {
    // Policy `a-wide` allows 10.0.0.0/8 except 10.1.0.0/16; policy `b-narrow` allows
    // 10.1.2.0/24. Kubernetes: the union allows 10.1.2.3. CN2: the except became a deny rule
    // that comes first and shadows `b-narrow`'s pass.
    let cluster = cluster(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-wide, namespace: default}
spec:
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-narrow, namespace: default}
spec:
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{ipBlock: {cidr: 10.1.2.0/24}}]
"#,
    );
    assert_eq!(
        answers(&cluster, &tcp("10.1.2.3", "10.244.0.10", 80)),
        (true, true, false)
    );
    // Inside the hole and outside the narrow block, both agree: denied.
    assert_eq!(
        answers(&cluster, &tcp("10.1.9.9", "10.244.0.10", 80)),
        (false, false, false)
    );
}

#[test]
fn egress_rule_names_carry_the_rule_index() {
    // Two egress rules whose names differ only in the rule index: CN2 names both
    // `default-egress-two-rules-podSelector-0-0`, and the second replaces the first.
    let cluster = cluster(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: two-rules, namespace: default}
spec:
  podSelector: {matchLabels: {role: db}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {role: a}}}]
    ports: [{port: 80}]
  - to: [{podSelector: {matchLabels: {role: b}}}]
    ports: [{port: 81}]
"#,
    );
    assert_eq!(
        answers(&cluster, &tcp("10.244.0.10", "10.244.0.11", 80)),
        (true, true, false)
    );
    assert_eq!(
        answers(&cluster, &tcp("10.244.0.10", "10.244.0.12", 81)),
        (true, true, true)
    );
    let cn2 = translate(&cluster, Mode::Cn2);
    assert_eq!(cn2.warnings.len(), 1, "the collision is reported");
}

#[test]
fn pod_labels_never_satisfy_a_namespace_selector() {
    // `impostor` carries the label project=myproject itself, in a namespace without it.
    let cluster = cluster(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-project, namespace: default}
spec:
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {project: myproject}}}]
"#,
    );
    assert_eq!(
        answers(&cluster, &tcp("10.244.2.10", "10.244.0.10", 80)),
        (false, false, true)
    );
    assert_eq!(
        answers(&cluster, &tcp("10.244.1.10", "10.244.0.10", 80)),
        (true, true, true)
    );
}

#[test]
fn empty_namespace_selector_means_every_pod_not_every_address() {
    let cluster = cluster(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-all-pods, namespace: default}
spec:
  podSelector: {matchLabels: {role: db}}
  ingress:
  - from: [{namespaceSelector: {}}]
"#,
    );
    assert_eq!(
        answers(&cluster, &tcp("192.0.2.1", "10.244.0.10", 80)),
        (false, false, true)
    );
    assert_eq!(
        answers(&cluster, &tcp("10.244.2.10", "10.244.0.10", 80)),
        (true, true, true)
    );
}
