//! After every watch event, the decision [`ClusterState`] publishes answers as a fresh load,
//! translate and compile of the same objects: same verdicts, same deciding rules (by name), in
//! both modes. Sequences mix pod add/relabel/delete (some pods on nodes), policy add/edit/delete,
//! namespace relabel and delete, node add/change/delete, ClusterNetworkPolicy (Admin and
//! Baseline, Accept/Deny/Pass) add/edit/delete, and invalid events (which must change nothing). A connection table in front of
//! the engine must re-decide every live connection after each published change.
//!
//! The vocabulary is small on purpose (few labels, namespaces, slots), so events collide with
//! what is there. Cases: `TAGWALL_PROPTEST_CASES` (default 64).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "generated objects are valid by construction; a failure is a test bug"
)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::support;

use proptest::prelude::*;
use serde_json::{Value, json};
use tagwall::compile::{Builder, Config, Decision};
use tagwall::conntrack::{self, ConnTable, Outcome, Timestamp};
use tagwall::firewall::FirewallConfig;
use tagwall::lookup::Side;
use tagwall::protocol::Protocol;
use tagwall::translate::{Mode, translate};
use tagwall::tuple::Tuple;
use tagwall::watch::{ClusterState, EventPosition, EventType, Snapshot, WatchEvent};

const NAMESPACES: [&str; 3] = ["alpha", "beta", "gamma"];
const POD_SLOTS: usize = 8;
const POLICY_SLOTS: usize = 5;

/// One change to the cluster, as a watch event would carry it.
#[derive(Clone, Debug)]
enum Op {
    /// Add or change pod `slot` with these labels (its name, namespace and IP follow the slot).
    Pod(usize, u8),
    DeletePod(usize),
    /// Add or change policy `slot` to spec variant `u8`.
    Policy(usize, u8, u8),
    DeletePolicy(usize),
    /// Set namespace labels.
    Namespace(usize, u8),
    DeleteNamespace(usize),
    /// An invalid object (a bad CIDR), which must be refused and change nothing.
    Invalid(usize),
    /// Add or change node `slot` (its address follows the variant).
    Node(usize, u8),
    DeleteNode(usize),
    /// Add or change ClusterNetworkPolicy `slot` to variant `u8`.
    Tier(usize, u8),
    DeleteTier(usize),
}

const NODE_SLOTS: usize = 2;
const TIER_SLOTS: usize = 3;

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..POD_SLOTS, any::<u8>()).prop_map(|(s, l)| Op::Pod(s, l)),
        2 => (0..POD_SLOTS).prop_map(Op::DeletePod),
        3 => (0..POLICY_SLOTS, any::<u8>(), any::<u8>()).prop_map(|(s, v, w)| Op::Policy(s, v, w)),
        1 => (0..POLICY_SLOTS).prop_map(Op::DeletePolicy),
        2 => (0..NAMESPACES.len(), any::<u8>()).prop_map(|(n, l)| Op::Namespace(n, l)),
        1 => (0..NAMESPACES.len()).prop_map(Op::DeleteNamespace),
        1 => (0..POLICY_SLOTS).prop_map(Op::Invalid),
        1 => (0..NODE_SLOTS, any::<u8>()).prop_map(|(s, v)| Op::Node(s, v)),
        1 => (0..NODE_SLOTS).prop_map(Op::DeleteNode),
        2 => (0..TIER_SLOTS, any::<u8>()).prop_map(|(s, v)| Op::Tier(s, v)),
        1 => (0..TIER_SLOTS).prop_map(Op::DeleteTier),
    ]
}

fn pick<'a>(options: &[&'a str], bits: u8) -> &'a str {
    options[usize::from(bits) % options.len()]
}

fn pod(slot: usize, labels: u8) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("app".into(), json!(pick(&["a", "b", "c"], labels)));
    if labels & 8 != 0 {
        map.insert("tier".into(), json!(pick(&["x", "y"], labels >> 4)));
    }
    let mut spec = json!({"containers": [{"name": "c", "ports": [{"name": "web", "containerPort": 8000 + (labels % 2) as u16}]}]});
    // Some pods run on a node (its addresses are their local node under the local-node rule).
    if labels & 64 != 0 {
        spec["nodeName"] = json!(format!("n{}", (labels >> 7) as usize % NODE_SLOTS));
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("p{slot}"), "namespace": NAMESPACES[slot % NAMESPACES.len()], "labels": map},
        "spec": spec,
        "status": {"podIP": format!("10.0.0.{}", slot + 1)},
    })
}

fn node(slot: usize, variant: u8) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": format!("n{slot}")},
        "status": {"addresses": [{"type": "InternalIP", "address": format!("10.0.9.{}", 1 + slot + 2 * usize::from(variant % 2))}]},
    })
}

fn tier(slot: usize, variant: u8) -> Value {
    let action = pick(&["Accept", "Deny", "Pass"], variant);
    let namespace = NAMESPACES[usize::from(variant >> 2) % NAMESPACES.len()];
    let admin = variant & 16 == 0;
    json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
        "metadata": {"name": format!("t{slot}")},
        "spec": {
            "tier": if admin { "Admin" } else { "Baseline" },
            "priority": slot,
            "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}},
            "ingress": [{"name": "r", "action": if admin { action } else { pick(&["Accept", "Deny"], variant) },
                "from": [{"namespaces": {}}],
                "ports": [{"portNumber": {"protocol": "TCP", "port": 80}}]}],
        },
    })
}

fn namespace(index: usize, labels: u8) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": NAMESPACES[index], "labels": {"team": pick(&["red", "blue"], labels)}},
    })
}

fn peer(bits: u8) -> Value {
    match bits % 5 {
        0 => json!({"podSelector": {"matchLabels": {"app": pick(&["a", "b", "c"], bits >> 3)}}}),
        1 => {
            json!({"namespaceSelector": {"matchLabels": {"team": pick(&["red", "blue"], bits >> 3)}}})
        }
        2 => {
            json!({"namespaceSelector": {}, "podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}})
        }
        3 => json!({"ipBlock": {"cidr": "10.0.0.0/29", "except": ["10.0.0.4/30"]}}),
        _ => json!({"ipBlock": {"cidr": "192.168.0.0/16"}}),
    }
}

fn ports(bits: u8) -> Value {
    match bits % 4 {
        0 => json!([{"port": 80}]),
        1 => json!([{"protocol": "UDP", "port": 53}]),
        2 => json!([{"port": "web"}]),
        _ => json!([]),
    }
}

fn policy(slot: usize, variant: u8, more: u8) -> Value {
    let selector = match variant % 3 {
        0 => json!({}),
        1 => json!({"matchLabels": {"app": pick(&["a", "b", "c"], variant >> 2)}}),
        _ => json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["x"]}]}),
    };
    let rule = json!({"from": [peer(more)], "to": [peer(more)], "ports": ports(more >> 5)});
    let ingress = json!([{"from": rule["from"], "ports": rule["ports"]}]);
    let egress = json!([{"to": [peer(variant >> 4)], "ports": ports(variant >> 6)}]);
    let spec = match (variant >> 2) % 4 {
        0 => json!({"podSelector": selector, "ingress": ingress}),
        1 => json!({"podSelector": selector, "egress": egress, "policyTypes": ["Egress"]}),
        2 => json!({"podSelector": selector, "ingress": ingress, "egress": egress}),
        _ => json!({"podSelector": selector}),
    };
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": format!("np{slot}"), "namespace": NAMESPACES[slot % NAMESPACES.len()]},
        "spec": spec,
    })
}

fn key(object: &Value) -> (String, String, String) {
    let m = &object["metadata"];
    (
        object["kind"].as_str().unwrap().to_string(),
        m["namespace"].as_str().unwrap_or("").to_string(),
        m["name"].as_str().unwrap().to_string(),
    )
}

/// The event for `op`, and what the objects become if it is accepted.
fn event(op: &Op, objects: &BTreeMap<(String, String, String), Value>) -> (EventType, Value) {
    let put = |object: Value| {
        let kind = if objects.contains_key(&key(&object)) {
            EventType::Modified
        } else {
            EventType::Added
        };
        (kind, object)
    };
    match *op {
        Op::Pod(slot, labels) => put(pod(slot, labels)),
        Op::DeletePod(slot) => (EventType::Deleted, pod(slot, 0)),
        Op::Policy(slot, variant, more) => put(policy(slot, variant, more)),
        Op::DeletePolicy(slot) => (EventType::Deleted, policy(slot, 0, 0)),
        Op::Namespace(index, labels) => put(namespace(index, labels)),
        Op::DeleteNamespace(index) => (EventType::Deleted, namespace(index, 0)),
        Op::Node(slot, variant) => put(node(slot, variant)),
        Op::DeleteNode(slot) => (EventType::Deleted, node(slot, 0)),
        Op::Tier(slot, variant) => put(tier(slot, variant)),
        Op::DeleteTier(slot) => (EventType::Deleted, tier(slot, 0)),
        Op::Invalid(slot) => {
            let mut object = policy(slot, 0, 3);
            object["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] = json!("10.0.0.0/99");
            put(object)
        }
    }
}

/// A fresh load, translate and compile of `objects`.
fn fresh(
    objects: &BTreeMap<(String, String, String), Value>,
    mode: Mode,
) -> (Decision, FirewallConfig) {
    let list =
        json!({"apiVersion": "v1", "kind": "List", "items": objects.values().collect::<Vec<_>>()});
    let cluster = tagwall::k8s::load_str("fresh.json", &list.to_string())
        .unwrap()
        .cluster;
    let firewall = translate(&cluster, mode).config;
    (
        Builder::new(Config::default()).build(&firewall).unwrap(),
        firewall,
    )
}

fn tuples() -> Vec<Tuple> {
    let ips: Vec<IpAddr> = (1..=POD_SLOTS + 1)
        .map(|i| format!("10.0.0.{i}").parse().unwrap())
        // Node addresses, for the local-node rule.
        .chain((1..=4).map(|i| format!("10.0.9.{i}").parse().unwrap()))
        .chain(["192.168.7.7".parse().unwrap()])
        .collect();
    let mut tuples = Vec::new();
    for src in &ips {
        for dst in &ips {
            for (protocol, port) in [
                (Protocol::Tcp, 80),
                (Protocol::Tcp, 8001),
                (Protocol::Udp, 53),
            ] {
                tuples.push(Tuple {
                    src: *src,
                    dst: *dst,
                    protocol,
                    src_port: 40000,
                    dst_port: port,
                });
            }
        }
    }
    tuples
}

/// A side with its rule named: (rule, policy) names are what must agree, not ids.
fn named(side: Side, name: impl Fn(tagwall::firewall::RuleId) -> (String, String)) -> String {
    match side {
        Side::Rule { rule, action } => {
            let (rule, policy) = name(rule);
            format!("{action:?} by `{rule}` of `{policy}`")
        }
        other => format!("{other:?}"),
    }
}

fn check(
    snapshot: &Snapshot,
    fresh: &(Decision, FirewallConfig),
    tuples: &[Tuple],
    step: usize,
) -> Result<(), TestCaseError> {
    let ours = |id| {
        let (r, p) = snapshot.rules.rule(id).unwrap();
        (r.to_string(), p.to_string())
    };
    let theirs = |id| {
        let (p, r) = fresh.1.rule(id).unwrap();
        (r.name.clone(), p.name.clone())
    };
    for tuple in tuples {
        let got = snapshot.lookup(tuple);
        let want = fresh.0.lookup(tuple);
        prop_assert_eq!(
            (named(got.egress, ours), named(got.ingress, ours)),
            (named(want.egress, theirs), named(want.ingress, theirs)),
            "after event {}: {:?}",
            step,
            tuple
        );
    }
    Ok(())
}

fn run(initial: Vec<Op>, events: Vec<Op>, mode: Mode) -> Result<(), TestCaseError> {
    let mut objects = BTreeMap::new();
    for op in &initial {
        let (kind, object) = event(op, &objects);
        if matches!(op, Op::Invalid(_)) || kind == EventType::Deleted {
            continue;
        }
        objects.insert(key(&object), object);
    }
    let list = json!({"kind": "List", "items": objects.values().collect::<Vec<_>>()});
    let cluster = tagwall::k8s::load_str("initial.json", &list.to_string())
        .unwrap()
        .cluster;
    let mut state =
        ClusterState::new(cluster, mode, Builder::default(), Default::default()).unwrap();
    let reader = state.reader();
    let tuples = tuples();
    let table = ConnTable::new(conntrack::Config::default()).unwrap();
    let mut now = 1;
    for tuple in &tuples {
        table.packet(&**reader.engine(), tuple, Timestamp::from_secs(now));
    }
    check(&reader.snapshot(), &fresh(&objects, mode), &tuples, 0)?;
    for (step, op) in events.iter().enumerate() {
        let (kind, object) = event(op, &objects);
        let watch = WatchEvent::new(
            EventPosition {
                source: "events".into(),
                index: step + 1,
                line: 1,
            },
            kind,
            &object.to_string(),
        )
        .unwrap();
        let before = reader.engine().generation();
        let applied = state.apply(&watch);
        if matches!(op, Op::Invalid(_)) {
            prop_assert!(applied.is_err(), "invalid event {} accepted", step + 1);
        } else {
            let applied = applied.map_err(|e| TestCaseError::fail(e.to_string()))?;
            if kind == EventType::Deleted {
                objects.remove(&key(&object));
            } else {
                objects.insert(key(&object), object);
            }
            prop_assert_eq!(
                applied.generation.is_some(),
                reader.engine().generation() != before
            );
        }
        let fresh = fresh(&objects, mode);
        check(&reader.snapshot(), &fresh, &tuples, step + 1)?;
        // Every live connection is decided again under a new generation, and answers as the
        // fresh build does for its opening direction.
        now += 1;
        let published = reader.engine().generation() != before;
        for tuple in &tuples {
            let packet = table.packet(&**reader.engine(), tuple, Timestamp::from_secs(now));
            prop_assert_eq!(
                packet.allowed,
                fresh.0.lookup(tuple).allowed(),
                "conntrack after event {}: {:?}",
                step + 1,
                tuple
            );
            if published {
                prop_assert_ne!(
                    packet.outcome,
                    Outcome::Hit,
                    "not re-decided after event {}",
                    step + 1
                );
            }
        }
    }
    Ok(())
}

/// Cases: `TAGWALL_PROPTEST_CASES`, 64 by default.
fn cases() -> u32 {
    support::cases(64)
}

proptest! {
    #![proptest_config(support::proptest_config(cases()))]

    #[test]
    fn events_match_a_fresh_build(
        initial in prop::collection::vec(ops(), 0..16),
        events in prop::collection::vec(ops(), 1..24),
        cn2 in any::<bool>(),
    ) {
        run(initial, events, if cn2 { Mode::Cn2 } else { Mode::Kubernetes })?;
    }
}

/// A fixed sequence: a namespace selector policy, then its namespace relabelled and deleted.
#[test]
fn namespace_relabel_and_delete() {
    let initial = vec![
        Op::Namespace(0, 0),
        Op::Namespace(1, 0),
        Op::Pod(0, 0),
        Op::Pod(1, 0),
    ];
    // np0 in alpha: pods app=a admit ingress only from namespaces team=blue.
    let events = vec![
        Op::Policy(0, 4, 1 | (1 << 3)),
        Op::Namespace(1, 1),
        Op::Namespace(1, 0),
        Op::DeleteNamespace(1),
    ];
    run(initial, events, Mode::Kubernetes).unwrap();
}
