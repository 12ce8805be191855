//! Random firewall configurations and tuples for the compiled-engine tests.
//!
//! Everything is drawn from small pools so that generated rules, groups and tuples collide:
//! tags that endpoints mention and workloads carry, prefixes that nest, overlap and have
//! holes, addresses on prefix edges, named ports with several protocols.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use tagwall::firewall::{
    Action, AddressGroup, ApplicationPolicySet, Endpoint, FirewallConfig, FirewallPolicy,
    FirewallRule, Service, ServicePorts, Tag, TagKind, TagOp, TagTerm, Workload,
};
use tagwall::model::{Direction, NamedPort};
use tagwall::protocol::{PortRange, Protocol};
use tagwall::tuple::Tuple;

const KINDS: [TagKind; 3] = [TagKind::Namespace, TagKind::Label, TagKind::NamespaceLabel];
const KEYS: [&str; 3] = ["app", "tier", "namespace"];
const VALUES: [&str; 3] = ["a", "b", "c"];
const PORT_NAMES: [&str; 3] = ["http", "dns", "metrics"];
const PORTS: [u16; 7] = [0, 53, 79, 80, 81, 8080, 65535];
const GROUP_NAMES: [&str; 5] = ["g0", "g1", "g2", "g3", "g4"];

/// Addresses workloads may have (some shared between workloads on purpose).
pub const WORKLOAD_IPS: [&str; 12] = [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.5",
    "10.0.0.16",
    "10.0.0.17",
    "10.0.0.200",
    "192.168.0.1",
    "192.168.1.7",
    "fd00::1",
    "fd00::2",
    "fd00::100",
    "::ffff:10.0.0.3",
];

/// Prefixes groups draw from: nested, overlapping, with host bits, both families, and an
/// IPv4-mapped IPv6 prefix (which no canonical address is in).
const PREFIXES: [&str; 16] = [
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.0.0.0/24",
    "10.0.0.0/28",
    "10.0.0.16/30",
    "10.0.0.5/32",
    "10.0.0.7/24",
    "10.0.0.128/25",
    "192.168.0.0/16",
    "192.168.1.0/24",
    "::/0",
    "fd00::/8",
    "fd00::/120",
    "fd00::1/128",
    "fd00::ff:0/112",
    "::ffff:10.0.0.0/104",
];

/// Addresses tuples draw from besides workload addresses: prefix edges and outsiders.
const EDGE_IPS: [&str; 16] = [
    "10.0.0.0",
    "10.0.0.15",
    "10.0.0.19",
    "10.0.0.20",
    "10.0.0.127",
    "10.0.0.255",
    "10.255.255.255",
    "11.0.0.0",
    "9.255.255.255",
    "192.168.255.255",
    "8.8.8.8",
    "fd00::ff",
    "fd00::ff:1",
    "fdff:ffff::1",
    "2001:db8::1",
    "::",
];

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn kind() -> impl Strategy<Value = TagKind> {
    select(KINDS.to_vec())
}

fn values() -> impl Strategy<Value = BTreeSet<String>> {
    subsequence(VALUES.to_vec(), 0..=3).prop_map(|v| v.into_iter().map(String::from).collect())
}

fn tag() -> impl Strategy<Value = Tag> {
    (kind(), select(KEYS.to_vec()), select(VALUES.to_vec())).prop_map(|(kind, key, value)| Tag {
        kind,
        key: key.into(),
        value: value.into(),
    })
}

fn term() -> impl Strategy<Value = TagTerm> {
    let op = prop_oneof![
        3 => values().prop_map(TagOp::In),
        2 => values().prop_map(TagOp::NotIn),
        1 => Just(TagOp::Exists),
        1 => Just(TagOp::DoesNotExist),
    ];
    (kind(), select(KEYS.to_vec()), op).prop_map(|(kind, key, op)| TagTerm {
        kind,
        key: key.into(),
        op,
    })
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    prop_oneof![
        1 => Just(Endpoint::Any),
        4 => prop::collection::vec(term(), 0..=2).prop_map(Endpoint::Tags),
        2 => prop_oneof![select(GROUP_NAMES.to_vec()), Just("unknown")]
            .prop_map(|name| Endpoint::AddressGroup(name.into())),
    ]
}

fn protocol() -> impl Strategy<Value = Protocol> {
    select(vec![
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Sctp,
        Protocol::Other(1),
    ])
}

fn port() -> impl Strategy<Value = u16> {
    prop_oneof![3 => select(PORTS.to_vec()), 1 => any::<u16>()]
}

fn service() -> impl Strategy<Value = Service> {
    let ports = prop_oneof![
        2 => Just(ServicePorts::Any),
        3 => (port(), port()).prop_map(|(a, b)| ServicePorts::Range(PortRange {
            start: a.min(b),
            end: a.max(b),
        })),
        2 => select(PORT_NAMES.to_vec()).prop_map(|n| ServicePorts::Named(n.into())),
    ];
    (prop::option::weighted(0.7, protocol()), ports)
        .prop_map(|(protocol, ports)| Service { protocol, ports })
}

fn rule() -> impl Strategy<Value = FirewallRule> {
    (
        // `next` (a tier's Pass) jumps past its policy's tier, which `firewall` draws too.
        prop_oneof![3 => Just(Action::Pass), 3 => Just(Action::Deny), 1 => Just(Action::Next)],
        service(),
        endpoint(),
        prop_oneof![Just(Direction::Ingress), Just(Direction::Egress)],
        endpoint(),
    )
        .prop_map(
            |(action, service, endpoint_1, direction, endpoint_2)| FirewallRule {
                name: String::new(),
                action,
                service,
                endpoint_1,
                direction,
                endpoint_2,
            },
        )
}

fn group(name: &'static str) -> impl Strategy<Value = AddressGroup> {
    let prefix = select(PREFIXES.to_vec()).prop_map(|p| p.parse::<IpNet>().unwrap());
    (
        prop::collection::vec(prefix.clone(), 1..4),
        prop::collection::vec(prefix, 0..3),
    )
        .prop_map(move |(prefixes, except)| AddressGroup {
            name: name.into(),
            prefixes,
            except,
        })
}

/// Groups in no particular order, names possibly repeated (the first of a name counts), and
/// now and then a group with another's addresses under its own name (translation makes one
/// group per ipBlock per policy, and the compiler merges equal ones).
fn groups() -> impl Strategy<Value = Vec<AddressGroup>> {
    prop::collection::vec(select(GROUP_NAMES.to_vec()), 0..6)
        .prop_flat_map(|names| {
            let copies = prop::collection::vec(prop::option::weighted(0.3, 0..6usize), names.len());
            (names.into_iter().map(group).collect::<Vec<_>>(), copies)
        })
        .prop_map(|(mut groups, copies)| {
            for (index, copy) in copies.into_iter().enumerate() {
                let Some(source) = copy.map(|c| c % groups.len()) else {
                    continue;
                };
                let (prefixes, except) = (
                    groups[source].prefixes.clone(),
                    groups[source].except.clone(),
                );
                groups[index].prefixes = prefixes;
                groups[index].except = except;
            }
            groups
        })
}

fn named_port() -> impl Strategy<Value = NamedPort> {
    (
        select(PORT_NAMES.to_vec()),
        select(vec![53u16, 80, 8080]),
        protocol(),
    )
        .prop_map(|(name, port, protocol)| NamedPort {
            name: name.into(),
            port,
            protocol,
        })
}

fn workload(index: usize) -> impl Strategy<Value = Workload> {
    (
        subsequence(WORKLOAD_IPS.to_vec(), 1..=2),
        prop::collection::btree_set(tag(), 1..8),
        prop::collection::vec(named_port(), 0..4),
    )
        .prop_map(move |(ips, tags, ports)| Workload {
            name: format!("ns/w{index}"),
            ips: ips.into_iter().map(ip).collect(),
            tags,
            ports,
        })
}

/// A workload inventory of up to `max` workloads.
pub fn workloads(max: usize) -> impl Strategy<Value = Vec<Workload>> {
    (0..=max).prop_flat_map(|n| (0..n).map(workload).collect::<Vec<_>>())
}

/// A random firewall configuration.
pub fn firewall() -> impl Strategy<Value = FirewallConfig> {
    let tier = prop_oneof![Just(None), Just(Some("admin")), Just(Some("baseline"))];
    let policy =
        (prop::collection::vec(rule(), 0..7), tier).prop_map(|(rules, tier)| FirewallPolicy {
            tier: tier.map(String::from),
            name: "p".into(),
            rules,
        });
    (groups(), prop::collection::vec(policy, 1..4), workloads(10)).prop_map(
        |(address_groups, policies, workloads)| FirewallConfig {
            tags: Vec::new(),
            address_groups,
            application_policy_set: ApplicationPolicySet {
                name: "aps".into(),
                policies,
            },
            workloads,
        },
    )
}

/// Addresses of `workloads`, as configured (some are IPv4-mapped IPv6).
pub fn addresses_of(workloads: &[Workload]) -> Vec<IpAddr> {
    workloads
        .iter()
        .flat_map(|w| w.ips.iter().copied())
        .collect()
}

fn address(owned: Vec<IpAddr>) -> impl Strategy<Value = IpAddr> {
    let owned = if owned.is_empty() {
        vec![ip("10.0.0.1")]
    } else {
        owned
    };
    prop_oneof![
        12 => select(owned),
        3 => select(WORKLOAD_IPS.to_vec()).prop_map(ip),
        3 => select(EDGE_IPS.to_vec()).prop_map(ip),
        // The IPv4-mapped form of a pool address: every engine must see the IPv4 address.
        2 => select(WORKLOAD_IPS.iter().chain(&EDGE_IPS).copied().collect::<Vec<_>>()).prop_map(
            |text| match ip(text) {
                IpAddr::V4(v4) => IpAddr::V6(v4.to_ipv6_mapped()),
                other => other,
            }
        ),
        1 => any::<u32>().prop_map(|n| IpAddr::V4(Ipv4Addr::from_bits(n))),
        1 => any::<u128>().prop_map(|n| IpAddr::V6(Ipv6Addr::from_bits(n))),
    ]
}

/// A random tuple, mostly between the `owned` addresses, else over the pools.
pub fn tuple(owned: Vec<IpAddr>) -> impl Strategy<Value = Tuple> {
    (
        address(owned.clone()),
        address(owned),
        prop_oneof![4 => Just(6u8), 1 => select(vec![17u8, 132, 1, 0, 255])],
        port(),
        port(),
    )
        .prop_map(|(src, dst, number, src_port, dst_port)| Tuple {
            src,
            dst,
            protocol: Protocol::from_number(number),
            src_port,
            dst_port,
        })
}

/// A random configuration and `count` tuples mostly between its workloads.
pub fn firewall_and_tuples(count: usize) -> impl Strategy<Value = (FirewallConfig, Vec<Tuple>)> {
    firewall().prop_flat_map(move |config| {
        let tuples = prop::collection::vec(tuple(addresses_of(&config.workloads)), count);
        (Just(config), tuples)
    })
}

/// A configuration like a translated cluster's: long runs of pass rules whose endpoint_2 is a
/// tag expression (which the compiled engine groups into blocks), then deny rules.
pub fn tag_heavy_firewall() -> impl Strategy<Value = FirewallConfig> {
    let peer = prop::collection::vec(term(), 1..=2).prop_map(Endpoint::Tags);
    let local = prop_oneof![
        Just(Endpoint::Tags(Vec::new())),
        prop::collection::vec(term(), 1..=1).prop_map(Endpoint::Tags),
    ];
    let pass = (
        local.clone(),
        peer,
        service(),
        prop_oneof![Just(Direction::Ingress), Just(Direction::Egress)],
    )
        .prop_map(
            |(endpoint_1, endpoint_2, service, direction)| FirewallRule {
                name: String::new(),
                action: Action::Pass,
                service,
                endpoint_1,
                direction,
                endpoint_2,
            },
        );
    let deny = (
        local,
        prop_oneof![Just(Direction::Ingress), Just(Direction::Egress)],
    )
        .prop_map(|(endpoint_1, direction)| FirewallRule {
            name: String::new(),
            action: Action::Deny,
            service: Service::ANY,
            endpoint_1,
            direction,
            endpoint_2: Endpoint::Any,
        });
    (
        groups(),
        prop::collection::vec(pass, 10..40),
        prop::collection::vec(deny, 0..3),
        workloads(10),
    )
        .prop_map(
            |(address_groups, passes, denies, workloads)| FirewallConfig {
                tags: Vec::new(),
                address_groups,
                application_policy_set: ApplicationPolicySet {
                    name: "aps".into(),
                    policies: vec![
                        FirewallPolicy {
                            tier: None,
                            name: "allow".into(),
                            rules: passes,
                        },
                        FirewallPolicy {
                            tier: None,
                            name: "deny".into(),
                            rules: denies,
                        },
                    ],
                },
                workloads,
            },
        )
}

/// [`tag_heavy_firewall`] and `count` tuples mostly between its workloads.
pub fn tag_heavy_firewall_and_tuples(
    count: usize,
) -> impl Strategy<Value = (FirewallConfig, Vec<Tuple>)> {
    tag_heavy_firewall().prop_flat_map(move |config| {
        let tuples = prop::collection::vec(tuple(addresses_of(&config.workloads)), count);
        (Just(config), tuples)
    })
}
