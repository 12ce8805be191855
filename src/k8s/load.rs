//! The [`Loader`]: inputs in, one validated [`Cluster`] out.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{LoadError, NOT_AN_OBJECT, ObjectRef, Warning, tidy};
use super::limits::Limits;
use super::parse::parse;
use super::raw::{Body, Item, Known, RawObject};
use super::validate::{self, Invalid, Note, PodOutcome, Walk};
use crate::model::{
    Cluster, ClusterPolicy, ClusterPolicyKind, LocalNodeRule, NAMESPACE_NAME_LABEL, Namespace,
    NetworkPolicy, Node, Pod,
};

/// How to load.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Resource limits.
    pub limits: Limits,
    /// Skip each invalid object with one [`Warning`] and keep the rest, instead of failing on
    /// the first (the default); a list entry that is not an object is skipped the same way.
    /// Parse errors and exceeded limits fail in both modes.
    pub lenient: bool,
    /// Whether the loaded cluster applies NetworkPolicy's local-node rule (on by default).
    pub local_node_rule: LocalNodeRule,
}

/// The result of a load: the cluster, what was changed or left out, and what was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The validated, defaulted cluster.
    pub cluster: Cluster,
    /// Everything accepted with a change or left out, in input order.
    pub warnings: Vec<Warning>,
    /// Objects of kinds network policy does not read (Service, Deployment...), counted by kind.
    /// A known kind of another API version counts as `Kind (apiVersion)`.
    pub skipped_kinds: BTreeMap<String, usize>,
}

/// An object and the input it came from.
#[derive(Debug)]
struct Sourced<T> {
    file: Arc<str>,
    value: T,
}

/// A pod kept for the cluster, and where each IP came from.
#[derive(Debug)]
struct KeptPod {
    pod: Pod,
    ip_fields: Vec<String>,
}

/// Reads inputs one by one, then checks them together.
///
/// ```
/// use tagwall::k8s::{LoadOptions, Loader};
///
/// let mut loader = Loader::new(LoadOptions::default());
/// loader.add_bytes("pods.yaml", b"kind: Pod\napiVersion: v1\nmetadata: {name: web}\n")?;
/// loader.add_bytes("ns.json", br#"{"kind": "Namespace", "metadata": {"name": "prod"}}"#)?;
/// let loaded = loader.finish()?;
/// assert_eq!(loaded.cluster.pods.len(), 1);
/// assert_eq!(loaded.cluster.namespaces.len(), 2); // `default` is implied by the pod
/// # Ok::<(), tagwall::k8s::LoadError>(())
/// ```
#[derive(Debug)]
pub struct Loader {
    options: LoadOptions,
    objects: usize,
    namespaces: BTreeMap<String, Sourced<Namespace>>,
    /// Every pod read, by `(namespace, name)`; `None` for pods left out (host network,
    /// finished), which still count for duplicate names.
    pods: BTreeMap<(String, String), Sourced<Option<KeptPod>>>,
    policies: BTreeMap<(String, String), Sourced<NetworkPolicy>>,
    nodes: BTreeMap<String, Sourced<Node>>,
    cluster_policies: BTreeMap<(ClusterPolicyKind, String), Sourced<ClusterPolicy>>,
    warnings: Vec<Warning>,
    skipped_kinds: BTreeMap<String, usize>,
}

impl Loader {
    /// A loader with nothing read yet.
    pub fn new(options: LoadOptions) -> Loader {
        Loader {
            options,
            objects: 0,
            namespaces: BTreeMap::new(),
            pods: BTreeMap::new(),
            policies: BTreeMap::new(),
            nodes: BTreeMap::new(),
            cluster_policies: BTreeMap::new(),
            warnings: Vec::new(),
            skipped_kinds: BTreeMap::new(),
        }
    }

    /// Reads a file and adds its objects, named by the path in messages.
    pub fn add_file(&mut self, path: &Path) -> Result<(), LoadError> {
        let file = path.display().to_string();
        let limit = self.options.limits.max_input_bytes;
        let read_error = |error| LoadError::Read {
            file: file.clone(),
            error,
        };
        let handle = std::fs::File::open(path).map_err(read_error)?;
        let mut bytes = Vec::new();
        // Read one byte past the limit, so an oversized file is known without reading it all.
        handle
            .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        self.add_bytes(&file, &bytes)
    }

    /// Parses `bytes` (YAML or JSON, any number of documents) and adds their objects; `source`
    /// names the input in messages.
    pub fn add_bytes(&mut self, source: &str, bytes: &[u8]) -> Result<(), LoadError> {
        let documents = parse(source, bytes, &self.options.limits)?;
        let file: Arc<str> = Arc::from(source);
        let before = self.objects;
        for document in documents {
            for item in document.0 {
                self.add_item(&file, item)?;
            }
        }
        // An empty or comment-only file, or the wrong file, would otherwise give an empty
        // answer that looks like a real one.
        if self.objects == before {
            self.warnings.push(Warning {
                source: source.to_string(),
                object: String::new(),
                field: String::new(),
                message: "no object was read".to_string(),
            });
        }
        Ok(())
    }

    fn add_item(&mut self, file: &Arc<str>, item: Item) -> Result<(), LoadError> {
        match item {
            Item::Object(object) => self.add_object(file, *object),
            // One entry of a list, like one invalid object, is skipped in lenient mode rather
            // than losing the good entries around it (found by fuzzing `load_never_panics`).
            Item::NotObject => self.skip_or_fail(LoadError::Parse {
                file: file.to_string(),
                position: None,
                message: NOT_AN_OBJECT.to_string(),
            }),
        }
    }

    fn add_object(&mut self, file: &Arc<str>, mut object: RawObject) -> Result<(), LoadError> {
        let kind = object.kind.clone().unwrap_or_default();
        // `List` is what kubectl prints; the API server's own lists are `PodList` and so on.
        if kind.ends_with("List")
            && let Some(items) = object.items.take()
        {
            for item in items {
                self.add_item(file, item)?;
            }
            return Ok(());
        }
        self.objects += 1;
        if self.objects > self.options.limits.max_objects {
            return Err(LoadError::Limit {
                file: file.to_string(),
                limit: "max_objects",
                value: self.options.limits.max_objects,
                what: "number of objects".to_string(),
            });
        }
        let label_bytes: usize = object
            .metadata
            .labels
            .iter()
            .flatten()
            .map(|(k, v)| k.len() + v.text_len())
            .sum();
        if label_bytes > self.options.limits.max_label_bytes {
            return Err(LoadError::Limit {
                file: file.to_string(),
                limit: "max_label_bytes",
                value: self.options.limits.max_label_bytes,
                what: format!("labels of {label_bytes} bytes"),
            });
        }
        if kind.is_empty() {
            let object_ref = ObjectRef {
                kind: "object",
                namespace: object.metadata.namespace.clone(),
                name: object.metadata.name.clone().unwrap_or_default(),
            };
            let invalid = Invalid {
                field: "kind".to_string(),
                message: "required".to_string(),
            };
            return self.reject(file, object_ref, invalid);
        }
        match Known::of(&kind, object.api_version.as_deref()) {
            Some(Known::Namespace) => self.add_namespace(file, object),
            Some(Known::Pod) => self.add_pod(file, object),
            Some(Known::NetworkPolicy) => self.add_policy(file, object),
            Some(Known::Node) => self.add_node(file, object),
            Some(Known::ClusterNetworkPolicy) => {
                self.add_cluster_policy(file, object, ClusterPolicyKind::ClusterNetworkPolicy)
            }
            Some(Known::AdminNetworkPolicy) => {
                self.add_cluster_policy(file, object, ClusterPolicyKind::AdminNetworkPolicy)
            }
            Some(Known::BaselineAdminNetworkPolicy) => {
                self.add_cluster_policy(file, object, ClusterPolicyKind::BaselineAdminNetworkPolicy)
            }
            None => {
                let key = match (Known::of(&kind, None), &object.api_version) {
                    // Dropping it would leave out what the user meant to apply: `check` would
                    // allow what a NetworkPolicy in an older version denies.
                    (Some(known), Some(version)) if known.same_resource(version) => {
                        let object_ref = ObjectRef {
                            kind: known.kind(),
                            namespace: match known {
                                Known::Namespace
                                | Known::Node
                                | Known::ClusterNetworkPolicy
                                | Known::AdminNetworkPolicy
                                | Known::BaselineAdminNetworkPolicy => None,
                                Known::Pod | Known::NetworkPolicy => Some(
                                    object
                                        .metadata
                                        .namespace
                                        .clone()
                                        .unwrap_or_else(|| "default".to_string()),
                                ),
                            },
                            name: object.metadata.name.clone().unwrap_or_default(),
                        };
                        let invalid = Invalid {
                            field: "apiVersion".to_string(),
                            message: tidy(&format!(
                                "`{version}` is not read: tagwall reads {kind} as `{}`",
                                known.api_version()
                            )),
                        };
                        return self.reject(file, object_ref, invalid);
                    }
                    (Some(_), Some(version)) => format!("{kind} ({version})"),
                    _ => kind,
                };
                *self.skipped_kinds.entry(key).or_default() += 1;
                Ok(())
            }
        }
    }

    fn add_namespace(&mut self, file: &Arc<str>, object: RawObject) -> Result<(), LoadError> {
        let object_ref = ObjectRef {
            kind: "Namespace",
            namespace: None,
            name: object.metadata.name.clone().unwrap_or_default(),
        };
        let mut walk = Walk::default();
        let namespace = match validate::namespace(object.metadata, &mut walk) {
            Ok(namespace) => namespace,
            Err(invalid) => return self.reject(file, object_ref, invalid),
        };
        let inserted = insert_first(
            &mut self.namespaces,
            namespace.name.clone(),
            file,
            namespace,
        );
        self.recorded(file, object_ref, walk, inserted)
    }

    fn add_pod(&mut self, file: &Arc<str>, object: RawObject) -> Result<(), LoadError> {
        let mut walk = Walk::default();
        let namespace = validate::object_namespace(&object.metadata, &mut walk);
        let object_ref = namespaced_ref("Pod", &object, &namespace);
        let Body::Pod { spec, status } = &object.body else {
            return Ok(());
        };
        let outcome = namespace.and_then(|namespace| {
            validate::pod(namespace, object.metadata, spec, status, &mut walk)
        });
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(invalid) => return self.reject(file, object_ref, invalid),
        };
        let key = (
            object_ref.namespace.clone().unwrap_or_default(),
            object_ref.name.clone(),
        );
        let value = match outcome {
            PodOutcome::Keep { pod, ip_fields } => Some(KeptPod { pod, ip_fields }),
            PodOutcome::Skip(note) => {
                walk.notes.push(note);
                None
            }
        };
        let inserted = insert_first(&mut self.pods, key, file, value);
        self.recorded(file, object_ref, walk, inserted)
    }

    fn add_policy(&mut self, file: &Arc<str>, object: RawObject) -> Result<(), LoadError> {
        let mut walk = Walk::default();
        let namespace = validate::object_namespace(&object.metadata, &mut walk);
        let object_ref = namespaced_ref("NetworkPolicy", &object, &namespace);
        let Body::NetworkPolicy { spec } = &object.body else {
            return Ok(());
        };
        let policy = namespace.and_then(|namespace| {
            validate::network_policy(namespace, object.metadata, spec, &mut walk)
        });
        let policy = match policy {
            Ok(policy) => policy,
            Err(invalid) => return self.reject(file, object_ref, invalid),
        };
        let key = (policy.namespace.clone(), policy.name.clone());
        let inserted = insert_first(&mut self.policies, key, file, policy);
        self.recorded(file, object_ref, walk, inserted)
    }

    fn add_node(&mut self, file: &Arc<str>, object: RawObject) -> Result<(), LoadError> {
        let object_ref = ObjectRef {
            kind: "Node",
            namespace: None,
            name: object.metadata.name.clone().unwrap_or_default(),
        };
        let Body::Node { status } = &object.body else {
            return Ok(());
        };
        let mut walk = Walk::default();
        let node = match validate::node(object.metadata, status, &mut walk) {
            Ok(node) => node,
            Err(invalid) => return self.reject(file, object_ref, invalid),
        };
        let inserted = insert_first(&mut self.nodes, node.name.clone(), file, node);
        self.recorded(file, object_ref, walk, inserted)
    }

    fn add_cluster_policy(
        &mut self,
        file: &Arc<str>,
        object: RawObject,
        kind: ClusterPolicyKind,
    ) -> Result<(), LoadError> {
        let object_ref = ObjectRef {
            kind: kind.as_str(),
            namespace: None,
            name: object.metadata.name.clone().unwrap_or_default(),
        };
        let Body::Tier { spec } = &object.body else {
            return Ok(());
        };
        let mut walk = Walk::default();
        let lenient = self.options.lenient;
        let policy = match validate::tiers::cluster_policy(
            kind,
            object.metadata,
            spec,
            lenient,
            &mut walk,
        ) {
            Ok(policy) => policy,
            Err(invalid) => return self.reject(file, object_ref, invalid),
        };
        let key = (kind, policy.name.clone());
        let inserted = insert_first(&mut self.cluster_policies, key, file, policy);
        self.recorded(file, object_ref, walk, inserted)
    }

    /// After [`insert_first`]: the object's notes as warnings, or the duplicate's error.
    fn recorded(
        &mut self,
        file: &Arc<str>,
        object_ref: ObjectRef,
        walk: Walk,
        inserted: Result<(), String>,
    ) -> Result<(), LoadError> {
        match inserted {
            Ok(()) => {
                self.note_all(file, &object_ref, walk.notes);
                Ok(())
            }
            Err(first_file) => self.duplicate(file, object_ref, first_file),
        }
    }

    /// An invalid object: an error, or in lenient mode a warning and the object left out.
    fn reject(
        &mut self,
        file: &Arc<str>,
        object: ObjectRef,
        invalid: Invalid,
    ) -> Result<(), LoadError> {
        self.skip_or_fail(LoadError::Invalid {
            file: file.to_string(),
            object: Box::new(object),
            field: invalid.field,
            message: invalid.message,
        })
    }

    /// A second object of one kind, namespace and name: an error, or in lenient mode a warning
    /// and the first one kept.
    fn duplicate(
        &mut self,
        file: &Arc<str>,
        object: ObjectRef,
        first_file: String,
    ) -> Result<(), LoadError> {
        self.skip_or_fail(LoadError::Duplicate {
            file: file.to_string(),
            object: Box::new(object),
            first_file,
        })
    }

    /// Fails with `error` (strict), or leaves its object out with a warning in its own words
    /// (lenient).
    fn skip_or_fail(&mut self, error: LoadError) -> Result<(), LoadError> {
        if !self.options.lenient {
            return Err(error);
        }
        self.warnings.push(error.skipped());
        Ok(())
    }

    fn note_all(&mut self, file: &Arc<str>, object: &ObjectRef, notes: Vec<Note>) {
        for note in notes {
            self.warnings.push(Warning {
                source: file.to_string(),
                object: object.to_string(),
                field: note.field,
                message: note.message,
            });
        }
    }

    /// Checks the inputs together (no two pods share an IP), adds the namespaces that pods and
    /// policies name without a Namespace object, and returns the cluster.
    pub fn finish(mut self) -> Result<Loaded, LoadError> {
        // Each IP's pod (namespace, name) and input.
        let mut owners: BTreeMap<IpAddr, (String, String, Arc<str>)> = BTreeMap::new();
        let mut pods = Vec::with_capacity(self.pods.len());
        let mut dropped = Vec::new();
        for entry in std::mem::take(&mut self.pods).into_values() {
            let Some(kept) = entry.value else {
                continue;
            };
            let clash = kept
                .pod
                .ips
                .iter()
                .zip(&kept.ip_fields)
                .find_map(|(ip, field)| {
                    owners.get(ip).map(|(namespace, name, other_file)| {
                        let other = ObjectRef {
                            kind: "Pod",
                            namespace: Some(namespace.clone()),
                            name: name.clone(),
                        };
                        (*ip, field, other, other_file)
                    })
                });
            if let Some((ip, field, other, other_file)) = clash {
                let object = ObjectRef {
                    kind: "Pod",
                    namespace: Some(kept.pod.namespace.clone()),
                    name: kept.pod.name.clone(),
                };
                let error = LoadError::DuplicateIp {
                    file: entry.file.to_string(),
                    object: Box::new(object),
                    field: field.clone(),
                    ip,
                    other: Box::new(other),
                    other_file: other_file.to_string(),
                };
                if !self.options.lenient {
                    return Err(error);
                }
                dropped.push(error.skipped());
                continue;
            }
            for ip in &kept.pod.ips {
                owners.insert(
                    *ip,
                    (
                        kept.pod.namespace.clone(),
                        kept.pod.name.clone(),
                        entry.file.clone(),
                    ),
                );
            }
            pods.push(kept.pod);
        }
        self.warnings.extend(dropped);
        let policies: Vec<NetworkPolicy> = std::mem::take(&mut self.policies)
            .into_values()
            .map(|entry| entry.value)
            .collect();
        let mut namespaces: BTreeMap<String, Namespace> = std::mem::take(&mut self.namespaces)
            .into_iter()
            .map(|(name, entry)| (name, entry.value))
            .collect();
        let implied = pods
            .iter()
            .map(|p| &p.namespace)
            .chain(policies.iter().map(|p| &p.namespace));
        for name in implied {
            if !namespaces.contains_key(name) {
                let labels = [(NAMESPACE_NAME_LABEL.to_string(), name.clone())].into();
                namespaces.insert(
                    name.clone(),
                    Namespace {
                        name: name.clone(),
                        labels,
                    },
                );
            }
        }
        let mut cluster_policies: Vec<Sourced<ClusterPolicy>> =
            std::mem::take(&mut self.cluster_policies)
                .into_values()
                .collect();
        cluster_policies.sort_by(|a, b| a.value.order_key().cmp(&b.value.order_key()));
        self.warnings.extend(same_priority_overlaps(
            &cluster_policies,
            &pods,
            &namespaces,
        ));
        let mut loaded = Loaded {
            cluster: Cluster {
                namespaces,
                pods,
                policies,
                nodes: std::mem::take(&mut self.nodes)
                    .into_values()
                    .map(|entry| entry.value)
                    .collect(),
                local_node_rule: self.options.local_node_rule,
                cluster_policies: Vec::new(),
            },
            warnings: self.warnings,
            skipped_kinds: self.skipped_kinds,
        };
        loaded.cluster.cluster_policies = cluster_policies
            .into_iter()
            .map(|entry| entry.value)
            .collect();
        Ok(loaded)
    }
}

/// ClusterNetworkPolicySpec.priority: "If two (or more) policies in the same tier with the same
/// priority could match a connection, then the implementation can apply any of the matching
/// policies". tagwall orders them by name (then kind), and warns when two such policies'
/// subjects share a pod of the input: once per pair, naming the first such pod.
///
/// The check costs one subject test per pod and policy of a shared priority; past
/// [`OVERLAP_BUDGET`] tests it stops, with a warning saying so, so that loading stays linear.
fn same_priority_overlaps(
    policies: &[Sourced<ClusterPolicy>],
    pods: &[Pod],
    namespaces: &BTreeMap<String, Namespace>,
) -> Vec<Warning> {
    let empty = crate::model::Labels::new();
    let mut warnings = Vec::new();
    let mut budget = OVERLAP_BUDGET;
    // `policies` is in evaluation order, so one tier and priority is one run.
    let runs = policies
        .chunk_by(|a, b| (a.value.tier, a.value.priority) == (b.value.tier, b.value.priority));
    let mut reported: std::collections::BTreeSet<(usize, usize)> = Default::default();
    let mut offset = 0;
    for run in runs {
        let base = offset;
        offset += run.len();
        if run.len() < 2 {
            continue;
        }
        for pod in pods {
            let Some(left) = budget.checked_sub(run.len()) else {
                warnings.push(Warning {
                    source: String::new(),
                    object: String::new(),
                    field: String::new(),
                    message: format!(
                        "same-priority overlap check stopped after {OVERLAP_BUDGET} subject \
                         tests; overlaps may go unreported"
                    ),
                });
                return warnings;
            };
            budget = left;
            let namespace_labels = namespaces
                .get(&pod.namespace)
                .map_or(&empty, |namespace| &namespace.labels);
            let selecting: Vec<usize> = run
                .iter()
                .enumerate()
                .filter(|(_, entry)| entry.value.subject.matches(&pod.labels, namespace_labels))
                .map(|(i, _)| i)
                .collect();
            for (k, &i) in selecting.iter().enumerate() {
                for &j in selecting.iter().skip(k + 1) {
                    if !reported.insert((base + i, base + j)) {
                        continue;
                    }
                    let (Some(first), Some(second)) = (run.get(i), run.get(j)) else {
                        continue;
                    };
                    let (a, b) = (&first.value, &second.value);
                    warnings.push(Warning {
                        source: second.file.to_string(),
                        object: format!("{} {}", b.kind, b.name),
                        field: "spec.priority".to_string(),
                        message: format!(
                            "{} tier policies `{}` and `{}` share priority `{}` and both select \
                             pod `{}`; `{}` is evaluated first (same-priority policies go by name)",
                            a.tier,
                            a.key(),
                            b.key(),
                            a.priority,
                            pod.key(),
                            a.key()
                        ),
                    });
                }
            }
        }
    }
    warnings
}

/// Subject tests the same-priority overlap check may make.
const OVERLAP_BUDGET: usize = 10_000_000;

/// Loads one input with the default options (strict, default limits).
///
/// ```
/// let loaded = tagwall::k8s::load_str("inline", "
/// apiVersion: networking.k8s.io/v1
/// kind: NetworkPolicy
/// metadata: {name: deny-all, namespace: prod}
/// spec: {podSelector: {}}
/// ")?;
/// let policy = &loaded.cluster.policies[0];
/// assert!(policy.policy_types.ingress && !policy.policy_types.egress);
/// # Ok::<(), tagwall::k8s::LoadError>(())
/// ```
pub fn load_str(source: &str, text: &str) -> Result<Loaded, LoadError> {
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_bytes(source, text.as_bytes())?;
    loader.finish()
}

/// Loads files in order and checks them together.
pub fn load_files(paths: &[PathBuf], options: LoadOptions) -> Result<Loaded, LoadError> {
    let mut loader = Loader::new(options);
    for path in paths {
        loader.add_file(path)?;
    }
    loader.finish()
}

/// The reference of a namespaced object: its validated namespace, or the raw one when that
/// failed validation (so the error still names where the object claimed to be).
fn namespaced_ref<E>(
    kind: &'static str,
    object: &RawObject,
    namespace: &Result<String, E>,
) -> ObjectRef {
    ObjectRef {
        kind,
        namespace: Some(match namespace {
            Ok(namespace) => namespace.clone(),
            Err(_) => object.metadata.namespace.clone().unwrap_or_default(),
        }),
        name: object.metadata.name.clone().unwrap_or_default(),
    }
}

/// Records `value` under `key` unless an object already holds the key; then it hands back the
/// file of that first object, for the duplicate error.
fn insert_first<K: Ord, V>(
    map: &mut BTreeMap<K, Sourced<V>>,
    key: K,
    file: &Arc<str>,
    value: V,
) -> Result<(), String> {
    match map.entry(key) {
        Entry::Occupied(first) => Err(first.get().file.to_string()),
        Entry::Vacant(slot) => {
            slot.insert(Sourced {
                file: file.clone(),
                value,
            });
            Ok(())
        }
    }
}
