//! The Contrail config objects `vnc-json` writes, field for field as the schema names them.
//!
//! Property and reference names follow `schema/vnc_cfg.xsd`, `schema/firewall_policy.xsd` and
//! `schema/tag.xsd` of Juniper/contrail-api-client (dashes become underscores on the REST API).
//! They deserialise too: [`super::eval`] reads back exactly what was written.

use serde::{Deserialize, Serialize};

/// A reference: the target's fq_name and, on ordered links, its sequence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    /// The referenced object's fq_name.
    pub to: Vec<String>,
    /// `FirewallSequence` on policy -> rule and policy set -> policy links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attr: Option<Sequence>,
}

/// `FirewallSequence`: the position of a reference, compared as a string by the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    /// `00000.0`, `00001.0`, ...
    pub sequence: String,
}

/// A `tag`, scoped to the project like every rule that names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncTag {
    /// `[domain, project, type=value]`.
    pub fq_name: Vec<String>,
    /// `project`.
    pub parent_type: String,
    /// `type=value`.
    pub name: String,
    /// The tag type (already lower case).
    pub tag_type_name: String,
    /// The tag value.
    pub tag_value: String,
}

/// `SubnetType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    /// The network address.
    pub ip_prefix: String,
    /// The prefix length.
    pub ip_prefix_len: u8,
}

/// `SubnetListType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetList {
    /// The prefixes.
    pub subnet: Vec<Subnet>,
}

/// An `address-group`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncAddressGroup {
    /// `[domain, project, name]`.
    pub fq_name: Vec<String>,
    /// `project`.
    pub parent_type: String,
    /// The group's name.
    pub name: String,
    /// Its prefixes (exact: `except` holes already subtracted).
    pub address_group_prefix: SubnetList,
}

/// `ActionListType` (only the simple action is used).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionList {
    /// `pass` or `deny` (`SimpleActionType`).
    pub simple_action: String,
}

/// `PortType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortType {
    /// First port.
    pub start_port: i32,
    /// Last port.
    pub end_port: i32,
}

/// `FirewallServiceType`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallService {
    /// `any`, a protocol name (`tcp`, `udp`, `sctp`, `icmp`) or an IP protocol number.
    pub protocol: String,
    /// Source ports (always all of them).
    pub src_ports: PortType,
    /// Destination ports.
    pub dst_ports: PortType,
}

/// `FirewallRuleEndpointType`: exactly one of its fields is set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncEndpoint {
    /// Workloads carrying every one of these tags (`type=value`, resolved in the rule's project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Addresses in this address group (`domain:project:name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_group: Option<String>,
    /// Anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<bool>,
}

/// `FirewallRuleMatchTagsType`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchTags {
    /// Tag types both ends must share (none here).
    pub tag_list: Vec<String>,
}

/// A `firewall-rule`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncFirewallRule {
    /// `[domain, project, name]`.
    pub fq_name: Vec<String>,
    /// `project`.
    pub parent_type: String,
    /// The rule's name.
    pub name: String,
    /// Pass or deny.
    pub action_list: ActionList,
    /// Protocol and ports.
    pub service: FirewallService,
    /// The deciding workload's side.
    pub endpoint_1: VncEndpoint,
    /// `<` (ingress: from endpoint_2 to endpoint_1) or `>` (egress).
    pub direction: String,
    /// The peer.
    pub endpoint_2: VncEndpoint,
    /// Required by the schema; empty.
    pub match_tags: MatchTags,
}

/// A `firewall-policy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncFirewallPolicy {
    /// `[domain, project, name]`.
    pub fq_name: Vec<String>,
    /// `project`.
    pub parent_type: String,
    /// The policy's name.
    pub name: String,
    /// Its rules, each with its sequence.
    pub firewall_rule_refs: Vec<Ref>,
}

/// An `application-policy-set`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncApplicationPolicySet {
    /// `[domain, project, name]`.
    pub fq_name: Vec<String>,
    /// `project`.
    pub parent_type: String,
    /// The set's name.
    pub name: String,
    /// Its policies, each with its sequence.
    pub firewall_policy_refs: Vec<Ref>,
    /// The `application` tag that binds it to the workloads carrying the same tag.
    pub tag_refs: Vec<Ref>,
}

/// A `virtual-machine-interface`: a workload and the tags it carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncVirtualMachineInterface {
    /// `[domain, project, name]`.
    pub fq_name: Vec<String>,
    /// `project`.
    pub parent_type: String,
    /// The interface's name (the pod's `namespace/name`, escaped).
    pub name: String,
    /// The pod's `namespace/name`.
    pub display_name: String,
    /// The pod network (required by the schema; kube-manager creates it).
    pub virtual_network_refs: Vec<Ref>,
    /// Its tags.
    pub tag_refs: Vec<Ref>,
}

/// An `instance-ip`: one address of a workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncInstanceIp {
    /// `[name]` (instance IPs live under the config root).
    pub fq_name: Vec<String>,
    /// `config-root`.
    pub parent_type: String,
    /// The object's name.
    pub name: String,
    /// The address.
    pub instance_ip_address: String,
    /// `v4` or `v6`.
    pub instance_ip_family: String,
    /// The pod network.
    pub virtual_network_refs: Vec<Ref>,
    /// The pod IPAM.
    pub network_ipam_refs: Vec<Ref>,
    /// The workload's interface.
    pub virtual_machine_interface_refs: Vec<Ref>,
}

/// Everything `vnc-json` writes, by object type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VncObjects {
    /// Tags.
    #[serde(rename = "tag")]
    pub tags: Vec<VncTag>,
    /// Address groups.
    #[serde(rename = "address-group")]
    pub address_groups: Vec<VncAddressGroup>,
    /// Firewall rules.
    #[serde(rename = "firewall-rule")]
    pub firewall_rules: Vec<VncFirewallRule>,
    /// Firewall policies.
    #[serde(rename = "firewall-policy")]
    pub firewall_policies: Vec<VncFirewallPolicy>,
    /// The application policy set.
    #[serde(rename = "application-policy-set")]
    pub application_policy_sets: Vec<VncApplicationPolicySet>,
    /// Workload interfaces and their tags.
    #[serde(rename = "virtual-machine-interface")]
    pub virtual_machine_interfaces: Vec<VncVirtualMachineInterface>,
    /// Workload addresses.
    #[serde(rename = "instance-ip")]
    pub instance_ips: Vec<VncInstanceIp>,
}
