//! [`ClusterState`]: the cluster as the watch events so far describe it, and the decision for it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use ahash::AHashMap;
use arc_swap::ArcSwap;
use serde::Deserialize;

use super::error::EventError;
use super::published::{Reader, RuleBook, publish};
use super::stream::{EventType, WatchEvent};
use crate::compile::{Builder, CompileError, Decision};
use crate::engine::Engine;
use crate::firewall::{FirewallConfig, Workload};
use crate::k8s::{Known, LoadOptions, Loader};
use crate::model::{
    Cluster, ClusterPolicy, ClusterPolicyKind, LocalNodeRule, NAMESPACE_NAME_LABEL, Namespace,
    NetworkPolicy, Node, Pod,
};
use crate::translate::{Mode, translate, workload};

/// `(namespace, name)`.
type Key = (String, String);

/// What an applied event changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// Pods added, changed or removed: the decision followed by [`Decision::update`].
    Pods,
    /// A namespace's labels changed: its pods' workloads followed by [`Decision::update`].
    Namespace,
    /// Policies changed: the decision was rebuilt (see [`ClusterState::apply`]).
    Policies,
    /// Nothing network policy reads changed (a status update, a bookmark, an equal object):
    /// nothing was published.
    Unchanged,
    /// An object of a kind tagwall does not read.
    Ignored,
}

/// The outcome of one applied event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// What changed.
    pub change: Change,
    /// The object kind, for per-kind accounting (`None` for bookmarks and other kinds).
    pub kind: Option<ObjectKind>,
    /// The generation published, if one was.
    pub generation: Option<u64>,
}

/// The kinds tagwall reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// `v1` Namespace.
    Namespace,
    /// `v1` Pod.
    Pod,
    /// `networking.k8s.io/v1` NetworkPolicy.
    NetworkPolicy,
    /// `v1` Node.
    Node,
    /// `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy.
    ClusterNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy.
    AdminNetworkPolicy,
    /// `policy.networking.k8s.io/v1alpha1` BaselineAdminNetworkPolicy.
    BaselineAdminNetworkPolicy,
}

impl ObjectKind {
    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Namespace => "Namespace",
            ObjectKind::Pod => "Pod",
            ObjectKind::NetworkPolicy => "NetworkPolicy",
            ObjectKind::Node => "Node",
            ObjectKind::ClusterNetworkPolicy => "ClusterNetworkPolicy",
            ObjectKind::AdminNetworkPolicy => "AdminNetworkPolicy",
            ObjectKind::BaselineAdminNetworkPolicy => "BaselineAdminNetworkPolicy",
        }
    }
}

/// The identifying fields of an object, read before (or instead of) validating it.
#[derive(Deserialize)]
struct Header {
    kind: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    metadata: HeaderMetadata,
}

#[derive(Default, Deserialize)]
struct HeaderMetadata {
    name: Option<String>,
    namespace: Option<String>,
}

/// An `ERROR` event's `Status`.
#[derive(Deserialize)]
struct Status {
    code: Option<i64>,
    reason: Option<String>,
    message: Option<String>,
}

/// The cluster a stream of watch events describes, and the [`Decision`] for it, published
/// through an [`Engine`] after every event that changes what network policy sees.
///
/// Each event is validated exactly as the loader validates the same object in a file; an event
/// that fails (invalid object, clashing pod IP, exceeded limit) is returned as an
/// [`EventError`] and changes nothing. What each kind of event costs:
///
/// - **Pods** (add, relabel, delete): [`Decision::update`] of that one workload, sharing
///   everything else with the previous decision.
/// - **Namespaces** (labels): [`Decision::update`] of that namespace's pods, whose workloads
///   carry its labels; policies do not depend on namespaces' labels (namespace selectors are
///   matched on workloads), so nothing is recompiled.
/// - **NetworkPolicies** (add, edit, delete): the firewall is translated again and compiled by
///   one step (`rebuild`), today a full build; the pods' workloads are kept, not translated again.
///
/// Every published decision answers as a fresh load, translate and compile of the same state
/// would: a property test checks this after every event of random sequences.
///
/// ```
/// use tagwall::compile::Builder;
/// use tagwall::translate::Mode;
/// use tagwall::watch::{ClusterState, Change, events};
///
/// let initial = tagwall::k8s::load_str("initial.yaml", "
/// kind: Pod
/// metadata: {name: a, labels: {app: a}}
/// status: {podIP: 10.0.0.1}
/// ")?.cluster;
/// let mut state = ClusterState::new(initial, Mode::Kubernetes, Builder::default(), Default::default())?;
/// let stream = br#"{"type": "ADDED", "object": {"kind": "Pod", "metadata": {"name": "b"}, "status": {"podIP": "10.0.0.2"}}}
/// {"type": "MODIFIED", "object": {"kind": "Pod", "metadata": {"name": "b"}, "spec": {"hostNetwork": "yes"}}}
/// "#;
/// let mut applied = Vec::new();
/// for event in events("watch.json", stream) {
///     applied.push(event.and_then(|e| state.apply(&e)).map(|a| a.change).map_err(|e| e.to_string()));
/// }
/// assert_eq!(applied[0], Ok(Change::Pods));
/// assert!(applied[1].as_ref().unwrap_err().contains("watch.json: event 2 (line 2): Pod default/b: spec.hostNetwork"));
/// assert_eq!(state.engine().snapshot().workload_count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClusterState {
    mode: Mode,
    builder: Builder,
    options: LoadOptions,
    /// Namespaces read (from the initial cluster or events); others are implied by their pods
    /// and policies, with only the `kubernetes.io/metadata.name` label, as the loader implies them.
    namespaces: BTreeMap<String, Namespace>,
    pods: BTreeMap<Key, Pod>,
    policies: BTreeMap<Key, NetworkPolicy>,
    /// Nodes by name.
    nodes: BTreeMap<String, Node>,
    /// Tier policies by kind and name.
    cluster_policies: BTreeMap<(ClusterPolicyKind, String), ClusterPolicy>,
    /// Whether the local-node rule applies (from the initial cluster).
    local_node_rule: LocalNodeRule,
    /// Pods whose node is known (host IPs or a node name): with the local-node rule, their
    /// workloads' node tags depend on the whole cluster.
    pods_on_nodes: usize,
    /// Which pod holds each IP: a second pod on one IP is refused, as files refuse it.
    ip_owners: AHashMap<IpAddr, Key>,
    /// The pods' workloads, kept as pods and namespaces change so a policy change translates
    /// only the policies (workloads are half of a full translation's time at 50k pods). Order
    /// is free: addresses are unique, so no lookup depends on it.
    workloads: Workloads,
    reader: Reader,
}

/// Workloads by pod, in a vector a [`FirewallConfig`] can borrow.
#[derive(Default)]
struct Workloads {
    list: Vec<Workload>,
    keys: Vec<Key>,
    at: AHashMap<Key, usize>,
}

impl Workloads {
    fn put(&mut self, key: &Key, workload: Workload) {
        match self.at.get(key).and_then(|at| self.list.get_mut(*at)) {
            Some(slot) => *slot = workload,
            None => {
                self.at.insert(key.clone(), self.list.len());
                self.list.push(workload);
                self.keys.push(key.clone());
            }
        }
    }

    fn remove(&mut self, key: &Key) {
        let Some(at) = self.at.remove(key) else {
            return;
        };
        if at >= self.list.len() {
            return;
        }
        self.list.swap_remove(at);
        self.keys.swap_remove(at);
        if let Some(moved) = self.keys.get(at) {
            self.at.insert(moved.clone(), at);
        }
    }
}

impl ClusterState {
    /// The state of `cluster` (every namespace in it counts as read), its decision compiled by
    /// `builder` and published as generation 1. Events are validated with `options` (always
    /// strictly: an invalid event is refused, whatever `options.lenient` says).
    pub fn new(
        cluster: Cluster,
        mode: Mode,
        builder: Builder,
        options: LoadOptions,
    ) -> Result<ClusterState, CompileError> {
        let translation = translate(&cluster, mode);
        let decision = builder.build(&translation.config)?;
        let mut ip_owners = AHashMap::new();
        let mut pods = BTreeMap::new();
        let pods_on_nodes = cluster.pods.iter().filter(|p| on_a_node(p)).count();
        let mut workloads = Workloads::default();
        // `translate` gives one workload per pod, in the cluster's pod order.
        for (pod, workload) in cluster
            .pods
            .into_iter()
            .zip(translation.config.workloads.iter())
        {
            let key = (pod.namespace.clone(), pod.name.clone());
            for ip in &pod.ips {
                ip_owners.insert(*ip, key.clone());
            }
            workloads.put(&key, workload.clone());
            pods.insert(key, pod);
        }
        let reader = Reader {
            engine: Arc::new(Engine::new(decision)),
            rules: Arc::new(ArcSwap::from_pointee(RuleBook::new(&translation.config, 1))),
        };
        Ok(ClusterState {
            mode,
            builder,
            options: LoadOptions {
                lenient: false,
                ..options
            },
            namespaces: cluster.namespaces,
            nodes: cluster
                .nodes
                .into_iter()
                .map(|n| (n.name.clone(), n))
                .collect(),
            cluster_policies: cluster
                .cluster_policies
                .into_iter()
                .map(|p| ((p.kind, p.name.clone()), p))
                .collect(),
            local_node_rule: cluster.local_node_rule,
            pods_on_nodes,
            pods,
            policies: cluster
                .policies
                .into_iter()
                .map(|p| ((p.namespace.clone(), p.name.clone()), p))
                .collect(),
            ip_owners,
            workloads,
            reader,
        })
    }

    /// The engine the decisions are published through. Publish only through the state: a
    /// decision swapped in by hand would have no rule names.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.reader.engine
    }

    /// A handle for lookup threads: decisions with their rule names.
    pub fn reader(&self) -> Reader {
        self.reader.clone()
    }

    /// The cluster as it stands, as the loader would give it for the same objects.
    pub fn cluster(&self) -> Cluster {
        let mut namespaces = self.namespaces.clone();
        let implied = self
            .pods
            .keys()
            .chain(self.policies.keys())
            .map(|(namespace, _)| namespace);
        for name in implied {
            if !namespaces.contains_key(name) {
                namespaces.insert(name.clone(), implied_namespace(name));
            }
        }
        let mut cluster_policies: Vec<ClusterPolicy> =
            self.cluster_policies.values().cloned().collect();
        cluster_policies.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        Cluster {
            namespaces,
            pods: self.pods.values().cloned().collect(),
            policies: self.policies.values().cloned().collect(),
            nodes: self.nodes.values().cloned().collect(),
            cluster_policies,
            local_node_rule: self.local_node_rule,
        }
    }

    /// Whether a change must translate the whole cluster again: tier policies and nodes are
    /// translated with it, and under the local-node rule a pod's workload carries a node tag
    /// named across all pods.
    fn whole_cluster(&self) -> bool {
        !self.nodes.is_empty()
            || !self.cluster_policies.is_empty()
            || (self.pods_on_nodes > 0
                && self.local_node_rule == LocalNodeRule::On
                && self.mode == Mode::Kubernetes)
    }

    /// Translates and compiles the whole cluster, as a fresh load would, keeps its workloads
    /// and publishes the decision.
    fn rebuild_whole(&mut self) -> Result<u64, CompileError> {
        let cluster = self.cluster();
        let translation = translate(&cluster, self.mode);
        let decision = self.builder.build(&translation.config)?;
        let mut workloads = Workloads::default();
        // `translate` gives one workload per pod, in the cluster's (this state's) pod order.
        for (key, workload) in self.pods.keys().zip(&translation.config.workloads) {
            workloads.put(key, workload.clone());
        }
        self.workloads = workloads;
        Ok(publish(&self.reader, decision, Some(&translation.config)))
    }

    /// Applies one event and publishes the decision for the new state, if it changed. On error
    /// nothing changed.
    pub fn apply(&mut self, event: &WatchEvent) -> Result<Applied, EventError> {
        let unchanged = |kind| Applied {
            change: Change::Unchanged,
            kind,
            generation: None,
        };
        match event.event_type {
            EventType::Bookmark => return Ok(unchanged(None)),
            EventType::Error => {
                let message = match serde_json::from_str::<Status>(event.object.get()) {
                    Ok(status) => [
                        status.code.map(|c| c.to_string()),
                        status.reason,
                        status.message,
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": "),
                    Err(_) => String::new(),
                };
                return Err(EventError::Watch {
                    position: event.position.clone(),
                    message: crate::k8s::tidy_message(if message.is_empty() {
                        "no status given"
                    } else {
                        &message
                    }),
                });
            }
            EventType::Added | EventType::Modified | EventType::Deleted => {}
        }
        let source = event.position.to_string();
        let deleted = event.event_type == EventType::Deleted;
        // An object being added or changed is validated first, so its errors are the loader's
        // whatever shape it has; a deletion needs only the object's kind and name.
        let loaded = if deleted {
            None
        } else {
            let mut loader = Loader::new(self.options.clone());
            loader.add_bytes(&source, event.object.get().as_bytes())?;
            Some(loader.finish()?.cluster)
        };
        let header: Header =
            serde_json::from_str(event.object.get()).map_err(|error| EventError::Malformed {
                position: event.position.clone(),
                message: format!("object: {}", crate::k8s::tidy_message(&error.to_string())),
            })?;
        let kind = header.kind.as_deref().unwrap_or_default();
        let Some(known) = Known::of(kind, header.api_version.as_deref()) else {
            return Ok(Applied {
                change: Change::Ignored,
                kind: None,
                generation: None,
            });
        };
        let name = header.metadata.name.unwrap_or_default();
        let namespace = || {
            header
                .metadata
                .namespace
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "default".to_string())
        };
        let compile_error = |error| EventError::Compile {
            position: event.position.clone(),
            error,
        };
        match known {
            Known::Pod => {
                let pod = loaded.and_then(|c| c.pods.into_iter().next());
                let key = match &pod {
                    Some(pod) => (pod.namespace.clone(), pod.name.clone()),
                    None => (namespace(), name),
                };
                let generation = match pod {
                    Some(pod) => self.put_pod(key, pod, event)?,
                    // Deleted, or left out (host network, finished): gone for network policy.
                    None => self.remove_pod(&key).map_err(compile_error)?,
                };
                Ok(applied(Change::Pods, ObjectKind::Pod, generation))
            }
            Known::Namespace => {
                let read = loaded.and_then(|mut c| c.namespaces.remove(&name));
                let generation = self.put_namespace(&name, read).map_err(compile_error)?;
                Ok(applied(
                    Change::Namespace,
                    ObjectKind::Namespace,
                    generation,
                ))
            }
            Known::Node => {
                let node = loaded.and_then(|c| c.nodes.into_iter().next());
                let before = self.nodes.get(&name).cloned();
                if before == node {
                    return Ok(applied(Change::Unchanged, ObjectKind::Node, None));
                }
                match &node {
                    Some(node) => self.nodes.insert(name.clone(), node.clone()),
                    None => self.nodes.remove(&name),
                };
                let generation = self.rebuild_whole().map_err(|error| {
                    match before {
                        Some(before) => self.nodes.insert(name.clone(), before),
                        None => self.nodes.remove(&name),
                    };
                    compile_error(error)
                })?;
                Ok(applied(
                    Change::Policies,
                    ObjectKind::Node,
                    Some(generation),
                ))
            }
            Known::ClusterNetworkPolicy
            | Known::AdminNetworkPolicy
            | Known::BaselineAdminNetworkPolicy => {
                let (policy_kind, object_kind) = match known {
                    Known::ClusterNetworkPolicy => (
                        ClusterPolicyKind::ClusterNetworkPolicy,
                        ObjectKind::ClusterNetworkPolicy,
                    ),
                    Known::AdminNetworkPolicy => (
                        ClusterPolicyKind::AdminNetworkPolicy,
                        ObjectKind::AdminNetworkPolicy,
                    ),
                    _ => (
                        ClusterPolicyKind::BaselineAdminNetworkPolicy,
                        ObjectKind::BaselineAdminNetworkPolicy,
                    ),
                };
                let key = (policy_kind, name);
                let policy = loaded.and_then(|c| c.cluster_policies.into_iter().next());
                let before = self.cluster_policies.get(&key).cloned();
                if before == policy {
                    return Ok(applied(Change::Unchanged, object_kind, None));
                }
                match &policy {
                    Some(policy) => self.cluster_policies.insert(key.clone(), policy.clone()),
                    None => self.cluster_policies.remove(&key),
                };
                let generation = self.rebuild_whole().map_err(|error| {
                    match before {
                        Some(before) => self.cluster_policies.insert(key.clone(), before),
                        None => self.cluster_policies.remove(&key),
                    };
                    compile_error(error)
                })?;
                Ok(applied(Change::Policies, object_kind, Some(generation)))
            }
            Known::NetworkPolicy => {
                let policy = loaded.and_then(|c| c.policies.into_iter().next());
                let key = match &policy {
                    Some(policy) => (policy.namespace.clone(), policy.name.clone()),
                    None => (namespace(), name),
                };
                let generation = self.put_policy(key, policy).map_err(compile_error)?;
                Ok(applied(
                    Change::Policies,
                    ObjectKind::NetworkPolicy,
                    generation,
                ))
            }
        }
    }

    /// Adds or replaces a pod.
    fn put_pod(
        &mut self,
        key: Key,
        pod: Pod,
        event: &WatchEvent,
    ) -> Result<Option<u64>, EventError> {
        if self.pods.get(&key) == Some(&pod) {
            return Ok(None);
        }
        if let Some((ip, other)) = pod.ips.iter().find_map(|ip| {
            self.ip_owners
                .get(ip)
                .filter(|o| **o != key)
                .map(|o| (*ip, o))
        }) {
            return Err(EventError::DuplicateIp {
                position: event.position.clone(),
                pod: pod.key(),
                ip,
                other: format!("{}/{}", other.0, other.1),
            });
        }
        if self.whole_cluster() || on_a_node(&pod) {
            let old = self.insert_pod(key.clone(), pod);
            return match self.rebuild_whole() {
                Ok(generation) => Ok(Some(generation)),
                Err(error) => {
                    match old {
                        Some(old) => self.insert_pod(key, old),
                        None => self.take_pod(&key),
                    };
                    Err(EventError::Compile {
                        position: event.position.clone(),
                        error,
                    })
                }
            };
        }
        let workload = workload(&pod, Some(&self.namespace_of(&pod.namespace)), self.mode);
        let decision = self
            .reader
            .engine
            .snapshot()
            .update(std::slice::from_ref(&workload), &[])
            .map_err(|error| EventError::Compile {
                position: event.position.clone(),
                error,
            })?;
        self.insert_pod(key.clone(), pod);
        self.workloads.put(&key, workload);
        Ok(Some(publish(&self.reader, decision, None)))
    }

    /// Puts `pod` under `key` with its IP claims, and hands back the pod it replaced.
    fn insert_pod(&mut self, key: Key, pod: Pod) -> Option<Pod> {
        self.pods_on_nodes += usize::from(on_a_node(&pod));
        let old = self.take_pod(&key);
        for ip in &pod.ips {
            self.ip_owners.insert(*ip, key.clone());
        }
        self.pods.insert(key, pod);
        old
    }

    /// Removes the pod under `key` and its IP claims.
    fn take_pod(&mut self, key: &Key) -> Option<Pod> {
        let old = self.pods.remove(key)?;
        self.pods_on_nodes -= usize::from(on_a_node(&old));
        for ip in &old.ips {
            if self.ip_owners.get(ip) == Some(key) {
                self.ip_owners.remove(ip);
            }
        }
        Some(old)
    }

    fn remove_pod(&mut self, key: &Key) -> Result<Option<u64>, CompileError> {
        if !self.pods.contains_key(key) {
            return Ok(None);
        }
        if self.whole_cluster() {
            let Some(old) = self.take_pod(key) else {
                return Ok(None);
            };
            return match self.rebuild_whole() {
                Ok(generation) => Ok(Some(generation)),
                Err(error) => {
                    self.insert_pod(key.clone(), old);
                    Err(error)
                }
            };
        }
        let name = format!("{}/{}", key.0, key.1);
        let decision = self.reader.engine.snapshot().update(&[], &[&name])?;
        self.take_pod(key);
        self.workloads.remove(key);
        Ok(Some(publish(&self.reader, decision, None)))
    }

    /// Sets (or with `None`, forgets) a namespace read from an event.
    fn put_namespace(
        &mut self,
        name: &str,
        namespace: Option<Namespace>,
    ) -> Result<Option<u64>, CompileError> {
        let before = self.namespace_of(name);
        let after = namespace.clone().unwrap_or_else(|| implied_namespace(name));
        if before.labels == after.labels {
            self.set_namespace(name, namespace);
            return Ok(None);
        }
        if self.whole_cluster() {
            let old = self.namespaces.get(name).cloned();
            self.set_namespace(name, namespace);
            return match self.rebuild_whole() {
                Ok(generation) => Ok(Some(generation)),
                Err(error) => {
                    self.set_namespace(name, old);
                    Err(error)
                }
            };
        }
        let (keys, workloads): (Vec<Key>, Vec<Workload>) = self
            .pods_of(name)
            .map(|pod| {
                let key = (pod.namespace.clone(), pod.name.clone());
                (key, workload(pod, Some(&after), self.mode))
            })
            .unzip();
        let generation = if workloads.is_empty() {
            None
        } else {
            let decision = self.reader.engine.snapshot().update(&workloads, &[])?;
            for (key, workload) in keys.iter().zip(workloads) {
                self.workloads.put(key, workload);
            }
            Some(publish(&self.reader, decision, None))
        };
        self.set_namespace(name, namespace);
        Ok(generation)
    }

    fn set_namespace(&mut self, name: &str, namespace: Option<Namespace>) {
        match namespace {
            Some(namespace) => self.namespaces.insert(name.to_string(), namespace),
            None => self.namespaces.remove(name),
        };
    }

    /// Adds, replaces or (with `None`) removes a policy.
    fn put_policy(
        &mut self,
        key: Key,
        policy: Option<NetworkPolicy>,
    ) -> Result<Option<u64>, CompileError> {
        if self.policies.get(&key) == policy.as_ref() {
            return Ok(None);
        }
        let old = match policy {
            Some(policy) => self.policies.insert(key.clone(), policy),
            None => self.policies.remove(&key),
        };
        let rebuilt = if self.whole_cluster() {
            self.rebuild_whole()
        } else {
            self.rebuild()
                .map(|(decision, firewall)| publish(&self.reader, decision, Some(&firewall)))
        };
        match rebuilt {
            Ok(generation) => Ok(Some(generation)),
            Err(error) => {
                match old {
                    Some(old) => self.policies.insert(key, old),
                    None => self.policies.remove(&key),
                };
                Err(error)
            }
        }
    }

    /// The decision for the current state after a policy change: the one compile step, and
    /// the translated firewall (without its workloads) for the rule names.
    ///
    /// Policies are translated again (their tags and address groups are shared across
    /// policies, so one policy cannot be translated alone), the kept workloads are reused, and
    /// the compile is today a full [`Builder::build`] (hundreds of milliseconds at 10k
    /// policies). It is to become incremental, recompiling only the changed policies' rules,
    /// with the compile rewrite: here and nowhere else.
    fn rebuild(&mut self) -> Result<(Decision, FirewallConfig), CompileError> {
        // Policies translate alone: no rule depends on pods or namespaces (selectors are
        // matched on workloads, which carry their namespace's labels).
        let policies = Cluster {
            namespaces: BTreeMap::new(),
            pods: Vec::new(),
            policies: self.policies.values().cloned().collect(),
            ..Cluster::default()
        };
        let mut firewall = translate(&policies, self.mode).config;
        firewall.workloads = std::mem::take(&mut self.workloads.list);
        let built = self.builder.build(&firewall);
        self.workloads.list = std::mem::take(&mut firewall.workloads);
        Ok((built?, firewall))
    }

    /// The namespace as workloads see it: read, or implied.
    fn namespace_of(&self, name: &str) -> Namespace {
        self.namespaces
            .get(name)
            .cloned()
            .unwrap_or_else(|| implied_namespace(name))
    }

    fn pods_of<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a Pod> + 'a {
        let start = (namespace.to_string(), String::new());
        let namespace = namespace.to_string();
        self.pods
            .range(start..)
            .take_while(move |((n, _), _)| *n == namespace)
            .map(|(_, pod)| pod)
    }
}

impl std::fmt::Debug for ClusterState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterState")
            .field("mode", &self.mode)
            .field("namespaces", &self.namespaces.len())
            .field("pods", &self.pods.len())
            .field("policies", &self.policies.len())
            .field("decision", &*self.reader.engine.snapshot())
            .finish_non_exhaustive()
    }
}

fn applied(change: Change, kind: ObjectKind, generation: Option<u64>) -> Applied {
    Applied {
        change: if generation.is_some() {
            change
        } else {
            Change::Unchanged
        },
        kind: Some(kind),
        generation,
    }
}

/// A namespace no object describes, as the loader implies it.
fn implied_namespace(name: &str) -> Namespace {
    Namespace {
        name: name.to_string(),
        labels: [(NAMESPACE_NAME_LABEL.to_string(), name.to_string())].into(),
    }
}

/// Whether the pod's node is known (its local-node addresses are not empty).
fn on_a_node(pod: &Pod) -> bool {
    pod.node_name.is_some() || !pod.host_ips.is_empty()
}
