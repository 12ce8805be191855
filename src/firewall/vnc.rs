//! The objects as a Contrail config API client would post them (`vnc-json`).
//!
//! Contrail endpoints are an AND of tags, services carry port numbers and address groups carry
//! plain prefixes, so some of our model has to be rewritten and some cannot be said at all:
//! - an `In` with several values becomes one rule per value (per combination, with several);
//! - `NotIn`, `Exists` and `DoesNotExist`, a peer endpoint meaning "every workload" and a named
//!   port cannot be expressed: the rule is left out with a [`VncWarning`] naming it, never
//!   replaced by a rule that means something else;
//! - an address group's `except` holes are subtracted exactly, into plain prefixes.
//!
//! Tag names are `type=value` with every character outside `[A-Za-z0-9._-]` escaped as `%XX`
//! (label keys carry `/`, which Contrail reserves), so distinct labels stay distinct tags.

use std::fmt::Write as _;

use ipnet::IpNet;
use serde_json::{Value, json};

use super::{
    AddressGroup, Endpoint, FirewallConfig, FirewallRule, ServicePorts, Tag, TagKind, TagOp,
    TagTerm,
};
use crate::model::Direction;
use crate::protocol::PortRange;

/// The project every object is created in.
const PROJECT: [&str; 2] = ["default-domain", "k8s"];

/// A rule that `vnc-json` could not express and left out.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VncWarning {
    /// The rule's name.
    pub rule: String,
    /// Why it was left out.
    pub message: String,
}

impl std::fmt::Display for VncWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule `{}` left out of vnc-json: {}",
            self.rule, self.message
        )
    }
}

/// `%XX`-escapes every byte outside `[A-Za-z0-9._-]`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A tag's Contrail type name. Namespace labels get `ns:` and a pod label keyed `namespace`
/// gets `label:` (both escaped) so they never meet the `namespace` tag type.
fn tag_type(kind: TagKind, key: &str) -> String {
    match kind {
        TagKind::Namespace => "namespace".to_string(),
        TagKind::Label if key == "namespace" => escape("label:namespace"),
        TagKind::Label => escape(key),
        TagKind::NamespaceLabel => escape(&format!("ns:{key}")),
        // `:` never occurs in a label key, so a node tag never meets a pod label `node`.
        TagKind::Node => escape(&format!("node:{key}")),
    }
}

/// A tag's Contrail name, `type=value`.
pub fn tag_name(tag: &Tag) -> String {
    format!("{}={}", tag_type(tag.kind, &tag.key), escape(&tag.value))
}

fn fq_name(name: &str) -> Value {
    json!([PROJECT[0], PROJECT[1], name])
}

/// `cidr` minus every hole, as the fewest disjoint prefixes (split in halves until each half is
/// inside a hole or clear of all of them).
pub fn subtract(cidr: IpNet, holes: &[IpNet]) -> Vec<IpNet> {
    let mut out = Vec::new();
    let mut pending = vec![cidr];
    while let Some(prefix) = pending.pop() {
        if holes.iter().any(|h| h.contains(&prefix)) {
            continue;
        }
        if !holes.iter().any(|h| prefix.contains(h)) {
            out.push(prefix);
            continue;
        }
        // A hole lies strictly inside, so the prefix is not a host route and splits in two.
        if let Ok(halves) = prefix.subnets(prefix.prefix_len() + 1) {
            let halves: Vec<IpNet> = halves.collect();
            pending.extend(halves.into_iter().rev());
        }
    }
    out
}

fn subnet(prefix: &IpNet) -> Value {
    json!({"ip_prefix": prefix.network().to_string(), "ip_prefix_len": prefix.prefix_len()})
}

fn address_group(group: &AddressGroup) -> Value {
    let prefixes: Vec<Value> = group
        .prefixes
        .iter()
        .flat_map(|p| subtract(*p, &group.except))
        .map(|p| subnet(&p))
        .collect();
    json!({
        "fq_name": fq_name(&group.name),
        "name": group.name,
        "address_group_prefix": {"subnet": prefixes},
    })
}

/// The alternatives (each an AND of tag names) an endpoint's terms expand to, or why not.
fn tag_alternatives(terms: &[TagTerm]) -> Result<Vec<Vec<String>>, String> {
    let mut alternatives = vec![Vec::new()];
    for term in terms {
        let TagOp::In(values) = &term.op else {
            return Err(format!(
                "`{term}` cannot be expressed as an AND of Contrail tags"
            ));
        };
        alternatives = alternatives
            .iter()
            .flat_map(|prefix| {
                values.iter().map(move |value| {
                    let mut next = prefix.clone();
                    next.push(tag_name(&Tag {
                        kind: term.kind,
                        key: term.key.clone(),
                        value: value.clone(),
                    }));
                    next
                })
            })
            .collect();
    }
    Ok(alternatives)
}

fn endpoints(endpoint: &Endpoint, is_peer: bool) -> Result<Vec<Value>, String> {
    match endpoint {
        Endpoint::Any => Ok(vec![json!({"any": true})]),
        // endpoint_1 is always the deciding workload, so "every workload" is `any` there; as a
        // peer it would admit external addresses too.
        Endpoint::Tags(terms) if terms.is_empty() && !is_peer => Ok(vec![json!({"any": true})]),
        Endpoint::Tags(terms) if terms.is_empty() => {
            Err("a peer of every workload and no other address cannot be expressed".to_string())
        }
        Endpoint::Tags(terms) => Ok(tag_alternatives(terms)?
            .into_iter()
            .map(|tags| json!({"tags": tags}))
            .collect()),
        Endpoint::AddressGroup(name) => Ok(vec![json!({
            "address_group": format!("{}:{}:{name}", PROJECT[0], PROJECT[1]),
        })]),
    }
}

fn port_range(range: PortRange) -> Value {
    json!({"start_port": range.start, "end_port": range.end})
}

fn service(rule: &FirewallRule) -> Result<Value, String> {
    let protocol = match rule.service.protocol {
        None => "any".to_string(),
        Some(p) => p.to_string().to_ascii_lowercase(),
    };
    let dst = match &rule.service.ports {
        ServicePorts::Any => PortRange::ALL,
        ServicePorts::Range(range) => *range,
        ServicePorts::Named(name) => {
            return Err(format!(
                "named port `{name}` cannot be expressed: Contrail services carry port numbers"
            ));
        }
    };
    Ok(json!({
        "protocol": protocol,
        "src_ports": port_range(PortRange::ALL),
        "dst_ports": port_range(dst),
    }))
}

/// The rule as Contrail rules: one per combination of endpoint alternatives.
fn rules(rule: &FirewallRule) -> Result<Vec<Value>, String> {
    let service = service(rule)?;
    let ends_1 = endpoints(&rule.endpoint_1, false)?;
    let ends_2 = endpoints(&rule.endpoint_2, true)?;
    let many = ends_1.len() * ends_2.len() > 1;
    let mut out = Vec::new();
    for end_1 in &ends_1 {
        for end_2 in &ends_2 {
            let name = if many {
                format!("{}-e{}", rule.name, out.len())
            } else {
                rule.name.clone()
            };
            out.push(json!({
                "fq_name": fq_name(&name),
                "name": name,
                "action_list": {"simple_action": format!("{:?}", rule.action).to_ascii_lowercase()},
                "service": service,
                "endpoint_1": end_1,
                "direction": match rule.direction {
                    Direction::Ingress => "<",
                    Direction::Egress => ">",
                },
                "endpoint_2": end_2,
                "match_tags": {"tag_list": []},
            }));
        }
    }
    Ok(out)
}

/// `rule` with endpoint_2 `any`, then also any service, then also endpoint_1 every workload:
/// the first of these Contrail can say (the last always can).
fn widen_deny(rule: &FirewallRule) -> FirewallRule {
    let mut wider = FirewallRule {
        endpoint_2: Endpoint::Any,
        ..rule.clone()
    };
    if rules(&wider).is_ok() {
        return wider;
    }
    wider.service = super::Service::ANY;
    if rules(&wider).is_ok() {
        return wider;
    }
    wider.endpoint_1 = Endpoint::Tags(Vec::new());
    wider
}

fn refs(names: &[String]) -> Value {
    Value::Array(
        names
            .iter()
            .enumerate()
            .map(|(i, name)| json!({"to": fq_name(name), "attr": {"sequence": i.to_string()}}))
            .collect(),
    )
}

/// The configuration as Contrail config API objects, and the rules left out.
pub fn export(config: &FirewallConfig) -> (Value, Vec<VncWarning>) {
    let mut warnings = Vec::new();
    let tags: Vec<Value> = config
        .tags
        .iter()
        .map(|tag| {
            let name = tag_name(tag);
            json!({
                "fq_name": [name],
                "name": name,
                "tag_type_name": tag_type(tag.kind, &tag.key),
                "tag_value": escape(&tag.value),
            })
        })
        .collect();
    let mut firewall_rules = Vec::new();
    let mut firewall_policies = Vec::new();
    for policy in &config.application_policy_set.policies {
        let mut names = Vec::new();
        for rule in &policy.rules {
            // Contrail has no tier pass. Left out, a `next` rule would let later rules of its
            // tier (an Accept) allow what it hands to NetworkPolicy; as `deny` it can only
            // allow less.
            let denied;
            let rule = if rule.action == super::Action::Next {
                warnings.push(VncWarning {
                    rule: rule.name.clone(),
                    message: "a tier pass (`next`) cannot be said in Contrail; a `deny` rule of the same \
                              name stands in for it, which allows less than the pass"
                        .to_string(),
                });
                denied = FirewallRule {
                    action: super::Action::Deny,
                    ..rule.clone()
                };
                &denied
            } else {
                rule
            };
            // A tier's deny that cannot be said as written is said wider (endpoint_2 `any`,
            // then any service, then every workload): left out, it would let its traffic
            // through to later rules; widened, it can only deny more.
            let widened;
            let rule = if policy.tier.is_some()
                && rule.action == super::Action::Deny
                && rules(rule).is_err()
            {
                widened = widen_deny(rule);
                warnings.push(VncWarning {
                    rule: rule.name.clone(),
                    message: "a tier's deny that cannot be said as written; a wider deny of the \
                              same name stands in for it, which allows less"
                        .to_string(),
                });
                &widened
            } else {
                rule
            };
            match rules(rule) {
                Ok(expanded) => {
                    for value in expanded {
                        if let Some(name) = value.get("name").and_then(Value::as_str) {
                            names.push(name.to_string());
                        }
                        firewall_rules.push(value);
                    }
                }
                Err(message) => warnings.push(VncWarning {
                    rule: rule.name.clone(),
                    message,
                }),
            }
        }
        firewall_policies.push(json!({
            "fq_name": fq_name(&policy.name),
            "name": policy.name,
            "firewall_rule_refs": refs(&names),
        }));
    }
    let policy_names: Vec<String> = config
        .application_policy_set
        .policies
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let value = json!({
        "tag": tags,
        "address-group": config.address_groups.iter().map(address_group).collect::<Vec<_>>(),
        "firewall-rule": firewall_rules,
        "firewall-policy": firewall_policies,
        "application-policy-set": [{
            "fq_name": fq_name(&config.application_policy_set.name),
            "name": config.application_policy_set.name,
            "firewall_policy_refs": refs(&policy_names),
        }],
    });
    (value, warnings)
}
