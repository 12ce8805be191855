//! CN2's names for the objects a NetworkPolicy becomes.
//!
//! Rules: `<ns>-<direction>-<np>-<i>-<peer kind>-<j>[-cidr-<cidr>|-<except>]-<k>`, with `i` the
//! ingress/egress rule index, `j` the peer index and `k` the port index (the seed's Table 3). CN2
//! leaves `i` out of egress names; [`Mode::Cn2`] copies that. Where the seed is silent we chose:
//! a rule without peers is peer kind `any` (index 0), a rule without ports is port index 0, a
//! peer with both selectors is kind `namespaceSelector`.

use std::collections::BTreeSet;

use ipnet::IpNet;

use super::{Mode, TranslateWarning};
use crate::firewall::FirewallPolicy;
use crate::model::{Direction, NetworkPolicy, Peer};

/// The Application Policy Set every translated policy belongs to.
pub const APPLICATION_POLICY_SET: &str = "k8s";
/// The firewall policy of per-NetworkPolicy deny rules (isolation).
pub const DENY_ALL_POLICY: &str = "k8s-denyall";
/// The firewall policy that passes what nothing else decided (pods no policy isolates).
pub const ALLOW_ALL_POLICY: &str = "k8s-allowall";

/// `<namespace>-<name>`: the firewall policy of a NetworkPolicy.
pub fn firewall_policy(np: &NetworkPolicy) -> String {
    format!("{}-{}", np.namespace, np.name)
}

/// What kind of peer a rule is for, as its name says it.
pub fn peer_kind(peer: Option<&Peer>) -> &'static str {
    match peer {
        None => "any",
        Some(Peer::IpBlock(_)) => "ipBlock",
        Some(Peer::Pods {
            namespace_selector: Some(_),
            ..
        }) => "namespaceSelector",
        Some(Peer::Pods { .. }) => "podSelector",
    }
}

/// Where in a NetworkPolicy a firewall rule comes from.
#[derive(Clone, Copy, Debug)]
pub struct RuleOrigin<'a> {
    /// The NetworkPolicy.
    pub policy: &'a NetworkPolicy,
    /// Ingress or egress.
    pub direction: Direction,
    /// Index of the rule in `spec.ingress`/`spec.egress`.
    pub rule: usize,
    /// Index of the peer in `from`/`to` (0 when there are none).
    pub peer_index: usize,
    /// The peer (`None`: the rule has no peers).
    pub peer: Option<&'a Peer>,
    /// Index of the port entry (0 when there are none).
    pub port: usize,
}

/// What an ipBlock rule's name carries after the peer index.
#[derive(Clone, Copy, Debug)]
pub enum BlockPart {
    /// Not an ipBlock rule.
    None,
    /// The pass rule for the block: `-cidr-<cidr>`.
    Cidr(IpNet),
    /// CN2's deny rule for an except: `-<except>`.
    Except(IpNet),
}

/// The rule's name.
pub fn rule(origin: &RuleOrigin<'_>, block: BlockPart, mode: Mode) -> String {
    let np = origin.policy;
    let mut name = format!("{}-{}-{}", np.namespace, origin.direction.as_str(), np.name);
    // CN2 drops the rule index from egress names (Table 3); two egress rules can then collide.
    if origin.direction == Direction::Ingress || mode == Mode::Kubernetes {
        name.push_str(&format!("-{}", origin.rule));
    }
    name.push_str(&format!(
        "-{}-{}",
        peer_kind(origin.peer),
        origin.peer_index
    ));
    match block {
        BlockPart::None => {}
        BlockPart::Cidr(cidr) => name.push_str(&format!("-cidr-{cidr}")),
        BlockPart::Except(hole) => name.push_str(&format!("-{hole}")),
    }
    name.push_str(&format!("-{}", origin.port));
    name
}

/// The address group of an ipBlock's CIDR (`<np>`, `<np>-egress`; Table 2). Further ipBlocks
/// of the same policy and direction get `-<i>-<j>` so names stay unique.
pub fn block_group(origin: &RuleOrigin<'_>, first: bool) -> String {
    let base = match origin.direction {
        Direction::Ingress => origin.policy.name.clone(),
        Direction::Egress => format!("{}-egress", origin.policy.name),
    };
    if first {
        base
    } else {
        format!("{base}-{}-{}", origin.rule, origin.peer_index)
    }
}

/// The address group of CN2's deny rule for one except (`<block group>-except`, then
/// `-except-<m>` for the m-th hole of the same block).
pub fn except_group(block_group: &str, hole_index: usize) -> String {
    if hole_index == 0 {
        format!("{block_group}-except")
    } else {
        format!("{block_group}-except-{hole_index}")
    }
}

/// The deny rule that isolates a NetworkPolicy's pods for a direction.
pub fn deny_all_rule(np: &NetworkPolicy, direction: Direction) -> String {
    format!(
        "{}-{}-denyall-{}",
        np.namespace,
        np.name,
        direction.as_str()
    )
}

/// The pass rule of the allow-all policy for a direction.
pub fn allow_all_rule(direction: Direction) -> String {
    format!("allowall-{}", direction.as_str())
}

/// The name for an address group CN2 would call `name`: that name, or, when `taken` says another
/// policy's group already has it (CN2 keeps groups per namespace; our model has one name space),
/// `<namespace>-<name>`, then `<namespace>-<name>-<k>` for the first free `k` from 1.
pub fn unique_group(name: String, namespace: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&name) {
        return name;
    }
    let qualified = format!("{namespace}-{name}");
    let mut candidate = qualified.clone();
    let mut k = 1;
    while taken(&candidate) {
        candidate = format!("{qualified}-{k}");
        k += 1;
    }
    candidate
}

/// `base`, else `base-1`, `base-2`... whichever `taken` does not hold yet (then taken).
fn first_free(taken: &mut BTreeSet<String>, base: &str) -> String {
    let mut name = base.to_string();
    let mut k = 1;
    while !taken.insert(name.clone()) {
        name = format!("{base}-{k}");
        k += 1;
    }
    name
}

/// Renames, with a warning, the policies and rules whose names an earlier one already took.
///
/// Joining namespace and name with `-` is not one-to-one (`a-b/c` and `a/b-c` both give
/// `a-b-c`, and both deny-all rules `a-b-c-denyall-ingress`), and Contrail names are unique per
/// project. The deny-all and allow-all policies and the allow-all rules keep their names; the
/// later of two NetworkPolicies (namespace, then name order) gets `-1`, `-2`... Names that never
/// collide, as in the seed document's tables, are left as they are.
pub fn make_unique(policies: &mut [FirewallPolicy], warnings: &mut Vec<TranslateWarning>) {
    let mut policy_names: BTreeSet<String> = [DENY_ALL_POLICY, ALLOW_ALL_POLICY]
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut rule_names: BTreeSet<String> =
        Direction::BOTH.into_iter().map(allow_all_rule).collect();
    for policy in policies.iter_mut() {
        let fixed = policy.name == DENY_ALL_POLICY || policy.name == ALLOW_ALL_POLICY;
        if !fixed {
            let name = first_free(&mut policy_names, &policy.name);
            if name != policy.name {
                warnings.push(TranslateWarning {
                    rule: policy.name.clone(),
                    message: format!(
                        "firewall policy renamed `{name}`: an earlier policy has the same name"
                    ),
                });
                policy.name = name;
            }
        }
        for rule in &mut policy.rules {
            if policy.name == ALLOW_ALL_POLICY {
                continue;
            }
            let name = first_free(&mut rule_names, &rule.name);
            if name != rule.name {
                warnings.push(TranslateWarning {
                    rule: rule.name.clone(),
                    message: format!(
                        "renamed `{name}`: an earlier rule of another policy has the same name"
                    ),
                });
                rule.name = name;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_qualified_then_numbered_only_when_taken() {
        let taken = ["db", "prod-db", "prod-db-1"];
        let is_taken = |name: &str| taken.contains(&name);
        assert_eq!(unique_group("web".into(), "prod", is_taken), "web");
        assert_eq!(unique_group("db".into(), "dev", is_taken), "dev-db");
        assert_eq!(unique_group("db".into(), "prod", is_taken), "prod-db-2");
    }
}
