//! Raw objects to model objects, checked as the API server checks them
//! (`pkg/apis/networking/validation`, `pkg/apis/core/validation`), with field paths.

pub(crate) mod tiers;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::IpAddr;

use ipnet::IpNet;

use super::error::tidy;
use super::names;
use super::raw::{
    RawContainer, RawIpBlock, RawLabels, RawMeta, RawNodeStatus, RawPeer, RawPodSpec, RawPodStatus,
    RawPolicySpec, RawPort, RawRequirement, RawRule, RawSelector, Scalar,
};
use crate::model::{
    Direction, IpBlock, LabelSelector, Labels, NAMESPACE_NAME_LABEL, NamedPort, Namespace,
    NetworkPolicy, Node, Operator, Peer, Pod, PolicyPort, PolicyTypes, PortRule, Requirement, Rule,
};
use crate::protocol::{PortRange, Protocol};

/// Why the API server would reject an object: the field and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// The field path, e.g. `spec.ingress[0].ports[1].endPort`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Something accepted with a change (a CIDR's host bits cleared), or a reason to leave a valid
/// object out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Note {
    /// The field path.
    pub field: String,
    /// What was changed or left out.
    pub message: String,
}

/// A walk through one object: the current field path and the notes so far.
///
/// The path is one `String` grown and truncated as the walk descends and returns, so a valid
/// object costs no path allocations.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    path: String,
    /// Notes taken on the way.
    pub notes: Vec<Note>,
}

impl Walk {
    /// Runs `f` with `field` appended to the path.
    fn field<T>(
        &mut self,
        field: &str,
        f: impl FnOnce(&mut Walk) -> Result<T, Invalid>,
    ) -> Result<T, Invalid> {
        let mark = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(field);
        let result = f(self);
        self.path.truncate(mark);
        result
    }

    /// Runs `f` with `[index]` appended to the path.
    fn index<T>(
        &mut self,
        index: usize,
        f: impl FnOnce(&mut Walk) -> Result<T, Invalid>,
    ) -> Result<T, Invalid> {
        let mark = self.path.len();
        let _ = write!(self.path, "[{index}]");
        let result = f(self);
        self.path.truncate(mark);
        result
    }

    /// An error at the current path.
    fn invalid(&self, message: impl Into<String>) -> Invalid {
        Invalid {
            field: self.path.clone(),
            message: tidy(&message.into()),
        }
    }

    /// An error at a child of the current path.
    fn invalid_at(&self, field: &str, message: impl Into<String>) -> Invalid {
        let mut path = self.path.clone();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(field);
        Invalid {
            field: path,
            message: tidy(&message.into()),
        }
    }

    /// A note at the current path.
    fn note(&mut self, message: impl Into<String>) {
        let field = self.path.clone();
        self.notes.push(Note {
            field,
            message: tidy(&message.into()),
        });
    }
}

/// A namespace: a DNS-label name, valid labels, plus `kubernetes.io/metadata.name`, which the
/// API server sets to the name on every namespace.
pub(crate) fn namespace(meta: RawMeta, walk: &mut Walk) -> Result<Namespace, Invalid> {
    let name = object_name(&meta, names::dns_label_error, walk)?;
    let mut labels = walk.field("metadata.labels", |walk| labels(meta.labels, walk))?;
    labels.insert(NAMESPACE_NAME_LABEL.to_string(), name.clone());
    Ok(Namespace { name, labels })
}

/// Checks `metadata.namespace` (a DNS label) and returns it, `default` when absent.
pub(crate) fn object_namespace(meta: &RawMeta, walk: &mut Walk) -> Result<String, Invalid> {
    match meta.namespace.as_deref() {
        // The API server fills in the request's namespace; kubectl's is `default`.
        None | Some("") => Ok("default".to_string()),
        Some(namespace) => walk.field("metadata.namespace", |walk| {
            check(walk, names::dns_label_error(namespace), namespace)?;
            Ok(namespace.to_string())
        }),
    }
}

/// A pod kept for network policy, or left out with the reason.
#[derive(Debug)]
pub(crate) enum PodOutcome {
    /// The pod, and the field each of its IPs came from (for duplicate-IP errors).
    Keep { pod: Pod, ip_fields: Vec<String> },
    /// The pod is valid but network policy does not apply to it.
    Skip(Note),
}

/// A pod: a DNS-subdomain name, labels, named container ports and IPs.
///
/// Pods on the host network, and pods that have finished (phase Succeeded or Failed), are left
/// out: the NetworkPolicy documentation says policy does not apply to host-network pods, and a
/// finished pod no longer has its IP (it may be reused by another pod).
pub(crate) fn pod(
    namespace: String,
    meta: RawMeta,
    spec: &RawPodSpec,
    status: &RawPodStatus,
    walk: &mut Walk,
) -> Result<PodOutcome, Invalid> {
    let name = object_name(&meta, names::dns_subdomain_error, walk)?;
    let labels = walk.field("metadata.labels", |walk| labels(meta.labels, walk))?;
    let host_network = walk.field("spec.hostNetwork", |walk| match &spec.host_network {
        None => Ok(false),
        Some(Scalar::Bool(b)) => Ok(*b),
        Some(other) => Err(walk.invalid(format!("{} is not a boolean", other.describe()))),
    })?;
    if host_network {
        return Ok(PodOutcome::Skip(Note {
            field: "spec.hostNetwork".to_string(),
            message: "pod uses the host network, which network policy does not cover; skipped"
                .to_string(),
        }));
    }
    if let Some(phase @ ("Succeeded" | "Failed")) = status.phase.as_deref() {
        return Ok(PodOutcome::Skip(Note {
            field: "status.phase".to_string(),
            message: format!("pod has finished (`{phase}`) and holds no IP; skipped"),
        }));
    }
    let mut ports = Vec::new();
    if let Some(containers) = &spec.containers {
        walk.field("spec.containers", |walk| {
            for (i, container) in containers.iter().enumerate() {
                walk.index(i, |walk| container_ports(container, &mut ports, walk))?;
            }
            Ok(())
        })?;
    }
    ports.sort();
    let (ips, ip_fields) = walk.field("status", |walk| pod_ips(status, walk))?;
    let node_name = match spec.node_name.as_deref() {
        None | Some("") => None,
        Some(node) => walk.field("spec.nodeName", |walk| {
            check(walk, names::dns_subdomain_error(node), node)?;
            Ok(Some(node.to_string()))
        })?,
    };
    let host_ips = walk.field("status", |walk| host_ips(status, walk))?;
    Ok(PodOutcome::Keep {
        pod: Pod {
            namespace,
            name,
            labels,
            ips,
            ports,
            node_name,
            host_ips,
        },
        ip_fields,
    })
}

/// Adds a container's named ports to `named`, checking every port as the API server does.
fn container_ports(
    container: &RawContainer,
    named: &mut Vec<NamedPort>,
    walk: &mut Walk,
) -> Result<(), Invalid> {
    let Some(ports) = &container.ports else {
        return Ok(());
    };
    let mut seen = BTreeSet::new();
    walk.field("ports", |walk| {
        for (j, port) in ports.iter().enumerate() {
            walk.index(j, |walk| {
                let number = walk.field("containerPort", |walk| match &port.container_port {
                    None => Err(walk.invalid("required")),
                    Some(value) => port_number(value, walk),
                })?;
                let protocol =
                    walk.field("protocol", |walk| protocol(port.protocol.as_ref(), walk))?;
                if let Some(name) = &port.name {
                    walk.field("name", |walk| {
                        check(walk, names::port_name_error(name), name)?;
                        // Port names are unique within a container.
                        if !seen.insert(name.as_str()) {
                            return Err(walk.invalid(format!("duplicate port name `{name}`")));
                        }
                        Ok(())
                    })?;
                    named.push(NamedPort {
                        name: name.clone(),
                        port: number,
                        protocol,
                    });
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}

/// The pod's IPs: `status.podIPs[*].ip`, else `status.podIP`; canonical, at most one per IP
/// family and no repeats (as the API server requires of `podIPs`).
fn pod_ips(status: &RawPodStatus, walk: &mut Walk) -> Result<(Vec<IpAddr>, Vec<String>), Invalid> {
    let mut ips: Vec<IpAddr> = Vec::new();
    let mut fields = Vec::new();
    let mut add = |text: &str, walk: &mut Walk| -> Result<(), Invalid> {
        let ip = text
            .parse::<IpAddr>()
            .map_err(|_| walk.invalid(format!("`{text}` is not a valid IP address")))?
            .to_canonical();
        if ips.contains(&ip) {
            return Err(walk.invalid(format!("duplicate IP `{ip}`")));
        }
        if ips.iter().any(|other| other.is_ipv4() == ip.is_ipv4()) {
            return Err(walk.invalid(format!(
                "`{ip}`: a pod may have no more than one IP of each family"
            )));
        }
        ips.push(ip);
        fields.push(walk.path.clone());
        Ok(())
    };
    match &status.pod_ips {
        Some(list) if !list.is_empty() => walk.field("podIPs", |walk| {
            for (i, entry) in list.iter().enumerate() {
                walk.index(i, |walk| {
                    walk.field("ip", |walk| match &entry.ip {
                        Some(text) => add(text, walk),
                        None => Err(walk.invalid("required")),
                    })
                })?;
            }
            Ok(())
        })?,
        _ => {
            if let Some(text) = status.pod_ip.as_deref().filter(|t| !t.is_empty()) {
                walk.field("podIP", |walk| add(text, walk))?;
            }
        }
    }
    Ok((ips, fields))
}

/// The addresses of the pod's node as the kubelet reports them: `status.hostIPs[*].ip`, else
/// `status.hostIP`; canonical, without repeats.
fn host_ips(status: &RawPodStatus, walk: &mut Walk) -> Result<Vec<IpAddr>, Invalid> {
    let mut ips: Vec<IpAddr> = Vec::new();
    let add = |text: &str, ips: &mut Vec<IpAddr>, walk: &mut Walk| -> Result<(), Invalid> {
        let ip = parse_ip(text, walk)?;
        if !ips.contains(&ip) {
            ips.push(ip);
        }
        Ok(())
    };
    match &status.host_ips {
        Some(list) if !list.is_empty() => walk.field("hostIPs", |walk| {
            for (i, entry) in list.iter().enumerate() {
                walk.index(i, |walk| {
                    walk.field("ip", |walk| match &entry.ip {
                        Some(text) => add(text, &mut ips, walk),
                        None => Err(walk.invalid("required")),
                    })
                })?;
            }
            Ok(())
        })?,
        _ => {
            if let Some(text) = status.host_ip.as_deref().filter(|t| !t.is_empty()) {
                walk.field("hostIP", |walk| add(text, &mut ips, walk))?;
            }
        }
    }
    Ok(ips)
}

fn parse_ip(text: &str, walk: &Walk) -> Result<IpAddr, Invalid> {
    text.parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| walk.invalid(format!("`{text}` is not a valid IP address")))
}

/// A node: a DNS-subdomain name, valid labels, and the IPs among `status.addresses` (types
/// `InternalIP` and `ExternalIP`; `Hostname` and the DNS types name no address a connection
/// comes from).
pub(crate) fn node(
    meta: RawMeta,
    status: &RawNodeStatus,
    walk: &mut Walk,
) -> Result<Node, Invalid> {
    let name = object_name(&meta, names::dns_subdomain_error, walk)?;
    let labels = walk.field("metadata.labels", |walk| labels(meta.labels, walk))?;
    let mut addresses = Vec::new();
    if let Some(list) = &status.addresses {
        walk.field("status.addresses", |walk| {
            for (i, entry) in list.iter().enumerate() {
                walk.index(i, |walk| {
                    let kind = walk.field("type", |walk| match entry.kind.as_deref() {
                        Some(kind) if !kind.is_empty() => Ok(kind),
                        _ => Err(walk.invalid("required")),
                    })?;
                    walk.field("address", |walk| {
                        let Some(text) = entry.address.as_deref().filter(|t| !t.is_empty()) else {
                            return Err(walk.invalid("required"));
                        };
                        if matches!(kind, "InternalIP" | "ExternalIP") {
                            addresses.push(parse_ip(text, walk)?);
                        }
                        Ok(())
                    })
                })?;
            }
            Ok(())
        })?;
    }
    addresses.sort();
    addresses.dedup();
    Ok(Node {
        name,
        labels,
        addresses,
    })
}

/// A network policy, validated and defaulted.
pub(crate) fn network_policy(
    namespace: String,
    meta: RawMeta,
    spec: &RawPolicySpec,
    walk: &mut Walk,
) -> Result<NetworkPolicy, Invalid> {
    let name = object_name(&meta, names::dns_subdomain_error, walk)?;
    walk.field("metadata.labels", |walk| labels(meta.labels, walk))?;
    walk.field("spec", |walk| {
        // `podSelector` is a struct, not a pointer, in the Go type: absent reads as `{}`.
        let pod_selector = match &spec.pod_selector {
            Some(selector) => walk.field("podSelector", |walk| label_selector(selector, walk))?,
            None => LabelSelector::default(),
        };
        let ingress = rules(spec.ingress.as_deref(), Direction::Ingress, walk)?;
        let egress = rules(spec.egress.as_deref(), Direction::Egress, walk)?;
        let policy_types = walk.field("policyTypes", |walk| {
            policy_types(spec.policy_types.as_deref(), !egress.is_empty(), walk)
        })?;
        Ok(NetworkPolicy {
            namespace,
            name,
            pod_selector,
            policy_types,
            ingress,
            egress,
        })
    })
}

/// `spec.policyTypes`: each `Ingress` or `Egress`, at most two. When absent or empty, the API
/// server defaults it to `[Ingress]`, plus `Egress` when `spec.egress` has a rule.
fn policy_types(
    types: Option<&[Scalar]>,
    has_egress_rules: bool,
    walk: &mut Walk,
) -> Result<PolicyTypes, Invalid> {
    let types = types.unwrap_or_default();
    if types.is_empty() {
        return Ok(PolicyTypes {
            ingress: true,
            egress: has_egress_rules,
        });
    }
    if types.len() > 2 {
        return Err(walk.invalid("may not specify more than two policyTypes"));
    }
    let mut result = PolicyTypes {
        ingress: false,
        egress: false,
    };
    for (i, value) in types.iter().enumerate() {
        walk.index(i, |walk| {
            match value {
                Scalar::Str(s) if s == "Ingress" => result.ingress = true,
                Scalar::Str(s) if s == "Egress" => result.egress = true,
                other => {
                    return Err(walk.invalid(format!(
                        "unsupported value {}: supported values: `Ingress`, `Egress`",
                        other.describe()
                    )));
                }
            }
            Ok(())
        })?;
    }
    Ok(result)
}

/// `spec.ingress` or `spec.egress`.
fn rules(
    raw: Option<&[RawRule]>,
    direction: Direction,
    walk: &mut Walk,
) -> Result<Vec<Rule>, Invalid> {
    let (field, peers_field) = match direction {
        Direction::Ingress => ("ingress", "from"),
        Direction::Egress => ("egress", "to"),
    };
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    walk.field(field, |walk| {
        let mut rules = Vec::with_capacity(raw.len());
        for (i, rule) in raw.iter().enumerate() {
            rules.push(walk.index(i, |walk| {
                let peers = match direction {
                    Direction::Ingress => rule.from.as_deref(),
                    Direction::Egress => rule.to.as_deref(),
                };
                // An empty or absent `from`/`to` matches everything; an empty or absent
                // `ports` matches every port (NetworkPolicyIngressRule docs).
                let peers = match peers {
                    Some(peers) if !peers.is_empty() => Some(walk.field(peers_field, |walk| {
                        let mut out = Vec::with_capacity(peers.len());
                        for (j, peer) in peers.iter().enumerate() {
                            out.push(walk.index(j, |walk| policy_peer(peer, walk))?);
                        }
                        Ok(out)
                    })?),
                    _ => None,
                };
                let ports = match rule.ports.as_deref() {
                    Some(ports) if !ports.is_empty() => Some(walk.field("ports", |walk| {
                        let mut out = Vec::with_capacity(ports.len());
                        for (j, port) in ports.iter().enumerate() {
                            out.push(walk.index(j, |walk| policy_port(port, walk))?);
                        }
                        Ok(out)
                    })?),
                    _ => None,
                };
                Ok(Rule { peers, ports })
            })?);
        }
        Ok(rules)
    })
}

/// One `from`/`to` entry (ValidateNetworkPolicyPeer): at least one of `podSelector`,
/// `namespaceSelector`, `ipBlock`, and `ipBlock` alone.
fn policy_peer(peer: &RawPeer, walk: &mut Walk) -> Result<Peer, Invalid> {
    match (&peer.pod_selector, &peer.namespace_selector, &peer.ip_block) {
        (None, None, None) => Err(walk.invalid("must specify a peer")),
        (None, None, Some(block)) => walk.field("ipBlock", |walk| ip_block(block, walk)),
        (_, _, Some(_)) => {
            Err(walk.invalid("may not specify more than 1 peer when `ipBlock` is specified"))
        }
        (pods, namespaces, None) => {
            let namespace_selector = match namespaces {
                Some(s) => Some(walk.field("namespaceSelector", |walk| label_selector(s, walk))?),
                None => None,
            };
            let pod_selector = match pods {
                Some(s) => Some(walk.field("podSelector", |walk| label_selector(s, walk))?),
                None => None,
            };
            Ok(Peer::Pods {
                namespace_selector,
                pod_selector,
            })
        }
    }
}

/// An `ipBlock`: a valid `cidr`, and each `except` strictly inside it.
fn ip_block(block: &RawIpBlock, walk: &mut Walk) -> Result<Peer, Invalid> {
    let cidr = walk.field("cidr", |walk| match &block.cidr {
        None => Err(walk.invalid("required")),
        Some(value) => cidr(value, walk),
    })?;
    let mut except = Vec::new();
    if let Some(holes) = &block.except {
        walk.field("except", |walk| {
            for (i, hole) in holes.iter().enumerate() {
                walk.index(i, |walk| {
                    let net = self::cidr(hole, walk)?;
                    // ValidateIPBlock: "must be a strict subset of `cidr`"; a hole as large as
                    // the block, or of the other family, is invalid.
                    if !(cidr.contains(&net.network()) && net.prefix_len() > cidr.prefix_len()) {
                        return Err(walk.invalid(format!(
                            "`{net}` is not inside cidr `{cidr}`{}",
                            if net == cidr {
                                " (it is the whole block)"
                            } else {
                                ""
                            }
                        )));
                    }
                    except.push(net);
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    }
    Ok(Peer::IpBlock(IpBlock { cidr, except }))
}

/// A CIDR. Host bits are accepted (the API server parses CIDRs "sloppily") and cleared, with a
/// note: `10.1.1.1/4` means `0.0.0.0/4`.
fn cidr(value: &Scalar, walk: &mut Walk) -> Result<IpNet, Invalid> {
    let Scalar::Str(text) = value else {
        return Err(walk.invalid(format!("{} is not a CIDR", value.describe())));
    };
    let net: IpNet = text
        .trim()
        .parse()
        .map_err(|_| walk.invalid(format!("`{text}` is not a valid CIDR")))?;
    let network = net.trunc();
    if network != net {
        walk.note(format!("`{net}` has host bits set; read as `{network}`"));
    }
    // Go's `net.ParseCIDR`, which the API server's validation uses, accepts an IPv4-mapped
    // block such as `::ffff:10.0.0.0/104`, and `IPNet.Contains` then matches IPv4 addresses
    // against it as `10.0.0.0/8`. tagwall reads every IPv4-mapped address as IPv4 (pod IPs,
    // tuples), so the block is read in its IPv4 form too; left IPv6, it would match nothing.
    if let IpNet::V6(v6) = network
        && let Some(v4) = v6.network().to_ipv4_mapped()
        && let Some(len) = v6.prefix_len().checked_sub(96)
        && let Ok(mapped) = ipnet::Ipv4Net::new(v4, len)
    {
        let mapped = IpNet::V4(mapped);
        walk.note(format!("`{network}` is IPv4-mapped; read as `{mapped}`"));
        return Ok(mapped);
    }
    Ok(network)
}

/// One `ports` entry (ValidateNetworkPolicyPort).
fn policy_port(port: &RawPort, walk: &mut Walk) -> Result<PortRule, Invalid> {
    let protocol = walk.field("protocol", |walk| protocol(port.protocol.as_ref(), walk))?;
    let port = match &port.port {
        None => {
            if port.end_port.is_some() {
                return Err(walk.invalid_at(
                    "endPort",
                    "may not be specified when `port` is not specified",
                ));
            }
            None
        }
        Some(Scalar::Str(name)) => {
            // IntOrString: a string is a port name even when it is all digits.
            if port.end_port.is_some() {
                return Err(
                    walk.invalid_at("endPort", "may not be specified when `port` is non-numeric")
                );
            }
            walk.field("port", |walk| {
                check(walk, names::port_name_error(name), name)
            })?;
            Some(PolicyPort::Named(name.clone()))
        }
        Some(value) => {
            let start = walk.field("port", |walk| port_number(value, walk))?;
            let end = match &port.end_port {
                None => start,
                Some(end) => walk.field("endPort", |walk| {
                    let end = port_number(end, walk)?;
                    if end < start {
                        return Err(walk.invalid(format!(
                            "`{end}` must be greater than or equal to `port` (`{start}`)"
                        )));
                    }
                    Ok(end)
                })?,
            };
            Some(PolicyPort::Numbers(PortRange { start, end }))
        }
    };
    Ok(PortRule { protocol, port })
}

/// A port number, 1-65535.
fn port_number(value: &Scalar, walk: &mut Walk) -> Result<u16, Invalid> {
    match value {
        Scalar::Int(n) => match u16::try_from(*n) {
            Ok(port) if port != 0 => Ok(port),
            _ => Err(walk.invalid(format!("`{n}` must be between 1 and 65535, inclusive"))),
        },
        other => Err(walk.invalid(format!("{} is not a port number", other.describe()))),
    }
}

/// A policy or container port protocol: exactly `TCP`, `UDP` or `SCTP`; TCP when absent.
fn protocol(value: Option<&Scalar>, walk: &mut Walk) -> Result<Protocol, Invalid> {
    match value {
        None => Ok(Protocol::Tcp),
        Some(Scalar::Str(s)) if s == "TCP" => Ok(Protocol::Tcp),
        Some(Scalar::Str(s)) if s == "UDP" => Ok(Protocol::Udp),
        Some(Scalar::Str(s)) if s == "SCTP" => Ok(Protocol::Sctp),
        Some(other) => Err(walk.invalid(format!(
            "unsupported value {}: supported values: `TCP`, `UDP`, `SCTP`",
            other.describe()
        ))),
    }
}

/// A label selector (ValidateLabelSelector).
fn label_selector(raw: &RawSelector, walk: &mut Walk) -> Result<LabelSelector, Invalid> {
    let match_labels = match &raw.match_labels {
        Some(map) => walk.field("matchLabels", |walk| check_labels(map, walk))?,
        None => Labels::new(),
    };
    let mut match_expressions = Vec::new();
    if let Some(expressions) = &raw.match_expressions {
        walk.field("matchExpressions", |walk| {
            for (i, expression) in expressions.iter().enumerate() {
                match_expressions.push(walk.index(i, |walk| requirement(expression, walk))?);
            }
            Ok(())
        })?;
    }
    Ok(LabelSelector {
        match_labels,
        match_expressions,
    })
}

/// One `matchExpressions` entry: a valid key; `values` non-empty for `In`/`NotIn`, empty for
/// `Exists`/`DoesNotExist`; each value a valid label value.
fn requirement(raw: &RawRequirement, walk: &mut Walk) -> Result<Requirement, Invalid> {
    let key = walk.field("key", |walk| match &raw.key {
        None => Err(walk.invalid("required")),
        Some(key) => {
            check(walk, names::label_key_error(key), key)?;
            Ok(key.clone())
        }
    })?;
    let operator = walk.field("operator", |walk| match &raw.operator {
        None => Err(walk.invalid("required")),
        Some(Scalar::Str(s)) => match s.as_str() {
            "In" => Ok(Operator::In),
            "NotIn" => Ok(Operator::NotIn),
            "Exists" => Ok(Operator::Exists),
            "DoesNotExist" => Ok(Operator::DoesNotExist),
            _ => Err(walk.invalid(format!(
                "unsupported value `{s}`: supported values: `In`, `NotIn`, `Exists`, `DoesNotExist`"
            ))),
        },
        Some(other) => Err(walk.invalid(format!("{} is not an operator", other.describe()))),
    })?;
    let values = raw.values.as_deref().unwrap_or_default();
    walk.field("values", |walk| {
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                return Err(
                    walk.invalid(format!("must be specified when `operator` is `{operator}`"))
                );
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                return Err(walk.invalid(format!(
                    "may not be specified when `operator` is `{operator}`"
                )));
            }
            _ => {}
        }
        let mut set = BTreeSet::new();
        for (i, value) in values.iter().enumerate() {
            let value = walk.index(i, |walk| {
                let Scalar::Str(value) = value else {
                    return Err(walk.invalid(format!("must be a string, not {}", value.describe())));
                };
                check(walk, names::label_value_error(value), value)?;
                Ok(value)
            })?;
            set.insert(value.clone());
        }
        Ok(Requirement {
            key,
            operator,
            values: set,
        })
    })
}

/// `metadata.labels`, checked.
fn labels(labels: Option<RawLabels>, walk: &mut Walk) -> Result<Labels, Invalid> {
    check_labels(&labels.unwrap_or_default(), walk)
}

/// A map of label keys to values (labels or `matchLabels`), each checked: values must be
/// strings (the Go type is `map[string]string`), and valid label values.
fn check_labels(map: &RawLabels, walk: &mut Walk) -> Result<Labels, Invalid> {
    let mut labels = Labels::new();
    for (key, value) in map {
        if let Some(why) = names::label_key_error(key) {
            return Err(walk.invalid(format!("`{key}` is not a valid label key: {why}")));
        }
        let Scalar::Str(value) = value else {
            return Err(walk.invalid(format!(
                "the value of label `{key}` must be a string, not {}",
                value.describe()
            )));
        };
        if let Some(why) = names::label_value_error(value) {
            return Err(walk.invalid(format!(
                "`{value}` is not a valid value for label `{key}`: {why}"
            )));
        }
        labels.insert(key.clone(), value.clone());
    }
    Ok(labels)
}

/// `metadata.name`: present, and valid by `rule` (a DNS label for namespaces, a DNS subdomain
/// for pods and policies, as the API server checks them).
fn object_name(
    meta: &RawMeta,
    rule: fn(&str) -> Option<String>,
    walk: &mut Walk,
) -> Result<String, Invalid> {
    walk.field("metadata", |walk| {
        let name = required_name(meta, walk)?;
        walk.field("name", |walk| check(walk, rule(name), name))?;
        Ok(name.to_string())
    })
}

/// `metadata.name`, which every object must have.
fn required_name<'a>(meta: &'a RawMeta, walk: &mut Walk) -> Result<&'a str, Invalid> {
    match meta.name.as_deref() {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(walk.invalid_at("name", "required")),
    }
}

/// Turns a syntax check's reason into an error at the current path.
fn check(walk: &mut Walk, why: Option<String>, value: &str) -> Result<(), Invalid> {
    match why {
        None => Ok(()),
        Some(why) => Err(walk.invalid(format!("`{value}` is invalid: {why}"))),
    }
}
