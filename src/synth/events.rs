//! A watch-event stream over a generated cluster, with the mix an agent sees in practice.

use serde_json::{Value, json};

use super::SynthParams;
use super::cluster::{self, ENVS, Objects};
use crate::rng::Rng;

/// Percent of events of each change, in the order of [`Change`]'s arms: pods come and go most
/// (deployments rolling, jobs finishing), labels change less, policies and namespaces rarely.
const MIX: [(Change, usize); 7] = [
    (Change::PodCreate, 38),
    (Change::PodDelete, 35),
    (Change::PodRelabel, 12),
    (Change::PolicyEdit, 6),
    (Change::PolicyCreate, 2),
    (Change::PolicyDelete, 2),
    (Change::NamespaceRelabel, 5),
];

#[derive(Clone, Copy)]
enum Change {
    PodCreate,
    PodDelete,
    PodRelabel,
    PolicyEdit,
    PolicyCreate,
    PolicyDelete,
    NamespaceRelabel,
}

/// `count` watch events, one JSON envelope per line, that change the cluster [`super::generate`]
/// makes from the same `params`, in order (each event applies to the state the previous ones
/// left). New pods get addresses no pod had; deleted and changed objects exist when the event
/// comes.
pub(super) fn events(params: &SynthParams, count: usize) -> String {
    let Objects {
        mut namespaces,
        mut pods,
        mut policies,
    } = cluster::generate(params);
    let names: Vec<String> = match namespaces.is_empty() {
        true => vec!["default".to_string()],
        false => namespaces
            .iter()
            .map(|n| {
                n["metadata"]["name"]
                    .as_str()
                    .unwrap_or("default")
                    .to_string()
            })
            .collect(),
    };
    let mut rng = Rng::new(params.seed ^ 0x6576_656E_7473_0000);
    let mut next_pod = params.pods;
    let mut next_policy = params.policies;
    let mut out = String::new();
    let mut emit = |event_type: &str, object: &Value| {
        // `type` first, as kubectl prints it (a JSON map would sort it after `object`).
        out.push_str(&format!(
            "{{\"type\":\"{event_type}\",\"object\":{object}}}\n"
        ));
    };
    for _ in 0..count {
        let mut roll = rng.below(100);
        let change = MIX
            .iter()
            .find(|(_, percent)| {
                let hit = roll < *percent;
                roll = roll.saturating_sub(*percent);
                hit
            })
            .map_or(Change::PodCreate, |(change, _)| *change);
        match change {
            Change::PodDelete | Change::PodRelabel if pods.is_empty() => {}
            Change::PolicyEdit | Change::PolicyDelete if policies.is_empty() => {}
            Change::NamespaceRelabel if namespaces.is_empty() => {}
            Change::PodCreate => {
                let namespace = rng.pick(&names).clone();
                let pod = cluster::pod(&mut rng, next_pod, &namespace);
                next_pod += 1;
                emit("ADDED", &pod);
                pods.push(pod);
            }
            Change::PodDelete => {
                let pod = pods.swap_remove(rng.below(pods.len()));
                emit("DELETED", &pod);
            }
            Change::PodRelabel => {
                let at = rng.below(pods.len());
                let version = rng.pick(super::cluster::VERSIONS);
                let canary = rng.chance(50);
                if let Some(pod) = pods.get_mut(at) {
                    // A rollout bumps `version`; a canary flag (which policies select on)
                    // comes and goes.
                    let labels = &mut pod["metadata"]["labels"];
                    if canary {
                        let removed = labels.as_object_mut().and_then(|map| map.remove("canary"));
                        if removed.is_none() {
                            labels["canary"] = json!("true");
                        }
                    } else {
                        labels["version"] = json!(version);
                    }
                    emit("MODIFIED", pod);
                }
            }
            Change::PolicyEdit => {
                let at = rng.below(policies.len());
                if let Some(old) = policies.get_mut(at) {
                    let namespace = old["metadata"]["namespace"].as_str().unwrap_or("default");
                    let mut edited = cluster::policy(&mut rng, next_policy, namespace);
                    edited["metadata"] = old["metadata"].clone();
                    *old = edited;
                    emit("MODIFIED", old);
                }
            }
            Change::PolicyCreate => {
                let namespace = rng.pick(&names).clone();
                let policy = cluster::policy(&mut rng, next_policy, &namespace);
                next_policy += 1;
                emit("ADDED", &policy);
                policies.push(policy);
            }
            Change::PolicyDelete => {
                let policy = policies.swap_remove(rng.below(policies.len()));
                emit("DELETED", &policy);
            }
            Change::NamespaceRelabel => {
                let at = rng.below(namespaces.len());
                let env = rng.pick(ENVS);
                if let Some(namespace) = namespaces.get_mut(at) {
                    namespace["metadata"]["labels"]["env"] = json!(env);
                    emit("MODIFIED", namespace);
                }
            }
        }
    }
    out
}
