//! The policy part of a [`super::Decision`]: everything compiled from the rules and address
//! groups, independent of the workload inventory, and shared (behind `Arc`) by every
//! `Decision` derived from the same firewall configuration.

use std::sync::Arc;

use ahash::AHashMap;

use super::candidate::{Candidate, PeerFilter};
use super::config::{CompileError, Config, Limit};
use super::groups::AddressClasses;
use super::holders::{Candidates, Holders};
use super::identity::{Identity, Tables};
use super::ids::{PortNameId, SelectorId, checked_id, index_u32};
use super::key::{IdentityKey, NamedPortEntry};
use super::peers::PeerSets;
use super::ports::{Coverage, ListInterner, PortTable};
use super::selector::{GroupNames, Selector};
use super::tags::TagSpace;
use crate::firewall::{Action, FirewallConfig, RuleId, ServicePorts, Workload};
use crate::model::Direction;
use crate::protocol::{PortRange, Protocol};

/// The ported protocols, in [`PortTable`] order.
const PORTED: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

/// A rule's service, with port names interned.
#[derive(Clone, Copy, Debug)]
enum CompiledService {
    /// Any protocol, any port.
    Everything,
    /// One protocol, any port.
    Protocol(Protocol),
    /// Ported protocols (one, or all three), a range of ports.
    Range(Option<Protocol>, PortRange),
    /// Ported protocols (one, or all three), the port the destination gives this name.
    Named(Option<Protocol>, PortNameId),
}

/// A rule, compiled.
#[derive(Debug)]
struct CompiledRule {
    id: RuleId,
    direction: Direction,
    action: Action,
    /// endpoint_1: which identities the rule is about.
    local: SelectorId,
    /// endpoint_2.
    peer: SelectorId,
    service: CompiledService,
}

/// Rules, selectors, tags and address classes: the compiled policies.
pub(crate) struct Policies {
    pub(crate) tags: TagSpace,
    port_names: AHashMap<String, PortNameId>,
    rules: Box<[CompiledRule]>,
    /// Endpoint selectors (endpoint_1 and endpoint_2), deduplicated.
    pub(crate) selectors: Box<[Selector]>,
    pub(crate) groups: AddressClasses,
    pub(crate) config: Config,
    /// [`FirewallConfig::tier_starts`]: where identities' rules are cut into per-tier tables.
    pub(crate) tier_starts: Box<[u32]>,
}

impl Policies {
    /// Compiles the rules and address groups of `firewall`.
    pub(crate) fn compile(
        firewall: &FirewallConfig,
        config: Config,
    ) -> Result<Policies, CompileError> {
        let rule_count = firewall
            .application_policy_set
            .policies
            .iter()
            .map(|p| p.rules.len())
            .sum();
        config.check(Limit::Rules, rule_count)?;
        let mut tags = TagSpace::default();
        let mut used_groups = vec![false; firewall.address_groups.len()];
        let group_names = GroupNames::new(&firewall.address_groups);
        let mut selector_ids: AHashMap<&crate::firewall::Endpoint, SelectorId> = AHashMap::new();
        let mut selectors = Vec::new();
        let mut port_names: AHashMap<String, PortNameId> = AHashMap::new();
        let mut rules = Vec::with_capacity(rule_count);
        for (id, _, rule) in firewall.rules() {
            // Endpoints repeat (a policy's allow rules and its deny-all share endpoint_1;
            // peers recur across policies): each is compiled and stored once.
            let mut intern = |endpoint| -> Result<SelectorId, CompileError> {
                if let Some(id) = selector_ids.get(endpoint) {
                    return Ok(*id);
                }
                let id = SelectorId::from_raw(checked_id(selectors.len(), "endpoint selectors")?);
                selectors.push(Selector::compile(
                    endpoint,
                    &mut tags,
                    &group_names,
                    &mut used_groups,
                ));
                selector_ids.insert(endpoint, id);
                Ok(id)
            };
            let local = intern(&rule.endpoint_1)?;
            let peer = intern(&rule.endpoint_2)?;
            let protocol = rule.service.protocol;
            let service = match (&rule.service.ports, protocol) {
                (ServicePorts::Any, None) => CompiledService::Everything,
                (ServicePorts::Any, Some(p)) => CompiledService::Protocol(p),
                (ServicePorts::Range(range), p) => CompiledService::Range(p, *range),
                (ServicePorts::Named(name), p) => {
                    let next = PortNameId::from_raw(checked_id(port_names.len(), "port names")?);
                    let name = *port_names.entry(name.clone()).or_insert(next);
                    CompiledService::Named(p, name)
                }
            };
            rules.push(CompiledRule {
                id,
                direction: rule.direction,
                action: rule.action,
                local,
                peer,
                service,
            });
        }
        let groups = AddressClasses::build(&firewall.address_groups, &used_groups, &config)?;
        Ok(Policies {
            tags,
            port_names,
            rules: rules.into(),
            selectors: selectors.into(),
            groups,
            config,
            tier_starts: firewall.tier_starts().iter().map(|id| id.0).collect(),
        })
    }

    /// The selector `id` names ([`Selector::Never`] for an id this build did not give out).
    pub(crate) fn selector(&self, id: SelectorId) -> &Selector {
        static NEVER: Selector = Selector::Never;
        debug_assert!(
            (id.index()) < self.selectors.len(),
            "selector {id:?} out of range"
        );
        self.selectors.get(id.index()).unwrap_or(&NEVER)
    }

    /// Rules compiled.
    pub(crate) fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The identity of a workload.
    pub(crate) fn identity_key(&self, workload: &Workload) -> IdentityKey {
        let mut named: Vec<NamedPortEntry> = Vec::new();
        for port in &workload.ports {
            let Some(name) = self.port_names.get(&port.name) else {
                continue;
            };
            // The first declaration of a name and protocol is the one that counts.
            if !named
                .iter()
                .any(|e| e.name == *name && e.protocol == port.protocol)
            {
                named.push(NamedPortEntry {
                    name: *name,
                    protocol: port.protocol,
                    port: port.port,
                });
            }
        }
        named.sort_unstable();
        IdentityKey {
            bits: self.tags.bitset(&workload.tags),
            named: named.into(),
        }
    }

    /// Builds the tables of the identities `build` (ids into `all`, every identity by id, `None`
    /// for an id no longer in use): for each, the rules whose endpoint_1 selects it, indexed,
    /// with peer sets over every identity of `all`.
    ///
    /// With `defer_peer_sets`, blocks get the set of all peers (see [`PeerSets::deferred`]).
    pub(crate) fn build_identities(
        &self,
        all: &[Option<&IdentityKey>],
        build: &[usize],
        defer_peer_sets: bool,
    ) -> Result<Vec<Identity>, CompileError> {
        let keys: Vec<IdentityKey> = build
            .iter()
            .filter_map(|id| all.get(*id).copied().flatten().cloned())
            .collect();
        let holders = Holders::new(keys.iter().map(Some), self.tags.bit_count());
        let selected = self.select_rules(&keys, &holders);
        let peers = if defer_peer_sets {
            PeerSets::deferred(&self.selectors, &self.groups, all)
        } else {
            PeerSets::new(&self.selectors, &self.groups, all, self.tags.bit_count())
        };
        let mut filters: AHashMap<SelectorId, Option<PeerFilter>> = AHashMap::new();
        let mut interner = ListInterner::new(peers);
        let mut tables: AHashMap<TableKey, Arc<PortTable>> = AHashMap::new();
        let mut identities = Vec::with_capacity(keys.len());
        for (key, [ingress_rules, egress_rules]) in keys.into_iter().zip(selected) {
            let mut context = TableContext {
                filters: &mut filters,
                tables: &mut tables,
                interner: &mut interner,
            };
            let ingress = self.tables(Direction::Ingress, ingress_rules, &key, &mut context);
            let egress = self.tables(Direction::Egress, egress_rules, &key, &mut context);
            self.config.check(Limit::Candidates, interner.entries())?;
            identities.push(Identity {
                key,
                ingress,
                egress,
                deferred: defer_peer_sets,
            });
        }
        Ok(identities)
    }

    /// For each identity, the positions of the rules (ingress, egress) whose endpoint_1 may
    /// select it, in rule order.
    fn select_rules(&self, keys: &[IdentityKey], holders: &Holders) -> Vec<[Vec<u32>; 2]> {
        let mut selected: Vec<[Vec<u32>; 2]> = vec![[Vec::new(), Vec::new()]; keys.len()];
        let all = Candidates::All(0..index_u32(keys.len()).unwrap_or(u32::MAX));
        for (rule_position, rule) in self.rules.iter().enumerate() {
            let Some(rule_position) = index_u32(rule_position) else {
                continue;
            };
            let side = match rule.direction {
                Direction::Ingress => 0,
                Direction::Egress => 1,
            };
            let test = match self.selector(rule.local) {
                Selector::Never => continue,
                Selector::Tags(test) => Some(test),
                Selector::Any | Selector::Group(_) => None,
            };
            let candidates = match test {
                Some(test) => holders.candidates(test),
                None => all.clone(),
            };
            candidates.for_each(|position| {
                let selects = match (test, keys.get(position as usize)) {
                    (Some(test), Some(key)) => test.matches(&key.bits),
                    (None, Some(_)) => true,
                    (_, None) => false,
                };
                if selects && let Some(lists) = selected.get_mut(position as usize) {
                    lists[side].push(rule_position);
                }
            });
        }
        selected
    }

    /// The port tables of `rules` (positions, in order) at identity `key`: one per tier that
    /// has some of them, in tier order.
    fn tables(
        &self,
        direction: Direction,
        rules: Vec<u32>,
        key: &IdentityKey,
        context: &mut TableContext<'_, '_>,
    ) -> Tables {
        if self.tier_starts.is_empty() {
            return std::iter::once(self.table(direction, rules, key, context)).collect();
        }
        let tier = |position: &u32| {
            let id = self.rules.get(*position as usize).map_or(0, |r| r.id.0);
            self.tier_starts.partition_point(|start| *start <= id)
        };
        rules
            .chunk_by(|a, b| tier(a) == tier(b))
            .map(|segment| self.table(direction, segment.to_vec(), key, context))
            .collect()
    }

    /// The port table of `rules` (positions, in order, of one tier) at identity `key`, shared
    /// when equal.
    fn table(
        &self,
        direction: Direction,
        rules: Vec<u32>,
        key: &IdentityKey,
        context: &mut TableContext<'_, '_>,
    ) -> Arc<PortTable> {
        // Ingress resolves named ports on the identity itself, so its named ports are part of
        // what the table depends on; egress resolves them on the peer at lookup.
        let uses_own_ports = direction == Direction::Ingress
            && rules.iter().any(|r| {
                self.rules
                    .get(*r as usize)
                    .is_some_and(|r| matches!(r.service, CompiledService::Named(..)))
            });
        let table_key = TableKey {
            direction,
            named: if uses_own_ports {
                key.named.clone()
            } else {
                Box::default()
            },
            rules,
        };
        if let Some(table) = context.tables.get(&table_key) {
            return table.clone();
        }
        let mut candidates = Vec::new();
        for rule in table_key
            .rules
            .iter()
            .filter_map(|r| self.rules.get(*r as usize))
        {
            // A rule whose endpoint_2 matches nothing can never decide.
            let filter = *context.filters.entry(rule.peer).or_insert_with(|| {
                // The rarest bit among all identities (the possible peers) filters best.
                let peers = context.interner.peers();
                self.selectors
                    .get(rule.peer.index())
                    .and_then(|s| s.filter(|bit| peers.holder_count(bit)))
            });
            if let Some(filter) = filter {
                self.cover(rule, filter, direction, &table_key.named, &mut candidates);
            }
        }
        let table = Arc::new(PortTable::build(
            &candidates,
            context.interner,
            &self.config,
        ));
        context.tables.insert(table_key, table.clone());
        table
    }

    /// Pushes the candidate for `rule` with each protocol/port coverage it has at an identity
    /// whose own named ports are `own_ports`.
    fn cover(
        &self,
        rule: &CompiledRule,
        filter: PeerFilter,
        direction: Direction,
        own_ports: &[NamedPortEntry],
        out: &mut Vec<(Candidate, Coverage)>,
    ) {
        let local_group = match self.selector(rule.local) {
            Selector::Group(group) => Some(*group),
            _ => None,
        };
        let candidate =
            |named| Candidate::new(rule.id, rule.action, rule.peer, filter, local_group, named);
        let ported = |protocol: Option<Protocol>| {
            PORTED
                .into_iter()
                .filter(move |p| protocol.is_none_or(|wanted| wanted == *p))
        };
        match rule.service {
            CompiledService::Everything => out.push((candidate(None), Coverage::Everything)),
            CompiledService::Protocol(Protocol::Other(number)) => {
                out.push((candidate(None), Coverage::Portless(number)));
            }
            CompiledService::Protocol(protocol) => {
                out.push((candidate(None), Coverage::Ported(protocol, PortRange::ALL)));
            }
            CompiledService::Range(protocol, range) => {
                for p in ported(protocol) {
                    out.push((candidate(None), Coverage::Ported(p, range)));
                }
            }
            CompiledService::Named(protocol, name) => match direction {
                // The destination is this identity: resolve now.
                Direction::Ingress => {
                    for entry in own_ports.iter().filter(|e| e.name == name) {
                        if ported(protocol).any(|p| p == entry.protocol) {
                            let port = PortRange::single(entry.port);
                            out.push((candidate(None), Coverage::Ported(entry.protocol, port)));
                        }
                    }
                }
                // The destination is the peer: check its port at lookup.
                Direction::Egress => {
                    for p in ported(protocol) {
                        out.push((candidate(Some(name)), Coverage::Ported(p, PortRange::ALL)));
                    }
                }
            },
        }
    }

    /// Heap bytes, estimated.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.tags.heap_bytes()
            + self
                .port_names
                .keys()
                .map(|k| k.capacity() + size_of::<(String, PortNameId)>())
                .sum::<usize>()
            + self.rules.len() * size_of::<CompiledRule>()
            + self.selectors.len() * size_of::<Selector>()
            + self
                .selectors
                .iter()
                .map(Selector::heap_bytes)
                .sum::<usize>()
            + self.groups.heap_bytes()
    }
}

/// What building port tables shares: the peer filters, and the tables and lists built so far.
struct TableContext<'a, 'k> {
    /// Peer filters of the selectors met so far.
    filters: &'a mut AHashMap<SelectorId, Option<PeerFilter>>,
    tables: &'a mut AHashMap<TableKey, Arc<PortTable>>,
    interner: &'a mut ListInterner<'k>,
}

/// What a port table depends on.
#[derive(PartialEq, Eq, Hash)]
struct TableKey {
    direction: Direction,
    rules: Vec<u32>,
    named: Box<[NamedPortEntry]>,
}
