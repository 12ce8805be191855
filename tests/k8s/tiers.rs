//! Reading and validating ClusterNetworkPolicy (v1alpha2), AdminNetworkPolicy and
//! BaselineAdminNetworkPolicy (v1alpha1) as their CRDs do: schemas and CEL rules of
//! kubernetes-sigs/network-policy-api, with field paths.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use tagwall::k8s::{LoadOptions, Loader, load_str};
use tagwall::model::{
    BANP_PRIORITY, ClusterPolicyKind, PodSet, Tier, TierAction, TierPeer, TierPort,
};
use tagwall::protocol::{PortRange, Protocol};

const CNP: &str = "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n";
const ANP: &str = "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n";
const BANP: &str =
    "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n";

fn error(text: &str) -> String {
    load_str("cnp.yaml", text).unwrap_err().to_string()
}

fn lenient(text: &str) -> tagwall::k8s::Loaded {
    let mut loader = Loader::new(LoadOptions {
        lenient: true,
        ..LoadOptions::default()
    });
    loader.add_bytes("cnp.yaml", text.as_bytes()).unwrap();
    loader.finish().unwrap()
}

#[test]
fn all_three_kinds_load_into_one_shape_in_evaluation_order() {
    let text = format!(
        r#"apiVersion: v1
kind: List
items:
- {{{cnp_v}, kind: ClusterNetworkPolicy, metadata: {{name: zeta}},
   spec: {{tier: Admin, priority: 10, subject: {{namespaces: {{}}}},
     egress: [{{name: dns, action: Accept, to: [{{networks: [10.0.0.0/8, "fd00::/8"]}}],
       protocols: [{{udp: {{destinationPort: {{number: 53}}}}}},
                   {{tcp: {{destinationPort: {{range: {{start: 8000, end: 8080}}}}}}}}]}},
       {{name: web, action: Pass, to: [{{pods: {{podSelector: {{}}}}}}],
        protocols: [{{destinationNamedPort: http}}]}}]}}}}
- {{{cnp_v}, kind: ClusterNetworkPolicy, metadata: {{name: base}},
   spec: {{tier: Baseline, priority: 0, subject: {{pods: {{podSelector: {{matchLabels: {{app: db}}}}}}}},
     ingress: [{{action: Deny, from: [{{namespaces: {{matchLabels: {{team: x}}}}}}]}}]}}}}
- {{{anp_v}, kind: AdminNetworkPolicy, metadata: {{name: alpha}},
   spec: {{priority: 10, subject: {{pods: {{namespaceSelector: {{}}, podSelector: {{}}}}}},
     ingress: [{{name: pass-monitoring, action: Pass, from: [{{namespaces: {{matchLabels: {{m: "1"}}}}}}],
       ports: [{{portNumber: {{port: 9090}}}}, {{portRange: {{protocol: UDP, start: 1, end: 2}}}},
               {{namedPort: metrics}}]}}],
     egress: [{{action: Allow, to: [{{nodes: {{matchExpressions: [{{key: role, operator: Exists}}]}}}}]}}]}}}}
- {{{anp_v}, kind: BaselineAdminNetworkPolicy, metadata: {{name: default}},
   spec: {{subject: {{namespaces: {{}}}}, ingress: [{{action: Deny, from: [{{namespaces: {{}}}}]}}]}}}}
"#,
        cnp_v = "apiVersion: policy.networking.k8s.io/v1alpha2",
        anp_v = "apiVersion: policy.networking.k8s.io/v1alpha1",
    );
    let loaded = load_str("tiers.yaml", &text).unwrap();
    assert!(
        loaded.skipped_kinds.is_empty(),
        "{:?}",
        loaded.skipped_kinds
    );
    let policies = &loaded.cluster.cluster_policies;
    let order: Vec<(Tier, u32, String)> = policies
        .iter()
        .map(|p| (p.tier, p.priority, p.key()))
        .collect();
    // Admin before Baseline; priority; then name: `alpha` before `zeta` at priority 10; the
    // BaselineAdminNetworkPolicy after every Baseline ClusterNetworkPolicy.
    assert_eq!(
        order,
        [
            (Tier::Admin, 10, "AdminNetworkPolicy/alpha".to_string()),
            (Tier::Admin, 10, "ClusterNetworkPolicy/zeta".to_string()),
            (Tier::Baseline, 0, "ClusterNetworkPolicy/base".to_string()),
            (
                Tier::Baseline,
                BANP_PRIORITY,
                "BaselineAdminNetworkPolicy/default".to_string()
            ),
        ]
    );
    let alpha = &policies[0];
    assert_eq!(alpha.kind, ClusterPolicyKind::AdminNetworkPolicy);
    assert_eq!(alpha.ingress[0].action, TierAction::Pass);
    assert_eq!(alpha.ingress[0].name, "pass-monitoring");
    assert_eq!(
        alpha.ingress[0].ports,
        Some(vec![
            TierPort::Numbers {
                protocol: Protocol::Tcp,
                ports: PortRange::single(9090)
            },
            TierPort::Numbers {
                protocol: Protocol::Udp,
                ports: PortRange { start: 1, end: 2 }
            },
            TierPort::Named("metrics".to_string()),
        ])
    );
    // v1alpha1's Allow is read as Accept.
    assert_eq!(alpha.egress[0].action, TierAction::Accept);
    assert!(matches!(alpha.egress[0].peers[0], TierPeer::Nodes(_)));
    let zeta = &policies[1];
    assert_eq!(
        zeta.egress[0].peers,
        [TierPeer::Networks(vec![
            "10.0.0.0/8".parse().unwrap(),
            "fd00::/8".parse().unwrap()
        ])]
    );
    assert_eq!(
        zeta.egress[0].ports.as_ref().unwrap()[1],
        TierPort::Numbers {
            protocol: Protocol::Tcp,
            ports: PortRange {
                start: 8000,
                end: 8080
            }
        }
    );
    // `pods` without `namespaceSelector` (v1alpha2: optional) selects every namespace.
    let base = &policies[2];
    assert_eq!(base.subject.namespace_selector, Default::default());
    assert!(base.subject.pod_selector.is_some());
    assert_eq!(
        policies[3].subject,
        PodSet {
            namespace_selector: Default::default(),
            pod_selector: None
        }
    );
}

#[test]
fn the_schema_is_enforced_with_field_paths() {
    let cases: &[(&str, &str)] = &[
        (
            "metadata: {name: a}\nspec: {tier: Admin, subject: {namespaces: {}}}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.priority: required",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1001, subject: {namespaces: {}}}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.priority: `1001` must be between 0 and 1000, inclusive",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Middle, priority: 1, subject: {namespaces: {}}}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.tier: unsupported value `Middle`: supported values: `Admin`, `Baseline`",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {}}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.subject: exactly one of `namespaces`, `pods` must be set",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}, pods: {podSelector: {}}}}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.subject: exactly one of `namespaces`, `pods` may be set",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {pods: {namespaceSelector: {}}}}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.subject.pods.podSelector: required",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Allow, from: [{namespaces: {}}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.ingress[0].action: unsupported value `Allow`: supported values: `Accept`, `Deny`, `Pass`; load with --lenient to fail the rule closed (a deny)",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: []}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.ingress[0].from: required: must contain at least one item",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.ingress[0].from[0]: exactly one of `namespaces`, `pods` must be set",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{networks: [10.0.0.0/8]}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.ingress[0].from[0].networks: not a field of this peer: ingress peers set exactly one of `namespaces`, `pods`",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {}, nodes: {}}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].to[0]: exactly one of `namespaces`, `pods`, `nodes`, `networks`, `domainNames` may be set",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.0/33]}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].to[0].networks[0]: `10.0.0.0/33` is not a valid CIDR",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.0/8, 10.0.0.0/8]}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].to[0].networks[1]: duplicate value `10.0.0.0/8`",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.0/8]}], protocols: [{destinationNamedPort: http}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].protocols: networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 80, end: 80}}}}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].protocols[0].tcp.destinationPort.range: start port must be less than end port (`80` >= `80`)",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {}}], protocols: [{tcp: {}}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].protocols[0].tcp.destinationPort: required",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 0}}}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].protocols[0].tcp.destinationPort.number: `0` must be between 1 and 65535, inclusive",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 80}}, udp: {destinationPort: {number: 53}}}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].protocols[0]: exactly one of `tcp`, `udp`, `sctp`, `destinationNamedPort` may be set",
        ),
        (
            "metadata: {name: a}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{domainNames: [example.com]}]}]}",
            "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0].to[0].domainNames: domainNames peers match DNS names, which tagwall cannot evaluate on addresses; load with --lenient to leave the rule out",
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(error(&format!("{CNP}{body}\n")), *expected, "{body}");
    }
}

#[test]
fn rule_and_peer_counts_are_bounded_per_version() {
    let rule = "{action: Deny, from: [{namespaces: {}}]}";
    let rules = |n: usize| vec![rule; n].join(", ");
    let cnp = |n: usize| {
        format!(
            "{CNP}metadata: {{name: a}}\nspec: {{tier: Admin, priority: 1, subject: {{namespaces: {{}}}}, ingress: [{}]}}\n",
            rules(n)
        )
    };
    assert!(load_str("cnp.yaml", &cnp(25)).is_ok());
    assert_eq!(
        error(&cnp(26)),
        "cnp.yaml: ClusterNetworkPolicy a: spec.ingress: must have at most 25 items, has 26"
    );
    let anp = |n: usize| {
        format!(
            "{ANP}metadata: {{name: a}}\nspec: {{priority: 1, subject: {{namespaces: {{}}}}, ingress: [{}]}}\n",
            rules(n).replace("Deny", "Allow")
        )
    };
    assert!(load_str("cnp.yaml", &anp(100)).is_ok());
    assert_eq!(
        error(&anp(101)),
        "cnp.yaml: AdminNetworkPolicy a: spec.ingress: must have at most 100 items, has 101"
    );
    let peers = vec!["{namespaces: {}}"; 26].join(", ");
    assert_eq!(
        error(&format!(
            "{CNP}metadata: {{name: a}}\nspec: {{tier: Admin, priority: 1, subject: {{namespaces: {{}}}}, ingress: [{{action: Deny, from: [{peers}]}}]}}\n"
        )),
        "cnp.yaml: ClusterNetworkPolicy a: spec.ingress[0].from: must have at most 25 items, has 26"
    );
}

#[test]
fn v1alpha1_rules_of_its_own() {
    assert_eq!(
        error(&format!(
            "{BANP}metadata: {{name: mine}}\nspec: {{subject: {{namespaces: {{}}}}}}\n"
        )),
        "cnp.yaml: BaselineAdminNetworkPolicy mine: metadata.name: `mine` is invalid: only one \
         baseline admin network policy with metadata.name=\"default\" can be created in the cluster"
    );
    assert_eq!(
        error(&format!(
            "{BANP}metadata: {{name: default}}\nspec: {{subject: {{namespaces: {{}}}}, ingress: [{{action: Pass, from: [{{namespaces: {{}}}}]}}]}}\n"
        )),
        "cnp.yaml: BaselineAdminNetworkPolicy default: spec.ingress[0].action: unsupported value \
         `Pass`: supported values: `Allow`, `Deny`; load with --lenient to fail the rule closed \
         (a deny)"
    );
    assert_eq!(
        error(&format!(
            "{ANP}metadata: {{name: a}}\nspec: {{priority: 1, subject: {{pods: {{podSelector: {{}}}}}}}}\n"
        )),
        "cnp.yaml: AdminNetworkPolicy a: spec.subject.pods.namespaceSelector: required"
    );
    assert_eq!(
        error(&format!(
            "{ANP}metadata: {{name: a}}\nspec: {{priority: 1, subject: {{namespaces: {{}}}}, egress: [{{action: Deny, to: [{{nodes: {{}}}}], ports: [{{namedPort: http}}]}}]}}\n"
        )),
        "cnp.yaml: AdminNetworkPolicy a: spec.egress[0].ports: networks/nodes/domainNames peer \
         cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames"
    );
    assert_eq!(
        error(&format!(
            "{ANP}metadata: {{name: a}}\nspec: {{priority: 1, subject: {{namespaces: {{}}}}, egress: [{{action: Deny, to: [{{namespaces: {{}}}}], ports: [{{portRange: {{start: 9, end: 3}}}}]}}]}}\n"
        )),
        "cnp.yaml: AdminNetworkPolicy a: spec.egress[0].ports[0].portRange: start port must be \
         less than end port (`9` >= `3`)"
    );
    assert_eq!(
        error(&format!(
            "{BANP}metadata: {{name: default}}\nspec: {{subject: {{namespaces: {{}}}}, egress: [{{action: Deny, to: [{{domainNames: [a.io]}}]}}]}}\n"
        )),
        "cnp.yaml: BaselineAdminNetworkPolicy default: spec.egress[0].to[0].domainNames: not a \
         field of this peer: egress peers set exactly one of `namespaces`, `pods`, `nodes`, `networks`"
    );
}

#[test]
fn lenient_loading_leaves_domain_name_rules_out_and_keeps_the_rest() {
    let loaded = lenient(&format!(
        "{CNP}metadata: {{name: a}}\nspec: {{tier: Admin, priority: 1, subject: {{namespaces: {{}}}}, egress: [{{name: web, action: Accept, to: [{{domainNames: [\"*.example.com\"]}}]}}, {{name: rest, action: Deny, to: [{{networks: [0.0.0.0/0]}}]}}]}}\n"
    ));
    let policy = &loaded.cluster.cluster_policies[0];
    assert_eq!(policy.egress.len(), 1);
    assert_eq!(policy.egress[0].name, "rest");
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(
        loaded.warnings[0].to_string(),
        "cnp.yaml: ClusterNetworkPolicy a: spec.egress[0]: rule `web` left out: `domainNames` \
         peers match DNS names, which tagwall cannot evaluate on addresses"
    );
}

#[test]
fn actions_of_a_newer_version_fail_closed_when_lenient() {
    let text = format!(
        "{CNP}metadata: {{name: a}}\nspec: {{tier: Admin, priority: 1, subject: {{namespaces: {{}}}}, ingress: [\
         {{name: log, action: Log, from: [{{namespaces: {{matchLabels: {{team: x}}}}}}], protocols: [{{tcp: {{destinationPort: {{number: 80}}}}}}]}}, \
         {{name: ok, action: Accept, from: [{{namespaces: {{}}}}]}}]}}\n"
    );
    // The schema's enum rejects it, as the API server would.
    assert_eq!(
        error(&text),
        "cnp.yaml: ClusterNetworkPolicy a: spec.ingress[0].action: unsupported value `Log`: \
         supported values: `Accept`, `Deny`, `Pass`; load with --lenient to fail the rule closed \
         (a deny)"
    );
    // Lenient: the policy stays (skipping it would allow what it may have meant to deny), and
    // the rule denies exactly the traffic it selects.
    let loaded = lenient(&text);
    let rules = &loaded.cluster.cluster_policies[0].ingress;
    assert_eq!(rules.len(), 2);
    assert_eq!(
        (rules[0].name.as_str(), rules[0].action),
        ("log", TierAction::Deny)
    );
    assert_eq!(
        rules[0].ports,
        Some(vec![TierPort::Numbers {
            protocol: Protocol::Tcp,
            ports: PortRange::single(80)
        }])
    );
    assert!(
        matches!(&rules[0].peers[..], [TierPeer::Pods(set)] if set.pod_selector.is_none()),
        "{:?}",
        rules[0].peers
    );
    assert_eq!(rules[1].action, TierAction::Accept);
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.field == "spec.ingress[0]" && w.message.contains("failing closed")),
        "{:?}",
        loaded.warnings
    );
    // A missing or non-string action is no newer action: an error even when lenient.
    let missing = text.replace("action: Log, ", "");
    assert!(error(&missing).ends_with("spec.ingress[0].action: required"));
}

#[test]
fn peers_of_a_newer_version_fail_closed() {
    let text = format!(
        "{CNP}metadata: {{name: a}}\nspec: {{tier: Admin, priority: 1, subject: {{namespaces: {{}}}}, egress: [\
         {{name: acc, action: Accept, to: [{{services: {{}}}}]}}, \
         {{name: pas, action: Pass, to: [{{namespaces: {{}}}}, {{services: {{}}}}], protocols: [{{tcp: {{destinationPort: {{number: 1}}}}}}]}}]}}\n"
    );
    let loaded = load_str("cnp.yaml", &text).unwrap();
    let rules = &loaded.cluster.cluster_policies[0].egress;
    // "For "Accept" rules, "fail closed" means: "treat the rule as matching no traffic". For
    // "Deny" and "Pass" rules, ... "treat the rule as a 'Deny all' rule"".
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].name, "pas");
    assert_eq!(rules[0].action, TierAction::Deny);
    assert_eq!(rules[0].ports, None);
    assert_eq!(
        rules[0].peers,
        [TierPeer::Networks(vec![
            "0.0.0.0/0".parse().unwrap(),
            "::/0".parse().unwrap()
        ])]
    );
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.field == "spec.egress[0].to[0]" && w.message.contains("`services`")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn same_priority_overlaps_are_ordered_by_name_with_a_warning() {
    let text = format!(
        r#"apiVersion: v1
kind: List
items:
- {{apiVersion: v1, kind: Pod, metadata: {{namespace: x, name: a, labels: {{app: db}}}}, status: {{podIP: 10.0.0.1}}}}
- {{{v}, kind: ClusterNetworkPolicy, metadata: {{name: b-second}},
   spec: {{tier: Admin, priority: 5, subject: {{namespaces: {{}}}}}}}}
- {{{v}, kind: ClusterNetworkPolicy, metadata: {{name: a-first}},
   spec: {{tier: Admin, priority: 5, subject: {{pods: {{podSelector: {{matchLabels: {{app: db}}}}}}}}}}}}
- {{{v}, kind: ClusterNetworkPolicy, metadata: {{name: c-apart}},
   spec: {{tier: Admin, priority: 5, subject: {{pods: {{podSelector: {{matchLabels: {{app: web}}}}}}}}}}}}
- {{{v}, kind: ClusterNetworkPolicy, metadata: {{name: d-baseline}},
   spec: {{tier: Baseline, priority: 5, subject: {{namespaces: {{}}}}}}}}
"#,
        v = "apiVersion: policy.networking.k8s.io/v1alpha2"
    );
    let loaded = load_str("overlap.yaml", &text).unwrap();
    let names: Vec<&str> = loaded
        .cluster
        .cluster_policies
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["a-first", "b-second", "c-apart", "d-baseline"]);
    // Only the pair selecting a common pod, in one tier, is reported.
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert_eq!(
        loaded.warnings[0].to_string(),
        "overlap.yaml: ClusterNetworkPolicy b-second: spec.priority: Admin tier policies \
         `ClusterNetworkPolicy/a-first` and `ClusterNetworkPolicy/b-second` share priority `5` \
         and both select pod `x/a`; `ClusterNetworkPolicy/a-first` is evaluated first \
         (same-priority policies go by name)"
    );
}

#[test]
fn duplicates_and_other_versions() {
    let one = format!(
        "{CNP}metadata: {{name: a}}\nspec: {{tier: Admin, priority: 1, subject: {{namespaces: {{}}}}}}\n"
    );
    assert_eq!(
        error(&format!("{one}---\n{one}")),
        "cnp.yaml: ClusterNetworkPolicy a: metadata.name: already defined in `cnp.yaml`"
    );
    // An AdminNetworkPolicy and a ClusterNetworkPolicy may share a name.
    let anp = format!(
        "{ANP}metadata: {{name: a}}\nspec: {{priority: 1, subject: {{namespaces: {{}}}}}}\n"
    );
    assert_eq!(
        load_str("cnp.yaml", &format!("{one}---\n{anp}"))
            .unwrap()
            .cluster
            .cluster_policies
            .len(),
        2
    );
    // Another version of a known kind is an error (dropped silently, it would allow what it
    // denies), and left out with a warning when lenient.
    let other = one.replace("v1alpha2", "v1beta1");
    assert_eq!(
        error(&other),
        "cnp.yaml: ClusterNetworkPolicy a: apiVersion: `policy.networking.k8s.io/v1beta1` is not \
         read: tagwall reads ClusterNetworkPolicy as `policy.networking.k8s.io/v1alpha2`"
    );
    let loaded = lenient(&other);
    assert!(loaded.cluster.cluster_policies.is_empty());
    assert_eq!(loaded.warnings.len(), 1);
    // Lenient loading leaves an invalid one out with a warning.
    let loaded = lenient(&one.replace("priority: 1", "priority: -1"));
    assert!(loaded.cluster.cluster_policies.is_empty());
    assert_eq!(loaded.warnings.len(), 1);
}
