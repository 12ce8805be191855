//! Pods as workloads: addresses, tags and named ports.

use std::collections::BTreeSet;

use crate::firewall::{Tag, TagKind, Workload};
use crate::model::{Cluster, Namespace, Pod};

use super::Mode;
use super::endpoints::namespace_label_kind;

/// One workload per pod, in the cluster's pod order (namespace, then name).
pub fn workloads(cluster: &Cluster, mode: Mode) -> Vec<Workload> {
    cluster
        .pods
        .iter()
        .map(|pod| workload(pod, cluster.namespaces.get(&pod.namespace), mode))
        .collect()
}

/// The workload of one pod in `namespace` (the pod's own; `None` when the cluster has no such
/// namespace): what the whole-cluster translation gives that pod, for callers that follow pods
/// one by one.
pub fn workload(pod: &Pod, namespace: Option<&Namespace>, mode: Mode) -> Workload {
    let mut tags = BTreeSet::new();
    tags.insert(Tag {
        kind: TagKind::Namespace,
        key: "namespace".to_string(),
        value: pod.namespace.clone(),
    });
    for (key, value) in &pod.labels {
        tags.insert(Tag {
            kind: TagKind::Label,
            key: key.clone(),
            value: value.clone(),
        });
    }
    // A workload carries its namespace's labels (CN2 applies project tags to every
    // interface of the project), so namespace selectors can be tested on the workload.
    if let Some(namespace) = namespace {
        for (key, value) in &namespace.labels {
            tags.insert(Tag {
                kind: namespace_label_kind(mode),
                key: key.clone(),
                value: value.clone(),
            });
        }
    }
    Workload {
        name: pod.key(),
        ips: pod.ips.clone(),
        tags,
        ports: pod.ports.clone(),
    }
}
