//! The command line as a network engineer meets it, through the real binary: output into a
//! pipe whose reader went away, bad flag values, `--port` bounds, and what `-o` means.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

use crate::support::{stderr, tagwall};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/test-network-policy.yaml")
        .display()
        .to_string()
}

/// A directory of this test process's own (tests run in parallel, and so do test binaries).
fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tagwall-cli-usage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A synthetic cluster large enough that every command's output exceeds a pipe's buffer, so
/// the write after the reader left fails for certain rather than landing in the buffer.
fn big_cluster() -> String {
    let path = temp_dir().join("big.json");
    let output = tagwall(&[
        "gen",
        "--pods",
        "300",
        "--policies",
        "40",
        "--output-file",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    path.display().to_string()
}

/// Runs `args` with standard output a pipe that is closed before the command writes.
fn closed_pipe(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tagwall"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn every_command_ends_quietly_when_its_reader_closes_the_pipe() {
    let big = big_cluster();
    let example = example();
    let commands: Vec<(Vec<&str>, i32)> = vec![
        (vec!["translate", "-f", &big], 0),
        (vec!["translate", "-f", &big, "--output", "json"], 0),
        (vec!["translate", "-f", &big, "--output", "vnc-json"], 0),
        (vec!["matrix", "-f", &big, "--port", "80"], 0),
        (vec!["matrix", "-f", &big, "--port", "80", "-o", "json"], 0),
        (vec!["matrix", "-f", &big, "--all-ports"], 0),
        (vec!["matrix", "-f", &big, "--all-ports", "-o", "json"], 0),
        (vec!["gen", "--pods", "2000"], 0),
        (
            vec![
                "check",
                "-f",
                &example,
                "--from",
                "other/client",
                "--to",
                "default/db",
                "--port",
                "6379",
            ],
            1,
        ),
        (
            vec![
                "bench",
                "-f",
                &example,
                "--tuples",
                "1000",
                "--linear-tuples",
                "10",
            ],
            0,
        ),
        (vec!["--help"], 0),
    ];
    for (args, code) in commands {
        let output = closed_pipe(&args);
        let err = stderr(&output);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
        assert_eq!(output.status.code(), Some(code), "{args:?}: {err}");
    }
}

#[test]
fn bad_flag_values_and_a_missing_file_start_with_one_error_line() {
    let example = example();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "matrix",
                "-f",
                &example,
                "--protocol",
                "ICMP",
                "--port",
                "80",
            ],
            "`ICMP`",
        ),
        (
            vec!["matrix", "-f", &example, "--engine", "fast", "--port", "80"],
            "`fast`",
        ),
        (
            vec!["matrix", "-f", &example, "--mode", "k8s", "--port", "80"],
            "`k8s`",
        ),
        (
            vec!["matrix", "-f", &example, "--port", "-1"],
            "`-1` is not a port",
        ),
        (
            vec!["matrix", "-f", &example, "--port", "65536"],
            "`65536` is not a port",
        ),
        (vec!["matrix", "--port", "80"], "`--filename <FILES>`"),
        (
            vec!["check", "--from", "a", "--to", "b", "--port", "80"],
            "`--filename <FILES>`",
        ),
        (vec!["translate"], "`--filename <FILES>`"),
        (vec![], "a command is required"),
        (vec!["gen", "--pods", "many"], "`many`"),
        (vec!["matrix", "-f", &example, "--colour"], "`--colour`"),
    ];
    for (args, needle) in cases {
        let output = tagwall(&args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(output.stdout.is_empty(), "{args:?}");
        let first = err.lines().next().unwrap_or("");
        assert!(first.starts_with("tagwall: error: "), "{args:?}: {err}");
        assert!(
            first.contains(needle),
            "{args:?}: expected {needle} in {first}"
        );
        // Whatever follows is a usage hint, never a second error.
        let errors = err.lines().filter(|l| l.contains("error:")).count();
        assert_eq!(errors, 1, "{args:?}: {err}");
    }
}

#[test]
fn port_0_is_no_port() {
    for command in [
        vec!["matrix", "-f", &example(), "--port", "0"],
        vec![
            "check",
            "-f",
            &example(),
            "--from",
            "default/db",
            "--to",
            "default/db",
            "--port",
            "0",
        ],
    ] {
        let output = tagwall(&command);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {err}");
        assert!(
            err.starts_with("tagwall: error: invalid value `0` for `--port <PORT>`: `0` is not a port: ports are 1-65535"),
            "{command:?}: {err}"
        );
    }
    // The edges are ports.
    for port in ["1", "65535"] {
        let output = tagwall(&["matrix", "-f", &example(), "--port", port]);
        assert!(output.status.success(), "{port}: {}", stderr(&output));
    }
}

#[test]
fn dash_o_is_the_output_format_in_every_command() {
    let example = example();
    let json = |args: &[&str]| {
        let output = tagwall(args);
        assert!(
            output.status.success() || output.status.code() == Some(1),
            "{args:?}: {}",
            stderr(&output)
        );
        let text = String::from_utf8(output.stdout).unwrap();
        serde_json::from_str::<serde_json::Value>(&text)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {text}"))
    };
    json(&["matrix", "-f", &example, "--port", "6379", "-o", "json"]);
    json(&["translate", "-f", &example, "-o", "json"]);
    json(&[
        "check",
        "-f",
        &example,
        "--from",
        "default/db",
        "--to",
        "default/db",
        "--port",
        "1",
        "-o",
        "json",
    ]);
    json(&["gen", "--pods", "3", "-o", "json"]);
    json(&[
        "bench",
        "-f",
        &example,
        "--tuples",
        "100",
        "--linear-tuples",
        "5",
        "-o",
        "json",
    ]);
    // `gen` writes YAML with `-o yaml`, and to a file only with the long `--output-file`.
    let yaml = tagwall(&["gen", "--pods", "3", "-o", "yaml"]);
    assert!(yaml.status.success(), "{}", stderr(&yaml));
    assert!(
        String::from_utf8(yaml.stdout)
            .unwrap()
            .starts_with("apiVersion: v1")
    );
    let file = temp_dir().join("dash-o.json");
    let output = tagwall(&["gen", "--pods", "3", "-o", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(!file.exists());
}
