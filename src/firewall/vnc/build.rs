//! Our firewall model -> Contrail objects, exact for the inventory it is given.
//!
//! A Contrail endpoint is an AND of tags, an address group or `any`; a service carries port
//! numbers. Whatever of our model is not that is said over the workloads the configuration
//! holds, the way a controller that watches pods would keep it true:
//! - an `In` of a few values becomes one rule per value (per combination);
//! - any other selector (`NotIn`, `Exists`, `DoesNotExist`, a peer meaning every workload, a
//!   larger `In` product, or a tag type some workload carries twice) becomes one computed
//!   `label` tag attached to exactly the workloads the selector holds (`label` is the one tag
//!   type Contrail lets an object carry several of: `_validate_tag_refs` in
//!   `vnc_cfg_api_server/api_server.py`);
//! - a named port becomes one rule per port number the workloads give that name, its
//!   destination narrowed to the workloads that give it that number (a computed `label` tag, or
//!   an address group of their addresses when the destination is an address group).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;

use super::names::{escape, object_name, sequence, tag_name, tag_type};
use super::objects::{
    ActionList, FirewallService, MatchTags, PortType, Ref, Sequence, Subnet, SubnetList,
    VncAddressGroup, VncApplicationPolicySet, VncEndpoint, VncFirewallPolicy, VncFirewallRule,
    VncInstanceIp, VncObjects, VncTag, VncVirtualMachineInterface,
};
use super::{POD_IPAM, POD_NETWORK, PROJECT, VncWarning, subtract};
use crate::firewall::{
    Action, Endpoint, FirewallConfig, FirewallRule, ServicePorts, Tag, TagKind, TagOp, TagTerm,
    Workload,
};
use crate::model::Direction;
use crate::protocol::{PortRange, Protocol};
use crate::tuple::canonical_ip;

/// Above this many rules per endpoint, an `In` product is said with a computed tag instead.
const MAX_IN_PRODUCT: usize = 8;

/// One way an endpoint can be said in Contrail.
#[derive(Clone, Debug)]
enum Alt {
    Any,
    /// Tag names, all required.
    Tags(Vec<String>),
    /// An exported address group, by name.
    Group(String),
}

/// A named port resolved: protocol, name, number.
type PortKey = (Protocol, String, u16);

pub(super) struct Builder<'a> {
    config: &'a FirewallConfig,
    /// Tag types some workload carries more than one value of (cn2 mode: a pod label and a
    /// namespace label with the same key). Contrail allows one tag per type on an object.
    multi_valued: BTreeSet<(TagKind, String)>,
    /// Each address's first owner, as the engines resolve it.
    owner: HashMap<IpAddr, usize>,
    objects: VncObjects,
    tag_names: BTreeSet<String>,
    /// Plain tags rules name: their Contrail name by our tag.
    plain: BTreeMap<Tag, String>,
    /// Computed tags: name -> the workloads carrying it.
    computed: BTreeMap<String, BTreeSet<usize>>,
    computed_by_key: HashMap<String, String>,
    /// Exported address groups: name -> exact prefixes.
    groups: HashMap<String, Vec<IpNet>>,
    /// Our group names -> exported names.
    group_names: HashMap<String, String>,
    names: BTreeSet<(&'static str, String)>,
    warnings: Vec<VncWarning>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(config: &'a FirewallConfig) -> Builder<'a> {
        let mut multi_valued = BTreeSet::new();
        let mut owner = HashMap::new();
        for (index, workload) in config.workloads.iter().enumerate() {
            let mut seen = BTreeSet::new();
            for tag in &workload.tags {
                if !seen.insert((tag.kind, tag.key.clone())) {
                    multi_valued.insert((tag.kind, tag.key.clone()));
                }
            }
            for ip in &workload.ips {
                owner.entry(canonical_ip(*ip)).or_insert(index);
            }
        }
        Builder {
            config,
            multi_valued,
            owner,
            objects: VncObjects::default(),
            tag_names: BTreeSet::new(),
            plain: BTreeMap::new(),
            computed: BTreeMap::new(),
            computed_by_key: HashMap::new(),
            groups: HashMap::new(),
            group_names: HashMap::new(),
            names: BTreeSet::new(),
            warnings: Vec::new(),
        }
    }

    pub(super) fn build(mut self) -> (VncObjects, Vec<VncWarning>) {
        for group in &self.config.address_groups {
            let prefixes: Vec<IpNet> = group
                .prefixes
                .iter()
                .flat_map(|p| subtract(*p, &group.except))
                .collect();
            let name = self.address_group(&group.name, prefixes);
            // Rules name the first group of a name, as the engines look it up.
            self.group_names.entry(group.name.clone()).or_insert(name);
        }
        let aps = &self.config.application_policy_set;
        let mut policy_refs = Vec::new();
        for (index, policy) in aps.policies.iter().enumerate() {
            let mut rule_refs = Vec::new();
            for rule in &policy.rules {
                for vnc_rule in self.rules(rule) {
                    rule_refs.push(sequenced(vnc_rule.fq_name.clone(), rule_refs.len()));
                    self.objects.firewall_rules.push(vnc_rule);
                }
            }
            let name = self.unique("firewall-policy", &object_name(&policy.name));
            policy_refs.push(sequenced(fq_name(&name), index));
            self.objects.firewall_policies.push(VncFirewallPolicy {
                fq_name: fq_name(&name),
                parent_type: "project".to_string(),
                name,
                firewall_rule_refs: rule_refs,
            });
        }
        // kube-manager binds its cluster policy set with an `application=<cluster>` tag that it
        // sets on the set and on the namespaces' projects or networks, whose interfaces inherit
        // it (`tag_cluster_application_policy_set` in kube_manager/vnc/vnc_security_policy.py,
        // `set_tags` in kube_manager/vnc/vnc_namespace.py). Our objects live in one project we
        // do not create, so the tag goes on each workload's interface instead: the same binding.
        let application = self.tag("application", &escape(&aps.name));
        let aps_name = self.unique("application-policy-set", &object_name(&aps.name));
        self.objects
            .application_policy_sets
            .push(VncApplicationPolicySet {
                fq_name: fq_name(&aps_name),
                parent_type: "project".to_string(),
                name: aps_name,
                firewall_policy_refs: policy_refs,
                tag_refs: vec![plain_ref(&application)],
            });
        self.workloads(&application);
        (self.objects, self.warnings)
    }

    /// A name not yet used by an object of this type: `base`, else `base-1`, `base-2`...
    fn unique(&mut self, kind: &'static str, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 1;
        while !self.names.insert((kind, name.clone())) {
            name = format!("{base}-{k}");
            k += 1;
        }
        name
    }

    fn address_group(&mut self, base: &str, prefixes: Vec<IpNet>) -> String {
        let name = self.unique("address-group", &object_name(base));
        self.objects.address_groups.push(VncAddressGroup {
            fq_name: fq_name(&name),
            parent_type: "project".to_string(),
            name: name.clone(),
            address_group_prefix: SubnetList {
                subnet: prefixes
                    .iter()
                    .map(|p| Subnet {
                        ip_prefix: p.network().to_string(),
                        ip_prefix_len: p.prefix_len(),
                    })
                    .collect(),
            },
        });
        self.groups.insert(name.clone(), prefixes);
        name
    }

    /// The tag `type=value`, created on first use.
    fn tag(&mut self, tag_type: &str, value: &str) -> String {
        let name = format!("{tag_type}={value}");
        if self.tag_names.insert(name.clone()) {
            self.objects.tags.push(VncTag {
                fq_name: fq_name(&name),
                parent_type: "project".to_string(),
                name: name.clone(),
                tag_type_name: tag_type.to_string(),
                tag_value: value.to_string(),
            });
        }
        name
    }

    fn plain_tag(&mut self, tag: &Tag) -> String {
        let type_name = tag_type(tag.kind, &tag.key);
        let name = tag_name(&type_name, &tag.value);
        let value = escape(&tag.value);
        self.tag(&type_name, &value);
        self.plain.insert(tag.clone(), name.clone());
        name
    }

    /// A `label` tag carried by exactly `members`, one per distinct `key`.
    fn computed_tag(&mut self, key: String, prefix: &str, members: BTreeSet<usize>) -> String {
        if let Some(name) = self.computed_by_key.get(&key) {
            return name.clone();
        }
        let value = format!("tagwall-{prefix}-{}", self.computed.len());
        let name = self.tag("label", &value);
        self.computed.insert(name.clone(), members);
        self.computed_by_key.insert(key, name.clone());
        name
    }

    fn selector_tag(&mut self, terms: &[TagTerm]) -> String {
        let members = self
            .config
            .workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| terms.iter().all(|t| term_holds(t, w)))
            .map(|(i, _)| i)
            .collect();
        let key = format!("sel {terms:?}");
        self.computed_tag(key, "sel", members)
    }

    fn port_tag(&mut self, port: &PortKey) -> String {
        let (protocol, name, number) = port;
        let members = self
            .config
            .workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| named_port(w, name, *protocol) == Some(*number))
            .map(|(i, _)| i)
            .collect();
        let key = format!("port {protocol} {name} {number}");
        let prefix = format!(
            "port-{}-{}-{number}",
            protocol.to_string().to_ascii_lowercase(),
            escape(name)
        );
        self.computed_tag(key, &prefix, members)
    }

    fn alternatives(&mut self, endpoint: &Endpoint, local: bool) -> Vec<Alt> {
        match endpoint {
            Endpoint::Any => vec![Alt::Any],
            // endpoint_1 always holds the deciding workload, so "every workload" is `any` there;
            // as a peer it must not admit addresses that are no workload's.
            Endpoint::Tags(terms) if terms.is_empty() && local => vec![Alt::Any],
            Endpoint::Tags(terms) => match self.in_product(terms) {
                Some(product) => product
                    .into_iter()
                    .map(|tags| Alt::Tags(tags.iter().map(|t| self.plain_tag(t)).collect()))
                    .collect(),
                None => vec![Alt::Tags(vec![self.selector_tag(terms)])],
            },
            // A group we do not have matches nothing, as in the engines.
            Endpoint::AddressGroup(name) => match self.group_names.get(name) {
                Some(group) => vec![Alt::Group(group.clone())],
                None => Vec::new(),
            },
        }
    }

    /// The AND-of-tags alternatives of `terms` when every term is an `In` over a tag type no
    /// workload carries twice, and there are few enough of them.
    fn in_product(&self, terms: &[TagTerm]) -> Option<Vec<Vec<Tag>>> {
        if terms.is_empty() {
            return None;
        }
        let mut product = vec![Vec::new()];
        for term in terms {
            let TagOp::In(values) = &term.op else {
                return None;
            };
            if self.multi_valued.contains(&(term.kind, term.key.clone()))
                || product.len() * values.len() > MAX_IN_PRODUCT
            {
                return None;
            }
            product = product
                .iter()
                .flat_map(|prefix: &Vec<Tag>| {
                    values.iter().map(move |value| {
                        let mut next = prefix.clone();
                        next.push(Tag {
                            kind: term.kind,
                            key: term.key.clone(),
                            value: value.clone(),
                        });
                        next
                    })
                })
                .collect();
        }
        Some(product)
    }

    /// `alt` narrowed to destinations that give `port.1` the number `port.2`, or `None` when
    /// no address is left.
    fn constrain(&mut self, alt: &Alt, port: &PortKey) -> Option<Alt> {
        match alt {
            Alt::Any => Some(Alt::Tags(vec![self.port_tag(port)])),
            Alt::Tags(tags) => {
                let mut tags = tags.clone();
                tags.push(self.port_tag(port));
                Some(Alt::Tags(tags))
            }
            Alt::Group(group) => {
                let prefixes = self.groups.get(group)?.clone();
                let (protocol, name, number) = port;
                let mut hosts: Vec<IpNet> =
                    self.owner
                        .iter()
                        .filter(|(ip, owner)| {
                            prefixes.iter().any(|p| p.contains(*ip))
                                && self.config.workloads.get(**owner).is_some_and(|w| {
                                    named_port(w, name, *protocol) == Some(*number)
                                })
                        })
                        .map(|(ip, _)| IpNet::from(*ip))
                        .collect();
                if hosts.is_empty() {
                    return None;
                }
                hosts.sort();
                let base = format!(
                    "{group}-{}-{}-{number}",
                    protocol.to_string().to_ascii_lowercase(),
                    name
                );
                Some(Alt::Group(self.address_group(&base, hosts)))
            }
        }
    }

    /// The services a rule becomes: each with the named port it resolved, if any.
    fn services(&self, rule: &FirewallRule) -> Vec<(Option<Protocol>, PortRange, Option<PortKey>)> {
        let protocols: Vec<Option<Protocol>> = match (rule.service.protocol, &rule.service.ports) {
            (None, ServicePorts::Any) => vec![None],
            // Port numbers only ever match protocols that have ports.
            (None, _) => [Protocol::Tcp, Protocol::Udp, Protocol::Sctp]
                .into_iter()
                .map(Some)
                .collect(),
            (Some(p), _) => vec![Some(p)],
        };
        let mut out = Vec::new();
        for protocol in protocols {
            match (&rule.service.ports, protocol) {
                (ServicePorts::Any, _) => out.push((protocol, PortRange::ALL, None)),
                // Ports of a protocol without ports match nothing, even all of them.
                (_, Some(p)) if !p.has_ports() => {}
                (ServicePorts::Range(range), _) => out.push((protocol, *range, None)),
                (ServicePorts::Named(name), Some(protocol)) => {
                    let numbers: BTreeSet<u16> = self
                        .config
                        .workloads
                        .iter()
                        .filter_map(|w| named_port(w, name, protocol))
                        .collect();
                    for number in numbers {
                        out.push((
                            Some(protocol),
                            PortRange::single(number),
                            Some((protocol, name.clone(), number)),
                        ));
                    }
                }
                (ServicePorts::Named(_), None) => {}
            }
        }
        out
    }

    /// The Contrail rules for one of ours, in order; none when it matches nothing here.
    fn rules(&mut self, rule: &FirewallRule) -> Vec<VncFirewallRule> {
        let ends_1 = self.alternatives(&rule.endpoint_1, true);
        let ends_2 = self.alternatives(&rule.endpoint_2, false);
        let mut combos = Vec::new();
        for (protocol, range, port) in self.services(rule) {
            for end_1 in &ends_1 {
                for end_2 in &ends_2 {
                    let pair = match (&port, rule.direction) {
                        (None, _) => Some((end_1.clone(), end_2.clone())),
                        // The named port is the destination's: endpoint_1 on ingress.
                        (Some(port), Direction::Ingress) => {
                            self.constrain(end_1, port).map(|e| (e, end_2.clone()))
                        }
                        (Some(port), Direction::Egress) => {
                            self.constrain(end_2, port).map(|e| (end_1.clone(), e))
                        }
                    };
                    if let Some((end_1, end_2)) = pair {
                        combos.push((protocol, range, end_1, end_2));
                    }
                }
            }
        }
        if combos.is_empty() {
            self.warnings.push(VncWarning {
                rule: rule.name.clone(),
                message: "matches no connection of this inventory, so it is left out".to_string(),
            });
        }
        // Contrail has no tier pass (ClusterNetworkPolicy `Pass`: skip the rest of the Admin
        // tier). Left out, it would let a later Accept of its tier allow what it hands to
        // NetworkPolicy; said as `deny` it can only allow less, and `--verify` reports the
        // connections where that is stricter than tagwall.
        if rule.action == Action::Next && !combos.is_empty() {
            self.warnings.push(VncWarning {
                rule: rule.name.clone(),
                message: "a tier pass (`next`) cannot be said in Contrail; a `deny` rule stands \
                          in for it, which allows less than the pass"
                    .to_string(),
            });
        }
        let many = combos.len() > 1;
        let base = object_name(&rule.name);
        let mut out = Vec::new();
        for (index, (protocol, range, end_1, end_2)) in combos.into_iter().enumerate() {
            let wanted = if many {
                format!("{base}-e{index}")
            } else {
                base.clone()
            };
            let name = self.unique("firewall-rule", &wanted);
            out.push(VncFirewallRule {
                fq_name: fq_name(&name),
                parent_type: "project".to_string(),
                name,
                action_list: ActionList {
                    simple_action: match rule.action {
                        Action::Pass => "pass".to_string(),
                        Action::Deny | Action::Next => "deny".to_string(),
                    },
                },
                service: FirewallService {
                    protocol: protocol.map_or("any".to_string(), protocol_name),
                    src_ports: port_type(PortRange::ALL),
                    dst_ports: port_type(range),
                },
                endpoint_1: self.endpoint(end_1),
                direction: match rule.direction {
                    Direction::Ingress => "<".to_string(),
                    Direction::Egress => ">".to_string(),
                },
                endpoint_2: self.endpoint(end_2),
                match_tags: MatchTags::default(),
            });
        }
        out
    }

    fn endpoint(&self, alt: Alt) -> VncEndpoint {
        match alt {
            Alt::Any => VncEndpoint {
                any: Some(true),
                ..VncEndpoint::default()
            },
            Alt::Tags(tags) => VncEndpoint {
                tags: Some(tags),
                ..VncEndpoint::default()
            },
            Alt::Group(name) => VncEndpoint {
                address_group: Some(fq_name(&name).join(":")),
                ..VncEndpoint::default()
            },
        }
    }

    /// One interface per workload with the tags rules name, and one instance IP per address.
    ///
    /// kube-manager carries a pod's labels as tag references of its interface
    /// (`_set_tags_on_pod_vmi` in `kube_manager/vnc/vnc_pod.py`), which is what the agent
    /// matches rule tags against; tags no rule names change no decision and are not exported.
    fn workloads(&mut self, application: &str) {
        let network = plain_ref_fq(POD_NETWORK.iter().map(|s| s.to_string()).collect());
        let ipam = plain_ref_fq(POD_IPAM.iter().map(|s| s.to_string()).collect());
        for (index, workload) in self.config.workloads.iter().enumerate() {
            let mut tags: BTreeSet<String> = workload
                .tags
                .iter()
                .filter_map(|t| self.plain.get(t).cloned())
                .collect();
            tags.extend(
                self.computed
                    .iter()
                    .filter(|(_, members)| members.contains(&index))
                    .map(|(name, _)| name.clone()),
            );
            tags.insert(application.to_string());
            let name = self.unique("virtual-machine-interface", &object_name(&workload.name));
            let vmi_fq_name = fq_name(&name);
            for ip in &workload.ips {
                let ip_name = self.unique(
                    "instance-ip",
                    &object_name(&format!("{}-{ip}", workload.name)),
                );
                self.objects.instance_ips.push(VncInstanceIp {
                    fq_name: vec![ip_name.clone()],
                    parent_type: "config-root".to_string(),
                    name: ip_name,
                    instance_ip_address: ip.to_string(),
                    instance_ip_family: if ip.is_ipv4() { "v4" } else { "v6" }.to_string(),
                    virtual_network_refs: vec![network.clone()],
                    network_ipam_refs: vec![ipam.clone()],
                    virtual_machine_interface_refs: vec![plain_ref_fq(vmi_fq_name.clone())],
                });
            }
            self.objects
                .virtual_machine_interfaces
                .push(VncVirtualMachineInterface {
                    fq_name: vmi_fq_name,
                    parent_type: "project".to_string(),
                    name,
                    display_name: workload.name.clone(),
                    virtual_network_refs: vec![network.clone()],
                    tag_refs: tags.iter().map(|t| plain_ref(t)).collect(),
                });
        }
    }
}

fn fq_name(name: &str) -> Vec<String> {
    vec![
        PROJECT[0].to_string(),
        PROJECT[1].to_string(),
        name.to_string(),
    ]
}

fn sequenced(to: Vec<String>, index: usize) -> Ref {
    Ref {
        to,
        attr: Some(Sequence {
            sequence: sequence(index),
        }),
    }
}

fn plain_ref(name: &str) -> Ref {
    plain_ref_fq(fq_name(name))
}

fn plain_ref_fq(to: Vec<String>) -> Ref {
    Ref { to, attr: None }
}

fn port_type(range: PortRange) -> PortType {
    PortType {
        start_port: i32::from(range.start),
        end_port: i32::from(range.end),
    }
}

/// The API server's protocol names (`cfgm_common.protocols`) for ours, numbers otherwise.
fn protocol_name(protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => "tcp".to_string(),
        Protocol::Udp => "udp".to_string(),
        Protocol::Sctp => "sctp".to_string(),
        Protocol::Other(n) => n.to_string(),
    }
}

fn term_holds(term: &TagTerm, workload: &Workload) -> bool {
    term.holds(workload)
}

/// The number a workload gives a named port for a protocol: its first such declaration.
fn named_port(workload: &Workload, name: &str, protocol: Protocol) -> Option<u16> {
    workload
        .ports
        .iter()
        .find(|p| p.name == name && p.protocol == protocol)
        .map(|p| p.port)
}
