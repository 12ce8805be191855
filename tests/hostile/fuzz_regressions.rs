//! Fuzz findings, replayed on stable: every file under `tests/fuzz_regressions/<target>/` (inputs
//! that once crashed or disagreed) and every committed seed `fuzz/corpus/<target>/seed-*` goes
//! through the very check its fuzz target runs (`fuzz/fuzz_targets/common/`, included below),
//! so a fixed finding stays fixed without nightly or cargo-fuzz. See fuzz/README.md.

#[path = "../../fuzz/fuzz_targets/common/mod.rs"]
#[expect(
    clippy::duplicate_mod,
    reason = "the fuzz checks include the connection table's model by path, as this binary's \
              support module does: two copies of one plain model, each used where it is included"
)]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

/// The saved inputs of `target`, sorted by path.
fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let regressions = root.join("tests/fuzz_regressions").join(target);
    if let Ok(entries) = fs::read_dir(&regressions) {
        files.extend(entries.flatten().map(|entry| entry.path()));
    }
    let seeds = root.join("fuzz/corpus").join(target);
    if let Ok(entries) = fs::read_dir(&seeds) {
        files.extend(entries.flatten().map(|entry| entry.path()).filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("seed-"))
        }));
    }
    files.retain(|path| path.is_file());
    files.sort();
    files
}

/// Runs `check` on every saved input of `target`, reporting every failure with its file.
fn replay(target: &str, check: fn(&[u8]) -> Result<(), common::Failure>) {
    let files = inputs(target);
    assert!(
        !files.is_empty(),
        "no saved inputs for `{target}`: the seeds are missing"
    );
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| {
            let failure = match fs::read(path) {
                Ok(data) => check(&data).err()?,
                Err(error) => format!("cannot read: {error}"),
            };
            Some(format!("{}: {failure}", path.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} inputs fail (reproduce with `cargo +nightly fuzz run {target} FILE` in fuzz/):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn load_never_panics() {
    replay("load_never_panics", common::load::load_never_panics);
}

#[test]
fn translate_never_panics() {
    replay(
        "translate_never_panics",
        common::translate::translate_never_panics,
    );
}

#[test]
fn compiled_matches_linear_and_reference() {
    replay(
        "compiled_matches_linear_and_reference",
        common::engines::compiled_matches_linear_and_reference,
    );
}

#[test]
fn conntrack_matches_model() {
    replay(
        "conntrack_matches_model",
        common::conntrack::conntrack_matches_model,
    );
}
