//! `tagwall matrix --all-ports` through the real binary: the pinned JSON shape, the table for
//! people, and every cell equal to what `tagwall check` answers at its range edges.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{stderr, stdout, tagwall};
use serde_json::Value;

/// `web` may open TCP 80-81 and 6379 and UDP 53 to `db`; `db` may open nothing but DNS to
/// anyone; `other` is not selected by anything.
const CLUSTER: &str = r#"{"kind": "List", "apiVersion": "v1", "items": [
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db", "namespace": "a", "labels": {"app": "db"}}, "status": {"podIP": "10.0.0.1"}},
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "a", "labels": {"app": "web"}}, "status": {"podIP": "10.0.0.2"}},
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "other", "namespace": "b"}, "status": {"podIP": "10.0.0.3"}},
 {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "db", "namespace": "a"}, "spec": {
   "podSelector": {"matchLabels": {"app": "db"}},
   "policyTypes": ["Ingress", "Egress"],
   "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                "ports": [{"port": 80, "endPort": 81}, {"port": 6379}, {"port": 53, "protocol": "UDP"}]}],
   "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}}]}"#;

fn cluster_file() -> String {
    let dir = std::env::temp_dir().join(format!("tagwall-cli-all-ports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cluster.json");
    std::fs::write(&path, CLUSTER).unwrap();
    path.display().to_string()
}

#[test]
fn json_has_the_pinned_shape() {
    let output = tagwall(&["matrix", "-f", &cluster_file(), "--all-ports", "-o", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let all = r#"{"TCP": [[1, 65535]], "UDP": [[1, 65535]], "SCTP": [[1, 65535]], "other": true}"#;
    let dns = r#"{"TCP": [], "UDP": [[53, 53]], "SCTP": [], "other": false}"#;
    let to_db =
        r#"{"TCP": [[80, 81], [6379, 6379]], "UDP": [[53, 53]], "SCTP": [], "other": false}"#;
    let none = r#"{"TCP": [], "UDP": [], "SCTP": [], "other": false}"#;
    assert_eq!(
        stdout(&output),
        format!(
            "{{\"pods\": [\"a/db\", \"a/web\", \"b/other\"], \"connections\": \
             [[{all}, {dns}, {dns}], [{to_db}, {all}, {all}], [{none}, {all}, {all}]]}}\n"
        )
    );
}

#[test]
fn the_table_says_it_for_people() {
    let output = tagwall(&["matrix", "-f", &cluster_file(), "--all-ports"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "all ports: what each source may open to each destination\n\
         from    to      allowed\n\
         a/db    a/db    all\n\
         a/db    a/web   UDP 53\n\
         a/db    b/other UDP 53\n\
         a/web   a/db    TCP 80-81,6379; UDP 53\n\
         a/web   a/web   all\n\
         a/web   b/other all\n\
         b/other a/db    none\n\
         b/other a/web   all\n\
         b/other b/other all\n"
    );
}

#[test]
fn it_takes_no_port_and_only_the_compiled_engine() {
    let file = cluster_file();
    for args in [
        vec!["matrix", "-f", &file, "--all-ports", "--port", "80"],
        vec!["matrix", "-f", &file, "--all-ports", "--protocol", "UDP"],
        vec![
            "matrix",
            "-f",
            &file,
            "--all-ports",
            "--engine",
            "reference",
        ],
    ] {
        let output = tagwall(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with("tagwall: error: "), "{args:?}");
    }
}

/// The ports of a cell to ask `check` about: each range's edges and one port either side.
fn edges(ranges: &Value) -> Vec<u16> {
    let mut ports = vec![1, 80, u16::MAX];
    for range in ranges.as_array().unwrap() {
        let lo = range[0].as_u64().unwrap() as u16;
        let hi = range[1].as_u64().unwrap() as u16;
        ports.extend([lo, hi, lo.saturating_sub(1).max(1), hi.saturating_add(1)]);
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

#[test]
fn cells_are_what_check_answers_at_their_edges() {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    for name in ["end-port.yaml", "named-ports.yaml", "udp-sctp.yaml"] {
        let file = scenarios.join(name).display().to_string();
        let output = tagwall(&["matrix", "-f", &file, "--all-ports", "-o", "json"]);
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let table: Value = serde_json::from_str(&stdout(&output)).unwrap();
        let pods: Vec<&str> = table["pods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        // One pod pair per distinct cell: a `check` process per port is not cheap.
        let mut by_cell: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
        for i in 0..pods.len() {
            for j in 0..pods.len() {
                let pairs = by_cell
                    .entry(table["connections"][i][j].to_string())
                    .or_default();
                if pairs.is_empty() && i != j {
                    pairs.push((i, j));
                }
            }
        }
        for pairs in by_cell.values() {
            for &(i, j) in pairs {
                let cell = &table["connections"][i][j];
                for protocol in ["TCP", "UDP", "SCTP"] {
                    for port in edges(&cell[protocol]) {
                        let allowed = cell[protocol].as_array().unwrap().iter().any(|r| {
                            r[0].as_u64().unwrap() <= u64::from(port)
                                && u64::from(port) <= r[1].as_u64().unwrap()
                        });
                        let port = port.to_string();
                        let check = tagwall(&[
                            "check",
                            "-f",
                            &file,
                            "--from",
                            pods[i],
                            "--to",
                            pods[j],
                            "--protocol",
                            protocol,
                            "--port",
                            &port,
                        ]);
                        assert_eq!(
                            check.status.code(),
                            Some(if allowed { 0 } else { 1 }),
                            "{name}: {} -> {} {protocol} {port}: cell {cell}: {}",
                            pods[i],
                            pods[j],
                            stdout(&check)
                        );
                    }
                }
                let icmp = tagwall(&[
                    "check",
                    "-f",
                    &file,
                    "--from",
                    pods[i],
                    "--to",
                    pods[j],
                    "--protocol",
                    "1",
                ]);
                let other = cell["other"].as_bool().unwrap();
                assert_eq!(
                    icmp.status.code(),
                    Some(if other { 0 } else { 1 }),
                    "{name}: {cell}"
                );
            }
        }
    }
}
