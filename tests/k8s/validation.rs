//! Every check the API server makes that the loader repeats: each test feeds one invalid
//! object and asserts the message names the file, the object and the field path.

use tagwall::k8s::{Limits, LoadError, LoadOptions, Loader, load_str};

/// The error loading `text` as `policy.yaml`, as printed.
fn error(text: &str) -> String {
    match load_str("policy.yaml", text) {
        Ok(loaded) => format!("unexpectedly loaded: {:?}", loaded.cluster),
        Err(error) => error.to_string(),
    }
}

/// A NetworkPolicy `default/test` with `spec` as given (YAML flow or block, indented by 2).
fn policy(spec: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: test\n  \
         namespace: default\nspec:\n{spec}"
    )
}

/// A policy whose first ingress rule has one `ports` entry.
fn ingress_port(port: &str) -> String {
    policy(&format!("  ingress:\n  - ports:\n    - {port}\n"))
}

/// A policy whose first ingress rule has one `from` entry.
fn ingress_peer(peer: &str) -> String {
    policy(&format!("  ingress:\n  - from:\n    - {peer}\n"))
}

const PREFIX: &str = "policy.yaml: NetworkPolicy default/test: ";

#[test]
fn bad_cidr() {
    assert_eq!(
        error(&ingress_peer("ipBlock: {cidr: 10.0.0.0/33}")),
        format!("{PREFIX}spec.ingress[0].from[0].ipBlock.cidr: `10.0.0.0/33` is not a valid CIDR")
    );
    assert_eq!(
        error(&ingress_peer("ipBlock: {cidr: 10.0.0.1}")),
        format!("{PREFIX}spec.ingress[0].from[0].ipBlock.cidr: `10.0.0.1` is not a valid CIDR")
    );
}

#[test]
fn missing_cidr() {
    assert_eq!(
        error(&ingress_peer("ipBlock: {except: [10.0.0.0/24]}")),
        format!("{PREFIX}spec.ingress[0].from[0].ipBlock.cidr: required")
    );
}

#[test]
fn except_outside_cidr() {
    assert_eq!(
        error(&ingress_peer(
            "ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24, 172.18.0.0/24]}"
        )),
        format!(
            "{PREFIX}spec.ingress[0].from[0].ipBlock.except[1]: `172.18.0.0/24` is not inside \
             cidr `172.17.0.0/16`"
        )
    );
}

#[test]
fn except_equal_to_cidr() {
    let message = error(&ingress_peer(
        "ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/8]}",
    ));
    assert!(
        message.starts_with(&format!(
            "{PREFIX}spec.ingress[0].from[0].ipBlock.except[0]: `10.0.0.0/8` is not inside cidr"
        )),
        "{message}"
    );
}

#[test]
fn except_of_other_family() {
    assert_eq!(
        error(&ingress_peer(
            "ipBlock: {cidr: 10.0.0.0/8, except: ['fd00::/64']}"
        )),
        format!(
            "{PREFIX}spec.ingress[0].from[0].ipBlock.except[0]: `fd00::/64` is not inside cidr \
             `10.0.0.0/8`"
        )
    );
}

#[test]
fn port_zero() {
    assert_eq!(
        error(&ingress_port("port: 0")),
        format!(
            "{PREFIX}spec.ingress[0].ports[0].port: `0` must be between 1 and 65535, inclusive"
        )
    );
}

#[test]
fn port_above_65535() {
    assert_eq!(
        error(&ingress_port("{protocol: UDP, port: 65536}")),
        format!(
            "{PREFIX}spec.ingress[0].ports[0].port: `65536` must be between 1 and 65535, inclusive"
        )
    );
}

#[test]
fn end_port_above_65535() {
    assert_eq!(
        error(&ingress_port("{port: 1, endPort: 70000}")),
        format!(
            "{PREFIX}spec.ingress[0].ports[0].endPort: `70000` must be between 1 and 65535, \
             inclusive"
        )
    );
}

#[test]
fn end_port_without_port() {
    assert_eq!(
        error(&ingress_port("endPort: 90")),
        format!(
            "{PREFIX}spec.ingress[0].ports[0].endPort: may not be specified when `port` is not \
             specified"
        )
    );
}

#[test]
fn end_port_with_named_port() {
    assert_eq!(
        error(&ingress_port("{port: http, endPort: 90}")),
        format!(
            "{PREFIX}spec.ingress[0].ports[0].endPort: may not be specified when `port` is \
             non-numeric"
        )
    );
}

#[test]
fn end_port_below_port() {
    assert_eq!(
        error(&policy(
            "  egress:\n  - ports:\n    - {port: 80}\n    - {port: 90, endPort: 89}\n"
        )),
        format!(
            "{PREFIX}spec.egress[0].ports[1].endPort: `89` must be greater than or equal to \
             `port` (`90`)"
        )
    );
}

#[test]
fn unknown_protocol() {
    assert_eq!(
        error(&ingress_port("{protocol: ICMP, port: 1}")),
        format!(
            "{PREFIX}spec.ingress[0].ports[0].protocol: unsupported value `ICMP`: supported \
             values: `TCP`, `UDP`, `SCTP`"
        )
    );
    // The API server compares exactly: lower case is not TCP.
    assert!(error(&ingress_port("{protocol: tcp}")).contains("unsupported value `tcp`"));
}

#[test]
fn digit_string_port_is_an_invalid_name() {
    // IntOrString: "80" quoted is a string, so a port name, and names need a letter.
    assert_eq!(
        error(&ingress_port("port: \"80\"")),
        format!(
            "{PREFIX}spec.ingress[0].ports[0].port: `80` is invalid: must contain at least one \
             letter (a-z)"
        )
    );
}

#[test]
fn bad_port_names() {
    for (name, why) in [
        ("http--alt", "must not contain consecutive hyphens"),
        ("-http", "must not begin or end with a hyphen"),
        (
            "Http",
            "must contain only lower case alphanumeric characters and '-'",
        ),
        ("abcdefghijklmnop", "must be 1-15 characters long"),
    ] {
        assert_eq!(
            error(&ingress_port(&format!("port: {name}"))),
            format!("{PREFIX}spec.ingress[0].ports[0].port: `{name}` is invalid: {why}")
        );
    }
}

#[test]
fn port_of_wrong_type() {
    assert_eq!(
        error(&ingress_port("port: [1]")),
        format!("{PREFIX}spec.ingress[0].ports[0].port: a list is not a port number")
    );
}

#[test]
fn unknown_operator() {
    assert_eq!(
        error(&policy(
            "  podSelector:\n    matchExpressions:\n    - {key: app, operator: Equals, values: [a]}\n"
        )),
        format!(
            "{PREFIX}spec.podSelector.matchExpressions[0].operator: unsupported value `Equals`: \
             supported values: `In`, `NotIn`, `Exists`, `DoesNotExist`"
        )
    );
}

#[test]
fn values_with_exists() {
    assert_eq!(
        error(&ingress_peer(
            "namespaceSelector: {matchExpressions: [{key: team, operator: Exists, values: [a]}]}"
        )),
        format!(
            "{PREFIX}spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: may \
             not be specified when `operator` is `Exists`"
        )
    );
    assert!(
        error(&ingress_peer(
            "podSelector: {matchExpressions: [{key: a, operator: DoesNotExist, values: [b]}]}"
        ))
        .contains("may not be specified when `operator` is `DoesNotExist`")
    );
}

#[test]
fn no_values_with_in() {
    assert_eq!(
        error(&ingress_peer(
            "podSelector: {matchExpressions: [{key: app, operator: In}]}"
        )),
        format!(
            "{PREFIX}spec.ingress[0].from[0].podSelector.matchExpressions[0].values: must be \
             specified when `operator` is `In`"
        )
    );
    assert!(
        error(&ingress_peer(
            "podSelector: {matchExpressions: [{key: app, operator: NotIn, values: []}]}"
        ))
        .contains("values: must be specified when `operator` is `NotIn`")
    );
}

#[test]
fn bad_selector_key_and_value() {
    assert!(
        error(&ingress_peer(
            "podSelector: {matchExpressions: [{key: 'a b', operator: Exists}]}"
        ))
        .starts_with(&format!(
            "{PREFIX}spec.ingress[0].from[0].podSelector.matchExpressions[0].key: `a b` is invalid"
        ))
    );
    assert!(
        error(&ingress_peer(
            "podSelector: {matchExpressions: [{key: app, operator: In, values: [ok, '-bad']}]}"
        ))
        .starts_with(&format!(
            "{PREFIX}spec.ingress[0].from[0].podSelector.matchExpressions[0].values[1]: `-bad` \
             is invalid"
        ))
    );
}

#[test]
fn bad_label_key_on_pod() {
    let message = error(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: prod\n  labels:\n    \
         Example.com/app: web\n",
    );
    assert!(
        message.starts_with(
            "policy.yaml: Pod prod/web: metadata.labels: `Example.com/app` is not a valid label \
             key: prefix part"
        ),
        "{message}"
    );
}

#[test]
fn bad_label_value_in_match_labels() {
    let message = error(&policy(&format!(
        "  podSelector:\n    matchLabels:\n      app: {}\n",
        "x".repeat(64)
    )));
    assert!(
        message.starts_with(&format!(
            "{PREFIX}spec.podSelector.matchLabels: `{}` is not a valid value for label `app`: \
             must be no more than 63 characters",
            "x".repeat(64)
        )),
        "{message}"
    );
}

#[test]
fn bad_policy_type() {
    assert_eq!(
        error(&policy("  policyTypes: [Ingress, Outgress]\n")),
        format!(
            "{PREFIX}spec.policyTypes[1]: unsupported value `Outgress`: supported values: \
             `Ingress`, `Egress`"
        )
    );
    assert_eq!(
        error(&policy("  policyTypes: [Ingress, Egress, Ingress]\n")),
        format!("{PREFIX}spec.policyTypes: may not specify more than two policyTypes")
    );
}

#[test]
fn empty_peer() {
    assert_eq!(
        error(&ingress_peer("{}")),
        format!("{PREFIX}spec.ingress[0].from[0]: must specify a peer")
    );
}

#[test]
fn ip_block_with_selector() {
    assert_eq!(
        error(&policy(
            "  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.0/8}\n      podSelector: {}\n"
        )),
        format!(
            "{PREFIX}spec.egress[0].to[0]: may not specify more than 1 peer when `ipBlock` is \
             specified"
        )
    );
}

#[test]
fn bad_object_names() {
    assert!(
        error("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: Test}\n")
            .starts_with(
                "policy.yaml: NetworkPolicy default/Test: metadata.name: `Test` is invalid"
            )
    );
    assert!(
        error("kind: Pod\nmetadata: {name: web, namespace: my.ns}\n")
            .starts_with("policy.yaml: Pod my.ns/web: metadata.namespace: `my.ns` is invalid")
    );
    assert!(
        error("kind: Namespace\nmetadata: {name: a_b}\n")
            .starts_with("policy.yaml: Namespace a_b: metadata.name: `a_b` is invalid")
    );
    assert_eq!(
        error("kind: Pod\nmetadata: {namespace: prod}\n"),
        "policy.yaml: Pod prod/<unnamed>: metadata.name: required"
    );
}

#[test]
fn object_without_kind() {
    assert_eq!(
        error("apiVersion: v1\nmetadata: {name: x}\n"),
        "policy.yaml: object x: kind: required"
    );
}

#[test]
fn bad_container_port() {
    let pod = |port: &str| {
        format!(
            "kind: Pod\nmetadata: {{name: web}}\nspec:\n  containers:\n  - name: a\n  - name: b\n    \
             ports:\n    - {port}\n"
        )
    };
    assert_eq!(
        error(&pod("{name: http, containerPort: 0}")),
        "policy.yaml: Pod default/web: spec.containers[1].ports[0].containerPort: `0` must be \
         between 1 and 65535, inclusive"
    );
    assert_eq!(
        error(&pod("{name: http}")),
        "policy.yaml: Pod default/web: spec.containers[1].ports[0].containerPort: required"
    );
    assert!(error(&pod("{name: HTTP, containerPort: 80}")).starts_with(
        "policy.yaml: Pod default/web: spec.containers[1].ports[0].name: `HTTP` is invalid"
    ));
    assert!(
        error(&pod("{name: http, containerPort: 80, protocol: ICMP}")).starts_with(
            "policy.yaml: Pod default/web: spec.containers[1].ports[0].protocol: unsupported \
             value `ICMP`"
        )
    );
}

#[test]
fn bad_pod_ip() {
    assert_eq!(
        error(
            "kind: Pod\nmetadata: {name: web}\nstatus:\n  podIPs: [{ip: 10.0.0.1}, {ip: 10.0.0.300}]\n"
        ),
        "policy.yaml: Pod default/web: status.podIPs[1].ip: `10.0.0.300` is not a valid IP address"
    );
    assert!(
        error("kind: Pod\nmetadata: {name: web}\nstatus:\n  podIPs: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]\n")
            .starts_with("policy.yaml: Pod default/web: status.podIPs[1].ip: `10.0.0.2`: a pod may have no more than one IP of each family")
    );
}

#[test]
fn duplicate_objects_across_files() -> Result<(), LoadError> {
    let text = ingress_port("port: 80");
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_bytes("a.yaml", text.as_bytes())?;
    let error = loader.add_bytes("b.yaml", text.as_bytes());
    assert_eq!(
        error.map_err(|e| e.to_string()),
        Err(
            "b.yaml: NetworkPolicy default/test: metadata.name: already defined in `a.yaml`"
                .to_string()
        )
    );
    Ok(())
}

#[test]
fn duplicate_objects_in_one_file() {
    assert_eq!(
        error(
            "kind: Namespace\nmetadata: {name: prod}\n---\nkind: Namespace\nmetadata: {name: prod}\n"
        ),
        "policy.yaml: Namespace prod: metadata.name: already defined in `policy.yaml`"
    );
}

#[test]
fn duplicate_pod_ips() -> Result<(), LoadError> {
    let mut loader = Loader::new(LoadOptions::default());
    loader.add_bytes(
        "a.yaml",
        b"kind: Pod\nmetadata: {name: a, namespace: x}\nstatus: {podIP: 10.0.0.1}\n",
    )?;
    loader.add_bytes(
        "b.yaml",
        b"kind: Pod\nmetadata: {name: b, namespace: x}\nstatus: {podIPs: [{ip: 'fd00::1'}, {ip: '::ffff:10.0.0.1'}]}\n",
    )?;
    assert_eq!(
        loader.finish().map(|_| ()).map_err(|e| e.to_string()),
        Err(
            "b.yaml: Pod x/b: status.podIPs[1].ip: `10.0.0.1` is also the IP of Pod `x/a` in \
             `a.yaml`"
                .to_string()
        )
    );
    Ok(())
}

#[test]
fn type_errors_name_file_and_position() {
    let json = r#"{"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1",
"metadata": {"name": "t"}, "spec": {"ingress": 5}}"#;
    assert_eq!(
        match load_str("p.json", json) {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        },
        "p.json: line 2 column 48: invalid type: integer `5`, expected a sequence"
    );
    let yaml = "kind: Pod\napiVersion: v1\nmetadata: {name: web}\nspec:\n  containers: {a: 1}\n";
    let message = error(yaml);
    assert!(
        message.starts_with("policy.yaml: line 5 column"),
        "{message}"
    );
}

#[test]
fn malformed_yaml_names_position() {
    let message = error("kind: Pod\nmetadata: {name: [\n");
    assert!(message.starts_with("policy.yaml: line "), "{message}");
}

fn limited(limits: Limits, text: &str) -> String {
    let mut loader = Loader::new(LoadOptions {
        limits,
        lenient: true,
        ..LoadOptions::default()
    });
    match loader.add_bytes("big.yaml", text.as_bytes()) {
        Ok(()) => "accepted".to_string(),
        Err(error) => error.to_string(),
    }
}

#[test]
fn limit_input_bytes() {
    let limits = Limits {
        max_input_bytes: 10,
        ..Limits::default()
    };
    assert_eq!(
        limited(limits, "kind: Namespace\n"),
        "big.yaml: input of 16 bytes exceeds the limit max_input_bytes (10)"
    );
}

#[test]
fn limit_objects() {
    let limits = Limits {
        max_objects: 2,
        ..Limits::default()
    };
    let text = "items:\n- {kind: Service}\n- {kind: Service}\n- {kind: Service}\nkind: List\n";
    assert_eq!(
        limited(limits, text),
        "big.yaml: number of objects exceeds the limit max_objects (2)"
    );
}

#[test]
fn limit_depth() {
    let limits = Limits {
        max_depth: 8,
        ..Limits::default()
    };
    let deep_yaml = format!("kind: Service\nx: {}1{}\n", "[".repeat(10), "]".repeat(10));
    assert_eq!(
        limited(limits.clone(), &deep_yaml),
        "big.yaml: nesting exceeds the limit max_depth (8)"
    );
    let deep_json = format!(
        "{{\"kind\": \"Service\", \"x\": {}1{}}}",
        "[".repeat(10),
        "]".repeat(10)
    );
    assert_eq!(
        limited(limits, &deep_json),
        "big.yaml: nesting exceeds the limit max_depth (8)"
    );
}

#[test]
fn limit_alias_expansion() {
    let mut bomb = String::from("kind: Service\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    let limits = Limits {
        max_alias_events: 1000,
        ..Limits::default()
    };
    assert_eq!(
        limited(limits, &bomb),
        "big.yaml: alias expansion exceeds the limit max_alias_events (1000)"
    );
}

#[test]
fn limit_label_bytes() {
    let limits = Limits {
        max_label_bytes: 8,
        ..Limits::default()
    };
    assert_eq!(
        limited(
            limits,
            "kind: Pod\nmetadata: {name: a, labels: {app: webserver}}\n"
        ),
        "big.yaml: labels of 12 bytes exceeds the limit max_label_bytes (8)"
    );
}
