//! Synthetic clusters for scale runs, benchmarks and property tests.
//!
//! [`generate`] writes a cluster that looks like a real multi-team one, as a kubectl-style
//! `kind: List`: namespaces labelled with `team` and `env`; pods spread over them with `app`,
//! `tier` and `version` labels, named ports (`http`, `grpc`, `metrics`, `dns`...), IPv4
//! addresses from 10.244.0.2 on (unique up to 16 million pods), IPv6 ones too for a fifth of
//! them (dual-stack), a few pending pods without an IP; and policies mixing pod and namespace
//! selectors, all four `matchExpressions` operators, `ipBlock` with `except`, numeric and named
//! ports, `endPort`, ingress, egress, and default-deny. [`kubectl_dump`] dresses the same kind
//! of cluster in everything kubectl prints (`managedFields`, `ownerReferences`, container
//! statuses...), for measuring how fast the loader reads real dumps.
//!
//! Output depends only on the parameters: the seeded generator is our own SplitMix64, not a
//! library whose sequences may change between releases.
//!
//! ```
//! use tagwall::synth::{generate, SynthParams};
//!
//! let params = SynthParams { namespaces: 3, pods: 20, policies: 5, seed: 7, ..SynthParams::default() };
//! let text = generate(&params);
//! assert_eq!(text, generate(&params));
//! let loaded = tagwall::k8s::load_str("synthetic.json", &text)?;
//! assert_eq!(loaded.cluster.pods.len(), 20);
//! # Ok::<(), tagwall::k8s::LoadError>(())
//! ```

mod cluster;
mod events;
mod kubectl;
mod shapes;
mod tiers;

use serde_json::{Value, json};

pub use crate::rng::Rng;

/// How a generated cluster is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// JSON, pretty-printed like `kubectl get -o json`.
    #[default]
    Json,
    /// YAML, like `kubectl get -o yaml`.
    Yaml,
}

/// What [`generate`] makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthParams {
    /// Number of namespaces (with none, every pod and policy is in `default`).
    pub namespaces: usize,
    /// Number of pods.
    pub pods: usize,
    /// Number of network policies.
    pub policies: usize,
    /// The seed: equal parameters give equal output.
    pub seed: u64,
    /// The output format.
    pub format: Format,
    /// The kind of cluster: realistic, or one of the hostile shapes.
    pub shape: Shape,
    /// Number of ClusterNetworkPolicies (Admin and Baseline tiers) over the realistic
    /// cluster's labels, added to the cluster whatever the shape.
    pub cluster_policies: usize,
}

/// The kind of cluster [`generate`] writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shape {
    /// A realistic multi-team cluster (namespaces, apps, mixed policies).
    #[default]
    Friendly,
    /// Every pod its own identity (a per-pod `id` label); each policy selects 20 pods by
    /// `id In [...]` and admits 20 others on its own port. `namespaces` is ignored.
    UniqueIdentities,
    /// Pods in 50 label groups; each policy an ingress `ipBlock` /16 with five /24 `except`s on
    /// TCP 443 plus an egress /24, the /16s drawn from 16,384 so that they repeat.
    Prefixes,
    /// One server pod and client pods; policy `i` admits TCP ports `[1 + i, 65535]` from one of
    /// 16 client groups, so port intervals overlap pairwise.
    PortRanges,
}

impl Default for SynthParams {
    /// 10 namespaces, 200 pods, 30 policies, seed 1, JSON.
    fn default() -> SynthParams {
        SynthParams {
            namespaces: 10,
            pods: 200,
            policies: 30,
            seed: 1,
            format: Format::Json,
            shape: Shape::Friendly,
            cluster_policies: 0,
        }
    }
}

/// The generated objects (namespaces, then pods, then policies) as JSON values.
pub fn objects(params: &SynthParams) -> Vec<Value> {
    let generated = match params.shape {
        Shape::Friendly => cluster::generate(params),
        _ => shapes::generate(params),
    };
    let mut objects = generated.namespaces;
    objects.extend(generated.pods);
    objects.extend(generated.policies);
    // A stream of its own, so that adding cluster policies leaves the rest of the cluster as
    // the same arguments wrote it without them.
    let mut rng = Rng::new(params.seed ^ 0x7469_6572_7300_0000);
    objects.extend(tiers::cluster_policies(&mut rng, params.cluster_policies));
    objects
}

/// The generated cluster as one `kind: List` document.
pub fn generate(params: &SynthParams) -> String {
    render(objects(params), params.format)
}

/// `count` watch events, as `kubectl get --watch --output-watch-events -o json` prints them (one
/// per line), that change the cluster [`generate`] makes from the same `params`: pod creations
/// and deletions dominate, then pod relabels, namespace relabels and policy edits, creations
/// and deletions (see `tagwall replay`).
///
/// ```
/// use tagwall::synth::{SynthParams, events};
///
/// let params = SynthParams { namespaces: 3, pods: 20, policies: 5, ..SynthParams::default() };
/// let stream = events(&params, 50);
/// assert_eq!(stream.lines().count(), 50);
/// assert!(tagwall::watch::events("events.json", stream.as_bytes()).all(|e| e.is_ok()));
/// ```
pub fn events(params: &SynthParams, count: usize) -> String {
    events::events(params, count)
}

/// A kubectl-shaped dump of a cluster with `pods` pods (one namespace per 200 pods, one
/// policy per 100), every object carrying what the API server and kubectl add.
pub fn kubectl_dump(pods: usize, seed: u64, format: Format) -> String {
    let params = SynthParams {
        namespaces: pods.div_ceil(200),
        pods,
        policies: pods / 100,
        seed,
        format,
        ..SynthParams::default()
    };
    let mut rng = Rng::new(seed ^ 0x6B75_6265_6374_6C00);
    let mut objects = objects(&params);
    for (index, object) in objects.iter_mut().enumerate() {
        if object["kind"] == "Pod" {
            kubectl::dress_pod(&mut rng, object, index);
        } else {
            kubectl::dress_other(&mut rng, object, index);
        }
    }
    render(objects, format)
}

/// Wraps objects in a `kind: List` and writes it.
fn render(items: Vec<Value>, format: Format) -> String {
    let list = json!({
        "apiVersion": "v1",
        "items": items,
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    });
    let written = match format {
        Format::Json => serde_json::to_string_pretty(&list).map_err(|e| e.to_string()),
        Format::Yaml => serde_saphyr::to_string(&list).map_err(|e| e.to_string()),
    };
    // Writing a `Value` of strings, integers, booleans and nulls cannot fail; should a writer
    // ever refuse, the message goes where the document would, and loading it fails loudly.
    written
        .unwrap_or_else(|message| format!("# tagwall synth: cannot write the cluster: {message}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::{LoadError, load_str};

    fn loads(params: &SynthParams) -> Result<(), LoadError> {
        let loaded = load_str("synthetic", &generate(params))?;
        let cluster = &loaded.cluster;
        assert_eq!(cluster.pods.len(), params.pods, "{params:?}");
        assert_eq!(cluster.policies.len(), params.policies, "{params:?}");
        assert_eq!(
            cluster.namespaces.len(),
            params.namespaces.max(1),
            "{params:?}"
        );
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        Ok(())
    }

    #[test]
    fn generated_clusters_load_with_matching_counts() -> Result<(), LoadError> {
        for seed in 0..8 {
            loads(&SynthParams {
                namespaces: 4,
                pods: 60,
                policies: 40,
                seed,
                format: Format::Json,
                ..SynthParams::default()
            })?;
        }
        loads(&SynthParams {
            format: Format::Yaml,
            ..SynthParams::default()
        })?;
        loads(&SynthParams {
            namespaces: 0,
            pods: 5,
            policies: 3,
            ..SynthParams::default()
        })
    }

    #[test]
    fn cluster_policies_load_and_leave_the_rest_unchanged() -> Result<(), LoadError> {
        let plain = SynthParams::default();
        let tiered = SynthParams {
            cluster_policies: 40,
            ..SynthParams::default()
        };
        let loaded = load_str("tiered", &generate(&tiered))?;
        assert_eq!(loaded.cluster.cluster_policies.len(), 40);
        assert!(
            loaded
                .warnings
                .iter()
                .all(|w| w.to_string().contains("share priority"))
        );
        let rest = objects(&plain);
        assert_eq!(objects(&tiered)[..rest.len()], rest[..]);
        Ok(())
    }

    #[test]
    fn same_seed_same_output_other_seed_other_output() {
        let params = SynthParams::default();
        assert_eq!(generate(&params), generate(&params));
        let other = SynthParams {
            seed: 2,
            ..SynthParams::default()
        };
        assert_ne!(generate(&params), generate(&other));
    }

    #[test]
    fn kubectl_dumps_load_in_both_formats() -> Result<(), LoadError> {
        for format in [Format::Json, Format::Yaml] {
            let dump = kubectl_dump(100, 3, format);
            assert!(dump.contains("managedFields"));
            let loaded = load_str("dump", &dump)?;
            assert_eq!(loaded.cluster.pods.len(), 100);
            assert_eq!(loaded.cluster.policies.len(), 1);
            assert!(loaded.skipped_kinds.is_empty());
        }
        Ok(())
    }
}
