//! The seed document's Tables 1-4, reproduced by `cn2` mode for the bundled example, and the
//! same example in `kubernetes` mode.

#![allow(clippy::expect_used, reason = "a test fails loudly on broken fixtures")]

use std::path::PathBuf;

use tagwall::firewall::{FirewallConfig, TagKind};
use tagwall::k8s::{LoadOptions, load_files};
use tagwall::model::Direction;
use tagwall::translate::{Mode, translate};

fn example(mode: Mode) -> FirewallConfig {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/test-network-policy.yaml");
    let loaded = load_files(&[path], LoadOptions::default()).expect("the example loads");
    translate(&loaded.cluster, mode).config
}

/// Each rule of a firewall policy as Table 3 prints it.
fn table_3(config: &FirewallConfig, policy: &str) -> Vec<[String; 6]> {
    let policy = config
        .application_policy_set
        .policies
        .iter()
        .find(|p| p.name == policy)
        .expect("the policy exists");
    policy
        .rules
        .iter()
        .map(|r| {
            [
                r.name.clone(),
                format!("{:?}", r.action).to_lowercase(),
                r.service.to_string(),
                config.endpoint_text(&r.endpoint_1),
                match r.direction {
                    Direction::Ingress => "ingress".to_string(),
                    Direction::Egress => "egress".to_string(),
                },
                config.endpoint_text(&r.endpoint_2),
            ]
        })
        .collect()
}

fn row(cells: [&str; 6]) -> [String; 6] {
    cells.map(str::to_string)
}

#[test]
fn cn2_mode_reproduces_tables_1_to_4() {
    let config = example(Mode::Cn2);

    // Table 1: Tags (key, value), in the order the seed lists them.
    let tags: Vec<(String, String)> = config
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    let expected_tags = [
        ("role", "db"),
        ("namespace", "default"),
        ("project", "myproject"),
        ("role", "frontend"),
    ];
    assert_eq!(
        tags,
        expected_tags.map(|(k, v)| (k.to_string(), v.to_string()))
    );
    // CN2 has one tag space: the namespace label `project` is a plain label tag.
    assert!(
        config
            .tags
            .iter()
            .all(|t| t.kind != TagKind::NamespaceLabel)
    );

    // Table 2: Address Groups.
    let groups: Vec<(String, Vec<String>)> = config
        .address_groups
        .iter()
        .map(|g| {
            assert!(
                g.except.is_empty(),
                "CN2 address groups hold plain prefixes"
            );
            (
                g.name.clone(),
                g.prefixes.iter().map(ToString::to_string).collect(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            (
                "test-network-policy-except".to_string(),
                vec!["172.17.1.0/24".to_string()]
            ),
            (
                "test-network-policy".to_string(),
                vec!["172.17.0.0/16".to_string()]
            ),
            (
                "test-network-policy-egress".to_string(),
                vec!["10.0.0.0/24".to_string()]
            ),
        ]
    );

    // Table 3: Firewall Rules (Table 4's spelling of the masked digits), and Table 4's order.
    let endpoint_1 = "role=db && namespace=default";
    assert_eq!(
        table_3(&config, "default-test-network-policy"),
        vec![
            row([
                "default-ingress-test-network-policy-0-ipBlock-0-172.17.1.0/24-0",
                "deny",
                "tcp:6379",
                endpoint_1,
                "ingress",
                "Address Group: 172.17.1.0/24",
            ]),
            row([
                "default-ingress-test-network-policy-0-ipBlock-0-cidr-172.17.0.0/16-0",
                "pass",
                "tcp:6379",
                endpoint_1,
                "ingress",
                "Address Group: 172.17.0.0/16",
            ]),
            row([
                "default-ingress-test-network-policy-0-namespaceSelector-1-0",
                "pass",
                "tcp:6379",
                endpoint_1,
                "ingress",
                "project=myproject",
            ]),
            row([
                "default-ingress-test-network-policy-0-podSelector-2-0",
                "pass",
                "tcp:6379",
                endpoint_1,
                "ingress",
                "namespace=default && role=frontend",
            ]),
            row([
                "default-egress-test-network-policy-ipBlock-0-cidr-10.0.0.0/24-0",
                "pass",
                "tcp:5978",
                endpoint_1,
                "egress",
                "Address Group: 10.0.0.0/24",
            ]),
        ]
    );

    // The policy set: the NetworkPolicy's policy, then isolation, then default allow.
    let order: Vec<&str> = config
        .application_policy_set
        .policies
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        order,
        ["default-test-network-policy", "k8s-denyall", "k8s-allowall"]
    );
    assert_eq!(
        table_3(&config, "k8s-denyall"),
        vec![
            row([
                "default-test-network-policy-denyall-ingress",
                "deny",
                "any",
                endpoint_1,
                "ingress",
                "any",
            ]),
            row([
                "default-test-network-policy-denyall-egress",
                "deny",
                "any",
                endpoint_1,
                "egress",
                "any",
            ]),
        ]
    );
}

#[test]
fn kubernetes_mode_keeps_names_but_folds_except_into_its_block() {
    let config = example(Mode::Kubernetes);
    let rules = table_3(&config, "default-test-network-policy");
    let names: Vec<&str> = rules.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "default-ingress-test-network-policy-0-ipBlock-0-cidr-172.17.0.0/16-0",
            "default-ingress-test-network-policy-0-namespaceSelector-1-0",
            "default-ingress-test-network-policy-0-podSelector-2-0",
            // The egress name carries its rule index, so two egress rules never collide.
            "default-egress-test-network-policy-0-ipBlock-0-cidr-10.0.0.0/24-0",
        ]
    );
    assert!(rules.iter().all(|r| r[1] == "pass"));
    assert_eq!(
        rules[0][5],
        "Address Group: 172.17.0.0/16 except 172.17.1.0/24"
    );
    // The namespace selector tests the namespace's labels, never the pod's.
    assert_eq!(rules[1][5], "ns:project=myproject");
}

#[test]
fn the_firewall_model_round_trips_through_json() {
    for mode in [Mode::Kubernetes, Mode::Cn2] {
        let config = example(mode);
        let text = serde_json::to_string(&config).expect("serialises");
        let back: FirewallConfig = serde_json::from_str(&text).expect("deserialises");
        assert_eq!(back, config, "{mode}");
    }
}
