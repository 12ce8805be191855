//! Every object `vnc-json` writes for generated clusters, checked against the Contrail config
//! schema: required properties and references present, types and enumerations respected, no
//! property the schema does not define, parents the schema allows, references that resolve.
//!
//! Transcribed from Juniper/contrail-api-client (the last tree before its migration notice):
//! - `schema/vnc_cfg.xsd`: `SubnetType`, `PortType`/`L4PortType` (-1..65535),
//!   `SimpleActionType` (deny, pass), `ActionListType` (simple-action required),
//!   `FirewallRuleDirectionType` (<, >, <>), `IpAddressFamilyType` (v4, v6), the
//!   virtual-machine-interface (virtual-network ref required; parents project, virtual-machine,
//!   virtual-router) and instance-ip (instance-ip-address, virtual-network and network-ipam
//!   refs required);
//! - `schema/firewall_policy.xsd`: `FirewallServiceType`, `FirewallRuleEndpointType` (one
//!   `exclusive` field), `FirewallRuleMatchTagsType` (tag-list required), `FirewallSequence`
//!   (sequence required), address-group (address-group-prefix), firewall-rule (action-list,
//!   endpoint-1, endpoint-2, direction, match-tags required), firewall-policy,
//!   application-policy-set (firewall-policy refs required), parents project or
//!   policy-management;
//! - `schema/tag.xsd`: tag (tag-type-name, tag-value required; parents config-root, project).
//!
//! And from the API server (Juniper/contrail-controller, `src/config/api-server/
//! vnc_cfg_api_server/`): no `:` in names (`api_server.py`), a tag named
//! `<lower-case type>=<value>` (`resources/tag.py`), one tag per type on an object except
//! `label` (`api_server.py`, `_validate_tag_refs`), rule tags resolved in the rule's project
//! (`resources/firewall_rule.py`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on broken fixtures"
)]

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use tagwall::firewall::vnc;
use tagwall::translate::{Mode, translate};

/// A schema violation: where, and what.
type Problems = Vec<String>;

struct Object<'a> {
    kind: &'a str,
    name: String,
    fields: &'a Map<String, Value>,
}

impl Object<'_> {
    fn at(&self, field: &str) -> String {
        format!("{} `{}`: {field}", self.kind, self.name)
    }
}

fn is_string(value: &Value) -> bool {
    value.is_string()
}

fn check_port(value: Option<&Value>, at: &str, problems: &mut Problems) {
    let Some(port) = value.and_then(Value::as_object) else {
        problems.push(format!("{at}: PortType missing"));
        return;
    };
    for bound in ["start_port", "end_port"] {
        match port.get(bound).and_then(Value::as_i64) {
            Some(p) if (-1..=65535).contains(&p) => {}
            other => problems.push(format!("{at}.{bound}: L4PortType, got {other:?}")),
        }
    }
    allowed_keys(port, &["start_port", "end_port"], at, problems);
}

fn allowed_keys(map: &Map<String, Value>, allowed: &[&str], at: &str, problems: &mut Problems) {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            problems.push(format!("{at}: `{key}` is not in the schema"));
        }
    }
}

fn required<'v>(object: &'v Object<'_>, field: &str, problems: &mut Problems) -> Option<&'v Value> {
    let value = object.fields.get(field);
    if value.is_none() {
        problems.push(format!("{} is required", object.at(field)));
    }
    value
}

fn enumerated(value: Option<&Value>, allowed: &[&str], at: &str, problems: &mut Problems) {
    match value.and_then(Value::as_str) {
        Some(v) if allowed.contains(&v) => {}
        other => problems.push(format!("{at}: one of {allowed:?}, got {other:?}")),
    }
}

/// References: each `{to: [strings], attr?}`; `sequenced` ones carry a `FirewallSequence`.
fn check_refs(
    object: &Object<'_>,
    field: &str,
    required_link: bool,
    sequenced: bool,
    problems: &mut Problems,
) -> Vec<String> {
    let mut targets = Vec::new();
    let Some(value) = object.fields.get(field) else {
        if required_link {
            problems.push(format!("{} is a required reference", object.at(field)));
        }
        return targets;
    };
    let Some(refs) = value.as_array() else {
        problems.push(format!("{}: a list", object.at(field)));
        return targets;
    };
    if required_link && refs.is_empty() {
        problems.push(format!(
            "{}: a required reference is empty",
            object.at(field)
        ));
    }
    for r in refs {
        let at = object.at(field);
        let Some(r) = r.as_object() else {
            problems.push(format!("{at}: a reference object"));
            continue;
        };
        allowed_keys(r, &["to", "attr", "uuid"], &at, problems);
        match r.get("to").and_then(Value::as_array) {
            Some(to) if !to.is_empty() && to.iter().all(is_string) => targets.push(
                to.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(":"),
            ),
            _ => problems.push(format!("{at}.to: a non-empty fq_name")),
        }
        if sequenced {
            match r
                .get("attr")
                .and_then(|a| a.get("sequence"))
                .and_then(Value::as_str)
            {
                Some(_) => {}
                None => problems.push(format!("{at}.attr.sequence: FirewallSequence required")),
            }
        }
    }
    targets
}

fn check_endpoint(object: &Object<'_>, field: &str, problems: &mut Problems) {
    let at = object.at(field);
    let Some(endpoint) = object.fields.get(field).and_then(Value::as_object) else {
        problems.push(format!("{at}: FirewallRuleEndpointType required"));
        return;
    };
    let exclusive = ["subnet", "virtual_network", "address_group", "tags", "any"];
    allowed_keys(
        endpoint,
        &[&exclusive[..], &["tag_ids"]].concat(),
        &at,
        problems,
    );
    let set = exclusive
        .iter()
        .filter(|k| endpoint.contains_key(**k))
        .count();
    if set != 1 {
        problems.push(format!(
            "{at}: exactly one exclusive endpoint type, got {set}"
        ));
    }
    if let Some(tags) = endpoint.get("tags")
        && !tags.as_array().is_some_and(|t| t.iter().all(is_string))
    {
        problems.push(format!("{at}.tags: a list of strings"));
    }
    if let Some(group) = endpoint.get("address_group")
        && !group.is_string()
    {
        problems.push(format!("{at}.address_group: a string"));
    }
    if let Some(any) = endpoint.get("any")
        && !any.is_boolean()
    {
        problems.push(format!("{at}.any: a boolean"));
    }
}

/// The properties and references the schema defines per type (beyond the identity fields).
fn schema_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "tag" => &[
            "tag_type_name",
            "tag_value",
            "tag_predefined",
            "tag_type_refs",
        ],
        "address-group" => &["address_group_prefix", "tag_refs"],
        "firewall-rule" => &[
            "action_list",
            "service",
            "endpoint_1",
            "endpoint_2",
            "match_tags",
            "direction",
            "service_group_refs",
            "tag_refs",
        ],
        "firewall-policy" => &["firewall_rule_refs", "tag_refs"],
        "application-policy-set" => &["firewall_policy_refs", "tag_refs"],
        "virtual-machine-interface" => &["virtual_network_refs", "tag_refs", "display_name"],
        "instance-ip" => &[
            "instance_ip_address",
            "instance_ip_family",
            "virtual_network_refs",
            "network_ipam_refs",
            "virtual_machine_interface_refs",
        ],
        _ => &[],
    }
}

fn parents(kind: &str) -> &'static [&'static str] {
    match kind {
        "tag" => &["config-root", "project"],
        "virtual-machine-interface" => &["project", "virtual-machine", "virtual-router"],
        "instance-ip" => &["config-root"],
        _ => &["project", "policy-management"],
    }
}

/// Checks every object of an export; returns what the schema or the server would refuse.
fn check_export(objects: &Value) -> Problems {
    let mut problems = Problems::new();
    let Some(by_kind) = objects.as_object() else {
        return vec!["the export is an object keyed by type".to_string()];
    };
    // fq_names of the objects the export creates, by type.
    let mut created: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (kind, list) in by_kind {
        for object in list.as_array().into_iter().flatten() {
            let fq = object["fq_name"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(":")
                })
                .unwrap_or_default();
            if !created.entry(kind.as_str()).or_default().insert(fq.clone()) {
                problems.push(format!("{kind} `{fq}`: fq_name not unique"));
            }
        }
    }
    let exists = |kind: &str, fq: &str| created.get(kind).is_some_and(|s| s.contains(fq));
    // Created by kube-manager, referenced by the workloads.
    let external = [
        "default-domain:k8s-default:k8s-default-pod-network",
        "default-domain:k8s-default:k8s-pod-ipam",
    ];
    for (kind, list) in by_kind {
        if schema_fields(kind).is_empty() {
            problems.push(format!("`{kind}` is no object type we know the schema of"));
            continue;
        }
        for value in list.as_array().into_iter().flatten() {
            let Some(fields) = value.as_object() else {
                problems.push(format!("{kind}: an object"));
                continue;
            };
            let object = Object {
                kind,
                name: fields
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string(),
                fields,
            };
            let identity = ["fq_name", "parent_type", "name", "display_name", "uuid"];
            allowed_keys(
                fields,
                &[&identity[..], schema_fields(kind)].concat(),
                &object.at(""),
                &mut problems,
            );
            // Identity: a name without `:`, the last element of fq_name; a parent the schema
            // allows, and an fq_name of the length that parent gives.
            if object.name.contains(':') || object.name.is_empty() {
                problems.push(format!("{}: invalid name", object.at("name")));
            }
            let fq: Vec<&str> = fields["fq_name"]
                .as_array()
                .map(|f| f.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if fq.last() != Some(&object.name.as_str()) {
                problems.push(format!("{}: ends with the name", object.at("fq_name")));
            }
            enumerated(
                fields.get("parent_type"),
                parents(kind),
                &object.at("parent_type"),
                &mut problems,
            );
            let fq_len = match fields.get("parent_type").and_then(Value::as_str) {
                Some("config-root") => 1,
                _ => 3,
            };
            if fq.len() != fq_len {
                problems.push(format!("{}: {fq_len} elements", object.at("fq_name")));
            }
            let tag_targets = check_refs(&object, "tag_refs", false, false, &mut problems);
            for target in &tag_targets {
                if !exists("tag", target) {
                    problems.push(format!(
                        "{}: `{target}` is not created",
                        object.at("tag_refs")
                    ));
                }
            }
            // One tag per type, except `label`.
            let mut types = BTreeSet::new();
            for target in &tag_targets {
                let tag_type = target
                    .rsplit(':')
                    .next()
                    .unwrap_or("")
                    .split('=')
                    .next()
                    .unwrap_or("");
                if tag_type != "label" && !types.insert(tag_type.to_string()) {
                    problems.push(format!(
                        "{}: tag type `{tag_type}` twice",
                        object.at("tag_refs")
                    ));
                }
            }
            match kind.as_str() {
                "tag" => {
                    let tag_type =
                        required(&object, "tag_type_name", &mut problems).and_then(Value::as_str);
                    let tag_value =
                        required(&object, "tag_value", &mut problems).and_then(Value::as_str);
                    if let (Some(t), Some(v)) = (tag_type, tag_value) {
                        if t != t.to_lowercase() {
                            problems.push(format!(
                                "{}: the server lower-cases it",
                                object.at("tag_type_name")
                            ));
                        }
                        if object.name != format!("{}={v}", t.to_lowercase()) {
                            problems.push(format!(
                                "{}: the server renames it `type=value`",
                                object.at("name")
                            ));
                        }
                    }
                }
                "address-group" => {
                    let at = object.at("address_group_prefix");
                    match required(&object, "address_group_prefix", &mut problems)
                        .and_then(|p| p.get("subnet"))
                        .and_then(Value::as_array)
                    {
                        Some(subnets) => {
                            for subnet in subnets {
                                let ok = subnet["ip_prefix"]
                                    .as_str()
                                    .is_some_and(|p| p.parse::<std::net::IpAddr>().is_ok())
                                    && subnet["ip_prefix_len"].as_u64().is_some_and(|l| l <= 128);
                                if !ok {
                                    problems.push(format!("{at}.subnet: SubnetType, got {subnet}"));
                                }
                            }
                        }
                        None => problems.push(format!("{at}: SubnetListType")),
                    }
                }
                "firewall-rule" => {
                    let actions =
                        required(&object, "action_list", &mut problems).and_then(Value::as_object);
                    enumerated(
                        actions.and_then(|a| a.get("simple_action")),
                        &["deny", "pass"],
                        &object.at("action_list.simple_action"),
                        &mut problems,
                    );
                    enumerated(
                        required(&object, "direction", &mut problems),
                        &["<", ">", "<>"],
                        &object.at("direction"),
                        &mut problems,
                    );
                    check_endpoint(&object, "endpoint_1", &mut problems);
                    check_endpoint(&object, "endpoint_2", &mut problems);
                    // The server needs a service or a service group.
                    if let Some(service) =
                        required(&object, "service", &mut problems).and_then(Value::as_object)
                    {
                        let at = object.at("service");
                        allowed_keys(
                            service,
                            &["protocol", "protocol_id", "src_ports", "dst_ports"],
                            &at,
                            &mut problems,
                        );
                        let protocol = service.get("protocol").and_then(Value::as_str);
                        let known = ["any", "icmp", "tcp", "udp", "sctp", "icmp6"];
                        if !protocol.is_some_and(|p| known.contains(&p) || p.parse::<u8>().is_ok())
                        {
                            problems.push(format!("{at}.protocol: invalid, got {protocol:?}"));
                        }
                        check_port(
                            service.get("src_ports"),
                            &format!("{at}.src_ports"),
                            &mut problems,
                        );
                        check_port(
                            service.get("dst_ports"),
                            &format!("{at}.dst_ports"),
                            &mut problems,
                        );
                    }
                    match required(&object, "match_tags", &mut problems)
                        .and_then(|m| m.get("tag_list"))
                    {
                        Some(list) if list.as_array().is_some_and(|l| l.iter().all(is_string)) => {}
                        _ => {
                            problems.push(format!("{}: tag_list required", object.at("match_tags")))
                        }
                    }
                    // Tags resolve in the rule's project; groups by their fq_name string.
                    let scope = fq
                        .get(..fq.len().saturating_sub(1))
                        .unwrap_or(&[])
                        .join(":");
                    for end in ["endpoint_1", "endpoint_2"] {
                        for tag in fields[end]["tags"].as_array().into_iter().flatten() {
                            let fq = format!("{scope}:{}", tag.as_str().unwrap_or(""));
                            if !exists("tag", &fq) {
                                problems
                                    .push(format!("{}: tag `{fq}` is not created", object.at(end)));
                            }
                        }
                        if let Some(group) = fields[end]["address_group"].as_str()
                            && !exists("address-group", group)
                        {
                            problems.push(format!(
                                "{}: group `{group}` is not created",
                                object.at(end)
                            ));
                        }
                    }
                }
                "firewall-policy" => {
                    for target in
                        check_refs(&object, "firewall_rule_refs", false, true, &mut problems)
                    {
                        if !exists("firewall-rule", &target) {
                            problems.push(format!(
                                "{}: `{target}` is not created",
                                object.at("firewall_rule_refs")
                            ));
                        }
                    }
                }
                "application-policy-set" => {
                    for target in
                        check_refs(&object, "firewall_policy_refs", true, true, &mut problems)
                    {
                        if !exists("firewall-policy", &target) {
                            problems.push(format!(
                                "{}: `{target}` is not created",
                                object.at("firewall_policy_refs")
                            ));
                        }
                    }
                    if !tag_targets.iter().any(|t| t.contains(":application=")) {
                        problems.push(format!(
                            "{}: no application tag, so bound to no workload",
                            object.at("tag_refs")
                        ));
                    }
                }
                "virtual-machine-interface" => {
                    for target in
                        check_refs(&object, "virtual_network_refs", true, false, &mut problems)
                    {
                        if !external.contains(&target.as_str()) {
                            problems.push(format!(
                                "{}: unknown network `{target}`",
                                object.at("virtual_network_refs")
                            ));
                        }
                    }
                }
                "instance-ip" => {
                    let address = required(&object, "instance_ip_address", &mut problems)
                        .and_then(Value::as_str);
                    if address.is_none_or(|a| a.parse::<std::net::IpAddr>().is_err()) {
                        problems.push(format!(
                            "{}: IpAddressType, got {address:?}",
                            object.at("instance_ip_address")
                        ));
                    }
                    enumerated(
                        fields.get("instance_ip_family"),
                        &["v4", "v6"],
                        &object.at("instance_ip_family"),
                        &mut problems,
                    );
                    for field in ["virtual_network_refs", "network_ipam_refs"] {
                        for target in check_refs(&object, field, true, false, &mut problems) {
                            if !external.contains(&target.as_str()) {
                                problems.push(format!("{}: unknown `{target}`", object.at(field)));
                            }
                        }
                    }
                    for target in check_refs(
                        &object,
                        "virtual_machine_interface_refs",
                        false,
                        false,
                        &mut problems,
                    ) {
                        if !exists("virtual-machine-interface", &target) {
                            problems.push(format!(
                                "{}: `{target}` is not created",
                                object.at("virtual_machine_interface_refs")
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    problems
}

/// Seeds: a 32nd of `TAGWALL_PROPTEST_CASES` (6 by default), at least 2.
fn cases() -> u64 {
    u64::from(support::cases(192) / 32).max(2)
}

#[test]
fn every_exported_object_of_generated_clusters_follows_the_schema() {
    for seed in 0..cases() {
        let params = tagwall::synth::SynthParams {
            namespaces: 4,
            pods: 30,
            policies: 12,
            seed,
            ..Default::default()
        };
        let cluster = tagwall::k8s::load_str("synthetic.json", &tagwall::synth::generate(&params))
            .expect("synthetic clusters load")
            .cluster;
        for mode in [Mode::Kubernetes, Mode::Cn2] {
            let (objects, _) = vnc::export(&translate(&cluster, mode).config);
            let kinds = objects.as_object().expect("by kind").len();
            assert_eq!(kinds, 7, "every object type is written");
            let problems = check_export(&objects);
            assert!(problems.is_empty(), "seed {seed} {mode}: {problems:#?}");
        }
    }
}

/// What a fault breaks in an export, and the problem it must raise.
type Fault = (&'static str, fn(&mut Value));

/// The checker itself refuses what the issue found in the old export.
#[test]
fn the_schema_check_refuses_the_faults_of_the_old_export() {
    let cluster = tagwall::synth::generate(&tagwall::synth::SynthParams {
        namespaces: 2,
        pods: 6,
        policies: 3,
        seed: 1,
        ..Default::default()
    });
    let cluster = tagwall::k8s::load_str("synthetic.json", &cluster)
        .expect("loads")
        .cluster;
    let (objects, _) = vnc::export(&translate(&cluster, Mode::Kubernetes).config);
    assert!(check_export(&objects).is_empty());
    let faults: [Fault; 5] = [
        ("parent_type", |o| {
            o["firewall-rule"][0]
                .as_object_mut()
                .unwrap()
                .remove("parent_type");
        }),
        ("is not created", |o| {
            o["tag"][0]["fq_name"] = serde_json::json!([o["tag"][0]["name"].clone()]);
        }),
        ("lower-cases", |o| {
            o["tag"][0]["tag_type_name"] = "App".into();
        }),
        ("invalid name", |o| {
            o["firewall-rule"][0]["name"] = "a:b".into();
        }),
        ("no application tag", |o| {
            o["application-policy-set"][0]["tag_refs"] = serde_json::json!([]);
        }),
    ];
    for (expected, fault) in faults {
        let mut broken = objects.clone();
        fault(&mut broken);
        let problems = check_export(&broken);
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected}: {problems:#?}"
        );
    }
}
