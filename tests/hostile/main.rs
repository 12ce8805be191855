//! Hostile input: mangled and oversized inputs through the loader and the binary, never a panic,
//! always one clear line; and every saved fuzz finding and seed replayed through its fuzz
//! target's check (`fuzz_regressions`).
//!
//! One test binary per area; each module was once a binary of its own.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod fuzz_regressions;
mod input;
mod load;
