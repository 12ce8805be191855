//! ClusterNetworkPolicy tiers as firewall objects: the set's order, the `next` action, the
//! tables `translate` prints, and how `vnc-json` refuses what Contrail cannot say.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use tagwall::firewall::{Action, vnc};
use tagwall::k8s::load_str;
use tagwall::translate::{Mode, translate};

const EXAMPLE: &str = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: gryffindor, labels: {house: gryffindor}}}
- {apiVersion: v1, kind: Namespace, metadata: {name: slytherin, labels: {house: slytherin}}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: gryffindor, name: harry}, status: {podIP: 10.0.1.1}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: slytherin, name: draco}, status: {podIP: 10.0.2.1}}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {namespace: gryffindor, name: web}
  spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}]}
- apiVersion: policy.networking.k8s.io/v1alpha2
  kind: ClusterNetworkPolicy
  metadata: {name: walls}
  spec:
    tier: Baseline
    priority: 0
    subject: {namespaces: {}}
    ingress: [{name: other-houses, action: Deny, from: [{namespaces: {}}]}]
- apiVersion: policy.networking.k8s.io/v1alpha2
  kind: ClusterNetworkPolicy
  metadata: {name: deny-slytherin}
  spec:
    tier: Admin
    priority: 10
    subject: {namespaces: {matchLabels: {house: gryffindor}}}
    ingress:
    - {name: no-slytherin, action: Deny, from: [{namespaces: {matchLabels: {house: slytherin}}}]}
    - {name: rest, action: Pass, from: [{namespaces: {}}]}
    egress:
    - name: dns
      action: Accept
      to: [{networks: [10.96.0.10/32]}]
      protocols: [{udp: {destinationPort: {number: 53}}}, {destinationNamedPort: dns}]
"#;

#[test]
fn tiers_sit_around_the_networkpolicy_objects_in_set_order() {
    let cluster = load_str("tiers.yaml", EXAMPLE).unwrap_err();
    // destinationNamedPort with a networks peer is refused, as the CRD's CEL rule does.
    assert!(
        cluster.to_string().contains("spec.egress[0].protocols"),
        "{cluster}"
    );
    let text = EXAMPLE.replace(", {destinationNamedPort: dns}", "");
    let config = translate(
        &load_str("tiers.yaml", &text).unwrap().cluster,
        Mode::Kubernetes,
    )
    .config;
    let order: Vec<(&str, Option<&str>)> = config
        .application_policy_set
        .policies
        .iter()
        .map(|p| (p.name.as_str(), p.tier.as_deref()))
        .collect();
    assert_eq!(
        order,
        [
            ("cnp_deny-slytherin", Some("admin")),
            ("gryffindor-web", None),
            ("k8s-denyall", None),
            ("cnp_walls", Some("baseline")),
            ("k8s-allowall", None),
        ]
    );
    let admin = &config.application_policy_set.policies[0];
    let actions: Vec<(&str, Action)> = admin
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("cnp_deny-slytherin-ingress-0-0-0", Action::Deny),
            ("cnp_deny-slytherin-ingress-1-0-0", Action::Next),
            ("cnp_deny-slytherin-egress-0-0-0", Action::Pass),
        ]
    );
    // The admin tier's Pass goes on at the NetworkPolicy tier's first rule.
    let (next, _, _) = config
        .rules()
        .find(|(_, _, r)| r.action == Action::Next)
        .unwrap();
    let (start, policy, _) = config
        .rules()
        .find(|(id, _, _)| Some(*id) == config.next_tier(next))
        .unwrap();
    assert_eq!(policy.name, "gryffindor-web");
    assert_eq!(start.0, 3);
    let tables = config.tables();
    assert!(
        tables.contains("Name                Tier      Rules"),
        "{tables}"
    );
    assert!(
        tables.contains("cnp_walls           baseline  cnp_walls-ingress-0-0-0"),
        "{tables}"
    );
    assert!(tables.contains("Address Group: 10.96.0.10/32"), "{tables}");
    assert!(tables.contains("ns:house=slytherin"), "{tables}");
}

#[test]
fn vnc_json_exports_a_tier_pass_as_deny_with_a_warning() {
    let text = EXAMPLE.replace(", {destinationNamedPort: dns}", "");
    let config = translate(
        &load_str("tiers.yaml", &text).unwrap().cluster,
        Mode::Kubernetes,
    )
    .config;
    let (value, warnings) = vnc::export(&config);
    // The Pass becomes a deny, with the one warning; the baseline's deny, whose peer is every
    // workload, is said exactly (a computed tag on the workloads), so it needs none.
    let pass_rule = "cnp_deny-slytherin-ingress-1-0-0";
    let walls_rule = "cnp_walls-ingress-0-0-0";
    assert_eq!(
        warnings.iter().map(|w| w.rule.as_str()).collect::<Vec<_>>(),
        [pass_rule]
    );
    let exported = |name: &str| {
        value["firewall-rule"]
            .as_array()
            .unwrap()
            .iter()
            // Contrail names escape `_` as `_5f`; a rule said as several is `<name>-e<k>`.
            .find(|r| {
                r["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(&name.replace('_', "_5f")))
            })
            .cloned()
            .unwrap()
    };
    assert_eq!(exported(pass_rule)["action_list"]["simple_action"], "deny");
    assert_eq!(exported(walls_rule)["action_list"]["simple_action"], "deny");
    assert_ne!(
        exported(walls_rule)["endpoint_2"],
        serde_json::json!({"any": true}),
        "the baseline deny keeps its peer"
    );
    // Every tier rule is exported: none left out to let its traffic through.
    for policy in &config.application_policy_set.policies {
        for rule in policy.rules.iter().filter(|_| policy.tier.is_some()) {
            assert!(
                value["firewall-rule"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["name"]
                        .as_str()
                        .unwrap()
                        .starts_with(&rule.name.replace('_', "_5f"))),
                "{} left out",
                rule.name
            );
        }
    }
    // No exported rule carries an action Contrail does not know.
    for rule in value["firewall-rule"].as_array().unwrap() {
        let action = rule["action_list"]["simple_action"].as_str().unwrap();
        assert!(matches!(action, "pass" | "deny"), "{rule}");
    }
}

/// `examples/tiers.yaml`, the README's worked example: every engine gives the README's matrix.
#[test]
fn the_worked_example_holds_on_every_engine() {
    use tagwall::compile::{Builder, Config};
    use tagwall::protocol::Protocol;
    use tagwall::reference::{kubernetes, linear};
    use tagwall::tuple::Tuple;

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/tiers.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let cluster = load_str("tiers.yaml", &text).unwrap().cluster;
    let config = translate(&cluster, Mode::Kubernetes).config;
    let decision = Builder::new(Config::default()).build(&config).unwrap();
    // Rows: sources; columns: destinations (harry, luna, draco), as the README prints them.
    let pods = ["10.0.1.1", "10.0.3.1", "10.0.2.1"];
    let expected = [
        [true, false, false],
        [true, true, false],
        [false, false, true],
    ];
    for (i, src) in pods.iter().enumerate() {
        for (j, dst) in pods.iter().enumerate() {
            let tuple = Tuple {
                src: src.parse().unwrap(),
                dst: dst.parse().unwrap(),
                protocol: Protocol::Tcp,
                src_port: 40000,
                dst_port: 80,
            };
            let want = expected[i][j];
            assert_eq!(
                kubernetes::evaluate(&cluster, &tuple).allowed(),
                want,
                "{tuple:?}"
            );
            assert_eq!(
                linear::evaluate(&config, &tuple).allowed(),
                want,
                "{tuple:?}"
            );
            assert_eq!(decision.lookup(&tuple).allowed(), want, "{tuple:?}");
        }
    }
}
