//! Contrail objects evaluated as a vRouter agent evaluates them.
//!
//! An interface is governed by the application policy sets whose `application` tag it carries.
//! For each side of a connection (egress at the source interface, ingress at the destination),
//! the policies of those sets are taken in the order of their sequence *strings*, and the rules
//! of each policy likewise (`AclEntryID::operator<` in `src/vnsw/agent/filter/acl_entry.h`
//! compares the strings; `FirewallPolicyUuidList` in `filter/policy_set.h` is a
//! `std::map<std::string, uuid>`); the first rule whose direction, endpoints and service match
//! decides. This module shares nothing with [`crate::reference::linear`] or the compiled engine:
//! it reads only the exported objects.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use ipnet::IpNet;

use super::objects::{PortType, Ref, VncEndpoint, VncFirewallRule, VncObjects};
use crate::tuple::{Tuple, canonical_ip};

/// Why exported objects cannot be evaluated.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VncError {
    /// A reference names no exported object.
    #[error("{from} refers to missing {kind} `{to}`")]
    MissingRef {
        /// The referring object.
        from: String,
        /// The referenced object type.
        kind: &'static str,
        /// The referenced fq_name.
        to: String,
    },
    /// A field holds a value outside its type.
    #[error("{object}: field `{field}` has invalid value `{value}`")]
    InvalidValue {
        /// The object.
        object: String,
        /// The field path.
        field: &'static str,
        /// The value.
        value: String,
    },
}

/// How one side of a connection is decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VncSide {
    /// The address is no interface's.
    NotWorkload,
    /// Source and destination are the same interface.
    SameWorkload,
    /// No application policy set governs the interface.
    Unbound,
    /// The first matching rule: its name and whether it passes.
    Rule {
        /// The rule's name.
        name: String,
        /// `pass`.
        pass: bool,
    },
    /// No rule matched.
    NoMatch,
}

impl VncSide {
    /// Whether this side lets the connection through.
    pub fn allows(&self) -> bool {
        match self {
            VncSide::NotWorkload | VncSide::SameWorkload | VncSide::Unbound => true,
            VncSide::Rule { pass, .. } => *pass,
            VncSide::NoMatch => false,
        }
    }
}

/// Both sides of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VncVerdict {
    /// At the source interface.
    pub egress: VncSide,
    /// At the destination interface.
    pub ingress: VncSide,
}

impl VncVerdict {
    /// Whether both sides let the connection through.
    pub fn allowed(&self) -> bool {
        self.egress.allows() && self.ingress.allows()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Ingress,
    Egress,
}

/// An endpoint with its references resolved.
enum End {
    Any,
    Tags(Vec<String>),
    Group(Vec<IpNet>),
}

struct Rule {
    name: String,
    pass: bool,
    ingress: bool,
    egress: bool,
    protocol: Option<u8>,
    src_ports: PortType,
    dst_ports: PortType,
    end_1: End,
    end_2: End,
}

struct Interface {
    tags: BTreeSet<String>,
    /// Indexes into `Evaluator::sets` of the policy sets bound to it.
    sets: Vec<usize>,
}

/// The exported objects, resolved for evaluation.
pub struct Evaluator {
    interfaces: Vec<Interface>,
    owner: HashMap<IpAddr, usize>,
    /// Per policy set, its rules in agent order.
    sets: Vec<Vec<Rule>>,
}

fn joined(fq_name: &[String]) -> String {
    fq_name.join(":")
}

/// `refs` sorted by their sequence strings (references without one last, in order).
fn by_sequence(refs: &[Ref]) -> Vec<&Ref> {
    let mut sorted: Vec<&Ref> = refs.iter().collect();
    sorted.sort_by(|a, b| {
        let key = |r: &Ref| r.attr.as_ref().map(|s| s.sequence.clone());
        match (key(a), key(b)) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    });
    sorted
}

fn protocol_number(rule: &VncFirewallRule) -> Result<Option<u8>, VncError> {
    let text = rule.service.protocol.as_str();
    let number = match text {
        "any" => return Ok(None),
        "icmp" => 1,
        "tcp" => 6,
        "udp" => 17,
        "icmp6" => 58,
        "sctp" => 132,
        other => other.parse().map_err(|_| VncError::InvalidValue {
            object: rule.name.clone(),
            field: "service.protocol",
            value: other.to_string(),
        })?,
    };
    Ok(Some(number))
}

impl Evaluator {
    /// Resolves every reference of `objects`.
    pub fn new(objects: &VncObjects) -> Result<Evaluator, VncError> {
        let groups: HashMap<String, Vec<IpNet>> = objects
            .address_groups
            .iter()
            .map(|g| {
                let prefixes = g
                    .address_group_prefix
                    .subnet
                    .iter()
                    .map(|s| {
                        let ip: IpAddr =
                            s.ip_prefix.parse().map_err(|_| VncError::InvalidValue {
                                object: g.name.clone(),
                                field: "address_group_prefix.subnet.ip_prefix",
                                value: s.ip_prefix.clone(),
                            })?;
                        IpNet::new(ip, s.ip_prefix_len).map_err(|_| VncError::InvalidValue {
                            object: g.name.clone(),
                            field: "address_group_prefix.subnet.ip_prefix_len",
                            value: s.ip_prefix_len.to_string(),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((joined(&g.fq_name), prefixes))
            })
            .collect::<Result<_, VncError>>()?;
        let tags: HashMap<String, &str> = objects
            .tags
            .iter()
            .map(|t| (joined(&t.fq_name), t.name.as_str()))
            .collect();
        let tag_of = |from: &str, fq: &str| -> Result<String, VncError> {
            tags.get(fq)
                .map(|n| n.to_string())
                .ok_or_else(|| VncError::MissingRef {
                    from: from.to_string(),
                    kind: "tag",
                    to: fq.to_string(),
                })
        };
        let endpoint = |rule: &VncFirewallRule, end: &VncEndpoint| -> Result<End, VncError> {
            if end.any == Some(true) {
                return Ok(End::Any);
            }
            if let Some(names) = &end.tags {
                let scope = rule.fq_name.get(..rule.fq_name.len().saturating_sub(1));
                let mut out = Vec::new();
                for name in names {
                    // A tag name without `global:` resolves in the rule's own project.
                    let mut fq: Vec<String> = scope.map(<[String]>::to_vec).unwrap_or_default();
                    fq.push(name.clone());
                    out.push(tag_of(&rule.name, &joined(&fq))?);
                }
                return Ok(End::Tags(out));
            }
            if let Some(group) = &end.address_group {
                return groups.get(group).cloned().map(End::Group).ok_or_else(|| {
                    VncError::MissingRef {
                        from: rule.name.clone(),
                        kind: "address-group",
                        to: group.clone(),
                    }
                });
            }
            Err(VncError::InvalidValue {
                object: rule.name.clone(),
                field: "endpoint",
                value: "no endpoint type set".to_string(),
            })
        };
        let mut rules: HashMap<String, &VncFirewallRule> = HashMap::new();
        for rule in &objects.firewall_rules {
            rules.insert(joined(&rule.fq_name), rule);
        }
        let policies: HashMap<String, &Vec<Ref>> = objects
            .firewall_policies
            .iter()
            .map(|p| (joined(&p.fq_name), &p.firewall_rule_refs))
            .collect();
        let mut sets = Vec::new();
        let mut set_tags = Vec::new();
        for set in &objects.application_policy_sets {
            let mut ordered = Vec::new();
            for policy_ref in by_sequence(&set.firewall_policy_refs) {
                let policy =
                    policies
                        .get(&joined(&policy_ref.to))
                        .ok_or_else(|| VncError::MissingRef {
                            from: set.name.clone(),
                            kind: "firewall-policy",
                            to: joined(&policy_ref.to),
                        })?;
                for rule_ref in by_sequence(policy) {
                    let rule =
                        rules
                            .get(&joined(&rule_ref.to))
                            .ok_or_else(|| VncError::MissingRef {
                                from: joined(&policy_ref.to),
                                kind: "firewall-rule",
                                to: joined(&rule_ref.to),
                            })?;
                    let (ingress, egress) = match rule.direction.as_str() {
                        "<" => (true, false),
                        ">" => (false, true),
                        "<>" => (true, true),
                        other => {
                            return Err(VncError::InvalidValue {
                                object: rule.name.clone(),
                                field: "direction",
                                value: other.to_string(),
                            });
                        }
                    };
                    let pass = match rule.action_list.simple_action.as_str() {
                        "pass" => true,
                        "deny" => false,
                        other => {
                            return Err(VncError::InvalidValue {
                                object: rule.name.clone(),
                                field: "action_list.simple_action",
                                value: other.to_string(),
                            });
                        }
                    };
                    ordered.push(Rule {
                        name: rule.name.clone(),
                        pass,
                        ingress,
                        egress,
                        protocol: protocol_number(rule)?,
                        src_ports: rule.service.src_ports,
                        dst_ports: rule.service.dst_ports,
                        end_1: endpoint(rule, &rule.endpoint_1)?,
                        end_2: endpoint(rule, &rule.endpoint_2)?,
                    });
                }
            }
            let bound: Vec<String> = set
                .tag_refs
                .iter()
                .map(|r| tag_of(&set.name, &joined(&r.to)))
                .collect::<Result<_, _>>()?;
            sets.push(ordered);
            set_tags.push(bound);
        }
        let mut interfaces = Vec::new();
        let mut by_name = HashMap::new();
        for vmi in &objects.virtual_machine_interfaces {
            let tags: BTreeSet<String> = vmi
                .tag_refs
                .iter()
                .map(|r| tag_of(&vmi.name, &joined(&r.to)))
                .collect::<Result<_, _>>()?;
            // A set binds the interfaces carrying its application tag.
            let bound = set_tags
                .iter()
                .enumerate()
                .filter(|(_, set)| {
                    set.iter()
                        .any(|t| t.starts_with("application=") && tags.contains(t))
                })
                .map(|(i, _)| i)
                .collect();
            by_name.insert(joined(&vmi.fq_name), interfaces.len());
            interfaces.push(Interface { tags, sets: bound });
        }
        let mut owner = HashMap::new();
        for iip in &objects.instance_ips {
            let ip: IpAddr =
                iip.instance_ip_address
                    .parse()
                    .map_err(|_| VncError::InvalidValue {
                        object: iip.name.clone(),
                        field: "instance_ip_address",
                        value: iip.instance_ip_address.clone(),
                    })?;
            for vmi in &iip.virtual_machine_interface_refs {
                let index = by_name
                    .get(&joined(&vmi.to))
                    .ok_or_else(|| VncError::MissingRef {
                        from: iip.name.clone(),
                        kind: "virtual-machine-interface",
                        to: joined(&vmi.to),
                    })?;
                owner.entry(canonical_ip(ip)).or_insert(*index);
            }
        }
        Ok(Evaluator {
            interfaces,
            owner,
            sets,
        })
    }

    /// How the objects decide `tuple`.
    pub fn evaluate(&self, tuple: &Tuple) -> VncVerdict {
        let src = canonical_ip(tuple.src);
        let dst = canonical_ip(tuple.dst);
        let src_vmi = self.owner.get(&src).copied();
        let dst_vmi = self.owner.get(&dst).copied();
        if src_vmi.is_some() && src_vmi == dst_vmi {
            return VncVerdict {
                egress: VncSide::SameWorkload,
                ingress: VncSide::SameWorkload,
            };
        }
        let egress = match src_vmi {
            None => VncSide::NotWorkload,
            Some(local) => self.side(Dir::Egress, local, (dst, dst_vmi), tuple),
        };
        let ingress = match dst_vmi {
            None => VncSide::NotWorkload,
            Some(local) => self.side(Dir::Ingress, local, (src, src_vmi), tuple),
        };
        VncVerdict { egress, ingress }
    }

    fn side(
        &self,
        dir: Dir,
        local: usize,
        peer: (IpAddr, Option<usize>),
        tuple: &Tuple,
    ) -> VncSide {
        let Some(interface) = self.interfaces.get(local) else {
            return VncSide::NotWorkload;
        };
        if interface.sets.is_empty() {
            return VncSide::Unbound;
        }
        let local_ip = match dir {
            Dir::Egress => canonical_ip(tuple.src),
            Dir::Ingress => canonical_ip(tuple.dst),
        };
        for set in &interface.sets {
            let Some(rules) = self.sets.get(*set) else {
                continue;
            };
            let found = rules.iter().find(|rule| {
                (match dir {
                    Dir::Ingress => rule.ingress,
                    Dir::Egress => rule.egress,
                }) && self.matches(&rule.end_1, local_ip, Some(local))
                    && self.matches(&rule.end_2, peer.0, peer.1)
                    && service_matches(rule, tuple)
            });
            if let Some(rule) = found {
                return VncSide::Rule {
                    name: rule.name.clone(),
                    pass: rule.pass,
                };
            }
        }
        VncSide::NoMatch
    }

    fn matches(&self, end: &End, ip: IpAddr, interface: Option<usize>) -> bool {
        match end {
            End::Any => true,
            End::Tags(tags) => interface
                .and_then(|i| self.interfaces.get(i))
                .is_some_and(|i| tags.iter().all(|t| i.tags.contains(t))),
            End::Group(prefixes) => prefixes.iter().any(|p| p.contains(&ip)),
        }
    }
}

fn in_range(range: PortType, port: u16) -> bool {
    range.start_port <= i32::from(port) && i32::from(port) <= range.end_port
}

fn service_matches(rule: &Rule, tuple: &Tuple) -> bool {
    if rule.protocol.is_some_and(|p| p != tuple.protocol.number()) {
        return false;
    }
    if tuple.protocol.has_ports() {
        in_range(rule.src_ports, tuple.src_port) && in_range(rule.dst_ports, tuple.dst_port)
    } else {
        // Without ports, only a service over every port matches.
        rule.dst_ports.start_port <= 0 && rule.dst_ports.end_port >= 65535
    }
}
