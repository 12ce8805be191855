//! Label selectors and peers as rule endpoints.

use crate::firewall::{Endpoint, TagKind, TagOp, TagTerm};
use crate::model::{LabelSelector, NetworkPolicy, Operator};

use super::Mode;

/// The tag kind a namespace label becomes: its own kind in Kubernetes mode; in CN2 a namespace
/// label is a plain label tag, so pod labels can satisfy a namespaceSelector (and vice versa).
pub fn namespace_label_kind(mode: Mode) -> TagKind {
    match mode {
        Mode::Kubernetes => TagKind::NamespaceLabel,
        Mode::Cn2 => TagKind::Label,
    }
}

/// The terms of a label selector over tags of `kind`: matchLabels (sorted by key) first, then
/// matchExpressions in order.
pub fn selector_terms(selector: &LabelSelector, kind: TagKind) -> Vec<TagTerm> {
    let labels = selector.match_labels.iter().map(|(key, value)| TagTerm {
        kind,
        key: key.clone(),
        op: TagOp::In([value.clone()].into()),
    });
    let expressions = selector.match_expressions.iter().map(|r| TagTerm {
        kind,
        key: r.key.clone(),
        op: match r.operator {
            Operator::In => TagOp::In(r.values.clone()),
            Operator::NotIn => TagOp::NotIn(r.values.clone()),
            Operator::Exists => TagOp::Exists,
            Operator::DoesNotExist => TagOp::DoesNotExist,
        },
    });
    labels.chain(expressions).collect()
}

/// `namespace=<ns>`.
pub fn namespace_term(namespace: &str) -> TagTerm {
    TagTerm {
        kind: TagKind::Namespace,
        key: "namespace".to_string(),
        op: TagOp::In([namespace.to_string()].into()),
    }
}

/// The pods a NetworkPolicy selects: its podSelector's terms, then its namespace (Table 3's
/// Endpoint1, `role=db && namespace=default`).
pub fn selected_pods(np: &NetworkPolicy) -> Endpoint {
    let mut terms = selector_terms(&np.pod_selector, TagKind::Label);
    terms.push(namespace_term(&np.namespace));
    Endpoint::Tags(terms)
}

/// A `podSelector`/`namespaceSelector` peer of a policy in `namespace`.
pub fn pod_peer(
    namespace: &str,
    namespace_selector: Option<&LabelSelector>,
    pod_selector: Option<&LabelSelector>,
    mode: Mode,
) -> Endpoint {
    let mut terms = match namespace_selector {
        // podSelector alone: pods of the policy's own namespace (Table 3 puts the namespace first).
        None => vec![namespace_term(namespace)],
        // CN2 turns `namespaceSelector: {}` into `any`, which admits external addresses too;
        // Kubernetes means "every pod in every namespace".
        Some(selector) if selector.is_empty() && pod_selector.is_none() && mode == Mode::Cn2 => {
            return Endpoint::Any;
        }
        Some(selector) => selector_terms(selector, namespace_label_kind(mode)),
    };
    if let Some(selector) = pod_selector {
        terms.extend(selector_terms(selector, TagKind::Label));
    }
    Endpoint::Tags(terms)
}
