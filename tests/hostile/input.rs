//! Hostile input: every case gets the correct answer or one clear error, within the limits of
//! `k8s::Limits` and `compile::Config` (README.md, "Limits").
//!
//! The policy-count case scales with `TAGWALL_HOSTILE_SCALE` (policies; default 100000, the
//! issue's figure is 1000000): `TAGWALL_HOSTILE_SCALE=1000000 cargo test --release --test
//! hostile a_very_large_number_of_tiny_policies`.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tagwall::compile::{Builder, CompileError, Config, Limit};
use tagwall::k8s::{Limits, LoadError, LoadOptions, Loaded, Loader};
use tagwall::model::Cluster;
use tagwall::protocol::Protocol;
use tagwall::reference::{kubernetes, linear};
use tagwall::translate::{Mode, translate};
use tagwall::tuple::Tuple;

fn load_with(text: &[u8], options: LoadOptions) -> Result<Loaded, LoadError> {
    let mut loader = Loader::new(options);
    loader.add_bytes("hostile.yaml", text)?;
    loader.finish()
}

fn load(text: &[u8]) -> Result<Loaded, LoadError> {
    load_with(text, LoadOptions::default())
}

fn load_ok(text: &[u8]) -> Cluster {
    match load(text) {
        Ok(loaded) => loaded.cluster,
        Err(error) => panic!("load failed: {error}"),
    }
}

/// The error of a load that must fail, checked to be one line.
fn load_error(text: &[u8]) -> LoadError {
    match load(text) {
        Ok(loaded) => panic!("load succeeded: {:?}", loaded.cluster),
        Err(error) => {
            let message = error.to_string();
            assert!(!message.contains('\n'), "not one line: {message:?}");
            assert!(message.len() < 1024, "message of {} bytes", message.len());
            error
        }
    }
}

/// Whether `tuple` is allowed, after checking that the reference, and the linear and compiled
/// engines over the kubernetes-mode translation, all agree.
fn allowed(cluster: &Cluster, tuple: &Tuple) -> bool {
    let reference = kubernetes::evaluate(cluster, tuple);
    let config = translate(cluster, Mode::Kubernetes).config;
    let decision = Builder::new(Config::default()).build(&config).unwrap();
    let compiled = decision.lookup(tuple);
    assert_eq!(compiled, linear::evaluate(&config, tuple), "{tuple:?}");
    assert_eq!(
        compiled.allowed(),
        reference.allowed(),
        "{tuple:?}: {reference}"
    );
    compiled.allowed()
}

/// Every engine (reference; linear and compiled in kubernetes mode; compiled equal to linear in
/// cn2 mode) over `tuples`, each checked against `expected`.
fn assert_answers(cluster: &Cluster, cases: &[(Tuple, bool)]) {
    let kubernetes_config = translate(cluster, Mode::Kubernetes).config;
    let cn2_config = translate(cluster, Mode::Cn2).config;
    let builder = Builder::new(Config::default());
    let kubernetes_decision = builder.build(&kubernetes_config).unwrap();
    let cn2_decision = builder.build(&cn2_config).unwrap();
    for (tuple, expected) in cases {
        let reference = kubernetes::evaluate(cluster, tuple);
        assert_eq!(reference.allowed(), *expected, "{tuple:?}: {reference}");
        let compiled = kubernetes_decision.lookup(tuple);
        assert_eq!(
            compiled,
            linear::evaluate(&kubernetes_config, tuple),
            "{tuple:?}"
        );
        assert_eq!(compiled.allowed(), *expected, "{tuple:?}: {compiled:?}");
        let cn2 = cn2_decision.lookup(tuple);
        assert_eq!(cn2, linear::evaluate(&cn2_config, tuple), "cn2 {tuple:?}");
    }
}

fn tcp(src: IpAddr, dst: IpAddr, port: u16) -> Tuple {
    Tuple {
        src,
        dst,
        protocol: Protocol::Tcp,
        src_port: 40000,
        dst_port: port,
    }
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

/// A pod `default/<name>` labelled `app=<name>` at `ip`.
fn pod(name: &str, ip: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: default, labels: {{app: {name}}}}}\nstatus: {{podIP: \"{ip}\"}}\n"
    )
}

/// A policy `default/<name>` selecting `app=<target>` with `spec` lines after `podSelector`.
fn policy(name: &str, target: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  podSelector: {{matchLabels: {{app: {target}}}}}\n{spec}"
    )
}

// --- parser attacks -------------------------------------------------------------------------

#[test]
fn yaml_alias_bomb_is_a_limit_error() {
    // Billion laughs: nine levels of ten aliases each would replay 10^9 scalars.
    let mut text = String::from(
        "kind: Pod\nmetadata: {name: p}\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..9 {
        let prev = level - 1;
        let refs = vec![format!("*l{prev}"); 10].join(", ");
        writeln!(text, "l{level}: &l{level} [{refs}]").unwrap();
    }
    let error = load_error(text.as_bytes());
    assert!(
        matches!(
            error,
            LoadError::Limit {
                limit: "max_alias_events",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "hostile.yaml: alias expansion exceeds the limit max_alias_events (100000)"
    );
}

#[test]
fn a_few_aliases_are_read() {
    // kubectl never writes aliases, but hand-written files do (the scenarios share `ports`).
    // Anchors belong to one document, so the sharing happens inside a `List`.
    let text = "kind: List\nitems:\n- {kind: Pod, apiVersion: v1, metadata: {name: p, labels: &l {app: a}}}\n\
                - {kind: Pod, apiVersion: v1, metadata: {name: q, labels: *l}}\n";
    let cluster = load_ok(text.as_bytes());
    assert_eq!(cluster.pods[1].labels["app"], "a");
}

#[test]
fn ten_thousand_levels_of_nesting_are_a_limit_error() {
    let depth = 10_000;
    let yaml_flow = format!("kind: Pod\nx: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    // Block style indents one more space per level: 500 levels are already far past the limit.
    let mut yaml_block = String::from("kind: Pod\nx:\n");
    for level in 1..500 {
        writeln!(yaml_block, "{}a:", " ".repeat(level)).unwrap();
    }
    let json = format!(
        "{{\"kind\": \"Pod\", \"x\": {}{}}}",
        "{\"a\": ".repeat(depth),
        "}".repeat(depth)
    );
    // YAML flow collections trip the parser's own recursion ceiling (256 levels) before the
    // depth budget sees them: a parse error, as clear and as cheap.
    let error = load_error(yaml_flow.as_bytes());
    assert!(matches!(error, LoadError::Parse { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "hostile.yaml: line 2 column 259: recursion limit exceeded"
    );
    for text in [yaml_block, json] {
        let error = load_error(text.as_bytes());
        assert!(
            matches!(
                error,
                LoadError::Limit {
                    limit: "max_depth",
                    ..
                }
            ),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "hostile.yaml: nesting exceeds the limit max_depth (64)"
        );
    }
}

#[test]
fn non_utf8_bytes_are_a_parse_error() {
    let yaml = b"kind: Pod\nmetadata: {name: \xff\xfe}\n";
    let error = load_error(yaml);
    assert!(matches!(error, LoadError::Parse { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("hostile.yaml: input is not UTF-8"),
        "{error}"
    );
    let json = b"{\"kind\": \"Pod\", \"metadata\": {\"name\": \"\xc3\x28\"}}";
    let error = load_error(json);
    assert!(matches!(error, LoadError::Parse { .. }), "{error}");
    // A lone byte order mark is fine; a broken one is not.
    assert!(load(b"\xEF\xBB\xBFkind: Pod\napiVersion: v1\nmetadata: {name: p}\n").is_ok());
    assert!(load(b"\xEF\xBBkind: Pod\n").is_err());
}

#[test]
fn megabyte_labels_are_a_limit_error() {
    let huge = "a".repeat(2 << 20);
    let text =
        format!("kind: Pod\napiVersion: v1\nmetadata: {{name: p, labels: {{app: {huge}}}}}\n");
    let error = load_error(text.as_bytes());
    assert_eq!(
        error.to_string(),
        format!(
            "hostile.yaml: labels of {} bytes exceeds the limit max_label_bytes (262144)",
            huge.len() + 3
        )
    );
    // Many small labels add up the same way.
    let many: String = (0..30_000).map(|i| format!("k{i}: v{i}, ")).collect();
    let text = format!("kind: Pod\napiVersion: v1\nmetadata: {{name: p, labels: {{{many}}}}}\n");
    assert!(matches!(
        load_error(text.as_bytes()),
        LoadError::Limit {
            limit: "max_label_bytes",
            ..
        }
    ));
}

#[test]
fn megabyte_names_and_values_are_invalid_and_the_message_stays_short() {
    let huge = "a".repeat(2 << 20);
    let name = format!("kind: Pod\napiVersion: v1\nmetadata: {{name: {huge}}}\n");
    let error = load_error(name.as_bytes());
    assert!(
        matches!(&error, LoadError::Invalid { field, .. } if field == "metadata.name"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("must be no more than 253 characters"),
        "{error}"
    );
    // Under the label limit but far over a label value's 63 characters.
    let value = "b".repeat(100_000);
    let label =
        format!("kind: Pod\napiVersion: v1\nmetadata: {{name: p, labels: {{app: {value}}}}}\n");
    let error = load_error(label.as_bytes());
    assert!(
        error
            .to_string()
            .contains("must be no more than 63 characters"),
        "{error}"
    );
    let cidr = format!(
        "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {{name: n}}\n\
         spec: {{podSelector: {{}}, ingress: [{{from: [{{ipBlock: {{cidr: \"{value}\"}}}}]}}]}}\n"
    );
    let error = load_error(cidr.as_bytes());
    assert!(error.to_string().contains("is not a valid CIDR"), "{error}");
}

#[test]
fn user_input_with_line_breaks_stays_on_one_line() {
    let text = "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: \"a\\nb\"}\n\
                spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: \"10.0.0.0/8\\nboom\"}}]}]}\n";
    let error = load_error(text.as_bytes());
    assert_eq!(
        error.to_string(),
        "hostile.yaml: NetworkPolicy default/a\\nb: metadata.name: `a\\nb` is invalid: must consist \
         of lower case alphanumeric characters, '-' or '.', and must start and end with an \
         alphanumeric character"
    );
}

#[test]
fn duplicate_keys_in_a_mapping_are_an_error() {
    // The API server's strict decoding rejects duplicate fields; silently taking one of two
    // `name`s or `cidr`s would enforce a policy nobody wrote.
    for text in [
        "kind: Pod\napiVersion: v1\nmetadata: {name: a, name: b}\n",
        "kind: Pod\napiVersion: v1\nmetadata: {name: a, labels: {app: x, app: y}}\n",
        "{\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"a\", \"name\": \"b\"}}",
    ] {
        let error = load_error(text.as_bytes());
        assert!(matches!(error, LoadError::Parse { .. }), "{text}: {error}");
        assert!(error.to_string().contains("duplicate"), "{text}: {error}");
    }
}

// --- large policies ---------------------------------------------------------------------------

/// A policy admitting everything except `holes` /32s (or /128s) under one /0.
fn holes_under_zero(v6: bool, holes: usize) -> (Cluster, Vec<IpAddr>) {
    let hole = |i: usize| -> IpAddr {
        if v6 {
            IpAddr::V6(Ipv6Addr::new(
                0xfd00,
                1,
                0,
                0,
                0,
                0,
                (i >> 16) as u16,
                i as u16,
            ))
        } else {
            v4(10, 1, (i >> 8) as u8, i as u8)
        }
    };
    let (cidr, target_ip) = if v6 {
        ("::/0", "fd00::2")
    } else {
        ("0.0.0.0/0", "10.0.0.2")
    };
    let except: Vec<String> = (0..holes)
        .map(|i| format!("\"{}/{}\"", hole(i), if v6 { 128 } else { 32 }))
        .collect();
    let text = pod("target", target_ip)
        + &policy(
            "holes",
            "target",
            &format!(
                "  ingress:\n  - from:\n    - ipBlock:\n        cidr: \"{cidr}\"\n        except: [{}]\n",
                except.join(", ")
            ),
        );
    let cluster = load_ok(text.as_bytes());
    (cluster, (0..holes).map(hole).collect())
}

#[test]
fn thousands_of_except_holes_under_one_zero_prefix() {
    for v6 in [false, true] {
        let (cluster, holes) = holes_under_zero(v6, 5000);
        let target = cluster.pods[0].ips[0];
        let mut cases: Vec<(Tuple, bool)> = holes
            .iter()
            .step_by(97)
            .map(|&hole| (tcp(hole, target, 80), false))
            .collect();
        let outside = if v6 {
            IpAddr::V6(Ipv6Addr::new(0xfd00, 2, 0, 0, 0, 0, 0, 1))
        } else {
            v4(10, 2, 0, 1)
        };
        cases.push((tcp(outside, target, 80), true));
        // Just past the last hole, and the address before the first.
        let after = match holes[holes.len() - 1] {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) + 1)),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) + 1)),
        };
        let before = match holes[0] {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) - 1)),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) - 1)),
        };
        cases.push((tcp(after, target, 80), true));
        cases.push((tcp(before, target, 80), true));
        assert_answers(&cluster, &cases);
    }
}

#[test]
fn many_rules_whose_port_ranges_cover_everything() {
    let mut text = pod("target", "10.0.0.2") + &pod("client", "10.0.0.3");
    for i in 0..500 {
        text += &policy(
            &format!("all-ports-{i}"),
            "target",
            "  ingress:\n  - from: [{podSelector: {matchLabels: {app: client}}}]\n    ports:\n    \
             - {protocol: TCP, port: 1, endPort: 65535}\n    - {protocol: UDP, port: 1, endPort: 65535}\n    \
             - {protocol: SCTP, port: 1, endPort: 65535}\n",
        );
    }
    let cluster = load_ok(text.as_bytes());
    let (target, client, outsider) = (v4(10, 0, 0, 2), v4(10, 0, 0, 3), v4(192, 0, 2, 1));
    let with = |protocol: u8, port: u16| Tuple {
        src: client,
        dst: target,
        protocol: Protocol::from_number(protocol),
        src_port: 1234,
        dst_port: port,
    };
    assert_answers(
        &cluster,
        &[
            (with(6, 1), true),
            (with(6, 65535), true),
            (with(17, 33000), true),
            (with(132, 80), true),
            // Port 0 lies outside 1-65535, and ICMP outside every port rule.
            (with(6, 0), false),
            (with(1, 0), false),
            (tcp(outsider, target, 80), false),
        ],
    );
}

/// Policies for the scale test, `TAGWALL_HOSTILE_SCALE` of them (default 100000).
fn hostile_scale() -> usize {
    std::env::var("TAGWALL_HOSTILE_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

#[test]
fn a_very_large_number_of_tiny_policies() {
    let count = hostile_scale();
    // JSON, as `kubectl get -o json` prints a dump this size.
    let mut text = String::with_capacity(count * 160);
    text.push_str(r#"{"apiVersion": "v1", "kind": "List", "items": ["#);
    text.push_str(r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p0", "namespace": "default", "labels": {"app": "p0"}}, "status": {"podIP": "10.0.0.1"}}"#);
    text.push_str(r#",{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "default", "labels": {"app": "p1"}}, "status": {"podIP": "10.0.0.2"}}"#);
    for i in 0..count {
        write!(
            text,
            r#",{{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {{"name": "np{i}", "namespace": "default"}}, "spec": {{"podSelector": {{"matchLabels": {{"app": "p{}"}}}}, "ingress": [{{"ports": [{{"port": {}}}]}}]}}}}"#,
            i % 2,
            1 + i % 1000
        )
        .unwrap();
    }
    text.push_str("]}");
    // Two pods and `count` policies: past a million objects the default limit stops the load
    // with its error; an agent that means to read more raises `max_objects`.
    let objects = count + 2;
    if objects > Limits::default().max_objects {
        assert!(matches!(
            load(text.as_bytes()).unwrap_err(),
            LoadError::Limit {
                limit: "max_objects",
                ..
            }
        ));
    }
    let options = LoadOptions {
        limits: Limits {
            max_objects: objects,
            ..Limits::default()
        },
        lenient: false,
        ..LoadOptions::default()
    };
    let loaded = load_with(text.as_bytes(), options).unwrap();
    assert_eq!(loaded.cluster.policies.len(), count);
    let config = translate(&loaded.cluster, Mode::Kubernetes).config;
    let rules = config.rules().count();
    let built = Builder::new(Config::default()).build(&config);
    if rules > Config::default().max_rules {
        // A million policies make over two million rules: a clear error, not an exhausted agent.
        let error = built.unwrap_err();
        assert!(
            matches!(
                error,
                CompileError::LimitExceeded {
                    limit: Limit::Rules,
                    ..
                }
            ),
            "{error}"
        );
        return;
    }
    let decision = built.unwrap();
    let (p0, p1) = (v4(10, 0, 0, 1), v4(10, 0, 0, 2));
    // p0 is selected by the even policies (ports 1, 3, 5...); p1 by the odd (2, 4, ...).
    for (tuple, expected) in [
        (tcp(p1, p0, 1), true),
        (tcp(p1, p0, 2), false),
        (tcp(p0, p1, 2), count > 1),
        (tcp(p0, p1, 1001), count < 2),
        (tcp(p1, p0, 0), false),
    ] {
        let verdict = decision.lookup(&tuple);
        assert_eq!(verdict, linear::evaluate(&config, &tuple), "{tuple:?}");
        assert_eq!(verdict.allowed(), expected, "{tuple:?}: {verdict:?}");
    }
}

#[test]
fn object_count_and_compile_limits_are_configurable() {
    let text = pod("a", "10.0.0.1") + &pod("b", "10.0.0.2") + &pod("c", "10.0.0.3");
    let options = LoadOptions {
        limits: Limits {
            max_objects: 2,
            ..Limits::default()
        },
        lenient: true,
        ..LoadOptions::default()
    };
    let error = load_with(text.as_bytes(), options).unwrap_err();
    assert_eq!(
        error.to_string(),
        "hostile.yaml: number of objects exceeds the limit max_objects (2)"
    );
    let options = LoadOptions {
        limits: Limits {
            max_input_bytes: 100,
            ..Limits::default()
        },
        lenient: false,
        ..LoadOptions::default()
    };
    let error = load_with(text.as_bytes(), options).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "hostile.yaml: input of {} bytes exceeds the limit max_input_bytes (100)",
            text.len()
        )
    );

    let cluster = load_ok((text + &policy("np", "a", "  ingress: [{}]\n")).as_bytes());
    let config = translate(&cluster, Mode::Kubernetes).config;
    let tight = Config {
        max_rules: 2,
        ..Config::default()
    };
    let error = Builder::new(tight).build(&config).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "limit `max_rules` exceeded: {} is more than 2",
            config.rules().count()
        )
    );
    let tight = Config {
        max_workloads: 2,
        ..Config::default()
    };
    let error = Builder::new(tight).build(&config).unwrap_err();
    assert!(
        matches!(
            error,
            CompileError::LimitExceeded {
                limit: Limit::Workloads,
                ..
            }
        ),
        "{error}"
    );
}

// --- addresses, ports and protocols at the edges ----------------------------------------------

#[test]
fn ipv4_mapped_ipv6_addresses_on_the_tuple_side() {
    let text = pod("target", "10.0.0.2")
        + &pod("client", "::ffff:10.0.0.3")
        + &policy(
            "from-block",
            "target",
            "  ingress:\n  - from: [{ipBlock: {cidr: 192.0.2.0/24}}, {podSelector: {matchLabels: {app: client}}}]\n",
        );
    let cluster = load_ok(text.as_bytes());
    // The pod's mapped IP is read as the IPv4 address it carries.
    assert_eq!(cluster.pods[0].ips, vec![v4(10, 0, 0, 3)]);
    let mapped = |ip: Ipv4Addr| IpAddr::V6(ip.to_ipv6_mapped());
    let target = Ipv4Addr::new(10, 0, 0, 2);
    assert_answers(
        &cluster,
        &[
            // A mapped source inside the IPv4 block, or a pod's mapped address: allowed.
            (
                tcp(mapped(Ipv4Addr::new(192, 0, 2, 9)), IpAddr::V4(target), 80),
                true,
            ),
            (
                tcp(mapped(Ipv4Addr::new(10, 0, 0, 3)), mapped(target), 80),
                true,
            ),
            (tcp(v4(10, 0, 0, 3), mapped(target), 80), true),
            // Outside the block, in either spelling: denied.
            (
                tcp(mapped(Ipv4Addr::new(198, 51, 100, 1)), mapped(target), 80),
                false,
            ),
            (tcp(v4(198, 51, 100, 1), IpAddr::V4(target), 80), false),
            // A pod reaches itself whichever way its address is written.
            (tcp(mapped(target), IpAddr::V4(target), 80), true),
        ],
    );
}

#[test]
fn ipv4_mapped_ipv6_cidrs_are_read_as_ipv4_with_a_warning() {
    // Go's `IPNet.Contains`, behind the API server, matches IPv4 addresses against
    // `::ffff:10.0.0.0/104` as `10.0.0.0/8`; tagwall reads mapped addresses as IPv4 everywhere.
    let text = pod("target", "10.0.0.2")
        + &policy(
            "mapped",
            "target",
            "  ingress:\n  - from: [{ipBlock: {cidr: \"::ffff:10.0.0.0/104\", except: [\"::ffff:10.1.0.0/112\"]}}]\n",
        );
    let loaded = load(text.as_bytes()).unwrap();
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        [
            "hostile.yaml: NetworkPolicy default/mapped: spec.ingress[0].from[0].ipBlock.cidr: \
             `::ffff:10.0.0.0/104` is IPv4-mapped; read as `10.0.0.0/8`",
            "hostile.yaml: NetworkPolicy default/mapped: spec.ingress[0].from[0].ipBlock.except[0]: \
             `::ffff:10.1.0.0/112` is IPv4-mapped; read as `10.1.0.0/16`",
        ]
    );
    let target = v4(10, 0, 0, 2);
    let mapped = |ip: Ipv4Addr| IpAddr::V6(ip.to_ipv6_mapped());
    assert_answers(
        &loaded.cluster,
        &[
            (tcp(v4(10, 2, 0, 1), target, 80), true),
            (tcp(mapped(Ipv4Addr::new(10, 2, 0, 1)), target, 80), true),
            (tcp(v4(10, 1, 0, 1), target, 80), false),
            (tcp(v4(11, 0, 0, 1), target, 80), false),
        ],
    );
}

#[test]
fn mixed_family_cidr_and_except_is_an_error() {
    for (cidr, hole) in [("10.0.0.0/8", "fd00::/64"), ("fd00::/8", "10.0.0.0/16")] {
        let text = policy(
            "mixed",
            "x",
            &format!(
                "  ingress:\n  - from: [{{ipBlock: {{cidr: \"{cidr}\", except: [\"{hole}\"]}}}}]\n"
            ),
        );
        let error = load_error(text.as_bytes());
        assert_eq!(
            error.to_string(),
            format!(
                "hostile.yaml: NetworkPolicy default/mixed: \
                 spec.ingress[0].from[0].ipBlock.except[0]: `{hole}` is not inside cidr `{cidr}`"
            )
        );
    }
}

#[test]
fn port_zero_and_protocols_zero_and_255() {
    let text = pod("ports", "10.0.0.2")
        + &pod("any", "10.0.0.4")
        + &pod("client", "10.0.0.3")
        + &policy(
            "tcp-any-port",
            "ports",
            "  ingress:\n  - ports: [{protocol: TCP}]\n",
        )
        + &policy("no-ports", "any", "  ingress:\n  - {}\n");
    let cluster = load_ok(text.as_bytes());
    let (ports, any, client) = (v4(10, 0, 0, 2), v4(10, 0, 0, 4), v4(10, 0, 0, 3));
    let with = |dst: IpAddr, protocol: u8, port: u16| Tuple {
        src: client,
        dst,
        protocol: Protocol::from_number(protocol),
        src_port: 0,
        dst_port: port,
    };
    assert_answers(
        &cluster,
        &[
            // `protocol: TCP` without a port covers every TCP port, 0 included.
            (with(ports, 6, 0), true),
            (with(ports, 6, 65535), true),
            (with(ports, 17, 0), false),
            (with(ports, 0, 0), false),
            (with(ports, 255, 0), false),
            // A rule without ports covers every protocol number.
            (with(any, 0, 0), true),
            (with(any, 255, 0), true),
            (with(any, 6, 0), true),
        ],
    );
    assert!(allowed(&cluster, &with(any, 0, 65535)));
}

#[test]
fn lenient_loading_skips_a_list_entry_that_is_not_an_object() {
    let text = "kind: List\nitems:\n- {kind: Pod, apiVersion: v1, metadata: {name: a}}\n- 42\n\
                - {kind: Pod, apiVersion: v1, metadata: {name: b}}\n";
    let error = load_error(text.as_bytes());
    assert_eq!(
        error.to_string(),
        "hostile.yaml: a list holds an entry that is not an object"
    );
    let options = LoadOptions {
        lenient: true,
        ..LoadOptions::default()
    };
    let loaded = load_with(text.as_bytes(), options).unwrap();
    assert_eq!(loaded.cluster.pods.len(), 2);
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["hostile.yaml: a list holds an entry that is not an object; entry skipped"]
    );
}
