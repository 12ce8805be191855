//! One NetworkPolicy as one Firewall Policy, and the tags and address groups it names.

use std::collections::BTreeSet;

use ahash::AHashSet;
use ipnet::IpNet;

use crate::firewall::{
    Action, AddressGroup, Endpoint, FirewallPolicy, FirewallRule, Service, ServicePorts, Tag, TagOp,
};
use crate::model::{Direction, IpBlock, NetworkPolicy, Peer, PolicyPort, PortRule, Rule};

use super::naming::{self, BlockPart, RuleOrigin};
use super::{Mode, TranslateWarning, endpoints};

/// The objects translation accumulates across policies, in order of first appearance.
pub struct Objects {
    mode: Mode,
    tags: Vec<Tag>,
    /// The tags already in `tags` (a hash set: a policy with per-pod `In` lists names
    /// thousands of tags, and ordered string compares were most of translation's time).
    seen_tags: AHashSet<Tag>,
    address_groups: Vec<AddressGroup>,
    group_names: BTreeSet<String>,
    warnings: Vec<TranslateWarning>,
}

impl Objects {
    /// Nothing translated yet.
    pub fn new(mode: Mode) -> Objects {
        Objects {
            mode,
            tags: Vec::new(),
            seen_tags: AHashSet::new(),
            address_groups: Vec::new(),
            group_names: BTreeSet::new(),
            warnings: Vec::new(),
        }
    }

    /// Tags, address groups and warnings, once every policy is translated.
    pub fn finish(self) -> (Vec<Tag>, Vec<AddressGroup>, Vec<TranslateWarning>) {
        (self.tags, self.address_groups, self.warnings)
    }

    /// The endpoint of a NetworkPolicy's selected pods, its tags recorded.
    pub fn selected_pods(&mut self, np: &NetworkPolicy) -> Endpoint {
        self.named(endpoints::selected_pods(np))
    }

    /// Records the tags an endpoint names (Table 1) and hands it back.
    fn named(&mut self, endpoint: Endpoint) -> Endpoint {
        if let Endpoint::Tags(terms) = &endpoint {
            for term in terms {
                let values = match &term.op {
                    TagOp::In(values) | TagOp::NotIn(values) => values,
                    TagOp::Exists | TagOp::DoesNotExist => continue,
                };
                for value in values {
                    let tag = Tag {
                        kind: term.kind,
                        key: term.key.clone(),
                        value: value.clone(),
                    };
                    if self.seen_tags.insert(tag.clone()) {
                        self.tags.push(tag);
                    }
                }
            }
        }
        endpoint
    }

    /// Adds an address group under CN2's name, or under [`naming::unique_group`]'s when another
    /// policy's group already took it, so a rule never refers to another policy's group.
    fn address_group(
        &mut self,
        namespace: &str,
        name: String,
        prefixes: Vec<IpNet>,
        except: Vec<IpNet>,
    ) -> Endpoint {
        let name = naming::unique_group(name, namespace, |taken| self.group_names.contains(taken));
        self.group_names.insert(name.clone());
        self.address_groups.push(AddressGroup {
            name: name.clone(),
            prefixes,
            except,
        });
        Endpoint::AddressGroup(name)
    }

    /// The Firewall Policy `<namespace>-<name>` of a NetworkPolicy.
    pub fn firewall_policy(&mut self, np: &NetworkPolicy) -> FirewallPolicy {
        let endpoint_1 = self.selected_pods(np);
        let mut rules: Vec<FirewallRule> = Vec::new();
        for direction in [Direction::Ingress, Direction::Egress] {
            // A direction missing from policyTypes has no effect, whatever rules it lists.
            if !np.policy_types.isolates(direction) {
                continue;
            }
            let mut blocks_seen = 0;
            for (rule_index, rule) in np.rules(direction).iter().enumerate() {
                let peers: Vec<Option<&Peer>> = match &rule.peers {
                    None => vec![None],
                    Some(peers) => peers.iter().map(Some).collect(),
                };
                for (peer_index, peer) in peers.into_iter().enumerate() {
                    let origin = |port| RuleOrigin {
                        policy: np,
                        direction,
                        rule: rule_index,
                        peer_index,
                        peer,
                        port,
                    };
                    let first_block = blocks_seen == 0;
                    if matches!(peer, Some(Peer::IpBlock(_))) {
                        blocks_seen += 1;
                    }
                    let translated = self.peer_rules(peer, &origin(0), first_block);
                    for (port_index, service) in services(rule).into_iter().enumerate() {
                        for (action, block, endpoint_2) in &translated {
                            let candidate = FirewallRule {
                                name: naming::rule(&origin(port_index), *block, self.mode),
                                action: *action,
                                service: service.clone(),
                                endpoint_1: endpoint_1.clone(),
                                direction,
                                endpoint_2: endpoint_2.clone(),
                            };
                            self.add_rule(&mut rules, candidate);
                        }
                    }
                }
            }
        }
        FirewallPolicy {
            tier: None,
            name: naming::firewall_policy(np),
            rules,
        }
    }

    /// The (action, name part, endpoint_2) of each rule one peer becomes, in order.
    fn peer_rules(
        &mut self,
        peer: Option<&Peer>,
        origin: &RuleOrigin<'_>,
        first_block: bool,
    ) -> Vec<(Action, BlockPart, Endpoint)> {
        match peer {
            None => vec![(Action::Pass, BlockPart::None, Endpoint::Any)],
            Some(Peer::Pods {
                namespace_selector,
                pod_selector,
            }) => {
                let endpoint = endpoints::pod_peer(
                    &origin.policy.namespace,
                    namespace_selector.as_ref(),
                    pod_selector.as_ref(),
                    self.mode,
                );
                vec![(Action::Pass, BlockPart::None, self.named(endpoint))]
            }
            Some(Peer::IpBlock(block)) => self.block_rules(block, origin, first_block),
        }
    }

    fn block_rules(
        &mut self,
        block: &IpBlock,
        origin: &RuleOrigin<'_>,
        first_block: bool,
    ) -> Vec<(Action, BlockPart, Endpoint)> {
        let group = naming::block_group(origin, first_block);
        let namespace = origin.policy.namespace.as_str();
        match self.mode {
            // Kubernetes: the holes belong to this block alone, so they live in its group.
            Mode::Kubernetes => {
                let endpoint =
                    self.address_group(namespace, group, vec![block.cidr], block.except.clone());
                vec![(Action::Pass, BlockPart::Cidr(block.cidr), endpoint)]
            }
            // CN2: every hole is a deny rule ahead of the pass; being first match across all
            // policies, it also shadows other policies' passes for those addresses.
            Mode::Cn2 => {
                let mut out = Vec::new();
                for (hole_index, hole) in block.except.iter().enumerate() {
                    let endpoint = self.address_group(
                        namespace,
                        naming::except_group(&group, hole_index),
                        vec![*hole],
                        Vec::new(),
                    );
                    out.push((Action::Deny, BlockPart::Except(*hole), endpoint));
                }
                let endpoint = self.address_group(namespace, group, vec![block.cidr], Vec::new());
                out.push((Action::Pass, BlockPart::Cidr(block.cidr), endpoint));
                out
            }
        }
    }

    /// Adds a rule; in CN2 a rule whose name is taken replaces the earlier one in place (Contrail
    /// names are unique, so the second create is an update of the first).
    fn add_rule(&mut self, rules: &mut Vec<FirewallRule>, rule: FirewallRule) {
        if let Some(existing) = rules.iter_mut().find(|r| r.name == rule.name) {
            self.warnings.push(TranslateWarning {
                rule: rule.name.clone(),
                message: "name collides with an earlier rule, which it replaces (CN2 leaves the \
                          rule index out of egress rule names)"
                    .to_string(),
            });
            *existing = rule;
        } else {
            rules.push(rule);
        }
    }
}

/// The services of a rule: one per port entry, or any protocol and port when there are none.
fn services(rule: &Rule) -> Vec<Service> {
    match &rule.ports {
        None => vec![Service::ANY],
        Some(ports) => ports.iter().map(service).collect(),
    }
}

fn service(port: &PortRule) -> Service {
    Service {
        protocol: Some(port.protocol),
        ports: match &port.port {
            None => ServicePorts::Any,
            Some(PolicyPort::Numbers(range)) => ServicePorts::Range(*range),
            Some(PolicyPort::Named(name)) => ServicePorts::Named(name.clone()),
        },
    }
}
