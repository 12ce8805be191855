//! `load_never_panics`: arbitrary bytes through the loader.

use tagwall::k8s::{Limits, LoadError, LoadOptions, Loaded, Loader};
use tagwall::model::Cluster;

use super::Failure;
#[allow(
    unused_imports,
    reason = "each property uses part of the shared vocabulary"
)]
use super::cluster::*;

/// Limits small enough that fuzz inputs reach every limit check.
pub(super) fn tight_limits() -> Limits {
    Limits {
        max_input_bytes: 2048,
        max_objects: 6,
        max_depth: 8,
        max_label_bytes: 48,
        max_alias_events: 64,
    }
}

pub(super) fn load_bytes(
    input: &[u8],
    limits: &Limits,
    lenient: bool,
) -> Result<Loaded, LoadError> {
    let mut loader = Loader::new(LoadOptions {
        limits: limits.clone(),
        lenient,
        ..LoadOptions::default()
    });
    loader.add_bytes("fuzz.yaml", input)?;
    loader.finish()
}

/// An error or warning must be one non-empty line: the CLI prints each as one line.
pub(super) fn one_line(what: &str, text: &str) -> Result<(), Failure> {
    if text.trim().is_empty() || text.contains('\n') || text.contains('\r') {
        return Err(format!("{what} is not one non-empty line: {text:?}"));
    }
    Ok(())
}

/// Whether an error is about one object or list entry (which lenient loading skips) rather
/// than the whole input.
pub(super) fn object_error(error: &LoadError) -> bool {
    match error {
        LoadError::Invalid { .. } | LoadError::Duplicate { .. } | LoadError::DuplicateIp { .. } => {
            true
        }
        // A `List` entry that is not an object: the one parse error lenient loading skips.
        LoadError::Parse {
            position: None,
            message,
            ..
        } => message == "a list holds an entry that is not an object",
        _ => false,
    }
}

/// Loading arbitrary bytes never panics; every error and warning is one line; lenient loading
/// loses nothing strict loading keeps, and fails only where strict loading fails for the whole
/// input (a parse error or an exceeded limit). The first byte picks the limits (bit 0: tight).
pub fn load_never_panics(data: &[u8]) -> Result<(), Failure> {
    let Some((&flags, input)) = data.split_first() else {
        return Ok(());
    };
    let limits = if flags & 1 == 1 {
        tight_limits()
    } else {
        Limits::default()
    };
    let strict = load_bytes(input, &limits, false);
    let lenient = load_bytes(input, &limits, true);
    for (mode, result) in [("strict", &strict), ("lenient", &lenient)] {
        match result {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    one_line(&format!("{mode} warning"), &warning.to_string())?;
                }
                check_cluster_shape(&loaded.cluster)?;
            }
            Err(error) => one_line(&format!("{mode} error"), &error.to_string())?,
        }
    }
    match (&strict, &lenient) {
        (Ok(strict), Ok(lenient)) if strict != lenient => Err(format!(
            "lenient load differs from a successful strict load:\nstrict {strict:?}\nlenient {lenient:?}"
        )),
        (Ok(_), Err(error)) => Err(format!(
            "strict load succeeded but lenient load failed: {error}"
        )),
        (Err(error), Ok(_)) if !object_error(error) => Err(format!(
            "lenient load succeeded where strict failed for the whole input: {error}"
        )),
        (Err(strict), Err(lenient)) if object_error(lenient) => Err(format!(
            "lenient load failed on one object: {lenient} (strict: {strict})"
        )),
        (Err(strict), Err(lenient))
            if object_error(strict) && !matches!(lenient, LoadError::Limit { .. }) =>
        {
            Err(format!(
                "strict load found only an invalid object ({strict}) but lenient failed: {lenient}"
            ))
        }
        _ => Ok(()),
    }
}

/// What every loaded cluster promises later layers.
pub(super) fn check_cluster_shape(cluster: &Cluster) -> Result<(), Failure> {
    for pod in &cluster.pods {
        if !cluster.namespaces.contains_key(&pod.namespace) {
            return Err(format!("pod {} has no namespace entry", pod.key()));
        }
        if pod.ips.iter().any(|ip| ip.to_canonical() != *ip) {
            return Err(format!("pod {} keeps a non-canonical IP", pod.key()));
        }
    }
    for policy in &cluster.policies {
        if !cluster.namespaces.contains_key(&policy.namespace) {
            return Err(format!("policy {} has no namespace entry", policy.key()));
        }
    }
    for namespace in cluster.namespaces.values() {
        if namespace.labels.get("kubernetes.io/metadata.name") != Some(&namespace.name) {
            return Err(format!(
                "namespace {} lacks its kubernetes.io/metadata.name label",
                namespace.name
            ));
        }
    }
    Ok(())
}
