//! `tagwall check` through the real binary: exit codes 0/1/2, reasons, JSON, errors.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use crate::support::{scenario, stderr, stdout};
use std::path::PathBuf;
use std::process::{Command, Output};

/// `tagwall check -f file ...`, with the reference engine (whose reasons these tests read)
/// unless `extra` names an engine.
fn check(file: &str, extra: &[&str]) -> Output {
    let engine: &[&str] = if extra.contains(&"--engine") {
        &[]
    } else {
        &["--engine", "reference"]
    };
    Command::new(env!("CARGO_BIN_EXE_tagwall"))
        .args(["check", "-f", file])
        .args(extra)
        .args(engine)
        .output()
        .unwrap()
}

#[test]
fn allowed_exits_0_and_names_the_allowing_rule() {
    let output = check(
        &scenario("stacked-policies.yaml"),
        &[
            "--from",
            "y/a",
            "--to",
            "x/a",
            "--protocol",
            "TCP",
            "--port",
            "81",
        ],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(
        text.starts_with("allowed: y/a (10.0.2.1) -> x/a (10.0.1.1) TCP port 81"),
        "{text}"
    );
    assert!(
        text.contains("x/p2 ingress rule 0 (peer 0, port 0)"),
        "{text}"
    );
}

#[test]
fn denied_exits_1_and_names_the_isolating_policies() {
    let output = check(
        &scenario("stacked-policies.yaml"),
        &["--from", "z/a", "--to", "x/a", "--port", "80"],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    assert!(text.starts_with("denied:"), "{text}");
    assert!(text.contains("isolated by x/p1, x/p2, x/p3"), "{text}");
}

#[test]
fn external_addresses_and_icmp_are_accepted() {
    let output = check(
        &scenario("icmp.yaml"),
        &["--from", "z/a", "--to", "8.8.8.8", "--protocol", "1"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let output = check(
        &scenario("icmp.yaml"),
        &[
            "--from",
            "z/a",
            "--to",
            "8.8.8.8",
            "--protocol",
            "UDP",
            "--port",
            "53",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("8.8.8.8 is not a pod"));
}

#[test]
fn json_output_carries_verdict_tuple_and_reasons() {
    let output = check(
        &scenario("default-deny-ingress.yaml"),
        &[
            "--from", "y/a", "--to", "x/b", "--port", "80", "--output", "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["allowed"], false);
    assert_eq!(json["tuple"]["src"], "10.0.2.1");
    assert_eq!(json["tuple"]["dst"], "10.0.1.2");
    assert_eq!(json["tuple"]["dst_port"], 80);
    assert_eq!(json["explanation"]["egress"]["reason"], "not_isolated");
    assert_eq!(json["explanation"]["ingress"]["reason"], "denied");
    assert_eq!(
        json["explanation"]["ingress"]["isolated_by"],
        serde_json::json!(["x/deny-all-ingress"])
    );
}

#[test]
fn pods_without_a_common_family_are_denied() {
    let output = check(
        &scenario("ipv6.yaml"),
        &["--from", "y/c", "--to", "z/c", "--port", "80"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("no addresses of a common IP family"));
}

fn invalid_yaml() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tagwall-cli-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n",
    )
    .unwrap();
    path
}

#[test]
fn errors_exit_2_with_one_line_on_stderr() {
    let deny = scenario("default-deny-ingress.yaml");
    let broken = invalid_yaml();
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (
            deny.clone(),
            vec!["--from", "x/nope", "--to", "x/a", "--port", "80"],
            "unknown pod `x/nope`",
        ),
        (
            deny.clone(),
            vec!["--from", "10.0.0.300", "--to", "x/a", "--port", "80"],
            "`10.0.0.300`",
        ),
        (
            deny.clone(),
            vec!["--from", "x/a", "--to", "x/b"],
            "`--port` is required",
        ),
        (
            deny.clone(),
            vec![
                "--from", "x/nope", "--to", "x/b", "--port", "80", "--engine", "compiled",
            ],
            "x/nope",
        ),
        (
            broken.display().to_string(),
            vec!["--from", "x/a", "--to", "x/b", "--port", "80"],
            "broken.yaml",
        ),
        (
            "/nonexistent/tagwall.yaml".to_string(),
            vec!["--from", "x/a", "--to", "x/b", "--port", "80"],
            "/nonexistent/tagwall.yaml",
        ),
    ];
    for (file, args, message) in cases {
        let output = check(&file, &args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(stdout(&output).is_empty(), "{args:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        // Scenario files hold an expectations document, which the loader skips with a warning
        // line; the error itself is one line.
        let lines: Vec<&str> = err
            .lines()
            .filter(|line| !line.starts_with("tagwall: warning: skipped "))
            .collect();
        assert_eq!(lines.len(), 1, "{args:?}: {err}");
        assert!(lines[0].starts_with("tagwall: error: "), "{args:?}: {err}");
        assert!(
            err.contains(message),
            "{args:?}: expected `{message}` in {err}"
        );
    }
}

#[test]
fn firewall_engines_name_the_deciding_rule_of_each_side() {
    for engine in ["compiled", "linear"] {
        let args = |from, to, port| {
            vec![
                "--from", from, "--to", to, "--port", port, "--engine", engine,
            ]
        };
        let output = check(
            &scenario("stacked-policies.yaml"),
            &args("y/a", "x/a", "81"),
        );
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(0), "{engine}: {text}");
        assert!(
            text.contains(
                "ingress (at the destination): pass by rule `x-ingress-p2-0-namespaceSelector-0-0`"
            ),
            "{engine}: {text}"
        );
        let output = check(
            &scenario("stacked-policies.yaml"),
            &args("z/a", "x/a", "80"),
        );
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{engine}: {text}");
        assert!(
            text.contains("deny by rule `x-p1-denyall-ingress` of firewall policy `k8s-denyall`"),
            "{engine}: {text}"
        );
    }
}
