//! `tagwall matrix` through the real binary: the pinned JSON shape, the table, and errors.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use crate::support;

use crate::support::{scenario, stderr, stdout, tagwall};
use std::path::PathBuf;

/// Writes `text` to a file of its own under the system temp directory.
fn temp_file(name: &str, text: &str) -> PathBuf {
    support::temp_file("cli-matrix", name, text)
}

/// Two namespaces, three pods (one without an IP), and a policy isolating y/b for ingress.
const SMALL: &str = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Pod, metadata: {namespace: y, name: b, labels: {app: b}},
   spec: {containers: [{name: c, image: i}]}, status: {podIP: 10.0.0.2}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: x, name: a, labels: {app: a}},
   spec: {containers: [{name: c, image: i}]}, status: {podIP: 10.0.0.1}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: x, name: pending, labels: {app: p}},
   spec: {containers: [{name: c, image: i}]}, status: {phase: Pending}}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {namespace: y, name: deny}
  spec:
    podSelector: {}
"#;

#[test]
fn json_output_is_exactly_the_pinned_shape() {
    let file = temp_file("small.yaml", SMALL);
    let output = tagwall(&[
        "matrix",
        "-f",
        file.to_str().unwrap(),
        "--protocol",
        "TCP",
        "--port",
        "80",
        "--output",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"pods\": [\"x/a\", \"y/b\"], \"protocol\": \"TCP\", \"port\": 80, \
         \"allowed\": [[true, false], [true, true]]}\n"
    );
    // The pod without an IP is left out, with one warning line.
    let err = stderr(&output);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("x/pending")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].starts_with("tagwall: warning: "), "{err}");
}

#[test]
fn json_output_of_a_scenario_parses_with_keys_in_order() {
    let output = tagwall(&[
        "matrix",
        "-f",
        &scenario("default-deny-ingress.yaml"),
        "--port",
        "80",
        "--output",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let keys: Vec<usize> = ["\"pods\":", "\"protocol\":", "\"port\":", "\"allowed\":"]
        .iter()
        .map(|key| {
            text.find(key)
                .unwrap_or_else(|| panic!("{key} missing in {text}"))
        })
        .collect();
    assert!(
        keys.windows(2).all(|pair| pair[0] < pair[1]),
        "keys out of order: {text}"
    );

    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let object = json.as_object().unwrap();
    assert_eq!(object.len(), 4);
    assert_eq!(json["protocol"], "TCP");
    assert_eq!(json["port"], 80);
    let pods: Vec<&str> = json["pods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let expected_pods: Vec<String> = ["x", "y", "z"]
        .iter()
        .flat_map(|ns| ["a", "b", "c"].map(|pod| format!("{ns}/{pod}")))
        .collect();
    assert_eq!(pods, expected_pods);
    let allowed = json["allowed"].as_array().unwrap();
    assert_eq!(allowed.len(), pods.len());
    for (i, row) in allowed.iter().enumerate() {
        let row = row.as_array().unwrap();
        assert_eq!(row.len(), pods.len());
        for (j, cell) in row.iter().enumerate() {
            // Every pod of x is isolated for ingress with no rule; a pod reaches itself.
            let expected = i == j || !pods[j].starts_with("x/");
            assert_eq!(cell.as_bool(), Some(expected), "{} -> {}", pods[i], pods[j]);
        }
    }
}

#[test]
fn table_output_labels_rows_and_columns() {
    let output = tagwall(&[
        "matrix",
        "-f",
        &scenario("pod-selector.yaml"),
        "--port",
        "80",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains(". allowed, X denied"), "{text}");
    assert!(lines[1].starts_with("from\\to"), "{text}");
    for pod in ["x/a", "y/c", "z/c"] {
        assert!(lines[1].contains(pod), "{text}");
        assert!(lines.iter().any(|line| line.starts_with(pod)), "{text}");
    }
    // Only x/b (and x/a itself) may reach x/a: the x/a column of row y/b is denied.
    let row = lines.iter().find(|line| line.starts_with("y/b")).unwrap();
    assert_eq!(row.split_whitespace().nth(1), Some("X"), "{text}");
    let row = lines.iter().find(|line| line.starts_with("x/b")).unwrap();
    assert_eq!(row.split_whitespace().nth(1), Some("."), "{text}");
}

#[test]
fn bad_input_fails_with_one_line() {
    let cases: [&[&str]; 3] = [
        &["matrix", "-f", "/nonexistent/tagwall.yaml", "--port", "80"],
        &["matrix", "-f", &scenario("self.yaml")],
        &[
            "matrix",
            "-f",
            &scenario("self.yaml"),
            "--protocol",
            "1",
            "--port",
            "80",
        ],
    ];
    for args in cases {
        let output = tagwall(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(stdout(&output).is_empty(), "{args:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("tagwall: error: "), "{args:?}: {err}");
    }
}

/// The compiled engine answers a matrix in one batch of lookups (no reasons built): on a
/// synthetic cluster large enough for many batch chunks, and dual-stack pods, it must print
/// what the reference engine prints cell by cell.
#[test]
fn the_batched_matrix_is_the_reference_matrix_on_a_synthetic_cluster() {
    let path = temp_file("synthetic.json", "");
    let generated = tagwall(&[
        "gen",
        "--pods",
        "60",
        "--policies",
        "20",
        "--seed",
        "7",
        "--output-file",
        path.to_str().unwrap(),
    ]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let file = path.display().to_string();
    for (protocol, port) in [("TCP", "8080"), ("UDP", "53"), ("TCP", "443")] {
        let json = |engine: &str| {
            let output = tagwall(&[
                "matrix",
                "-f",
                &file,
                "--protocol",
                protocol,
                "--port",
                port,
                "-o",
                "json",
                "--engine",
                engine,
            ]);
            assert!(output.status.success(), "{engine}: {}", stderr(&output));
            stdout(&output)
        };
        let reference = json("reference");
        assert!(
            reference.contains("true") && reference.contains("false"),
            "{reference}"
        );
        assert_eq!(json("compiled"), reference, "{protocol} {port}");
    }
}

#[test]
fn every_engine_prints_the_same_matrix() {
    let json = |engine: &str| {
        let output = tagwall(&[
            "matrix",
            "-f",
            &scenario("stacked-policies.yaml"),
            "--port",
            "80",
            "--output",
            "json",
            "--engine",
            engine,
        ]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{engine}: {}",
            stderr(&output)
        );
        stdout(&output)
    };
    let reference = json("reference");
    assert!(
        reference.contains("false"),
        "the scenario denies something: {reference}"
    );
    assert_eq!(json("linear"), reference);
    assert_eq!(json("compiled"), reference);
}

#[test]
fn lenient_loading_prints_loader_warnings_and_carries_on() {
    let text = r#"
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Pod, metadata: {namespace: x, name: a, labels: {app: a}},
   spec: {containers: [{name: c, image: i}]}, status: {podIP: 10.0.0.1}}
- {apiVersion: v1, kind: Pod, metadata: {namespace: x, name: b, labels: {app: b}},
   spec: {containers: [{name: c, image: i}]}, status: {podIP: 10.0.0.2}}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {namespace: x, name: bad}
  spec:
    podSelector: {}
    ingress:
    - ports: [{protocol: ICMP}]
"#;
    let file = temp_file("invalid-policy.yaml", text);
    let file = file.to_str().unwrap();
    let strict = tagwall(&["matrix", "-f", file, "--port", "80"]);
    assert_eq!(strict.status.code(), Some(2));
    assert!(
        stderr(&strict).starts_with("tagwall: error: "),
        "{}",
        stderr(&strict)
    );
    assert!(stderr(&strict).contains("x/bad"), "{}", stderr(&strict));

    let lenient = tagwall(&[
        "matrix",
        "-f",
        file,
        "--port",
        "80",
        "--lenient",
        "--output",
        "json",
    ]);
    let err = stderr(&lenient);
    assert!(lenient.status.success(), "{err}");
    assert!(err.starts_with("tagwall: warning: "), "{err}");
    assert!(err.contains("x/bad"), "{err}");
    // The invalid policy, which would isolate both pods, was skipped.
    assert_eq!(
        stdout(&lenient),
        "{\"pods\": [\"x/a\", \"x/b\"], \"protocol\": \"TCP\", \"port\": 80, \
         \"allowed\": [[true, true], [true, true]]}\n"
    );
}
