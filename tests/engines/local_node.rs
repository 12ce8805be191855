//! NetworkPolicy's local-node rule beyond the scenario file: the switch that turns it off (in
//! the loader and on the command line), Node validation, host-network pods, and what
//! `translate` shows.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use std::path::Path;
use std::process::Command;

use tagwall::compile::{Builder, Config};
use tagwall::k8s::{LoadOptions, Loader, load_str};
use tagwall::model::{Cluster, LocalNodeRule};
use tagwall::protocol::Protocol;
use tagwall::reference::{kubernetes, linear};
use tagwall::translate::{Mode, translate};
use tagwall::tuple::Tuple;

const SCENARIO: &str = "tests/scenarios/local-node.yaml";

fn scenario_path() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(SCENARIO)
        .display()
        .to_string()
}

fn load(rule: LocalNodeRule) -> Cluster {
    let mut loader = Loader::new(LoadOptions {
        local_node_rule: rule,
        ..LoadOptions::default()
    });
    loader.add_file(Path::new(&scenario_path())).unwrap();
    loader.finish().unwrap().cluster
}

fn tcp(src: &str, dst: &str, port: u16) -> Tuple {
    Tuple {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        protocol: Protocol::Tcp,
        src_port: 40000,
        dst_port: port,
    }
}

/// Whether each engine (reference, then linear and compiled, which must agree) allows `tuple`
/// (`kubernetes` mode: CN2 has no local-node rule).
fn answers(cluster: &Cluster, tuple: &Tuple) -> Vec<(&'static str, bool)> {
    let mut out = vec![("reference", kubernetes::evaluate(cluster, tuple).allowed())];
    {
        let (name, mode) = ("kubernetes", Mode::Kubernetes);
        let config = translate(cluster, mode).config;
        let decision = Builder::new(Config::default()).build(&config).unwrap();
        let linear = linear::evaluate(&config, tuple);
        assert_eq!(decision.lookup(tuple), linear, "{name}: {tuple:?}");
        out.push((name, linear.allowed()));
    }
    out
}

#[test]
fn the_switch_turns_the_rule_off_in_every_engine() {
    // n1's address to x/a (on n1), which a deny-all policy isolates.
    let node_to_pod = tcp("192.168.0.1", "10.0.1.1", 8080);
    let on = load(LocalNodeRule::On);
    let off = load(LocalNodeRule::Off);
    assert_eq!(on.local_node_rule, LocalNodeRule::On);
    assert!(
        answers(&on, &node_to_pod)
            .iter()
            .all(|(_, allowed)| *allowed)
    );
    assert!(
        answers(&off, &node_to_pod)
            .iter()
            .all(|(_, allowed)| !allowed)
    );
    // Off, the translation has no local-node objects at all.
    let config = translate(&off, Mode::Kubernetes).config;
    assert!(
        config
            .application_policy_set
            .policies
            .iter()
            .all(|p| p.name != tagwall::translate::local_node::LOCAL_NODE_POLICY)
    );
    // The default load (as the scenario suite uses) is on.
    let text = std::fs::read_to_string(scenario_path()).unwrap();
    assert_eq!(
        load_str("local-node.yaml", &text)
            .unwrap()
            .cluster
            .local_node_rule,
        LocalNodeRule::On
    );
}

#[test]
fn the_command_line_switch_reaches_every_engine() {
    for engine in ["reference", "linear", "compiled"] {
        let run = |rule: &str| {
            Command::new(env!("CARGO_BIN_EXE_tagwall"))
                .args(["check", "-f", &scenario_path(), "--from", "192.168.0.1"])
                .args(["--to", "x/a", "--protocol", "TCP", "--port", "8080"])
                .args(["--engine", engine, "--local-node-rule", rule])
                .output()
                .unwrap()
        };
        let on = run("on");
        assert_eq!(on.status.code(), Some(0), "{engine}: {on:?}");
        let off = run("off");
        assert_eq!(off.status.code(), Some(1), "{engine}: {off:?}");
    }
    let reference = Command::new(env!("CARGO_BIN_EXE_tagwall"))
        .args(["check", "-f", &scenario_path(), "--from", "203.0.113.1"])
        .args(["--to", "x/a", "--protocol", "TCP", "--port", "8080"])
        .args(["--engine", "reference"])
        .output()
        .unwrap();
    let text = String::from_utf8(reference.stdout).unwrap();
    assert!(
        text.contains("203.0.113.1 is x/a's local node"),
        "reference explains the local-node rule: {text}"
    );
}

#[test]
fn translate_shows_the_node_tags_groups_and_rules() {
    let translation = translate(&load(LocalNodeRule::On), Mode::Kubernetes);
    let config = &translation.config;
    let first = &config.application_policy_set.policies[0];
    assert_eq!(first.name, "k8s-local-node");
    let names: Vec<&str> = first.rules.iter().map(|r| r.name.as_str()).collect();
    // One rule per set of local addresses: n1 (x/a and y/d), n2 (x/b), and x/c's host IP.
    assert_eq!(
        names,
        [
            "local-node_n1-ingress",
            "local-node_n2-ingress",
            "local-node_192.168.0.3-ingress"
        ]
    );
    let group = config.address_group("local-node_n1").unwrap();
    assert_eq!(
        group.prefixes,
        [
            "192.168.0.1/32".parse().unwrap(),
            "203.0.113.1/32".parse().unwrap()
        ]
    );
    let tables = config.tables();
    assert!(tables.contains("node:node=n1"), "{tables}");
    assert!(
        tables.contains("Address Group: 192.168.0.1/32, 203.0.113.1/32"),
        "{tables}"
    );
}

#[test]
fn host_network_pods_are_no_subjects_or_peers() {
    // The host-network pod shares its node's address; it is left out with a warning, so that
    // address is the node's (and the local-node rule applies to traffic from it), not a pod's.
    let loaded = load_str(
        "host.yaml",
        r#"
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Node, metadata: {name: n1},
   status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: x, name: agent},
   spec: {nodeName: n1, hostNetwork: true}, status: {podIP: 192.168.0.1, hostIP: 192.168.0.1}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: x, name: a},
   spec: {nodeName: n1}, status: {podIP: 10.0.1.1, hostIP: 192.168.0.1}}
- {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {namespace: x, name: deny},
   spec: {podSelector: {}}}
"#,
    )
    .unwrap();
    assert_eq!(loaded.cluster.pods.len(), 1);
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(loaded.warnings[0].field, "spec.hostNetwork");
    let agent_to_a = tcp("192.168.0.1", "10.0.1.1", 8080);
    assert!(
        answers(&loaded.cluster, &agent_to_a)
            .iter()
            .all(|(_, a)| *a)
    );
}

#[test]
fn nodes_are_validated_with_field_paths() {
    let error = load_str(
        "bad-node.yaml",
        "kind: Node\napiVersion: v1\nmetadata: {name: n1}\nstatus:\n  addresses:\n  - {type: InternalIP, address: 10.0.0.1}\n  - {type: InternalIP, address: 10.0.0.300}\n",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "bad-node.yaml: Node n1: status.addresses[1].address: `10.0.0.300` is not a valid IP address"
    );
    let error = load_str(
        "bad-pod.yaml",
        "kind: Pod\napiVersion: v1\nmetadata: {name: a}\nspec: {nodeName: N_1}\n",
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("bad-pod.yaml: Pod default/a: spec.nodeName: "),
        "{error}"
    );
    let error = load_str(
        "bad-host.yaml",
        "kind: Pod\napiVersion: v1\nmetadata: {name: a}\nstatus: {hostIPs: [{ip: nope}]}\n",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "bad-host.yaml: Pod default/a: status.hostIPs[0].ip: `nope` is not a valid IP address"
    );
    let duplicate = load_str(
        "two.yaml",
        "kind: Node\nmetadata: {name: n1}\n---\nkind: Node\nmetadata: {name: n1}\n",
    )
    .unwrap_err();
    assert_eq!(
        duplicate.to_string(),
        "two.yaml: Node n1: metadata.name: already defined in `two.yaml`"
    );
    // Hostname and DNS entries name no address a connection comes from.
    let node = load_str(
        "node.yaml",
        "kind: Node\nmetadata: {name: n1, labels: {zone: a}}\nstatus: {addresses: [{type: Hostname, address: n1}, {type: ExternalIP, address: '::ffff:192.0.2.1'}]}\n",
    )
    .unwrap()
    .cluster;
    assert_eq!(node.nodes.len(), 1);
    assert_eq!(
        node.nodes[0].addresses,
        ["192.0.2.1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(node.nodes[0].labels["zone"], "a");
}
