//! `tagwall gen --events` and `tagwall replay` through the real binary: a generated stream
//! replays with every check against a fresh build passing; a bad event is a warning, never
//! fatal; the JSON report counts what happened.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use std::path::PathBuf;

use crate::support::tagwall;

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tagwall-cli-replay-{}-{name}", std::process::id()))
}

const SCALE: [&str; 8] = [
    "--namespaces",
    "4",
    "--pods",
    "200",
    "--policies",
    "30",
    "--seed",
    "5",
];

#[test]
fn generated_events_replay_and_match_fresh_builds() {
    let initial = temp("initial.json");
    let events = temp("events.json");
    let (initial_s, events_s) = (initial.display().to_string(), events.display().to_string());
    assert!(
        tagwall(&[&["gen"][..], &SCALE, &["--output-file", &initial_s]].concat())
            .status
            .success()
    );
    let written = tagwall(
        &[
            &["gen"][..],
            &SCALE,
            &["--events", "400", "--output-file", &events_s],
        ]
        .concat(),
    );
    assert!(written.status.success());
    let stream = std::fs::read_to_string(&events).unwrap();
    assert_eq!(stream.lines().count(), 400);
    // The mix: pod creations and deletions dominate, policy and namespace events are there.
    let count = |needle: &str| stream.lines().filter(|l| l.contains(needle)).count();
    assert!(
        count(r#""kind":"Pod""#) > 300,
        "{}",
        count(r#""kind":"Pod""#)
    );
    assert!(count(r#""kind":"NetworkPolicy""#) > 0);
    assert!(count(r#""kind":"Namespace""#) > 0);

    let output = tagwall(&[
        "replay",
        "-f",
        &initial_s,
        "--events",
        &events_s,
        "--verify-every",
        "7",
        "--output",
        "json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["events"], 400);
    assert_eq!(report["skipped"], 0);
    assert!(report["verified"].as_u64().unwrap() > 25);
    let kinds: Vec<&str> = report["latency"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "Pod ADDED",
        "Pod DELETED",
        "NetworkPolicy MODIFIED",
        "Namespace MODIFIED",
    ] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    let _ = std::fs::remove_file(initial);
    let _ = std::fs::remove_file(events);
}

#[test]
fn a_bad_event_is_skipped_with_its_position() {
    let initial = temp("bad-initial.yaml");
    let events = temp("bad-events.json");
    std::fs::write(
        &initial,
        "kind: Pod\nmetadata: {name: a}\nstatus: {podIP: 10.0.0.1}\n",
    )
    .unwrap();
    std::fs::write(
        &events,
        concat!(
            r#"{"type": "ADDED", "object": {"kind": "Pod", "metadata": {"name": "b"}, "status": {"podIP": "10.0.0.1"}}}"#,
            "\n",
            r#"{"type": "ADDED", "object": {"kind": "NetworkPolicy", "metadata": {"name": "x"}, "spec": {"ingress": [{"ports": [{"port": 0}]}]}}}"#,
            "\n",
            r#"{"type": "ADDED", "object": {"kind": "Pod", "metadata": {"name": "c"}, "status": {"podIP": "10.0.0.3"}}}"#,
            "\n",
        ),
    )
    .unwrap();
    let (initial_s, events_s) = (initial.display().to_string(), events.display().to_string());
    let output = tagwall(&[
        "replay", "-f", &initial_s, "--events", &events_s, "--output", "json",
    ]);
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "tagwall: warning: {events_s}: event 1 (line 1): Pod default/b: `10.0.0.1` is also the IP of Pod `default/a`; event skipped"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "tagwall: warning: {events_s}: event 2 (line 2): NetworkPolicy default/x: spec.ingress[0].ports[0].port:"
        )),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (report["skipped"].as_u64(), report["applied"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(report["workloads"], 2);
    let _ = std::fs::remove_file(initial);
    let _ = std::fs::remove_file(events);
}
