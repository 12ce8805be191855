//! One bad object through the real binary: strict reading (the default) fails with exit code 2
//! and one clear line; `--lenient` skips the object with one warning and answers from the rest.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use crate::support;

use crate::support::{stderr, stdout, tagwall};
use std::path::PathBuf;
use std::process::Output;

/// A cluster whose `bad` policy has an invalid `endPort`; `good` admits client to target on 80.
const CLUSTER: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: target, namespace: default, labels: {app: target}}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {app: client}}
status: {podIP: 10.0.0.3}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: default}
spec:
  podSelector: {}
  ingress: [{ports: [{port: 80, endPort: 79}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: good, namespace: default}
spec:
  podSelector: {matchLabels: {app: target}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 80}]
";

/// Writes `text` to a file of this test's own (tests run in parallel).
fn write(name: &str, text: &str) -> PathBuf {
    support::temp_file("hostile-cli", name, text)
}

fn check(file: &str, port: &str, lenient: bool) -> Output {
    let mut args = vec![
        "check",
        "-f",
        file,
        "--from",
        "default/client",
        "--to",
        "default/target",
        "--port",
        port,
    ];
    if lenient {
        args.push("--lenient");
    }
    tagwall(&args)
}

#[test]
fn strict_reading_fails_with_one_line_and_exit_code_2() {
    let path = write("strict.yaml", CLUSTER);
    let file = path.display().to_string();
    let output = check(&file, "80", false);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        format!(
            "tagwall: error: {file}: NetworkPolicy default/bad: spec.ingress[0].ports[0].endPort: \
             `79` must be greater than or equal to `port` (`80`)\n"
        )
    );
    assert_eq!(stdout(&output), "");
    // Every command that reads a cluster fails the same way.
    for command in [
        vec!["matrix", "-f", &file, "--port", "80"],
        vec!["translate", "-f", &file],
    ] {
        let output = tagwall(&command);
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        assert_eq!(stderr(&output).lines().count(), 1, "{command:?}");
    }
}

#[test]
fn lenient_reading_skips_the_bad_object_with_a_warning_and_answers() {
    let path = write("lenient.yaml", CLUSTER);
    let file = path.display().to_string();
    let warning = format!(
        "tagwall: warning: {file}: NetworkPolicy default/bad: spec.ingress[0].ports[0].endPort: \
         `79` must be greater than or equal to `port` (`80`); object skipped\n"
    );
    // `good` allows 80 and isolates target, so 81 is denied: the good policy was kept.
    let allowed = check(&file, "80", true);
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    assert_eq!(stderr(&allowed), warning);
    assert!(
        stdout(&allowed).starts_with("allowed: "),
        "{}",
        stdout(&allowed)
    );
    let denied = check(&file, "81", true);
    assert_eq!(denied.status.code(), Some(1), "{}", stderr(&denied));
    assert_eq!(stderr(&denied), warning);
    assert!(
        stdout(&denied).starts_with("denied: "),
        "{}",
        stdout(&denied)
    );
}

#[test]
fn lenient_reading_still_fails_on_a_malformed_document() {
    // A parse error leaves no object to skip: lenient or not, the input fails.
    let path = write("malformed.yaml", "kind: Pod\nmetadata: {name: [unclosed\n");
    let file = path.display().to_string();
    let output = check(&file, "80", true);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with(&format!("tagwall: error: {file}: line ")),
        "{message}"
    );
}

#[test]
fn lenient_reading_keeps_good_objects_around_many_bad_ones() {
    // Bad objects of every kind, interleaved with the good ones; the answer is unchanged.
    let mut text = String::from(CLUSTER);
    text.push_str(
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nstatus: {podIP: 10.0.0.9}\n\
         ---\napiVersion: v1\nkind: Pod\nmetadata: {name: twin, labels: {app: target}}\nstatus: {podIP: 10.0.0.2}\n\
         ---\napiVersion: v1\nkind: Namespace\nmetadata: {name: \"-\"}\n\
         ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad-cidr}\n\
         spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}\n",
    );
    let path = write("many.yaml", &text);
    let file = path.display().to_string();
    let output = check(&file, "80", true);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let warnings = stderr(&output);
    assert_eq!(warnings.lines().count(), 5, "{warnings}");
    assert!(
        warnings
            .lines()
            .all(|l| l.starts_with("tagwall: warning: ") && l.ends_with("; object skipped")),
        "{warnings}"
    );
}
