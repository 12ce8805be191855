//! The properties the fuzz targets check, as plain functions of the input bytes.
//!
//! Each fuzz target calls one of these and panics on `Err`; `tests/fuzz_regressions.rs` includes
//! this file with `#[path]` and replays every saved input through the same function on stable,
//! so a crasher found once stays a failing ordinary test until fixed. Nothing here unwraps or
//! panics: a property that does not hold is an `Err` saying what and how to reproduce it, and
//! any panic comes from the library under test.

#![allow(dead_code, reason = "each fuzz target uses one check")]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Value, json};
use tagwall::compile::{Builder, Config as CompileConfig};
use tagwall::conntrack::{
    Config as ConnConfig, ConnTable, Counters, Outcome, PacketDirection, PacketVerdict, Timeouts,
    Timestamp,
};
use tagwall::evaluator::{self, Evaluator, Kind, Reference};
use tagwall::firewall::{FirewallConfig, RuleId, vnc};
use tagwall::k8s::{Limits, LoadError, LoadOptions, Loaded, Loader};
use tagwall::lookup::{Decide, Side, Verdict};
use tagwall::model::Cluster;
use tagwall::protocol::Protocol;
use tagwall::reference::linear;
use tagwall::translate::{Mode, translate};
use tagwall::tuple::Tuple;

/// A property that did not hold: what, with enough of the input to reproduce it.
pub type Failure = String;

// ---------------------------------------------------------------------------------------------
// load_never_panics
// ---------------------------------------------------------------------------------------------

/// Limits small enough that fuzz inputs reach every limit check.
fn tight_limits() -> Limits {
    Limits {
        max_input_bytes: 2048,
        max_objects: 6,
        max_depth: 8,
        max_label_bytes: 48,
        max_alias_events: 64,
    }
}

fn load_bytes(input: &[u8], limits: &Limits, lenient: bool) -> Result<Loaded, LoadError> {
    let mut loader = Loader::new(LoadOptions {
        limits: limits.clone(),
        lenient,
    });
    loader.add_bytes("fuzz.yaml", input)?;
    loader.finish()
}

/// An error or warning must be one non-empty line: the CLI prints each as one line.
fn one_line(what: &str, text: &str) -> Result<(), Failure> {
    if text.trim().is_empty() || text.contains('\n') || text.contains('\r') {
        return Err(format!("{what} is not one non-empty line: {text:?}"));
    }
    Ok(())
}

/// Whether an error is about one object or list entry (which lenient loading skips) rather
/// than the whole input.
fn object_error(error: &LoadError) -> bool {
    match error {
        LoadError::Invalid { .. } | LoadError::Duplicate { .. } | LoadError::DuplicateIp { .. } => {
            true
        }
        // A `List` entry that is not an object: the one parse error lenient loading skips.
        LoadError::Parse {
            position: None,
            message,
            ..
        } => message == "a list holds an entry that is not an object",
        _ => false,
    }
}

/// Loading arbitrary bytes never panics; every error and warning is one line; lenient loading
/// loses nothing strict loading keeps, and fails only where strict loading fails for the whole
/// input (a parse error or an exceeded limit). The first byte picks the limits (bit 0: tight).
pub fn load_never_panics(data: &[u8]) -> Result<(), Failure> {
    let Some((&flags, input)) = data.split_first() else {
        return Ok(());
    };
    let limits = if flags & 1 == 1 {
        tight_limits()
    } else {
        Limits::default()
    };
    let strict = load_bytes(input, &limits, false);
    let lenient = load_bytes(input, &limits, true);
    for (mode, result) in [("strict", &strict), ("lenient", &lenient)] {
        match result {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    one_line(&format!("{mode} warning"), &warning.to_string())?;
                }
                check_cluster_shape(&loaded.cluster)?;
            }
            Err(error) => one_line(&format!("{mode} error"), &error.to_string())?,
        }
    }
    match (&strict, &lenient) {
        (Ok(strict), Ok(lenient)) if strict != lenient => Err(format!(
            "lenient load differs from a successful strict load:\nstrict {strict:?}\nlenient {lenient:?}"
        )),
        (Ok(_), Err(error)) => Err(format!(
            "strict load succeeded but lenient load failed: {error}"
        )),
        (Err(error), Ok(_)) if !object_error(error) => Err(format!(
            "lenient load succeeded where strict failed for the whole input: {error}"
        )),
        (Err(strict), Err(lenient)) if object_error(lenient) => Err(format!(
            "lenient load failed on one object: {lenient} (strict: {strict})"
        )),
        (Err(strict), Err(lenient))
            if object_error(strict) && !matches!(lenient, LoadError::Limit { .. }) =>
        {
            Err(format!(
                "strict load found only an invalid object ({strict}) but lenient failed: {lenient}"
            ))
        }
        _ => Ok(()),
    }
}

/// What every loaded cluster promises later layers.
fn check_cluster_shape(cluster: &Cluster) -> Result<(), Failure> {
    for pod in &cluster.pods {
        if !cluster.namespaces.contains_key(&pod.namespace) {
            return Err(format!("pod {} has no namespace entry", pod.key()));
        }
        if pod.ips.iter().any(|ip| ip.to_canonical() != *ip) {
            return Err(format!("pod {} keeps a non-canonical IP", pod.key()));
        }
    }
    for policy in &cluster.policies {
        if !cluster.namespaces.contains_key(&policy.namespace) {
            return Err(format!("policy {} has no namespace entry", policy.key()));
        }
    }
    for namespace in cluster.namespaces.values() {
        if namespace.labels.get("kubernetes.io/metadata.name") != Some(&namespace.name) {
            return Err(format!(
                "namespace {} lacks its kubernetes.io/metadata.name label",
                namespace.name
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A small cluster description with a hand-written `Arbitrary`: always valid, rendered to YAML
// or JSON, then loaded, so the structured targets also exercise the loader on valid input.
// Vocabularies are tiny so that selectors, tags, named ports and addresses collide often.
// ---------------------------------------------------------------------------------------------

const NAMESPACES: [&str; 3] = ["default", "x", "y"];
/// Label keys for pods and selectors; namespace labels use the first two only (the API server
/// owns `kubernetes.io/metadata.name` on namespaces).
const KEYS: [&str; 3] = ["app", "tier", "kubernetes.io/metadata.name"];
/// Label values; `x` and `default` are also namespace names.
const VALUES: [&str; 4] = ["a", "b", "x", "default"];
const PORT_NAMES: [&str; 3] = ["http", "dns", "metrics"];
const PORTS: [u16; 7] = [1, 53, 80, 443, 8080, 65534, 65535];
const MAX_PODS: usize = 6;

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
fn pool_v4(low: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, 0, 0, low)
}

fn pool_v6(low: u8) -> Ipv6Addr {
    Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(low))
}

/// `addr` with only the first `len` bits kept.
fn network(addr: u128, len: u8, bits: u8) -> u128 {
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

fn port_number(u: &mut Unstructured<'_>) -> arbitrary::Result<u16> {
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
fn optional_list<'a, T: Arbitrary<'a>>(
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

/// A whole cluster, and how to write it.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// Namespace objects and their labels (others are implied by pods and policies).
    namespaces: Vec<(&'static str, BTreeMap<&'static str, &'static str>)>,
    pods: Vec<PodSpec>,
    policies: Vec<PolicySpec>,
    /// 0: concatenated JSON, 1: JSON `List`, 2: YAML documents, 3: YAML `List`.
    format: u8,
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
        Ok(ClusterSpec {
            namespaces,
            pods,
            policies,
            format: u.int_in_range(0..=3)?,
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
            objects.push(json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": format!("p{index}"), "namespace": pod.namespace, "labels": pod.labels},
                "spec": {"containers": [{"name": "c", "ports": ports}]},
                "status": status,
            }));
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
fn yaml_block(value: &Value, indent: usize, out: &mut String) {
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

/// Renders and loads a generated cluster; a generated cluster is valid, so loading must succeed.
fn load_spec(spec: &ClusterSpec) -> Result<(String, Loaded), Failure> {
    let text = spec.render();
    let mut loader = Loader::new(LoadOptions::default());
    let loaded = loader
        .add_bytes("generated", text.as_bytes())
        .and_then(|()| loader.finish())
        .map_err(|error| format!("a valid generated cluster was rejected: {error}\n{text}"))?;
    if loaded.cluster.pods.len() != spec.pods.len()
        || loaded.cluster.policies.len() != spec.policies.len()
    {
        return Err(format!(
            "objects of a valid generated cluster were lost\n{text}"
        ));
    }
    Ok((text, loaded))
}

// ---------------------------------------------------------------------------------------------
// translate_never_panics
// ---------------------------------------------------------------------------------------------

/// Translating a valid cluster never panics, in either mode; it is deterministic; its output
/// round-trips through JSON, prints as tables and vnc-json, names only address groups it
/// defines, and compiles under the default limits.
pub fn translate_never_panics(data: &[u8]) -> Result<(), Failure> {
    let mut u = Unstructured::new(data);
    let Ok(spec) = ClusterSpec::arbitrary(&mut u) else {
        return Ok(());
    };
    let (text, loaded) = load_spec(&spec)?;
    for mode in [Mode::Kubernetes, Mode::Cn2] {
        let translation = translate(&loaded.cluster, mode);
        if translate(&loaded.cluster, mode) != translation {
            return Err(format!("{mode} translation is not deterministic\n{text}"));
        }
        let config = &translation.config;
        for (_, _, rule) in config.rules() {
            for endpoint in [&rule.endpoint_1, &rule.endpoint_2] {
                if let tagwall::firewall::Endpoint::AddressGroup(name) = endpoint
                    && config.address_group(name).is_none()
                {
                    return Err(format!(
                        "{mode}: rule `{}` names undefined address group `{name}`\n{text}",
                        rule.name
                    ));
                }
            }
        }
        let json = serde_json::to_string(config)
            .map_err(|error| format!("{mode}: config does not serialise: {error}\n{text}"))?;
        let back: FirewallConfig = serde_json::from_str(&json)
            .map_err(|error| format!("{mode}: config does not read back: {error}\n{text}"))?;
        if &back != config {
            return Err(format!("{mode}: config changes through JSON\n{text}"));
        }
        let _tables = config.tables();
        let _objects = vnc::export(config);
        Builder::new(CompileConfig::default())
            .build(config)
            .map_err(|error| format!("{mode}: compile failed: {error}\n{text}"))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// compiled_matches_linear_and_reference
// ---------------------------------------------------------------------------------------------

/// Addresses tuples draw from besides the pods': pool neighbours, outside addresses, the
/// unspecified addresses, IPv4-mapped forms.
fn extra_addresses() -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = Vec::new();
    for low in [0, 7, 9, 15, 16, 255] {
        addresses.push(pool_v4(low).into());
        addresses.push(pool_v6(low).into());
    }
    addresses.extend([
        IpAddr::from([192, 0, 2, 1]),
        IpAddr::from([0, 0, 0, 0]),
        IpAddr::from([255, 255, 255, 255]),
        IpAddr::from(Ipv6Addr::UNSPECIFIED),
        IpAddr::from(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        IpAddr::from(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped()),
    ]);
    addresses
}

fn arbitrary_address(u: &mut Unstructured<'_>, known: &[IpAddr]) -> arbitrary::Result<IpAddr> {
    Ok(match u.int_in_range(0..=7)? {
        0 => IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?)),
        1 => IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?)),
        2 => match *u.choose(known)? {
            IpAddr::V4(v4) => IpAddr::V6(v4.to_ipv6_mapped()),
            v6 => v6,
        },
        _ => *u.choose(known)?,
    })
}

fn arbitrary_tuple(u: &mut Unstructured<'_>, known: &[IpAddr]) -> arbitrary::Result<Tuple> {
    let protocol = if u.ratio(3, 4)? {
        *u.choose(&[6, 17, 132, 0, 1, 255])?
    } else {
        u.arbitrary()?
    };
    let dst_port = if u.ratio(3, 4)? {
        *u.choose(&[0, 1, 53, 80, 443, 8080, 65534, 65535])?
    } else {
        u.arbitrary()?
    };
    Ok(Tuple {
        src: arbitrary_address(u, known)?,
        dst: arbitrary_address(u, known)?,
        protocol: Protocol::from_number(protocol),
        src_port: u.arbitrary()?,
        dst_port,
    })
}

/// On a valid cluster and arbitrary tuples (pod IPs, their IPv4-mapped forms, neighbours,
/// outsiders; ports 0 and 65535; protocols 0, 255 and others), the compiled decision answers
/// exactly as the linear scan in both modes, deciding rules included, one by one and in a
/// batch; and in `kubernetes` mode the firewall allows exactly what the reference allows.
pub fn compiled_matches_linear_and_reference(data: &[u8]) -> Result<(), Failure> {
    let mut u = Unstructured::new(data);
    let Ok(spec) = ClusterSpec::arbitrary(&mut u) else {
        return Ok(());
    };
    let (text, loaded) = load_spec(&spec)?;
    let cluster = &loaded.cluster;
    let mut known: Vec<IpAddr> = cluster.pods.iter().flat_map(|p| p.ips.clone()).collect();
    known.extend(extra_addresses());
    let mut tuples = Vec::new();
    for _ in 0..u.int_in_range(1..=24).unwrap_or(1) {
        if u.is_empty() && !tuples.is_empty() {
            break;
        }
        match arbitrary_tuple(&mut u, &known) {
            Ok(tuple) => tuples.push(tuple),
            Err(_) => break,
        }
    }
    for mode in [Mode::Kubernetes, Mode::Cn2] {
        let translation = translate(cluster, mode);
        let config = &translation.config;
        let decision = Builder::new(CompileConfig::default())
            .build(config)
            .map_err(|error| format!("{mode}: compile failed: {error}\n{text}"))?;
        let mut batch = vec![Verdict::default(); tuples.len()];
        decision.lookup_batch(&tuples, &mut batch);
        // Every engine through the one interface the CLI and the scenarios use, in a batch too.
        let engines = [Kind::Reference, Kind::Linear, Kind::Compiled]
            .into_iter()
            .filter(|kind| mode == Mode::Kubernetes || *kind != Kind::Reference)
            .map(|kind| evaluator::build(kind, mode, cluster))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| format!("{mode}: compile failed: {error}\n{text}"))?;
        let answers: Vec<Vec<bool>> = engines.iter().map(|e| e.allowed_batch(&tuples)).collect();
        let first = engines.iter().zip(&answers).next();
        for (engine, answer) in engines.iter().zip(&answers) {
            if let Some((base, expected)) = first
                && answer != expected
            {
                return Err(format!(
                    "{mode}: `{}` allows {answer:?} but `{}` allows {expected:?} for {tuples:?}\n{text}",
                    engine.name(),
                    base.name()
                ));
            }
        }
        for (tuple, batched) in tuples.iter().zip(&batch) {
            let compiled = decision.lookup(tuple);
            let scanned = linear::evaluate(config, tuple);
            if compiled != scanned {
                return Err(format!(
                    "{mode}: compiled {compiled:?} but linear {scanned:?} for {tuple:?}\n{text}"
                ));
            }
            if *batched != compiled {
                return Err(format!(
                    "{mode}: batch lookup {batched:?} but lookup {compiled:?} for {tuple:?}\n{text}"
                ));
            }
            if mode == Mode::Kubernetes {
                let reference = Reference::new(cluster).explain(tuple);
                if reference.allowed != scanned.allowed() {
                    return Err(format!(
                        "kubernetes: firewall says {scanned:?} but reference says {} for {tuple:?}\n{text}",
                        reference.explanation
                    ));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// conntrack_matches_model
// ---------------------------------------------------------------------------------------------

/// Endpoints the connection ops draw from: two hosts, the first also IPv4-mapped (the same host
/// to the table), and an IPv6 host; two ports.
const HOSTS: [IpAddr; 4] = [
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
    IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1)),
];

/// The host index the decider sees: the mapped form is host 0.
fn host_index(ip: IpAddr) -> u32 {
    match ip.to_canonical() {
        IpAddr::V4(v4) => u32::from(v4.octets()[3]) - 1,
        IpAddr::V6(_) => 2,
    }
}

/// Allows `s -> d` iff bit `3 * s + d` (plus 9 for UDP, none for other protocols) of `mask`.
#[derive(Clone, Copy, Debug)]
struct MaskDecider {
    generation: u64,
    mask: u32,
}

impl Decide for MaskDecider {
    fn generation(&self) -> u64 {
        self.generation
    }

    fn decide(&self, tuple: &Tuple) -> Verdict {
        let offset = if tuple.protocol == Protocol::Udp {
            9
        } else {
            0
        };
        let bit = offset + 3 * host_index(tuple.src) + host_index(tuple.dst);
        let ingress = if self.mask & (1 << bit) != 0 {
            Side::Rule {
                rule: RuleId(self.generation as u32),
                action: tagwall::firewall::Action::Pass,
            }
        } else {
            Side::NoMatch
        };
        Verdict {
            egress: Side::NotWorkload,
            ingress,
        }
    }
}

/// Most operations one input runs.
const MAX_OPS: usize = 4096;

#[derive(Clone, Copy, Debug)]
enum Op {
    Packet(Tuple),
    Close(Tuple),
    Expire(usize),
    Swap(u32),
}

fn arbitrary_op(u: &mut Unstructured<'_>) -> arbitrary::Result<(Op, u64, bool)> {
    let tuple = Tuple {
        src: *u.choose(&HOSTS)?,
        dst: *u.choose(&HOSTS)?,
        protocol: Protocol::from_number(*u.choose(&[6, 17, 1, 132])?),
        src_port: *u.choose(&[1000, 80])?,
        dst_port: *u.choose(&[80, 1000])?,
    };
    let op = match u.int_in_range(0..=9)? {
        0..=5 => Op::Packet(tuple),
        6 => Op::Packet(tuple.reversed()),
        7 => Op::Close(tuple),
        8 => Op::Expire(u.int_in_range(0..=4)?),
        _ => Op::Swap(u.arbitrary()?),
    };
    // Time mostly moves forward, sometimes jumps, and sometimes goes back (the table must
    // treat an earlier time as its latest).
    let dt = u.int_in_range(0..=40)?;
    let back = u.ratio(1, 16)?;
    Ok((op, dt, back))
}

/// The model's state of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Denied,
    Unreplied,
    Replied,
    Closing,
}

type End = ([u8; 16], u16);
type Key = (End, End, u8);

#[derive(Clone, Copy, Debug)]
struct Entry {
    opener: End,
    class: Class,
    verdict: Verdict,
    generation: u64,
    last_seen: u64,
}

/// A plain model of the table with room for every entry: one map, per-shard clocks, entries
/// removed only when found expired or swept by a full expiry.
struct Model {
    entries: BTreeMap<Key, Entry>,
    clocks: Vec<u64>,
    timeouts: Timeouts,
}

fn end(ip: IpAddr, port: u16) -> End {
    let octets = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    (octets, port)
}

fn key_of(tuple: &Tuple) -> (Key, End) {
    let src = end(tuple.src, tuple.src_port);
    let dst = end(tuple.dst, tuple.dst_port);
    ((src.min(dst), src.max(dst), tuple.protocol.number()), src)
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl Model {
    fn timeout(&self, class: Class, protocol: u8) -> u64 {
        let t = &self.timeouts;
        nanos(match (class, Protocol::from_number(protocol)) {
            (Class::Denied, _) => t.denied.unwrap_or(Duration::MAX),
            (Class::Closing, _) => t.closing,
            (Class::Unreplied, Protocol::Tcp) => t.tcp_unreplied,
            (Class::Replied, Protocol::Tcp) => t.tcp_established,
            (_, Protocol::Udp) => t.udp,
            _ => t.other,
        })
    }

    fn clock(&mut self, shard: usize, now: u64) -> u64 {
        match self.clocks.get_mut(shard) {
            Some(clock) => {
                *clock = (*clock).max(now);
                *clock
            }
            None => now,
        }
    }

    fn expired(&self, key: &Key, entry: &Entry, now: u64) -> bool {
        now.saturating_sub(entry.last_seen) >= self.timeout(entry.class, key.2)
    }

    fn live(&mut self, key: &Key, now: u64) -> Option<Entry> {
        let entry = *self.entries.get(key)?;
        if self.expired(key, &entry, now) {
            self.entries.remove(key);
            return None;
        }
        Some(entry)
    }

    fn decided(&self, verdict: Verdict) -> Option<Class> {
        if verdict.allowed() {
            Some(Class::Unreplied)
        } else {
            self.timeouts.denied.map(|_| Class::Denied)
        }
    }

    fn settle(&mut self, key: Key, entry: Entry, class: Option<Class>) {
        match class {
            Some(class) => {
                self.entries.insert(key, Entry { class, ..entry });
            }
            None => {
                self.entries.remove(&key);
            }
        }
    }

    fn packet(&mut self, decider: &MaskDecider, tuple: &Tuple, now: u64) -> PacketVerdict {
        let (key, from) = key_of(tuple);
        let answer = |verdict: Verdict, direction, outcome| PacketVerdict {
            allowed: verdict.allowed(),
            direction,
            outcome,
            verdict,
        };
        let Some(entry) = self.live(&key, now) else {
            let verdict = decider.decide(tuple);
            if let Some(class) = self.decided(verdict) {
                let entry = Entry {
                    opener: from,
                    class,
                    verdict,
                    generation: decider.generation,
                    last_seen: now,
                };
                self.entries.insert(key, entry);
            }
            return answer(verdict, PacketDirection::Original, Outcome::New);
        };
        let direction = if from == entry.opener {
            PacketDirection::Original
        } else {
            PacketDirection::Reply
        };
        let touched = Entry {
            last_seen: now,
            generation: decider.generation,
            ..entry
        };
        if entry.class == Class::Denied && direction == PacketDirection::Reply {
            // The other end opening after a denial is a new connection of its own.
            let verdict = decider.decide(tuple);
            let class = self.decided(verdict);
            let entry = Entry {
                opener: from,
                verdict,
                ..touched
            };
            self.settle(key, entry, class);
            return answer(verdict, PacketDirection::Original, Outcome::New);
        }
        if entry.generation != decider.generation {
            let opener = if entry.opener == key.0 { key.0 } else { key.1 };
            let other = if entry.opener == key.0 { key.1 } else { key.0 };
            let opening = Tuple {
                src: Ipv6Addr::from(opener.0).to_canonical(),
                dst: Ipv6Addr::from(other.0).to_canonical(),
                protocol: Protocol::from_number(key.2),
                src_port: opener.1,
                dst_port: other.1,
            };
            let verdict = decider.decide(&opening);
            let class = match (verdict.allowed(), entry.class) {
                (false, _) => self.decided(verdict),
                (true, Class::Denied) => Some(Class::Unreplied),
                (true, Class::Unreplied) if direction == PacketDirection::Reply => {
                    Some(Class::Replied)
                }
                (true, class) => Some(class),
            };
            self.settle(key, Entry { verdict, ..touched }, class);
            return answer(verdict, direction, Outcome::Reevaluated);
        }
        if entry.class == Class::Denied {
            return answer(entry.verdict, direction, Outcome::Hit);
        }
        let class = match (entry.class, direction) {
            (Class::Unreplied, PacketDirection::Reply) => Class::Replied,
            (class, _) => class,
        };
        self.entries.insert(key, Entry { class, ..touched });
        answer(entry.verdict, direction, Outcome::Hit)
    }

    fn close(&mut self, tuple: &Tuple, now: u64) -> bool {
        let (key, _) = key_of(tuple);
        match self.live(&key, now) {
            Some(entry) if entry.class != Class::Denied => {
                let closing = Entry {
                    class: Class::Closing,
                    last_seen: now,
                    ..entry
                };
                self.entries.insert(key, closing);
                true
            }
            _ => false,
        }
    }

    /// Entries not expired at their shard's clock.
    fn live_count(&self, table: &ConnTable) -> usize {
        self.entries
            .iter()
            .filter(|(key, entry)| {
                let tuple = Tuple {
                    src: Ipv6Addr::from(key.0.0).to_canonical(),
                    dst: Ipv6Addr::from(key.1.0).to_canonical(),
                    protocol: Protocol::from_number(key.2),
                    src_port: key.0.1,
                    dst_port: key.1.1,
                };
                let clock = self
                    .clocks
                    .get(table.shard_of(&tuple))
                    .copied()
                    .unwrap_or(0);
                !self.expired(key, entry, clock)
            })
            .count()
    }
}

fn check_counters(counters: &Counters, len: usize, context: &str) -> Result<(), Failure> {
    let c = counters;
    if c.packets != c.hits + c.denied_hits + c.misses + c.reevaluations {
        return Err(format!("{context}: packets do not add up: {c:?}"));
    }
    let expected =
        c.inserts as i128 - c.evictions as i128 - c.expirations as i128 - c.revocations as i128;
    if expected != len as i128 {
        return Err(format!(
            "{context}: length {len} but counters say {expected}: {c:?}"
        ));
    }
    Ok(())
}

/// Connection-table operation sequences (packets both ways, closes, expiry with budgets,
/// policy swaps, time going back) against a plain model: with room for every entry, each
/// packet's answer (allowed, direction, outcome, verdict), each close, and the entry count
/// after a full expiry are the model's; with a tight capacity, the table stays within it, a
/// new connection is decided by the decider, and the counters add up.
pub fn conntrack_matches_model(data: &[u8]) -> Result<(), Failure> {
    let mut u = Unstructured::new(data);
    let Ok(setup) = (|| -> arbitrary::Result<_> {
        let shards = 1usize << u.int_in_range(0..=2)?;
        let roomy: bool = u.arbitrary()?;
        let capacity = if roomy {
            shards * 256
        } else {
            shards + u.int_in_range(0..=6)?
        };
        let timeouts = Timeouts {
            tcp_established: Duration::from_nanos(u.int_in_range(1..=200)?),
            tcp_unreplied: Duration::from_nanos(u.int_in_range(1..=60)?),
            udp: Duration::from_nanos(u.int_in_range(1..=60)?),
            other: Duration::from_nanos(u.int_in_range(1..=60)?),
            closing: Duration::from_nanos(u.int_in_range(1..=30)?),
            denied: if u.arbitrary()? {
                Some(Duration::from_nanos(u.int_in_range(1..=30)?))
            } else {
                None
            },
        };
        let sweep_per_insert = u.int_in_range(0..=3)?;
        Ok((
            ConnConfig {
                capacity,
                shards,
                timeouts,
                sweep_per_insert,
            },
            roomy,
            u.arbitrary::<u32>()?,
        ))
    })() else {
        return Ok(());
    };
    let (config, roomy, mask) = setup;
    let table = ConnTable::new(config).map_err(|error| format!("config {config:?}: {error}"))?;
    let mut model = Model {
        entries: BTreeMap::new(),
        clocks: vec![0; config.shards],
        timeouts: config.timeouts,
    };
    let mut decider = MaskDecider {
        generation: 1,
        mask,
    };
    let mut now = 0u64;
    let mut step = 0usize;
    let mut seen_replies: BTreeSet<Key> = BTreeSet::new();
    // An exhausted `Unstructured` keeps answering (with zeros), so stop at its end.
    while !u.is_empty() && step < MAX_OPS {
        let Ok((op, dt, back)) = arbitrary_op(&mut u) else {
            break;
        };
        step += 1;
        now = if back {
            now.saturating_sub(dt)
        } else {
            now + dt
        };
        let context = format!("{config:?} step {step} {op:?} at {now}");
        let at = Timestamp::from_nanos(now);
        match op {
            Op::Packet(tuple) => {
                let got = table.packet(&decider, &tuple, at);
                if got.outcome == Outcome::New && got.verdict != decider.decide(&tuple) {
                    return Err(format!("{context}: a new connection not decided: {got:?}"));
                }
                if got.allowed != got.verdict.allowed() {
                    return Err(format!(
                        "{context}: answer disagrees with its verdict {got:?}"
                    ));
                }
                if roomy {
                    let shard = table.shard_of(&tuple);
                    let clock = model.clock(shard, now);
                    let want = model.packet(&decider, &tuple, clock);
                    if got != want {
                        return Err(format!("{context}: table {got:?}, model {want:?}"));
                    }
                } else if got.direction == PacketDirection::Reply {
                    seen_replies.insert(key_of(&tuple).0);
                }
            }
            Op::Close(tuple) => {
                let got = table.close(&tuple, at);
                if roomy {
                    let clock = model.clock(table.shard_of(&tuple), now);
                    let want = model.close(&tuple, clock);
                    if got != want {
                        return Err(format!("{context}: close gave {got}, model {want}"));
                    }
                }
            }
            Op::Expire(budget) => {
                // With room for everything, expire in full: every shard's clock then moves to
                // `now`, as the model's do, and exactly the live connections stay.
                let budget = if roomy { usize::MAX } else { budget };
                let removed = table.expire(at, budget);
                if removed > budget {
                    return Err(format!("{context}: removed {removed} over budget {budget}"));
                }
                if roomy {
                    for shard in 0..config.shards {
                        model.clock(shard, now);
                    }
                    let (len, live) = (table.len(), model.live_count(&table));
                    if len != live {
                        return Err(format!(
                            "{context}: after a full expiry the table holds {len}, the model {live}"
                        ));
                    }
                }
            }
            Op::Swap(mask) => {
                decider = MaskDecider {
                    generation: decider.generation + 1,
                    mask,
                };
            }
        }
        let len = table.len();
        if len > config.capacity {
            return Err(format!(
                "{context}: {len} entries over capacity {}",
                config.capacity
            ));
        }
        check_counters(&table.counters(), len, &context)?;
        if roomy {
            if table.counters().evictions != 0 {
                return Err(format!("{context}: evicted with room to spare"));
            }
            if len > model.entries.len() {
                return Err(format!(
                    "{context}: table holds {len}, model only {}",
                    model.entries.len()
                ));
            }
        }
    }
    // A full expiry at the latest time leaves exactly the live connections.
    let removed = table.expire(Timestamp::from_nanos(now), usize::MAX);
    let len = table.len();
    check_counters(&table.counters(), len, "after a full expiry")?;
    if roomy {
        for shard in 0..config.shards {
            model.clock(shard, now);
        }
        let live = model.live_count(&table);
        if len != live {
            return Err(format!(
                "after a full expiry at {now} (removed {removed}): table holds {len}, model {live}"
            ));
        }
    }
    Ok(())
}
