//! A small cluster description with a hand-written `Arbitrary`: always valid, rendered to YAML or
//! JSON, then loaded, so the structured targets also exercise the loader on valid input.
//! Vocabularies are tiny so that selectors, tags, named ports and addresses collide often.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Value, json};
use tagwall::k8s::{LoadOptions, Loaded, Loader};

use super::Failure;

pub(super) const NAMESPACES: [&str; 3] = ["default", "x", "y"];
/// Label keys for pods and selectors; namespace labels use the first two only (the API server
/// owns `kubernetes.io/metadata.name` on namespaces).
pub(super) const KEYS: [&str; 3] = ["app", "tier", "kubernetes.io/metadata.name"];
/// Label values; `x` and `default` are also namespace names.
pub(super) const VALUES: [&str; 4] = ["a", "b", "x", "default"];
pub(super) const PORT_NAMES: [&str; 3] = ["http", "dns", "metrics"];
pub(super) const PORTS: [u16; 7] = [1, 53, 80, 443, 8080, 65534, 65535];
pub(super) const MAX_PODS: usize = 6;

/// One label selector.
#[derive(Clone, Debug)]
pub struct SelectorSpec {
    match_labels: BTreeMap<&'static str, &'static str>,
    /// `(key, operator, values)`.
    expressions: Vec<(&'static str, &'static str, Vec<&'static str>)>,
}

impl<'a> Arbitrary<'a> for SelectorSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<SelectorSpec> {
        let mut match_labels = BTreeMap::new();
        for _ in 0..u.int_in_range(0..=2)? {
            match_labels.insert(*u.choose(&KEYS)?, *u.choose(&VALUES)?);
        }
        let mut expressions = Vec::new();
        for _ in 0..u.int_in_range(0..=2)? {
            let key = *u.choose(&KEYS)?;
            let operator = *u.choose(&["In", "NotIn", "Exists", "DoesNotExist"])?;
            let values = if matches!(operator, "In" | "NotIn") {
                let mut values = vec![*u.choose(&VALUES)?];
                if u.arbitrary()? {
                    values.push(*u.choose(&VALUES)?);
                }
                values
            } else {
                Vec::new()
            };
            expressions.push((key, operator, values));
        }
        Ok(SelectorSpec {
            match_labels,
            expressions,
        })
    }
}

impl SelectorSpec {
    fn render(&self) -> Value {
        let mut selector = serde_json::Map::new();
        if !self.match_labels.is_empty() {
            selector.insert("matchLabels".into(), json!(self.match_labels));
        }
        if !self.expressions.is_empty() {
            let expressions: Vec<Value> = self
                .expressions
                .iter()
                .map(|(key, operator, values)| {
                    if values.is_empty() {
                        json!({"key": key, "operator": operator})
                    } else {
                        json!({"key": key, "operator": operator, "values": values})
                    }
                })
                .collect();
            selector.insert("matchExpressions".into(), Value::Array(expressions));
        }
        Value::Object(selector)
    }
}

/// Addresses the specs draw from: pods hold the first [`MAX_PODS`] of each family's pool, and
/// CIDRs, holes and tuples land in and around it.
pub(super) fn pool_v4(low: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, low)
}

pub(super) fn pool_v6(low: u8) -> Ipv6Addr {
    Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(low))
}

/// `addr` with only the first `len` bits kept.
pub(super) fn network(addr: u128, len: u8, bits: u8) -> u128 {
    if len == 0 {
        return 0;
    }
    let keep = u32::from(bits - len.min(bits));
    let mask = if bits == 128 {
        u128::MAX << keep
    } else {
        (u128::from(u32::MAX) << keep) & u128::from(u32::MAX)
    };
    addr & mask
}

/// An `ipBlock` with holes strictly inside its CIDR.
#[derive(Clone, Debug)]
pub struct IpBlockSpec {
    cidr: String,
    except: Vec<String>,
}

impl<'a> Arbitrary<'a> for IpBlockSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<IpBlockSpec> {
        let v6: bool = u.arbitrary()?;
        let (bits, lengths): (u8, &[u8]) = if v6 {
            (128, &[0, 8, 64, 120, 124, 125, 126, 127, 128])
        } else {
            (32, &[0, 8, 16, 24, 28, 29, 30, 31, 32])
        };
        let address = |low: u8| -> u128 {
            if v6 {
                u128::from(pool_v6(low))
            } else {
                u128::from(u32::from(pool_v4(low)))
            }
        };
        let render = |net: u128, len: u8| -> String {
            if v6 {
                format!("{}/{len}", Ipv6Addr::from(net))
            } else {
                format!("{}/{len}", Ipv4Addr::from(net as u32))
            }
        };
        let len = *u.choose(lengths)?;
        let net = network(address(u.int_in_range(0..=15)?), len, bits);
        let mut except = Vec::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let hole_len = *u.choose(lengths)?;
            if hole_len <= len {
                continue;
            }
            // A pool address inside the CIDR: the CIDR's network bits, the pool's host bits.
            let inside = net | (address(u.int_in_range(0..=15)?) & !network(u128::MAX, len, bits));
            let inside = if bits == 32 {
                inside & u128::from(u32::MAX)
            } else {
                inside
            };
            except.push(render(network(inside, hole_len, bits), hole_len));
        }
        Ok(IpBlockSpec {
            cidr: render(net, len),
            except,
        })
    }
}

/// One `from`/`to` entry.
#[derive(Clone, Debug)]
pub enum PeerSpec {
    Pods {
        namespace_selector: Option<SelectorSpec>,
        pod_selector: Option<SelectorSpec>,
    },
    IpBlock(IpBlockSpec),
}

impl<'a> Arbitrary<'a> for PeerSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<PeerSpec> {
        Ok(match u.int_in_range(0..=3)? {
            0 => PeerSpec::Pods {
                namespace_selector: None,
                pod_selector: Some(u.arbitrary()?),
            },
            1 => PeerSpec::Pods {
                namespace_selector: Some(u.arbitrary()?),
                pod_selector: None,
            },
            2 => PeerSpec::Pods {
                namespace_selector: Some(u.arbitrary()?),
                pod_selector: Some(u.arbitrary()?),
            },
            _ => PeerSpec::IpBlock(u.arbitrary()?),
        })
    }
}

impl PeerSpec {
    fn render(&self) -> Value {
        match self {
            PeerSpec::Pods {
                namespace_selector,
                pod_selector,
            } => {
                let mut peer = serde_json::Map::new();
                if let Some(selector) = namespace_selector {
                    peer.insert("namespaceSelector".into(), selector.render());
                }
                if let Some(selector) = pod_selector {
                    peer.insert("podSelector".into(), selector.render());
                }
                Value::Object(peer)
            }
            PeerSpec::IpBlock(block) if block.except.is_empty() => {
                json!({"ipBlock": {"cidr": block.cidr}})
            }
            PeerSpec::IpBlock(block) => {
                json!({"ipBlock": {"cidr": block.cidr, "except": block.except}})
            }
        }
    }
}

/// One `ports` entry.
#[derive(Clone, Debug)]
pub struct PortSpec {
    protocol: Option<&'static str>,
    port: Option<Value>,
    end_port: Option<u16>,
}

pub(super) fn port_number(u: &mut Unstructured<'_>) -> arbitrary::Result<u16> {
    if u.ratio(3, 4)? {
        Ok(*u.choose(&PORTS)?)
    } else {
        u.int_in_range(1..=u16::MAX)
    }
}

impl<'a> Arbitrary<'a> for PortSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<PortSpec> {
        let protocol = *u.choose(&[None, Some("TCP"), Some("UDP"), Some("SCTP")])?;
        let (port, end_port) = match u.int_in_range(0..=3)? {
            0 => (None, None),
            1 => (Some(json!(port_number(u)?)), None),
            2 => {
                let port = port_number(u)?;
                let end = port.max(port_number(u)?);
                (Some(json!(port)), Some(end))
            }
            _ => (Some(json!(u.choose(&PORT_NAMES)?)), None),
        };
        Ok(PortSpec {
            protocol,
            port,
            end_port,
        })
    }
}

impl PortSpec {
    fn render(&self) -> Value {
        let mut port = serde_json::Map::new();
        if let Some(protocol) = self.protocol {
            port.insert("protocol".into(), json!(protocol));
        }
        if let Some(number) = &self.port {
            port.insert("port".into(), number.clone());
        }
        if let Some(end) = self.end_port {
            port.insert("endPort".into(), json!(end));
        }
        Value::Object(port)
    }
}

/// A list that may be absent, empty, or hold a few entries: Kubernetes tells the three apart.
pub(super) fn optional_list<'a, T: Arbitrary<'a>>(
    u: &mut Unstructured<'a>,
) -> arbitrary::Result<Option<Vec<T>>> {
    Ok(match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some(Vec::new()),
        n => Some(
            (0..n - 1 + u.int_in_range(0..=1)?)
                .map(|_| u.arbitrary())
                .collect::<arbitrary::Result<_>>()?,
        ),
    })
}

/// One ingress or egress rule.
#[derive(Clone, Debug)]
pub struct RuleSpec {
    peers: Option<Vec<PeerSpec>>,
    ports: Option<Vec<PortSpec>>,
}

impl<'a> Arbitrary<'a> for RuleSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<RuleSpec> {
        Ok(RuleSpec {
            peers: optional_list(u)?,
            ports: optional_list(u)?,
        })
    }
}

impl RuleSpec {
    fn render(&self, peers_field: &str) -> Value {
        let mut rule = serde_json::Map::new();
        if let Some(peers) = &self.peers {
            let peers = peers.iter().map(PeerSpec::render).collect();
            rule.insert(peers_field.into(), Value::Array(peers));
        }
        if let Some(ports) = &self.ports {
            let ports = ports.iter().map(PortSpec::render).collect();
            rule.insert("ports".into(), Value::Array(ports));
        }
        Value::Object(rule)
    }
}

/// One NetworkPolicy.
#[derive(Clone, Debug)]
pub struct PolicySpec {
    namespace: &'static str,
    pod_selector: SelectorSpec,
    policy_types: Option<Vec<&'static str>>,
    ingress: Option<Vec<RuleSpec>>,
    egress: Option<Vec<RuleSpec>>,
}

impl<'a> Arbitrary<'a> for PolicySpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<PolicySpec> {
        let types: &[&[&str]] = &[&["Ingress"], &["Egress"], &["Ingress", "Egress"]];
        Ok(PolicySpec {
            namespace: u.choose(&NAMESPACES)?,
            pod_selector: u.arbitrary()?,
            policy_types: if u.arbitrary()? {
                Some(u.choose(types)?.to_vec())
            } else {
                None
            },
            ingress: optional_list(u)?,
            egress: optional_list(u)?,
        })
    }
}

/// One pod: index `i` holds the `i+1`th address of each pool, so IPs never clash.
#[derive(Clone, Debug)]
pub struct PodSpec {
    namespace: &'static str,
    labels: BTreeMap<&'static str, &'static str>,
    /// 0: no IP, 1: IPv4, 2: IPv6, 3: both.
    families: u8,
    /// Write the IPv4 address IPv4-mapped (`::ffff:10.0.0.1`).
    mapped: bool,
    /// `(name, port, protocol)`, names unique.
    ports: Vec<(&'static str, u16, &'static str)>,
}

impl<'a> Arbitrary<'a> for PodSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<PodSpec> {
        let mut labels = BTreeMap::new();
        for _ in 0..u.int_in_range(0..=2)? {
            labels.insert(*u.choose(&KEYS)?, *u.choose(&VALUES)?);
        }
        let mut ports = Vec::new();
        for name in PORT_NAMES {
            if u.arbitrary()? {
                ports.push((
                    name,
                    *u.choose(&PORTS)?,
                    *u.choose(&["TCP", "UDP", "SCTP"])?,
                ));
            }
        }
        Ok(PodSpec {
            namespace: u.choose(&NAMESPACES)?,
            labels,
            families: u.int_in_range(0..=3)?,
            mapped: u.ratio(1, 4)?,
            ports,
        })
    }
}

/// Networks peers of ClusterNetworkPolicy rules: over the pod pools, everything, outside.
const NETWORKS: [&str; 5] = [
    "10.0.0.0/29",
    "10.0.0.4/30",
    "0.0.0.0/0",
    "::/0",
    "192.0.2.0/24",
];

/// One entry of a tier rule's `from` / `to`.
#[derive(Clone, Debug)]
pub enum TierPeerSpec {
    Namespaces(SelectorSpec),
    Pods(SelectorSpec, SelectorSpec),
    Nodes(SelectorSpec),
    Networks(&'static str),
}

/// One ClusterNetworkPolicy rule: action (0 Accept, 1 Deny, 2 Pass), 1-2 peers, and ports:
/// `(protocol, kind, port)` with kind 0 a number, 1 a range `port..port+5`, 2 a named port.
#[derive(Clone, Debug)]
pub struct TierRuleSpec {
    action: u8,
    peers: Vec<TierPeerSpec>,
    ports: Option<Vec<(&'static str, u8, u16)>>,
}

/// A ClusterNetworkPolicy (v1alpha2), Admin or Baseline.
#[derive(Clone, Debug)]
pub struct TierSpec {
    admin: bool,
    priority: u8,
    subject_namespaces: SelectorSpec,
    subject_pods: Option<SelectorSpec>,
    ingress: Vec<TierRuleSpec>,
    egress: Vec<TierRuleSpec>,
}

fn tier_rule(u: &mut Unstructured<'_>, egress: bool) -> arbitrary::Result<TierRuleSpec> {
    let action = u.int_in_range(0..=2)?;
    let mut peers = Vec::new();
    for _ in 0..u.int_in_range(1..=2)? {
        let kind = u.int_in_range(0..=3)?;
        peers.push(match kind {
            // Ingress peers are pods only.
            2 if egress => TierPeerSpec::Nodes(u.arbitrary()?),
            3 if egress => TierPeerSpec::Networks(u.choose(&NETWORKS)?),
            1 => TierPeerSpec::Pods(u.arbitrary()?, u.arbitrary()?),
            _ => TierPeerSpec::Namespaces(u.arbitrary()?),
        });
    }
    let addresses = peers
        .iter()
        .any(|p| matches!(p, TierPeerSpec::Nodes(_) | TierPeerSpec::Networks(_)));
    let ports = if u.arbitrary()? {
        let mut ports = Vec::new();
        for _ in 0..u.int_in_range(1..=2)? {
            let protocol = *u.choose(&["tcp", "udp", "sctp"])?;
            // "networks/nodes ... peer cannot be set with namedPorts".
            let kind = if addresses {
                u.int_in_range(0..=1)?
            } else {
                u.int_in_range(0..=2)?
            };
            let port = (*u.choose(&PORTS)?).min(65530);
            ports.push((protocol, kind, port));
        }
        Some(ports)
    } else {
        None
    };
    Ok(TierRuleSpec {
        action,
        peers,
        ports,
    })
}

impl<'a> Arbitrary<'a> for TierSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<TierSpec> {
        let admin = u.arbitrary()?;
        let priority = u.int_in_range(0..=3)?;
        let subject_namespaces = u.arbitrary()?;
        let subject_pods = if u.arbitrary()? {
            Some(u.arbitrary()?)
        } else {
            None
        };
        let mut ingress = Vec::new();
        for _ in 0..u.int_in_range(0..=2)? {
            ingress.push(tier_rule(u, false)?);
        }
        let mut egress = Vec::new();
        for _ in 0..u.int_in_range(0..=2)? {
            egress.push(tier_rule(u, true)?);
        }
        Ok(TierSpec {
            admin,
            priority,
            subject_namespaces,
            subject_pods,
            ingress,
            egress,
        })
    }
}

impl TierSpec {
    fn render(&self, index: usize) -> Value {
        let subject = match &self.subject_pods {
            None => json!({"namespaces": self.subject_namespaces.render()}),
            Some(pods) => json!({"pods": {
                "namespaceSelector": self.subject_namespaces.render(),
                "podSelector": pods.render(),
            }}),
        };
        let rules = |rules: &[TierRuleSpec], field: &str| -> Value {
            Value::Array(
                rules
                    .iter()
                    .enumerate()
                    .map(|(i, rule)| {
                        let peers: Vec<Value> = rule
                            .peers
                            .iter()
                            .map(|peer| match peer {
                                TierPeerSpec::Namespaces(s) => json!({"namespaces": s.render()}),
                                TierPeerSpec::Pods(n, p) => json!({"pods": {
                                    "namespaceSelector": n.render(), "podSelector": p.render()}}),
                                TierPeerSpec::Nodes(s) => json!({"nodes": s.render()}),
                                TierPeerSpec::Networks(cidr) => json!({"networks": [cidr]}),
                            })
                            .collect();
                        let mut out = serde_json::Map::new();
                        out.insert("name".into(), json!(format!("r{i}")));
                        out.insert(
                            "action".into(),
                            json!(["Accept", "Deny", "Pass"][usize::from(rule.action.min(2))]),
                        );
                        out.insert(field.into(), Value::Array(peers));
                        if let Some(ports) = &rule.ports {
                            let ports: Vec<Value> = ports
                                .iter()
                                .map(|(protocol, kind, port)| match kind {
                                    0 => json!({*protocol: {"destinationPort": {"number": port}}}),
                                    1 => json!({*protocol: {"destinationPort": {
                                        "range": {"start": port, "end": port + 5}}}}),
                                    _ => json!({"destinationNamedPort": PORT_NAMES[usize::from(*port) % PORT_NAMES.len()]}),
                                })
                                .collect();
                            out.insert("protocols".into(), Value::Array(ports));
                        }
                        Value::Object(out)
                    })
                    .collect(),
            )
        };
        json!({
            "apiVersion": "policy.networking.k8s.io/v1alpha2",
            "kind": "ClusterNetworkPolicy",
            "metadata": {"name": format!("cnp{index}")},
            "spec": {
                "tier": if self.admin { "Admin" } else { "Baseline" },
                "priority": self.priority,
                "subject": subject,
                "ingress": rules(&self.ingress, "from"),
                "egress": rules(&self.egress, "to"),
            },
        })
    }
}

/// A whole cluster, and how to write it.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// Namespace objects and their labels (others are implied by pods and policies).
    namespaces: Vec<(&'static str, BTreeMap<&'static str, &'static str>)>,
    pods: Vec<PodSpec>,
    policies: Vec<PolicySpec>,
    /// 0: concatenated JSON, 1: JSON `List`, 2: YAML documents, 3: YAML `List`.
    format: u8,
    /// Nodes n1 and n2, with pods on them in turn (drawn last, so older inputs read the same).
    nodes: bool,
    /// ClusterNetworkPolicies (drawn last too).
    tiers: Vec<TierSpec>,
}

impl<'a> Arbitrary<'a> for ClusterSpec {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<ClusterSpec> {
        let mut namespaces = Vec::new();
        for name in NAMESPACES {
            if u.arbitrary()? {
                let mut labels = BTreeMap::new();
                for _ in 0..u.int_in_range(0..=2)? {
                    labels.insert(*u.choose(&KEYS[..2])?, *u.choose(&VALUES)?);
                }
                namespaces.push((name, labels));
            }
        }
        let pods = (0..u.int_in_range(0..=MAX_PODS)?)
            .map(|_| u.arbitrary())
            .collect::<arbitrary::Result<_>>()?;
        let policies = (0..u.int_in_range(0..=4)?)
            .map(|_| u.arbitrary())
            .collect::<arbitrary::Result<_>>()?;
        let format = u.int_in_range(0..=3)?;
        let nodes = u.arbitrary()?;
        let tiers = (0..u.int_in_range(0..=3)?)
            .map(|_| u.arbitrary())
            .collect::<arbitrary::Result<_>>()?;
        Ok(ClusterSpec {
            namespaces,
            pods,
            policies,
            format,
            nodes,
            tiers,
        })
    }
}

impl ClusterSpec {
    fn pod_ips(&self, index: usize, pod: &PodSpec) -> Vec<String> {
        let low = index as u8 + 1;
        let v4 = if pod.mapped {
            pool_v4(low).to_ipv6_mapped().to_string()
        } else {
            pool_v4(low).to_string()
        };
        let v6 = pool_v6(low).to_string();
        match pod.families {
            0 => vec![],
            1 => vec![v4],
            2 => vec![v6],
            _ => vec![v4, v6],
        }
    }

    fn objects(&self) -> Vec<Value> {
        let mut objects = Vec::new();
        for (name, labels) in &self.namespaces {
            objects.push(json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": labels},
            }));
        }
        for (index, pod) in self.pods.iter().enumerate() {
            let ips = self.pod_ips(index, pod);
            let ports: Vec<Value> = pod
                .ports
                .iter()
                .map(|(name, port, protocol)| {
                    json!({"name": name, "containerPort": port, "protocol": protocol})
                })
                .collect();
            let mut status = serde_json::Map::new();
            status.insert("phase".into(), json!("Running"));
            if let Some(first) = ips.first() {
                status.insert("podIP".into(), json!(first));
                let all: Vec<Value> = ips.iter().map(|ip| json!({"ip": ip})).collect();
                status.insert("podIPs".into(), Value::Array(all));
            }
            let mut spec = json!({"containers": [{"name": "c", "ports": ports}]});
            if self.nodes {
                spec["nodeName"] = json!(NODE_NAMES[index % NODE_NAMES.len()]);
            }
            objects.push(json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": format!("p{index}"), "namespace": pod.namespace, "labels": pod.labels},
                "spec": spec,
                "status": status,
            }));
        }
        if self.nodes {
            for (index, name) in NODE_NAMES.iter().enumerate() {
                let (v4, v6) = node_addresses(index);
                objects.push(json!({
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {"name": name, "labels": {"app": VALUES[index]}},
                    "status": {"addresses": [
                        {"type": "Hostname", "address": name},
                        {"type": "InternalIP", "address": v4.to_string()},
                        {"type": "ExternalIP", "address": v6.to_string()},
                    ]},
                }));
            }
        }
        for (index, tier) in self.tiers.iter().enumerate() {
            objects.push(tier.render(index));
        }
        for (index, policy) in self.policies.iter().enumerate() {
            let mut spec = serde_json::Map::new();
            spec.insert("podSelector".into(), policy.pod_selector.render());
            if let Some(types) = &policy.policy_types {
                spec.insert("policyTypes".into(), json!(types));
            }
            if let Some(rules) = &policy.ingress {
                let rules = rules.iter().map(|r| r.render("from")).collect();
                spec.insert("ingress".into(), Value::Array(rules));
            }
            if let Some(rules) = &policy.egress {
                let rules = rules.iter().map(|r| r.render("to")).collect();
                spec.insert("egress".into(), Value::Array(rules));
            }
            objects.push(json!({
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": format!("np{index}"), "namespace": policy.namespace},
                "spec": spec,
            }));
        }
        objects
    }

    /// The cluster as a file: JSON or YAML, separate documents or one `List`.
    pub fn render(&self) -> String {
        let objects = self.objects();
        let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        match self.format {
            0 => objects
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            1 => list.to_string(),
            2 => {
                let mut out = String::new();
                for object in &objects {
                    out.push_str("---\n");
                    yaml_block(object, 0, &mut out);
                }
                out
            }
            _ => {
                let mut out = String::from("---\n");
                yaml_block(&list, 0, &mut out);
                out
            }
        }
    }
}

/// Writes a mapping as block YAML: nested mappings as blocks, list items and scalars in flow
/// style (JSON, which is YAML).
pub(super) fn yaml_block(value: &Value, indent: usize, out: &mut String) {
    let Value::Object(map) = value else {
        out.push_str(&" ".repeat(indent));
        out.push_str(&value.to_string());
        out.push('\n');
        return;
    };
    for (key, value) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&Value::String(key.clone()).to_string());
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                yaml_block(value, indent + 2, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                for item in items {
                    out.push_str(&" ".repeat(indent + 2));
                    out.push_str("- ");
                    out.push_str(&item.to_string());
                    out.push('\n');
                }
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar.to_string());
                out.push('\n');
            }
        }
    }
}

const NODE_NAMES: [&str; 2] = ["n1", "n2"];

/// A node's addresses: next to the pod pools, so networks peers and tuples reach them.
fn node_addresses(index: usize) -> (Ipv4Addr, Ipv6Addr) {
    let low = 200 + index as u8;
    (pool_v4(low), pool_v6(low))
}

/// Renders and loads a generated cluster; a generated cluster is valid, so loading must succeed.
pub(super) fn load_spec(spec: &ClusterSpec) -> Result<(String, Loaded), Failure> {
    let text = spec.render();
    let mut loader = Loader::new(LoadOptions::default());
    let loaded = loader
        .add_bytes("generated", text.as_bytes())
        .and_then(|()| loader.finish())
        .map_err(|error| format!("a valid generated cluster was rejected: {error}\n{text}"))?;
    if loaded.cluster.pods.len() != spec.pods.len()
        || loaded.cluster.policies.len() != spec.policies.len()
        || loaded.cluster.cluster_policies.len() != spec.tiers.len()
    {
        return Err(format!(
            "objects of a valid generated cluster were lost\n{text}"
        ));
    }
    Ok((text, loaded))
}
