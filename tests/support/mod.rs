//! What the test binaries share, the one support module: the property-test case count and
//! configuration, the command line run as a user runs it, and per area
//! - `compiled`: random firewall configurations and tuples for the compiled-engine tests;
//! - `tiers`: generated ClusterNetworkPolicy tiers for the differential test;
//! - `conntrack`: fake deciders and tuple builders for the connection-table tests;
//! - `conntrack_model`: the plain model of the connection table (the fuzz crate includes it
//!   too, by path).
//!
//! Each binary includes this module (`#[path = "../support/mod.rs"] mod support;`) and uses the
//! part it needs.

#![allow(
    dead_code,
    reason = "each test binary includes this module and uses only part of it"
)]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failure here is a test failure"
)]

pub mod compiled;
pub mod conntrack;
pub mod conntrack_model;
pub mod tiers;

use std::path::PathBuf;
use std::process::{Command, Output};

use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};

/// Property-test cases: `TAGWALL_PROPTEST_CASES`, else `default` (heavy runs scale through the
/// variable, never through a test's own constant).
pub fn cases(default: u32) -> u32 {
    std::env::var("TAGWALL_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The configuration of a proptest running `cases` cases, whose failures persist beside the
/// test's source file (`tests/engines/differential.rs` keeps its seeds in
/// `tests/engines/differential.proptest-regressions`). proptest's default finds the area's
/// `main.rs` above the file and keeps every area's seeds in one `tests/proptest-regressions/`
/// by bare file name, where two areas' `all_ports.rs` would share a file.
pub fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// Runs the built `tagwall` binary with `args`.
pub fn tagwall(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tagwall"))
        .args(args)
        .output()
        .unwrap()
}

/// Standard output, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Standard error, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Writes `text` to `name` in a directory of this test process and `binary`'s own (tests of one
/// binary run in parallel, and binaries too), and returns its path.
pub fn temp_file(binary: &str, name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tagwall-{binary}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A file under the crate's `tests/scenarios`.
pub fn scenario(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
        .display()
        .to_string()
}
