//! The firewall semantics on hand-written configurations, with the deciding rules spelled out.
//! Every case is checked on `linear` (the oracle) and on the compiled `Decision`.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers parse literals and build valid configs; a failure is a test bug"
)]

use std::collections::BTreeSet;

use tagwall::compile::{Builder, Config};
use tagwall::firewall::{
    Action, AddressGroup, ApplicationPolicySet, Endpoint, FirewallConfig, FirewallPolicy,
    FirewallRule, RuleId, Service, ServicePorts, Tag, TagKind, TagOp, TagTerm, Workload,
};
use tagwall::lookup::Side;
use tagwall::model::{Direction, NamedPort};
use tagwall::protocol::{PortRange, Protocol};
use tagwall::reference::linear;
use tagwall::tuple::Tuple;

const WEB: &str = "10.0.0.1";
const DB: &str = "10.0.0.2";
const DB_V6: &str = "fd00::2";
const API: &str = "10.0.1.1";
const OUTSIDE: &str = "192.168.2.1";
const HOLE: &str = "192.168.1.5";

fn tag(kind: TagKind, key: &str, value: &str) -> Tag {
    Tag {
        kind,
        key: key.into(),
        value: value.into(),
    }
}

fn named(name: &str, port: u16, protocol: Protocol) -> NamedPort {
    NamedPort {
        name: name.into(),
        port,
        protocol,
    }
}

fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            name: "ns1/db".into(),
            ips: vec![DB.parse().unwrap(), DB_V6.parse().unwrap()],
            tags: BTreeSet::from([
                tag(TagKind::Namespace, "namespace", "ns1"),
                tag(TagKind::Label, "app", "db"),
            ]),
            ports: vec![],
        },
        Workload {
            name: "ns1/web".into(),
            ips: vec![WEB.parse().unwrap()],
            tags: BTreeSet::from([
                tag(TagKind::Namespace, "namespace", "ns1"),
                tag(TagKind::Label, "app", "web"),
                tag(TagKind::Label, "tier", "front"),
            ]),
            // Two declarations of `http`/TCP: the first one counts.
            ports: vec![
                named("http", 8080, Protocol::Tcp),
                named("http", 9090, Protocol::Tcp),
                named("dns", 53, Protocol::Udp),
            ],
        },
        Workload {
            name: "ns2/api".into(),
            ips: vec![API.parse().unwrap()],
            tags: BTreeSet::from([
                tag(TagKind::Namespace, "namespace", "ns2"),
                tag(TagKind::Label, "app", "api"),
                tag(TagKind::NamespaceLabel, "team", "x"),
            ]),
            ports: vec![named("http", 80, Protocol::Tcp)],
        },
    ]
}

fn groups() -> Vec<AddressGroup> {
    vec![
        AddressGroup {
            name: "ext".into(),
            prefixes: vec!["192.168.0.0/16".parse().unwrap()],
            except: vec!["192.168.1.0/24".parse().unwrap()],
        },
        AddressGroup {
            name: "pods".into(),
            prefixes: vec!["10.0.0.0/24".parse().unwrap()],
            except: vec![],
        },
    ]
}

fn config(policies: Vec<Vec<FirewallRule>>) -> FirewallConfig {
    FirewallConfig {
        tags: vec![],
        address_groups: groups(),
        application_policy_set: ApplicationPolicySet {
            name: "aps".into(),
            policies: policies
                .into_iter()
                .enumerate()
                .map(|(i, rules)| FirewallPolicy {
                    tier: None,
                    name: format!("p{i}"),
                    rules,
                })
                .collect(),
        },
        workloads: workloads(),
    }
}

fn rule(
    action: Action,
    direction: Direction,
    endpoint_1: Endpoint,
    endpoint_2: Endpoint,
    service: Service,
) -> FirewallRule {
    FirewallRule {
        name: String::new(),
        action,
        service,
        endpoint_1,
        direction,
        endpoint_2,
    }
}

fn app(values: &[&str]) -> Endpoint {
    Endpoint::Tags(vec![term(
        TagKind::Label,
        "app",
        TagOp::In(values.iter().map(|v| v.to_string()).collect()),
    )])
}

fn term(kind: TagKind, key: &str, op: TagOp) -> TagTerm {
    TagTerm {
        kind,
        key: key.into(),
        op,
    }
}

fn tcp(port: u16) -> Service {
    Service {
        protocol: Some(Protocol::Tcp),
        ports: ServicePorts::Range(PortRange::single(port)),
    }
}

fn tuple(src: &str, dst: &str, protocol: Protocol, dst_port: u16) -> Tuple {
    Tuple {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        protocol,
        src_port: 40000,
        dst_port,
    }
}

fn hit(rule: u32, action: Action) -> Side {
    Side::Rule {
        rule: RuleId(rule),
        action,
    }
}

/// Asserts both engines decide `tuple` as expected.
fn check(config: &FirewallConfig, tuple: Tuple, egress: Side, ingress: Side) {
    let verdict = linear::evaluate(config, &tuple);
    assert_eq!(
        (verdict.egress, verdict.ingress),
        (egress, ingress),
        "linear, {tuple:?}"
    );
    let decision = Builder::new(Config::default()).build(config).unwrap();
    assert_eq!(decision.lookup(&tuple), verdict, "compiled, {tuple:?}");
}

#[test]
fn addresses_of_no_workload_are_not_decided() {
    let config = config(vec![vec![rule(
        Action::Deny,
        Direction::Ingress,
        Endpoint::Any,
        Endpoint::Any,
        Service::ANY,
    )]]);
    let t = tuple(OUTSIDE, "8.8.8.8", Protocol::Tcp, 80);
    check(&config, t, Side::NotWorkload, Side::NotWorkload);
    assert!(linear::evaluate(&config, &t).allowed());
}

#[test]
fn a_workload_always_reaches_itself_on_any_of_its_addresses() {
    let deny_all = vec![
        rule(
            Action::Deny,
            Direction::Egress,
            Endpoint::Any,
            Endpoint::Any,
            Service::ANY,
        ),
        rule(
            Action::Deny,
            Direction::Ingress,
            Endpoint::Any,
            Endpoint::Any,
            Service::ANY,
        ),
    ];
    let config = config(vec![deny_all]);
    check(
        &config,
        tuple(DB, DB_V6, Protocol::Tcp, 5432),
        Side::SameWorkload,
        Side::SameWorkload,
    );
}

#[test]
fn without_a_matching_rule_both_sides_are_no_match() {
    let config = config(vec![vec![]]);
    let t = tuple(WEB, DB, Protocol::Tcp, 5432);
    check(&config, t, Side::NoMatch, Side::NoMatch);
    assert!(!linear::evaluate(&config, &t).allowed());
    // Only the workload side is decided toward or from an outside address.
    check(
        &config,
        tuple(WEB, OUTSIDE, Protocol::Tcp, 443),
        Side::NoMatch,
        Side::NotWorkload,
    );
    check(
        &config,
        tuple(OUTSIDE, WEB, Protocol::Tcp, 443),
        Side::NotWorkload,
        Side::NoMatch,
    );
}

#[test]
fn the_first_matching_rule_in_flattened_order_decides() {
    let config = config(vec![
        vec![
            rule(
                Action::Deny,
                Direction::Egress,
                app(&["web"]),
                Endpoint::Any,
                tcp(80),
            ),
            rule(
                Action::Pass,
                Direction::Ingress,
                app(&["db"]),
                Endpoint::Any,
                tcp(80),
            ),
        ],
        vec![
            rule(
                Action::Pass,
                Direction::Egress,
                app(&["web"]),
                Endpoint::Any,
                Service::ANY,
            ),
            rule(
                Action::Deny,
                Direction::Ingress,
                app(&["db"]),
                Endpoint::Any,
                Service::ANY,
            ),
        ],
    ]);
    check(
        &config,
        tuple(WEB, DB, Protocol::Tcp, 80),
        hit(0, Action::Deny),
        hit(1, Action::Pass),
    );
    check(
        &config,
        tuple(WEB, DB, Protocol::Tcp, 81),
        hit(2, Action::Pass),
        hit(3, Action::Deny),
    );
    // Rules decide only at the workload their endpoint_1 holds, in their own direction.
    check(
        &config,
        tuple(DB, WEB, Protocol::Tcp, 80),
        Side::NoMatch,
        Side::NoMatch,
    );
}

/// One ingress rule at db whose endpoint_2 is `peer`: which sources match it.
fn sources_matching(peer: Endpoint) -> Vec<&'static str> {
    let config = config(vec![vec![rule(
        Action::Pass,
        Direction::Ingress,
        app(&["db"]),
        peer,
        Service::ANY,
    )]]);
    [WEB, API, OUTSIDE, HOLE, "::ffff:192.168.2.1"]
        .into_iter()
        .filter(|src| {
            let t = tuple(src, DB, Protocol::Tcp, 5432);
            let verdict = linear::evaluate(&config, &t);
            check(&config, t, verdict.egress, verdict.ingress);
            verdict.ingress == hit(0, Action::Pass)
        })
        .collect()
}

fn values(values: &[&str]) -> BTreeSet<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn tag_terms_test_each_operator() {
    let label = |key: &str, op| Endpoint::Tags(vec![term(TagKind::Label, key, op)]);
    assert_eq!(
        sources_matching(label("app", TagOp::In(values(&["web", "api"])))),
        [WEB, API]
    );
    assert_eq!(
        sources_matching(label("app", TagOp::In(values(&["nope"])))),
        [] as [&str; 0]
    );
    assert_eq!(
        sources_matching(label("app", TagOp::In(values(&[])))),
        [] as [&str; 0]
    );
    assert_eq!(
        sources_matching(label("app", TagOp::NotIn(values(&["web"])))),
        [API]
    );
    assert_eq!(
        sources_matching(label("tier", TagOp::NotIn(values(&["front"])))),
        [API]
    );
    assert_eq!(sources_matching(label("tier", TagOp::Exists)), [WEB]);
    assert_eq!(sources_matching(label("tier", TagOp::DoesNotExist)), [API]);
    // Every term must hold.
    assert_eq!(
        sources_matching(Endpoint::Tags(vec![
            term(
                TagKind::Namespace,
                "namespace",
                TagOp::In(values(&["ns1", "ns2"]))
            ),
            term(TagKind::Label, "tier", TagOp::DoesNotExist),
        ])),
        [API]
    );
}

#[test]
fn tag_kinds_are_kept_apart() {
    // api carries `team=x` as a namespace label, not as a pod label.
    let team = |kind| Endpoint::Tags(vec![term(kind, "team", TagOp::Exists)]);
    assert_eq!(sources_matching(team(TagKind::Label)), [] as [&str; 0]);
    assert_eq!(sources_matching(team(TagKind::NamespaceLabel)), [API]);
}

#[test]
fn empty_tag_expression_is_every_workload_and_no_other_address() {
    assert_eq!(sources_matching(Endpoint::Tags(vec![])), [WEB, API]);
    assert_eq!(
        sources_matching(Endpoint::Any),
        [WEB, API, OUTSIDE, HOLE, "::ffff:192.168.2.1"]
    );
}

#[test]
fn address_groups_hold_addresses_minus_their_holes() {
    let group = |name: &str| Endpoint::AddressGroup(name.into());
    // The IPv4-mapped form of an address is that address.
    assert_eq!(
        sources_matching(group("ext")),
        [OUTSIDE, "::ffff:192.168.2.1"]
    );
    // Workload addresses are addresses too.
    assert_eq!(sources_matching(group("pods")), [WEB]);
    assert_eq!(sources_matching(group("unknown")), [] as [&str; 0]);
}

#[test]
fn an_address_group_as_endpoint_1_tests_the_local_address() {
    // db has 10.0.0.2 (in `pods`) and fd00::2 (not): only connections to the former match.
    let config = config(vec![vec![rule(
        Action::Deny,
        Direction::Ingress,
        Endpoint::AddressGroup("pods".into()),
        Endpoint::Any,
        Service::ANY,
    )]]);
    check(
        &config,
        tuple(API, DB, Protocol::Tcp, 1),
        Side::NoMatch,
        hit(0, Action::Deny),
    );
    check(
        &config,
        tuple("fd00::9", DB_V6, Protocol::Tcp, 1),
        Side::NotWorkload,
        Side::NoMatch,
    );
}

#[test]
fn named_ports_resolve_on_the_destination_in_both_directions() {
    let http = |protocol| Service {
        protocol,
        ports: ServicePorts::Named("http".into()),
    };
    let config = config(vec![vec![
        rule(
            Action::Pass,
            Direction::Ingress,
            app(&["web"]),
            Endpoint::Any,
            http(Some(Protocol::Tcp)),
        ),
        rule(
            Action::Pass,
            Direction::Egress,
            app(&["db"]),
            Endpoint::Any,
            http(None),
        ),
    ]]);
    // Ingress at web: web's own `http`, the first declaration only, TCP only.
    check(
        &config,
        tuple(DB, WEB, Protocol::Tcp, 8080),
        hit(1, Action::Pass),
        hit(0, Action::Pass),
    );
    check(
        &config,
        tuple(DB, WEB, Protocol::Tcp, 9090),
        Side::NoMatch,
        Side::NoMatch,
    );
    check(
        &config,
        tuple(DB, WEB, Protocol::Udp, 8080),
        Side::NoMatch,
        Side::NoMatch,
    );
    // Egress from db: the destination's `http` (api's is 80).
    check(
        &config,
        tuple(DB, API, Protocol::Tcp, 80),
        hit(1, Action::Pass),
        Side::NoMatch,
    );
    check(
        &config,
        tuple(DB, API, Protocol::Tcp, 8080),
        Side::NoMatch,
        Side::NoMatch,
    );
    // Toward an address of no workload a named port matches nothing.
    check(
        &config,
        tuple(DB, OUTSIDE, Protocol::Tcp, 8080),
        Side::NoMatch,
        Side::NotWorkload,
    );
}

#[test]
fn services_match_protocols_and_ports() {
    let service = |protocol, ports| Service { protocol, ports };
    let config = config(vec![vec![
        // A port range never matches a protocol without ports, whatever the tuple's port.
        rule(
            Action::Deny,
            Direction::Ingress,
            Endpoint::Any,
            Endpoint::Any,
            service(None, ServicePorts::Range(PortRange { start: 0, end: 100 })),
        ),
        // A protocol with any port matches every port of it, and protocols without ports.
        rule(
            Action::Pass,
            Direction::Ingress,
            Endpoint::Any,
            Endpoint::Any,
            service(Some(Protocol::Other(1)), ServicePorts::Any),
        ),
        rule(
            Action::Pass,
            Direction::Ingress,
            Endpoint::Any,
            Endpoint::Any,
            service(Some(Protocol::Udp), ServicePorts::Any),
        ),
    ]]);
    let ingress =
        |protocol, port| linear::evaluate(&config, &tuple(API, DB, protocol, port)).ingress;
    assert_eq!(ingress(Protocol::Sctp, 100), hit(0, Action::Deny));
    assert_eq!(ingress(Protocol::Udp, 100), hit(0, Action::Deny));
    assert_eq!(ingress(Protocol::Udp, 101), hit(2, Action::Pass));
    assert_eq!(ingress(Protocol::Udp, 65535), hit(2, Action::Pass));
    assert_eq!(ingress(Protocol::Other(1), 0), hit(1, Action::Pass));
    assert_eq!(ingress(Protocol::Other(1), 7), hit(1, Action::Pass));
    assert_eq!(ingress(Protocol::Other(2), 0), Side::NoMatch);
    assert_eq!(ingress(Protocol::Tcp, 101), Side::NoMatch);
    for (protocol, port) in [
        (Protocol::Sctp, 100),
        (Protocol::Other(1), 7),
        (Protocol::Other(2), 0),
    ] {
        let t = tuple(API, DB, protocol, port);
        check(&config, t, Side::NoMatch, ingress(protocol, port));
    }
}
