//! The Kubernetes layer: read Namespaces, Pods and NetworkPolicies, check them as the API server
//! would, and hand the rest of tagwall a validated [`Cluster`](crate::model::Cluster).
//!
//! # What it reads
//!
//! Whatever `kubectl get -o yaml|json` prints, or what you would `kubectl apply`: YAML or JSON,
//! one document or many (`---`), `kind: List` (nested too), any mix across files. These kinds
//! are read: `v1` Namespace, `v1` Pod, `v1` Node, `networking.k8s.io/v1` NetworkPolicy, and the
//! network-policy-api's `policy.networking.k8s.io/v1alpha2` ClusterNetworkPolicy and
//! `v1alpha1` AdminNetworkPolicy and BaselineAdminNetworkPolicy (checked as their CRDs check
//! them, see `validate::tiers`); every other object (Service, Deployment, a Calico
//! NetworkPolicy...) is counted in [`Loaded::skipped_kinds`] and otherwise ignored, but a kind
//! tagwall reads in another version of its own API group (a NetworkPolicy as
//! `extensions/v1beta1`) is an invalid object: dropping it silently would allow what it denies.
//! A file with no object at all gets a [`Warning`]. Label values must be strings (`tier: 1` and
//! `tier: null` are errors with a field path, in YAML and JSON, whatever the key order); YAML
//! booleans are YAML 1.2's (`y` is a string). Fields network policy does not need
//! (`managedFields`, `annotations`, most of `status`) are skipped while parsing, never stored.
//!
//! # What it checks
//!
//! What the API server's validation rejects, with the same field paths: CIDRs and `except`
//! (strictly inside `cidr`), port numbers, `endPort`, protocols (TCP, UDP, SCTP), named ports
//! (IANA service names: a string of digits is a name, and an invalid one), selector operators and
//! `values`, label keys and values, `policyTypes`, object names; then, across every input,
//! duplicate objects and pods sharing an IP. And what it defaults: protocol TCP, namespace
//! `default`, `policyTypes` (Ingress, plus Egress when `spec.egress` has a rule), the
//! `kubernetes.io/metadata.name` label on every namespace, implied namespaces.
//!
//! A CIDR with host bits (`10.1.1.1/4`) is read as its network (`0.0.0.0/4`) with a [`Warning`];
//! pods on the host network and finished pods are left out with one, since network policy does
//! not apply to them.
//!
//! # Errors
//!
//! Every [`LoadError`] says where: `policy.yaml: NetworkPolicy default/test:
//! spec.ingress[0].from[0].ipBlock.except[0]: `172.18.0.0/24` is not inside cidr
//! `172.17.0.0/16``. Strict loading (the default) stops at the first invalid object; lenient
//! loading ([`LoadOptions::lenient`]) leaves it out with one warning. Malformed documents and
//! exceeded [`Limits`] fail either way. No input makes loading panic, and every resource it uses
//! is bounded by the [`Limits`].
//!
//! # Example
//!
//! ```
//! use tagwall::k8s::load_str;
//!
//! let loaded = load_str("cluster.yaml", r#"
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: db, namespace: default, labels: {role: db}}
//! spec:
//!   containers:
//!   - name: redis
//!     ports: [{name: redis, containerPort: 6379}]
//! status: {podIP: 10.244.0.10}
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: NetworkPolicy
//! metadata: {name: db, namespace: default}
//! spec:
//!   podSelector: {matchLabels: {role: db}}
//!   ingress:
//!   - ports: [{port: redis}]
//! "#)?;
//! let pod = &loaded.cluster.pods[0];
//! assert_eq!(pod.named_port("redis", tagwall::protocol::Protocol::Tcp), Some(6379));
//! assert_eq!(loaded.cluster.namespaces["default"].labels["kubernetes.io/metadata.name"], "default");
//!
//! let error = load_str("bad.yaml", r#"
//! kind: NetworkPolicy
//! metadata: {name: test}
//! spec:
//!   ingress: [{ports: [{port: 80, endPort: 79}]}]
//! "#).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "bad.yaml: NetworkPolicy default/test: spec.ingress[0].ports[0].endPort: \
//!      `79` must be greater than or equal to `port` (`80`)"
//! );
//! # Ok::<(), tagwall::k8s::LoadError>(())
//! ```
//!
//! # Organization
//!
//! - `raw`: serde types mirroring the Kubernetes JSON (unvalidated).
//! - `parse`: bytes to documents (JSON via serde_json, YAML via serde-saphyr, limits applied).
//! - `validate` and `names`: raw objects to [`model`](crate::model) objects, with field paths.
//! - `load`: the [`Loader`], cross-object checks and defaults.
//! - `limits`, `error`: [`Limits`], [`LoadError`] and [`Warning`].

mod error;
mod limits;
mod load;
mod names;
mod parse;
mod raw;
mod raw_tiers;
mod validate;

/// Messages of other layers about user input follow the loader's one-line form.
pub(crate) use error::tidy as tidy_message;
pub use error::{LoadError, ObjectRef, Position, Warning};
pub use limits::Limits;
pub use load::{LoadOptions, Loaded, Loader, load_files, load_str};
/// Which kinds are read: the watch layer classifies events by it, as the loader does objects.
pub(crate) use raw::Known;
