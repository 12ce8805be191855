//! ClusterNetworkPolicy (v1alpha2), AdminNetworkPolicy and BaselineAdminNetworkPolicy (v1alpha1)
//! checked as their CRDs check them: the OpenAPI schema and CEL rules generated from the
//! `+kubebuilder` markers of kubernetes-sigs/network-policy-api, `apis/v1alpha2/
//! clusternetworkpolicy_types.go`, `apis/v1alpha1/adminnetworkpolicy_types.go`,
//! `apis/v1alpha1/baselineadminnetworkpolicy_types.go` and `apis/v1alpha1/shared_types.go`.
//!
//! Beyond the schema, two things the types prescribe to implementations:
//! - a peer that sets no field this version knows (an object from a newer CRD) fails closed:
//!   "For "Accept" rules, "fail closed" means: "treat the rule as matching no traffic". For
//!   "Deny" and "Pass" rules, "fail closed" means: "treat the rule as a 'Deny all' rule"";
//! - `domainNames` peers name DNS names, which a decision on addresses cannot evaluate: an
//!   error, or in lenient loading the rule is left out with a warning.

use ipnet::IpNet;

use super::super::raw::{RawMeta, RawSelector, Scalar};
use super::super::raw_tiers::{
    RawDestinationPort, RawNamespacedPod, RawPortRange, RawPortV1, RawProtocol, RawSubject,
    RawTierPeer, RawTierRule, RawTierSpec,
};
use super::{
    Invalid, Walk, cidr, label_selector, labels, names, object_name, port_number, protocol,
};
use crate::model::{
    BANP_PRIORITY, ClusterPolicy, ClusterPolicyKind, Direction, LabelSelector, PodSet, Tier,
    TierAction, TierPeer, TierPort, TierRule,
};
use crate::protocol::{PortRange, Protocol};

/// The limits of one API version (`+kubebuilder:validation:MaxItems`).
struct Limits {
    /// Rules per direction.
    rules: usize,
    /// Peers per rule.
    peers: usize,
    /// `protocols` / `ports` entries per rule.
    ports: usize,
}

/// v1alpha2: "A maximum of 25 rules is allowed in this block"; `from`, `to`, `protocols`:
/// `MaxItems=25`.
const V1ALPHA2: Limits = Limits {
    rules: 25,
    peers: 25,
    ports: 25,
};

/// v1alpha1: "A total of 100 rules will be allowed"; `from`, `to`, `ports`: `MaxItems=100`.
const V1ALPHA1: Limits = Limits {
    rules: 100,
    peers: 100,
    ports: 100,
};

/// `networks` and `domainNames`: "up to 25" (`MaxItems=25`) in both versions.
const MAX_NETWORKS: usize = 25;

/// Rule names: `+kubebuilder:validation:MaxLength=100`.
const MAX_RULE_NAME: usize = 100;

/// `CIDR`: `+kubebuilder:validation:MaxLength=43`.
const MAX_CIDR: usize = 43;

/// Validates one object of the three kinds. `lenient` turns a `domainNames` peer from an error
/// into its rule left out (with a note).
pub(crate) fn cluster_policy(
    kind: ClusterPolicyKind,
    meta: RawMeta,
    spec: &RawTierSpec,
    lenient: bool,
    walk: &mut Walk,
) -> Result<ClusterPolicy, Invalid> {
    // Cluster-scoped custom resources are named by DNS subdomains.
    let name = object_name(&meta, names::dns_subdomain_error, walk)?;
    walk.field("metadata.labels", |walk| labels(meta.labels, walk))?;
    // baselineadminnetworkpolicy_types.go: `self.metadata.name == 'default'`, "Only one
    // baseline admin network policy with metadata.name="default" can be created".
    if kind == ClusterPolicyKind::BaselineAdminNetworkPolicy && name != "default" {
        return Err(Invalid {
            field: "metadata.name".to_string(),
            message: format!(
                "`{name}` is invalid: only one baseline admin network policy with \
                 metadata.name=\"default\" can be created in the cluster"
            ),
        });
    }
    let limits = match kind {
        ClusterPolicyKind::ClusterNetworkPolicy => V1ALPHA2,
        _ => V1ALPHA1,
    };
    walk.field("spec", |walk| {
        let tier = match kind {
            ClusterPolicyKind::ClusterNetworkPolicy => {
                walk.field("tier", |walk| match spec.tier.as_ref() {
                    None => Err(walk.invalid("required")),
                    Some(Scalar::Str(s)) if s == "Admin" => Ok(Tier::Admin),
                    Some(Scalar::Str(s)) if s == "Baseline" => Ok(Tier::Baseline),
                    Some(other) => Err(walk.invalid(format!(
                        "unsupported value {}: supported values: `Admin`, `Baseline`",
                        other.describe()
                    ))),
                })?
            }
            ClusterPolicyKind::AdminNetworkPolicy => Tier::Admin,
            ClusterPolicyKind::BaselineAdminNetworkPolicy => Tier::Baseline,
        };
        // "Priority is a value from 0 to 1000" (`Minimum=0`, `Maximum=1000`); the
        // BaselineAdminNetworkPolicy has none.
        let priority = match kind {
            ClusterPolicyKind::BaselineAdminNetworkPolicy => BANP_PRIORITY,
            _ => walk.field("priority", |walk| match spec.priority.as_ref() {
                None => Err(walk.invalid("required")),
                Some(Scalar::Int(n)) => {
                    u32::try_from(*n)
                        .ok()
                        .filter(|p| *p <= 1000)
                        .ok_or_else(|| {
                            walk.invalid(format!("`{n}` must be between 0 and 1000, inclusive"))
                        })
                }
                Some(other) => Err(walk.invalid(format!("{} is not an integer", other.describe()))),
            })?,
        };
        let subject = walk.field("subject", |walk| match &spec.subject {
            None => Err(walk.invalid("required")),
            Some(subject) => self::subject(subject, kind, walk),
        })?;
        let rules_of = |direction: Direction, walk: &mut Walk| {
            let (field, raw) = match direction {
                Direction::Ingress => ("ingress", spec.ingress.as_deref()),
                Direction::Egress => ("egress", spec.egress.as_deref()),
            };
            walk.field(field, |walk| {
                let raw = raw.unwrap_or_default();
                if raw.len() > limits.rules {
                    return Err(too_many(walk, raw.len(), limits.rules));
                }
                let mut rules = Vec::new();
                for (i, rule) in raw.iter().enumerate() {
                    let checked = walk.index(i, |walk| {
                        self::rule(rule, kind, direction, &limits, lenient, walk)
                    })?;
                    rules.extend(checked);
                }
                Ok(rules)
            })
        };
        let ingress = rules_of(Direction::Ingress, walk)?;
        let egress = rules_of(Direction::Egress, walk)?;
        Ok(ClusterPolicy {
            kind,
            name,
            tier,
            priority,
            subject,
            ingress,
            egress,
        })
    })
}

fn too_many(walk: &Walk, count: usize, max: usize) -> Invalid {
    walk.invalid(format!("must have at most {max} items, has {count}"))
}

/// `ClusterNetworkPolicySubject` / `AdminNetworkPolicySubject`: "Exactly one field must be set"
/// (`MinProperties=1`, `MaxProperties=1`).
fn subject(
    subject: &RawSubject,
    kind: ClusterPolicyKind,
    walk: &mut Walk,
) -> Result<PodSet, Invalid> {
    let set = usize::from(subject.namespaces.is_some()) + usize::from(subject.pods.is_some());
    match set {
        0 => Err(walk.invalid(format!(
            "exactly one of `namespaces`, `pods` must be set{}",
            unknown_fields(&subject.unknown)
        ))),
        1 => match (&subject.namespaces, &subject.pods) {
            (Some(namespaces), _) => {
                walk.field("namespaces", |walk| namespaces_set(namespaces, walk))
            }
            (_, Some(pods)) => walk.field("pods", |walk| namespaced_pod(pods, kind, walk)),
            (None, None) => Err(walk.invalid("required")),
        },
        _ => Err(walk.invalid("exactly one of `namespaces`, `pods` may be set")),
    }
}

/// `(fields: `a`, `b`)` naming fields this version does not know, for messages.
fn unknown_fields(unknown: &std::collections::BTreeMap<String, serde::de::IgnoredAny>) -> String {
    if unknown.is_empty() {
        return String::new();
    }
    let names: Vec<String> = unknown.keys().map(|k| format!("`{k}`")).collect();
    format!(" (unknown fields: {})", names.join(", "))
}

/// `namespaces`: "select all pods within a set of Namespaces".
fn namespaces_set(selector: &RawSelector, walk: &mut Walk) -> Result<PodSet, Invalid> {
    Ok(PodSet {
        namespace_selector: label_selector(selector, walk)?,
        pod_selector: None,
    })
}

/// `NamespacedPod`: `podSelector` is required in both versions; `namespaceSelector` is optional
/// in v1alpha2 ("if empty, it selects all Namespaces") and required in v1alpha1.
fn namespaced_pod(
    pods: &RawNamespacedPod,
    kind: ClusterPolicyKind,
    walk: &mut Walk,
) -> Result<PodSet, Invalid> {
    let namespace_selector = match &pods.namespace_selector {
        Some(selector) => walk.field("namespaceSelector", |walk| label_selector(selector, walk))?,
        None if kind == ClusterPolicyKind::ClusterNetworkPolicy => LabelSelector::default(),
        None => return Err(walk.invalid_at("namespaceSelector", "required")),
    };
    let pod_selector = match &pods.pod_selector {
        Some(selector) => walk.field("podSelector", |walk| label_selector(selector, walk))?,
        None => return Err(walk.invalid_at("podSelector", "required")),
    };
    Ok(PodSet {
        namespace_selector,
        pod_selector: Some(pod_selector),
    })
}

/// One rule; `None` when it is left out (a `domainNames` peer in lenient loading, or an
/// `Accept` rule failing closed).
fn rule(
    rule: &RawTierRule,
    kind: ClusterPolicyKind,
    direction: Direction,
    limits: &Limits,
    lenient: bool,
    walk: &mut Walk,
) -> Result<Option<TierRule>, Invalid> {
    let name = walk.field("name", |walk| match &rule.name {
        None => Ok(String::new()),
        Some(Scalar::Str(name)) if name.chars().count() <= MAX_RULE_NAME => Ok(name.clone()),
        Some(Scalar::Str(_)) => {
            Err(walk.invalid(format!("may not be more than {MAX_RULE_NAME} characters")))
        }
        Some(other) => Err(walk.invalid(format!("{} is not a string", other.describe()))),
    })?;
    let action = walk.field("action", |walk| {
        action(rule.action.as_ref(), kind, lenient, walk)
    })?;
    // An action this version does not know (a newer CRD's) fails closed, as the types ask of
    // the peers they do not know: the rule denies the traffic it selects.
    let action = match action {
        Some(action) => action,
        None => {
            walk.note(format!(
                "rule `{name}` has an action this version does not know; failing closed, the \
                 rule denies the traffic it selects"
            ));
            TierAction::Deny
        }
    };
    let (field, peers) = match direction {
        Direction::Ingress => ("from", &rule.from),
        Direction::Egress => ("to", &rule.to),
    };
    // "This field must be defined and contain at least one item" (`MinItems=1`).
    let Some(raw_peers) = peers.as_deref().filter(|p| !p.is_empty()) else {
        return Err(walk.invalid_at(field, "required: must contain at least one item"));
    };
    let mut failed_closed = false;
    let mut domain_names = false;
    let peers = walk.field(field, |walk| {
        if raw_peers.len() > limits.peers {
            return Err(too_many(walk, raw_peers.len(), limits.peers));
        }
        let mut peers = Vec::new();
        for (j, raw) in raw_peers.iter().enumerate() {
            walk.index(j, |walk| {
                match peer(raw, kind, direction, lenient, walk)? {
                    PeerOutcome::Peer(peer) => peers.push(peer),
                    PeerOutcome::FailClosed => failed_closed = true,
                    PeerOutcome::DomainNames => domain_names = true,
                }
                Ok(())
            })?;
        }
        Ok(peers)
    })?;
    let ports = ports(rule, kind, limits, walk)?;
    // adminnetworkpolicy_types.go / clusternetworkpolicy_types.go (CEL): "networks/nodes/
    // domainNames peer cannot be set with namedPorts since there are no namedPorts for
    // networks/nodes/domainNames".
    let named = ports
        .iter()
        .flatten()
        .any(|port| matches!(port, TierPort::Named(_)));
    let addresses = peers
        .iter()
        .any(|p| matches!(p, TierPeer::Nodes(_) | TierPeer::Networks(_)))
        || domain_names;
    if named && addresses {
        let field = match kind {
            ClusterPolicyKind::ClusterNetworkPolicy => "protocols",
            _ => "ports",
        };
        return Err(walk.invalid_at(
            field,
            "networks/nodes/domainNames peer cannot be set with namedPorts since there are no \
             namedPorts for networks/nodes/domainNames",
        ));
    }
    if domain_names {
        walk.note(format!(
            "rule `{name}` left out: `domainNames` peers match DNS names, which tagwall cannot \
             evaluate on addresses"
        ));
        return Ok(None);
    }
    if failed_closed {
        return Ok(match action {
            TierAction::Accept => {
                walk.note(format!(
                    "rule `{name}` has a peer with no field this version knows; failing closed, \
                     the Accept rule matches no traffic"
                ));
                None
            }
            TierAction::Deny | TierAction::Pass => {
                walk.note(format!(
                    "rule `{name}` has a peer with no field this version knows; failing closed, \
                     the rule denies all traffic"
                ));
                Some(TierRule {
                    name,
                    action: TierAction::Deny,
                    peers: vec![TierPeer::Networks(vec![
                        IpNet::V4(ipnet::Ipv4Net::default()),
                        IpNet::V6(ipnet::Ipv6Net::default()),
                    ])],
                    ports: None,
                })
            }
        });
    }
    Ok(Some(TierRule {
        name,
        action,
        peers,
        ports,
    }))
}

/// `Accept`/`Deny`/`Pass` (v1alpha2); `Allow`/`Deny`/`Pass` (AdminNetworkPolicy);
/// `Allow`/`Deny` (BaselineAdminNetworkPolicy). Another string is an error, as the schema's
/// enum makes it; in lenient loading it is `None`, for the caller to fail the rule closed.
fn action(
    value: Option<&Scalar>,
    kind: ClusterPolicyKind,
    lenient: bool,
    walk: &mut Walk,
) -> Result<Option<TierAction>, Invalid> {
    let supported: &[(&str, TierAction)] = match kind {
        ClusterPolicyKind::ClusterNetworkPolicy => &[
            ("Accept", TierAction::Accept),
            ("Deny", TierAction::Deny),
            ("Pass", TierAction::Pass),
        ],
        ClusterPolicyKind::AdminNetworkPolicy => &[
            ("Allow", TierAction::Accept),
            ("Deny", TierAction::Deny),
            ("Pass", TierAction::Pass),
        ],
        ClusterPolicyKind::BaselineAdminNetworkPolicy => {
            &[("Allow", TierAction::Accept), ("Deny", TierAction::Deny)]
        }
    };
    let Some(value) = value else {
        return Err(walk.invalid("required"));
    };
    let found = match value {
        Scalar::Str(text) => supported
            .iter()
            .find(|(name, _)| name == text)
            .map(|(_, action)| *action),
        _ => None,
    };
    match (found, value) {
        (Some(action), _) => Ok(Some(action)),
        (None, Scalar::Str(_)) if lenient => Ok(None),
        (None, _) => {
            let names: Vec<String> = supported.iter().map(|(n, _)| format!("`{n}`")).collect();
            let hint = match value {
                Scalar::Str(_) => "; load with --lenient to fail the rule closed (a deny)",
                _ => "",
            };
            Err(walk.invalid(format!(
                "unsupported value {}: supported values: {}{hint}",
                value.describe(),
                names.join(", ")
            )))
        }
    }
}

enum PeerOutcome {
    Peer(TierPeer),
    /// No field this version knows: the rule fails closed.
    FailClosed,
    /// A `domainNames` peer (left out in lenient loading).
    DomainNames,
}

/// One peer: "Exactly one of the fields must be set" (`MinProperties=1`, `MaxProperties=1`).
/// Ingress peers are `namespaces` or `pods`; egress peers also `nodes`, `networks` and
/// (v1alpha2 and AdminNetworkPolicy) `domainNames`.
fn peer(
    raw: &RawTierPeer,
    kind: ClusterPolicyKind,
    direction: Direction,
    lenient: bool,
    walk: &mut Walk,
) -> Result<PeerOutcome, Invalid> {
    let mut set: Vec<&str> = Vec::new();
    if raw.namespaces.is_some() {
        set.push("namespaces");
    }
    if raw.pods.is_some() {
        set.push("pods");
    }
    if raw.nodes.is_some() {
        set.push("nodes");
    }
    if raw.networks.is_some() {
        set.push("networks");
    }
    if raw.domain_names.is_some() {
        set.push("domainNames");
    }
    let allowed: &[&str] = match (direction, kind) {
        (Direction::Ingress, _) => &["namespaces", "pods"],
        (Direction::Egress, ClusterPolicyKind::BaselineAdminNetworkPolicy) => {
            &["namespaces", "pods", "nodes", "networks"]
        }
        (Direction::Egress, _) => &["namespaces", "pods", "nodes", "networks", "domainNames"],
    };
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(other) = set.iter().find(|field| !allowed.contains(field)) {
        return Err(walk.invalid_at(
            other,
            format!(
                "not a field of this peer: {} peers set exactly one of {}",
                match direction {
                    Direction::Ingress => "ingress",
                    Direction::Egress => "egress",
                },
                list(allowed)
            ),
        ));
    }
    match set.len() {
        0 if !raw.unknown.is_empty() => {
            // An object of a newer CRD version: "If an implementation sees no fields are set
            // then it can infer that the deployed CRD is of an incompatible version with an
            // unknown field. In that case it should fail closed."
            walk.note(format!(
                "peer sets no field this version knows{}; failing closed",
                unknown_fields(&raw.unknown)
            ));
            return Ok(PeerOutcome::FailClosed);
        }
        0 => {
            return Err(walk.invalid(format!("exactly one of {} must be set", list(allowed))));
        }
        1 => {}
        _ => {
            return Err(walk.invalid(format!("exactly one of {} may be set", list(allowed))));
        }
    }
    if let Some(namespaces) = &raw.namespaces {
        return walk.field("namespaces", |walk| {
            namespaces_set(namespaces, walk).map(|set| PeerOutcome::Peer(TierPeer::Pods(set)))
        });
    }
    if let Some(pods) = &raw.pods {
        return walk.field("pods", |walk| {
            namespaced_pod(pods, kind, walk).map(|set| PeerOutcome::Peer(TierPeer::Pods(set)))
        });
    }
    if let Some(nodes) = &raw.nodes {
        return walk.field("nodes", |walk| {
            label_selector(nodes, walk).map(|s| PeerOutcome::Peer(TierPeer::Nodes(s)))
        });
    }
    if let Some(networks) = &raw.networks {
        return walk.field("networks", |walk| {
            networks_of(networks, walk).map(|n| PeerOutcome::Peer(TierPeer::Networks(n)))
        });
    }
    if let Some(domains) = &raw.domain_names {
        return walk.field("domainNames", |walk| {
            if domains.is_empty() || domains.len() > MAX_NETWORKS {
                return Err(walk.invalid(format!(
                    "must have between 1 and {MAX_NETWORKS} items, has {}",
                    domains.len()
                )));
            }
            if lenient {
                Ok(PeerOutcome::DomainNames)
            } else {
                Err(walk.invalid(
                    "domainNames peers match DNS names, which tagwall cannot evaluate on \
                     addresses; load with --lenient to leave the rule out",
                ))
            }
        });
    }
    Err(walk.invalid("required"))
}

/// `networks`: 1-25 CIDRs (`MinItems=1`, `MaxItems=25`), each valid (`isCIDR(self)`, at most 43
/// characters), no repeats (`listType=set`).
fn networks_of(networks: &[Scalar], walk: &mut Walk) -> Result<Vec<IpNet>, Invalid> {
    if networks.is_empty() || networks.len() > MAX_NETWORKS {
        return Err(walk.invalid(format!(
            "must have between 1 and {MAX_NETWORKS} items, has {}",
            networks.len()
        )));
    }
    let mut out: Vec<IpNet> = Vec::new();
    for (k, value) in networks.iter().enumerate() {
        walk.index(k, |walk| {
            if let Scalar::Str(text) = value
                && text.len() > MAX_CIDR
            {
                return Err(walk.invalid(format!("may not be more than {MAX_CIDR} bytes")));
            }
            let net = cidr(value, walk)?;
            if out.contains(&net) {
                return Err(walk.invalid(format!("duplicate value `{net}`")));
            }
            out.push(net);
            Ok(())
        })?;
    }
    Ok(out)
}

/// `protocols` (v1alpha2) or `ports` (v1alpha1); `None` when absent ("If unspecified,
/// protocol-specific attributes will not be used to match traffic").
fn ports(
    rule: &RawTierRule,
    kind: ClusterPolicyKind,
    limits: &Limits,
    walk: &mut Walk,
) -> Result<Option<Vec<TierPort>>, Invalid> {
    match kind {
        ClusterPolicyKind::ClusterNetworkPolicy => {
            let Some(protocols) = &rule.protocols else {
                return Ok(None);
            };
            walk.field("protocols", |walk| {
                bounded(protocols.len(), limits.ports, walk)?;
                let mut out = Vec::new();
                for (k, entry) in protocols.iter().enumerate() {
                    out.push(walk.index(k, |walk| protocol_v1alpha2(entry, walk))?);
                }
                Ok(Some(out))
            })
        }
        _ => {
            let Some(ports) = &rule.ports else {
                return Ok(None);
            };
            walk.field("ports", |walk| {
                bounded(ports.len(), limits.ports, walk)?;
                let mut out = Vec::new();
                for (k, entry) in ports.iter().enumerate() {
                    out.push(walk.index(k, |walk| port_v1alpha1(entry, walk))?);
                }
                Ok(Some(out))
            })
        }
    }
}

fn bounded(count: usize, max: usize, walk: &Walk) -> Result<(), Invalid> {
    if count == 0 || count > max {
        return Err(walk.invalid(format!("must have between 1 and {max} items, has {count}")));
    }
    Ok(())
}

/// `ClusterNetworkPolicyProtocol`: exactly one of `tcp`, `udp`, `sctp`,
/// `destinationNamedPort`; `tcp`/`udp`/`sctp` need `destinationPort` (`MinProperties=1`).
fn protocol_v1alpha2(entry: &RawProtocol, walk: &mut Walk) -> Result<TierPort, Invalid> {
    let named = entry
        .destination_named_port
        .as_ref()
        .filter(|n| !matches!(n, Scalar::Str(s) if s.is_empty()));
    let count = usize::from(entry.tcp.is_some())
        + usize::from(entry.udp.is_some())
        + usize::from(entry.sctp.is_some())
        + usize::from(named.is_some());
    const FIELDS: &str = "`tcp`, `udp`, `sctp`, `destinationNamedPort`";
    if count != 1 {
        let verb = if count == 0 { "must" } else { "may" };
        return Err(walk.invalid(format!(
            "exactly one of {FIELDS} {verb} be set{}",
            unknown_fields(&entry.unknown)
        )));
    }
    if let Some(name) = named {
        return walk.field("destinationNamedPort", |walk| named_port(name, walk));
    }
    let (field, protocol, ports) = match (&entry.tcp, &entry.udp, &entry.sctp) {
        (Some(p), _, _) => ("tcp", Protocol::Tcp, p),
        (_, Some(p), _) => ("udp", Protocol::Udp, p),
        (_, _, Some(p)) => ("sctp", Protocol::Sctp, p),
        _ => return Err(walk.invalid("required")),
    };
    walk.field(field, |walk| {
        let Some(port) = &ports.destination_port else {
            return Err(walk.invalid_at("destinationPort", "required"));
        };
        walk.field("destinationPort", |walk| {
            let ports = destination_port(port, walk)?;
            Ok(TierPort::Numbers { protocol, ports })
        })
    })
}

/// v1alpha2 `Port`: "You must specify either Port or Range" (`MinProperties=1`,
/// `MaxProperties=1`).
fn destination_port(port: &RawDestinationPort, walk: &mut Walk) -> Result<PortRange, Invalid> {
    match (&port.number, &port.range) {
        (Some(number), None) => walk.field("number", |walk| {
            port_number(number, walk).map(PortRange::single)
        }),
        (None, Some(range)) => walk.field("range", |walk| port_range(range, walk)),
        (None, None) => Err(walk.invalid("exactly one of `number`, `range` must be set")),
        (Some(_), Some(_)) => Err(walk.invalid("exactly one of `number`, `range` may be set")),
    }
}

/// `PortRange`: `start` and `end` in 1-65535, "Start port must be less than End port".
fn port_range(range: &RawPortRange, walk: &mut Walk) -> Result<PortRange, Invalid> {
    let start = walk.field("start", |walk| match &range.start {
        Some(value) => port_number(value, walk),
        None => Err(walk.invalid("required")),
    })?;
    let end = walk.field("end", |walk| match &range.end {
        Some(value) => port_number(value, walk),
        None => Err(walk.invalid("required")),
    })?;
    if start >= end {
        return Err(walk.invalid(format!(
            "start port must be less than end port (`{start}` >= `{end}`)"
        )));
    }
    Ok(PortRange { start, end })
}

/// v1alpha1 `AdminNetworkPolicyPort`: "Exactly one field must be set" of `portNumber`,
/// `namedPort`, `portRange`; protocols default to TCP.
fn port_v1alpha1(entry: &RawPortV1, walk: &mut Walk) -> Result<TierPort, Invalid> {
    let count = usize::from(entry.port_number.is_some())
        + usize::from(entry.named_port.is_some())
        + usize::from(entry.port_range.is_some());
    const FIELDS: &str = "`portNumber`, `namedPort`, `portRange`";
    if count != 1 {
        let verb = if count == 0 { "must" } else { "may" };
        return Err(walk.invalid(format!(
            "exactly one of {FIELDS} {verb} be set{}",
            unknown_fields(&entry.unknown)
        )));
    }
    if let Some(name) = &entry.named_port {
        return walk.field("namedPort", |walk| named_port(name, walk));
    }
    if let Some(number) = &entry.port_number {
        return walk.field("portNumber", |walk| {
            let protocol =
                walk.field("protocol", |walk| protocol(number.protocol.as_ref(), walk))?;
            let port = walk.field("port", |walk| match &number.port {
                Some(value) => port_number(value, walk),
                None => Err(walk.invalid("required")),
            })?;
            Ok(TierPort::Numbers {
                protocol,
                ports: PortRange::single(port),
            })
        });
    }
    if let Some(range) = &entry.port_range {
        return walk.field("portRange", |walk| {
            let protocol =
                walk.field("protocol", |walk| protocol(range.protocol.as_ref(), walk))?;
            let ports = port_range(range, walk)?;
            Ok(TierPort::Numbers { protocol, ports })
        });
    }
    Err(walk.invalid("required"))
}

/// A named port: a container port name (a string; names no pod declares match nothing).
fn named_port(value: &Scalar, walk: &mut Walk) -> Result<TierPort, Invalid> {
    match value {
        Scalar::Str(name) if !name.is_empty() => Ok(TierPort::Named(name.clone())),
        other => Err(walk.invalid(format!("{} is not a port name", other.describe()))),
    }
}
