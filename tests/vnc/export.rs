//! `vnc-json`: objects a Contrail API server accepts, in the order a vRouter agent evaluates,
//! deciding every connection as tagwall does.
//!
//! Contrail facts these tests rely on are cited where the code states them
//! (`src/firewall/vnc/*.rs`); the schema test cites the schema files it transcribes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on broken fixtures"
)]

use crate::support;

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::Value;
use tagwall::compile::{Builder, Config};
use tagwall::firewall::vnc::eval::{Evaluator, VncSide};
use tagwall::firewall::vnc::{self, VncObjects, verify};
use tagwall::firewall::{Action, FirewallConfig};
use tagwall::k8s::{LoadOptions, load_files};
use tagwall::model::Cluster;
use tagwall::protocol::Protocol;
use tagwall::reference::linear;
use tagwall::translate::{Mode, translate};
use tagwall::tuple::Tuple;

fn example(mode: Mode) -> FirewallConfig {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/test-network-policy.yaml");
    let loaded = load_files(&[path], LoadOptions::default()).expect("the example loads");
    translate(&loaded.cluster, mode).config
}

fn load(text: &str) -> Cluster {
    tagwall::k8s::load_str("vnc.yaml", text)
        .expect("loads")
        .cluster
}

/// The verifier's report against the compiled engine, asserted clean.
fn assert_verified(config: &FirewallConfig, objects: &VncObjects, context: &str) {
    let decision = Builder::new(Config::default())
        .build(config)
        .expect("compiles");
    let report = verify::verify(config, objects, |t| decision.lookup(t).allowed())
        .expect("the objects resolve");
    assert!(report.tried > 0, "{context}: nothing tried");
    assert!(
        report.disagreements.is_empty(),
        "{context}: {} of {} disagree, first {:?}",
        report.disagreements.len(),
        report.tried,
        report.disagreements.first()
    );
}

fn tcp(src: &str, dst: &str, port: u16) -> Tuple {
    Tuple {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        protocol: Protocol::Tcp,
        src_port: 40000,
        dst_port: port,
    }
}

#[test]
fn vnc_json_posts_every_object_kind_with_references_in_sequence_order() {
    let config = example(Mode::Cn2);
    let (objects, warnings) = vnc::export(&config);
    assert!(warnings.is_empty(), "{warnings:?}");
    let names = |kind: &str| -> Vec<String> {
        objects[kind]
            .as_array()
            .expect("a list per kind")
            .iter()
            .map(|o| o["name"].as_str().expect("named").to_string())
            .collect()
    };
    assert_eq!(
        names("tag"),
        [
            "role=db",
            "namespace=default",
            "project=myproject",
            "role=frontend",
            "application=k8s",
        ]
    );
    assert_eq!(
        names("address-group"),
        [
            "test-network-policy-except",
            "test-network-policy",
            "test-network-policy-egress"
        ]
    );
    let policy = &objects["firewall-policy"][0];
    assert_eq!(policy["name"], "default-test-network-policy");
    assert_eq!(policy["parent_type"], "project");
    let refs = policy["firewall_rule_refs"].as_array().expect("refs");
    assert_eq!(refs.len(), 5);
    assert_eq!(
        refs[0]["to"][2],
        "default-ingress-test-network-policy-0-ipBlock-0-172.17.1.0/24-0"
    );
    assert_eq!(refs[0]["attr"]["sequence"], "00000.0");
    assert_eq!(refs[4]["attr"]["sequence"], "00004.0");
    let rule = &objects["firewall-rule"][0];
    assert_eq!(rule["action_list"]["simple_action"], "deny");
    assert_eq!(rule["direction"], "<");
    assert_eq!(rule["service"]["dst_ports"]["start_port"], 6379);
    assert_eq!(
        rule["endpoint_2"]["address_group"],
        "default-domain:k8s:test-network-policy-except"
    );
    let aps = &objects["application-policy-set"][0];
    assert_eq!(aps["firewall_policy_refs"][1]["to"][2], "k8s-denyall");
    // Bound like kube-manager binds its cluster set: by an application tag its workloads carry.
    assert_eq!(aps["tag_refs"][0]["to"][2], "application=k8s");
    let db = objects["virtual-machine-interface"]
        .as_array()
        .expect("interfaces")
        .iter()
        .find(|v| v["display_name"] == "default/db")
        .expect("db is exported");
    let db_tags: Vec<&str> = db["tag_refs"]
        .as_array()
        .expect("tag refs")
        .iter()
        .map(|r| r["to"][2].as_str().expect("fq_name"))
        .collect();
    assert_eq!(db_tags, ["application=k8s", "namespace=default", "role=db"]);
    assert_verified(&config, &vnc::export_objects(&config).0, "example cn2");
    assert_verified(
        &example(Mode::Kubernetes),
        &vnc::export_objects(&example(Mode::Kubernetes)).0,
        "example kubernetes",
    );
}

#[test]
fn vnc_json_says_every_selector_over_the_inventory() {
    let cluster = load(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app.kubernetes.io/name: web, tier: a}}
spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {tier: b}}
status: {podIP: 10.1.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: default, labels: {tier: c}}
status: {podIP: 10.1.0.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: default}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: web}}
  ingress:
  - from:
    - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24]}
    - podSelector: {matchExpressions: [{key: tier, operator: In, values: [a, b]}]}
    - podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [c]}]}
    ports: [{port: 80}]
  - from: [{podSelector: {matchExpressions: [{key: tier, operator: In, values: [a, b]}]}}]
  - ports: [{port: http}]
"#,
    );
    let config = translate(&cluster, Mode::Kubernetes).config;
    let (objects, warnings) = vnc::export(&config);
    assert!(warnings.is_empty(), "{warnings:?}");
    let rules: Vec<&Value> = objects["firewall-rule"]
        .as_array()
        .expect("rules")
        .iter()
        .collect();
    let named = |prefix: &str| -> Vec<&Value> {
        rules
            .iter()
            .copied()
            .filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
            .collect()
    };
    // In with two values: one rule per value; `/` in the label key escaped in lower case.
    let in_rules = named("default-ingress-web-1");
    assert_eq!(in_rules.len(), 2);
    assert_eq!(
        in_rules[0]["name"],
        "default-ingress-web-1-podSelector-0-0-e0"
    );
    assert_eq!(
        in_rules[0]["endpoint_1"]["tags"][0],
        "kubernetes.io_2fname=web".replace("kubernetes", "app.kubernetes")
    );
    assert_eq!(in_rules[0]["endpoint_2"]["tags"][1], "tier=a");
    assert_eq!(in_rules[1]["endpoint_2"]["tags"][1], "tier=b");
    // NotIn: a computed label tag that exactly the matching workloads carry.
    let not_in = named("default-ingress-web-0-podSelector-2-0");
    assert_eq!(not_in.len(), 1);
    let computed = not_in[0]["endpoint_2"]["tags"][0].as_str().expect("a tag");
    assert!(computed.starts_with("label=tagwall-sel-"), "{computed}");
    let carriers: Vec<&str> = objects["virtual-machine-interface"]
        .as_array()
        .expect("interfaces")
        .iter()
        .filter(|v| {
            v["tag_refs"]
                .as_array()
                .expect("refs")
                .iter()
                .any(|r| r["to"][2] == computed)
        })
        .map(|v| v["display_name"].as_str().expect("named"))
        .collect();
    assert_eq!(carriers, ["default/client", "default/web"]);
    // The named port: its number, on the workloads that give the name that number.
    let http = named("default-ingress-web-2-any-0-0");
    assert_eq!(http.len(), 1);
    assert_eq!(http[0]["service"]["dst_ports"]["start_port"], 8080);
    assert_eq!(http[0]["service"]["dst_ports"]["end_port"], 8080);
    // 172.17.0.0/16 minus 172.17.1.0/24: eight prefixes, none overlapping the hole.
    let subnets = objects["address-group"][0]["address_group_prefix"]["subnet"]
        .as_array()
        .expect("subnets");
    assert_eq!(subnets.len(), 8);
    assert!(subnets.iter().all(|s| s["ip_prefix"] != "172.17.1.0"));
    assert_verified(&config, &vnc::export_objects(&config).0, "selectors");
}

/// With 11+ policies, "10" sorts before "2" as a string: sequences are zero-padded so the
/// agent's string order is the policy set's order.
#[test]
fn eleven_and_more_policies_keep_their_order() {
    let mut text = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default, labels: {app: a}}\nstatus: {podIP: 10.1.0.1}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: default, labels: {app: b}}\nstatus: {podIP: 10.1.0.2}\n",
    );
    for i in 0..12 {
        text.push_str(&format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{i:02}, namespace: default}}\n\
             spec:\n  podSelector: {{matchLabels: {{app: a}}}}\n  ingress:\n  - from: [{{podSelector: {{matchLabels: {{app: b}}}}}}]\n    ports: [{{port: {}}}]\n",
            1000 + i
        ));
    }
    let config = translate(&load(&text), Mode::Kubernetes).config;
    assert_eq!(config.application_policy_set.policies.len(), 14);
    let (objects, _) = vnc::export_objects(&config);
    let aps = &objects.application_policy_sets[0];
    let mut by_string: Vec<(&str, &str)> = aps
        .firewall_policy_refs
        .iter()
        .map(|r| {
            (
                r.attr.as_ref().expect("sequenced").sequence.as_str(),
                r.to[2].as_str(),
            )
        })
        .collect();
    by_string.sort();
    let order: Vec<&str> = by_string.iter().map(|(_, name)| *name).collect();
    let expected: Vec<&str> = config
        .application_policy_set
        .policies
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(order, expected);
    assert_eq!(order[13], "k8s-allowall");
    // And as the agent evaluates it: b reaches a on every policy's port (the twelfth too), and
    // nothing else.
    let evaluator = Evaluator::new(&objects).expect("resolves");
    assert!(
        evaluator
            .evaluate(&tcp("10.1.0.2", "10.1.0.1", 1011))
            .allowed()
    );
    assert!(
        !evaluator
            .evaluate(&tcp("10.1.0.2", "10.1.0.1", 1012))
            .allowed()
    );
    assert_verified(&config, &objects, "twelve policies");
}

/// The evaluator orders by the sequence string as the agent does: with the old unpadded
/// sequences ("0".."13"), `k8s-denyall` ("12") comes before the policies at "2".."9", and the
/// self-check says so.
#[test]
fn unpadded_sequences_are_caught_by_the_self_check() {
    let mut text = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: default, labels: {app: a}}\nstatus: {podIP: 10.1.0.1}\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: default, labels: {app: b}}\nstatus: {podIP: 10.1.0.2}\n",
    );
    for i in 0..12 {
        text.push_str(&format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{i:02}, namespace: default}}\n\
             spec:\n  podSelector: {{matchLabels: {{app: a}}}}\n  ingress:\n  - from: [{{podSelector: {{matchLabels: {{app: b}}}}}}]\n    ports: [{{port: {}}}]\n",
            1000 + i
        ));
    }
    let config = translate(&load(&text), Mode::Kubernetes).config;
    let (mut objects, _) = vnc::export_objects(&config);
    for (index, r) in objects.application_policy_sets[0]
        .firewall_policy_refs
        .iter_mut()
        .enumerate()
    {
        r.attr = Some(vnc::objects::Sequence {
            sequence: index.to_string(),
        });
    }
    let decision = Builder::new(Config::default())
        .build(&config)
        .expect("compiles");
    let report =
        verify::verify(&config, &objects, |t| decision.lookup(t).allowed()).expect("resolves");
    let denied = tcp("10.1.0.2", "10.1.0.1", 1005);
    let caught = report
        .disagreements
        .iter()
        .find(|d| d.tuple == denied)
        .expect("b -> a on p05's port is a disagreement");
    assert!(caught.tagwall);
    assert!(
        matches!(&caught.vnc.ingress, VncSide::Rule { name, pass: false } if name == "default-p00-denyall-ingress")
    );
}

/// `translate --output vnc-json --verify`: says how many connections agree, exit 0.
#[test]
fn the_cli_verifies_the_export() {
    let example =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/test-network-policy.yaml");
    for mode in ["kubernetes", "cn2"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tagwall"))
            .args([
                "translate",
                "-o",
                "vnc-json",
                "--verify",
                "--mode",
                mode,
                "-f",
            ])
            .arg(&example)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{mode}: {stderr}");
        assert!(
            stderr.contains("vnc-json verified: ")
                && stderr.contains("connections decided as tagwall decides them"),
            "{stderr}"
        );
        let objects: Value = serde_json::from_slice(&output.stdout).expect("json on stdout");
        assert!(
            objects["firewall-rule"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        );
    }
}

/// A deny-all whose selector uses `Exists` isolates exactly the pods with the key.
#[test]
fn deny_all_over_exists_exports_exactly() {
    let cluster = load(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: default, labels: {app: x}}
status: {podIP: 10.1.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: default, labels: {app: y}}
status: {podIP: 10.1.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: default}
status: {podIP: 10.1.0.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: default}
spec:
  podSelector: {matchExpressions: [{key: app, operator: Exists}]}
  policyTypes: [Ingress]
"#,
    );
    for mode in [Mode::Kubernetes, Mode::Cn2] {
        let config = translate(&cluster, mode).config;
        let (objects, warnings) = vnc::export_objects(&config);
        assert!(warnings.is_empty(), "{warnings:?}");
        let deny_all = objects
            .firewall_policies
            .iter()
            .find(|p| p.name == "k8s-denyall")
            .expect("deny-all policy");
        assert_eq!(deny_all.firewall_rule_refs.len(), 1, "{mode}");
        let evaluator = Evaluator::new(&objects).expect("resolves");
        let c_to_a = evaluator.evaluate(&tcp("10.1.0.3", "10.1.0.1", 80));
        assert!(
            matches!(&c_to_a.ingress, VncSide::Rule { name, pass: false } if name == "default-deny-denyall-ingress"),
            "{mode}: {c_to_a:?}"
        );
        assert!(
            !evaluator
                .evaluate(&tcp("10.1.0.3", "10.1.0.2", 80))
                .allowed()
        );
        assert!(
            evaluator
                .evaluate(&tcp("10.1.0.1", "10.1.0.3", 80))
                .allowed()
        );
        assert_verified(&config, &objects, &format!("exists {mode}"));
    }
}

/// Policies `a-b/c` and `a/b-c` both read `a-b-c`: every exported name stays unique.
#[test]
fn names_stay_unique_across_namespaces_and_post_without_colons() {
    let cluster = load(
        r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: c, namespace: a-b}
spec: {podSelector: {}, policyTypes: [Ingress, Egress], egress: [{to: [{ipBlock: {cidr: "fd00:31::/64"}}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-c, namespace: a}
spec: {podSelector: {}, policyTypes: [Ingress]}
"#,
    );
    for mode in [Mode::Kubernetes, Mode::Cn2] {
        let config = translate(&cluster, mode).config;
        let mut policies: Vec<&str> = config
            .application_policy_set
            .policies
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let mut rules: Vec<&str> = config.rules().map(|(_, _, r)| r.name.as_str()).collect();
        let (policy_count, rule_count) = (policies.len(), rules.len());
        policies.sort_unstable();
        policies.dedup();
        rules.sort_unstable();
        rules.dedup();
        assert_eq!(policies.len(), policy_count, "{mode}: {policies:?}");
        assert_eq!(rules.len(), rule_count, "{mode}: {rules:?}");
        let (objects, _) = vnc::export(&config);
        for (kind, list) in objects.as_object().expect("by kind") {
            let mut names: Vec<&str> = list
                .as_array()
                .expect("a list")
                .iter()
                .map(|o| o["name"].as_str().expect("named"))
                .collect();
            assert!(names.iter().all(|n| !n.contains(':')), "{kind}: {names:?}");
            let count = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "{mode} {kind}");
        }
    }
}

fn synthetic(seed: u64) -> Cluster {
    let params = tagwall::synth::SynthParams {
        namespaces: 3,
        pods: 10,
        policies: 6,
        seed,
        ..Default::default()
    };
    tagwall::k8s::load_str("synthetic.json", &tagwall::synth::generate(&params))
        .expect("synthetic clusters load")
        .cluster
}

/// The self-check on generated clusters, both modes: the exported objects, evaluated in agent
/// order, decide every probe as the compiled engine and the linear scan do. Clusters:
/// `TAGWALL_PROPTEST_CASES / 16` seeds (at least 4).
#[test]
fn vnc_objects_decide_as_tagwall_on_synthetic_clusters() {
    let seeds = u64::from(support::cases(64) / 16).max(4);
    for seed in 0..seeds {
        let cluster = synthetic(seed);
        for mode in [Mode::Kubernetes, Mode::Cn2] {
            let config = translate(&cluster, mode).config;
            let (objects, _) = vnc::export_objects(&config);
            assert_verified(&config, &objects, &format!("seed {seed} {mode}"));
            let evaluator = Evaluator::new(&objects).expect("resolves");
            for tuple in verify::probes(&config).into_iter().step_by(5) {
                assert_eq!(
                    evaluator.evaluate(&tuple).allowed(),
                    linear::evaluate(&config, &tuple).allowed(),
                    "seed {seed} {mode} {tuple:?}"
                );
            }
        }
    }
}

/// The export decides every connection as the linear scan does, except where it warned: a
/// tier's pass goes out as a deny (Contrail has no pass), and a deny Contrail cannot say as
/// written is widened; then it may deny more, and must still never allow more.
fn check_firewall(config: &FirewallConfig, tuples: &[Tuple]) -> Result<(), TestCaseError> {
    let (objects, warnings) = vnc::export_objects(config);
    let has_pass = config
        .rules()
        .any(|(_, _, rule)| rule.action == Action::Next);
    prop_assert!(
        !has_pass || !warnings.is_empty(),
        "a tier pass was exported without a warning"
    );
    let evaluator = Evaluator::new(&objects).expect("resolves");
    for tuple in tuples
        .iter()
        .chain(verify::probes(config).iter().step_by(3))
    {
        let expected = linear::evaluate(config, tuple);
        let got = evaluator.evaluate(tuple);
        let context = || {
            format!(
                "{tuple:?}\nvnc: {got:?}\nlinear: {expected:?}\nwarnings: {warnings:?}\nconfig: {}",
                serde_json::to_string(config).unwrap()
            )
        };
        prop_assert!(
            !got.allowed() || expected.allowed(),
            "the export allows what tagwall denies: {}",
            context()
        );
        if warnings.is_empty() {
            prop_assert_eq!(got.allowed(), expected.allowed(), "{}", context());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(support::proptest_config(support::cases(64)))]

    /// Arbitrary firewall models (every tag operator, named ports of several protocols, nested
    /// groups with holes, shared addresses) export exactly.
    #[test]
    fn vnc_objects_decide_as_the_linear_scan_on_arbitrary_firewalls(
        (config, tuples) in support::compiled::firewall_and_tuples(24)
    ) {
        check_firewall(&config, &tuples)?;
    }
}
