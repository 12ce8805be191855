//! What the command line says about its input, through the real binary: objects it skipped,
//! kinds in a version it cannot read, null and non-string label values, and files with no
//! object at all.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use crate::support;

use crate::support::{stderr, stdout, tagwall};
use std::process::Output;

/// Writes `text` to a file of this test process's own.
fn write(name: &str, text: &str) -> String {
    support::temp_file("cli-input", name, text)
        .display()
        .to_string()
}

/// Two pods; `deny` isolates `db` for ingress unless it is dropped.
const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: default, labels: {app: db}}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
status: {podIP: 10.0.0.3}
";

fn check_web_to_db(file: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "check",
        "-f",
        file,
        "--from",
        "default/web",
        "--to",
        "default/db",
        "--port",
        "80",
    ];
    args.extend_from_slice(extra);
    tagwall(&args)
}

#[test]
fn skipped_objects_are_counted_on_one_line() {
    let file = write(
        "skipped.yaml",
        &format!(
            "{PODS}---\nkind: Service\napiVersion: v1\nmetadata: {{name: s}}\n---\n\
             kind: Service\napiVersion: v1\nmetadata: {{name: t}}\n---\n\
             kind: Deployment\napiVersion: apps/v1\nmetadata: {{name: d}}\n---\n\
             apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: c}}\n"
        ),
    );
    let output = check_web_to_db(&file, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "tagwall: warning: skipped 4 object(s) of kinds tagwall does not read: 1 Deployment, \
         1 NetworkPolicy (projectcalico.org/v3), 2 Service\n"
    );
}

#[test]
fn a_known_kind_in_a_version_tagwall_cannot_read_is_an_error() {
    let old = "---\napiVersion: extensions/v1beta1\nkind: NetworkPolicy\n\
               metadata: {name: deny, namespace: default}\nspec: {podSelector: {}}\n";
    let file = write("old.yaml", &format!("{PODS}{old}"));
    let strict = check_web_to_db(&file, &[]);
    assert_eq!(strict.status.code(), Some(2), "{}", stderr(&strict));
    assert_eq!(
        stderr(&strict),
        format!(
            "tagwall: error: {file}: NetworkPolicy default/deny: apiVersion: \
             `extensions/v1beta1` is not read: tagwall reads NetworkPolicy as \
             `networking.k8s.io/v1`\n"
        )
    );
    assert!(stdout(&strict).is_empty());
    // With `--lenient`, a warning; the answer is then without the policy, and says so.
    let lenient = check_web_to_db(&file, &["--lenient"]);
    assert_eq!(lenient.status.code(), Some(0), "{}", stderr(&lenient));
    assert_eq!(
        stderr(&lenient),
        format!(
            "tagwall: warning: {file}: NetworkPolicy default/deny: apiVersion: \
             `extensions/v1beta1` is not read: tagwall reads NetworkPolicy as \
             `networking.k8s.io/v1`; object skipped\n"
        )
    );
    // A core-group kind in another version is the same mistake.
    let pod = write(
        "pod-v2.yaml",
        "apiVersion: v2\nkind: Pod\nmetadata: {name: p}\nstatus: {podIP: 10.0.0.9}\n",
    );
    let output = tagwall(&["matrix", "-f", &pod, "--port", "80"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("Pod default/p: apiVersion: `v2` is not read"));
}

#[test]
fn null_label_values_are_field_path_errors_and_lenient_skips_them() {
    let cases = [
        (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {tier: null}}\n",
            "Pod default/p: metadata.labels: the value of label `tier` must be a string, not null",
        ),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: {tier: }}\n",
            "Namespace n: metadata.labels: the value of label `tier` must be a string, not null",
        ),
        (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\n\
             spec: {podSelector: {matchLabels: {tier: null}}}\n",
            "NetworkPolicy default/np: spec.podSelector.matchLabels: the value of label `tier` \
             must be a string, not null",
        ),
        (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\n\
             spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - podSelector:\n        \
             matchExpressions: [{key: tier, operator: In, values: [web, null]}]\n",
            "NetworkPolicy default/np: spec.ingress[0].from[0].podSelector.matchExpressions[0].\
             values[1]: must be a string, not null",
        ),
    ];
    for (i, (object, message)) in cases.into_iter().enumerate() {
        let file = write(&format!("null-{i}.yaml"), &format!("{PODS}---\n{object}"));
        let strict = check_web_to_db(&file, &[]);
        assert_eq!(strict.status.code(), Some(2), "{}", stderr(&strict));
        assert_eq!(
            stderr(&strict),
            format!("tagwall: error: {file}: {message}\n")
        );
        let lenient = check_web_to_db(&file, &["--lenient"]);
        assert_eq!(lenient.status.code(), Some(0), "{}", stderr(&lenient));
        assert_eq!(
            stderr(&lenient),
            format!("tagwall: warning: {file}: {message}; object skipped\n")
        );
    }
}

#[test]
fn an_integer_label_value_is_rejected_in_any_key_order_and_format() {
    let message = "NetworkPolicy default/np: spec.podSelector.matchLabels: the value of label \
                   `tier` must be a string, not `1`";
    let files = [
        write(
            "kind-first.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\n\
             spec: {podSelector: {matchLabels: {tier: 1}}}\n",
        ),
        write(
            "spec-first.yaml",
            "spec: {podSelector: {matchLabels: {tier: 1}}}\nmetadata: {name: np}\n\
             kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\n",
        ),
        write(
            "kind-first.json",
            r#"{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "np"}, "spec": {"podSelector": {"matchLabels": {"tier": 1}}}}"#,
        ),
        write(
            "spec-first.json",
            r#"{"spec": {"podSelector": {"matchLabels": {"tier": 1}}}, "metadata": {"name": "np"}, "kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1"}"#,
        ),
    ];
    for file in &files {
        let output = tagwall(&["matrix", "-f", file, "--port", "80"]);
        assert_eq!(output.status.code(), Some(2), "{file}: {}", stderr(&output));
        assert_eq!(
            stderr(&output),
            format!("tagwall: error: {file}: {message}\n")
        );
    }
    // Quoted, it is the string `1`; and a YAML 1.1 boolean spelling (`y`) is a string too.
    let quoted = write(
        "quoted.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {tier: \"1\", ns: y}}\n\
         status: {podIP: 10.0.0.1}\n",
    );
    let output = tagwall(&["matrix", "-f", &quoted, "--port", "80"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_file_with_no_object_warns() {
    for (name, text) in [
        ("empty.yaml", ""),
        ("comments.yaml", "# nothing here\n# at all\n"),
        ("separators.yaml", "---\n---\n"),
        ("empty-list.yaml", "apiVersion: v1\nkind: List\nitems: []\n"),
    ] {
        let file = write(name, text);
        let output = tagwall(&["matrix", "-f", &file, "--port", "80"]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        assert_eq!(
            stderr(&output),
            format!("tagwall: warning: {file}: no object was read\n"),
            "{name}"
        );
    }
    // Only the empty file of several is named.
    let empty = write("empty-too.yaml", "");
    let pods = write("pods.yaml", PODS);
    let output = tagwall(&["matrix", "-f", &pods, "-f", &empty, "--port", "80"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        format!("tagwall: warning: {empty}: no object was read\n")
    );
}
