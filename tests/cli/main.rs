//! The command line through the real binary: `check`, `matrix` (one port and `--all-ports`),
//! `gen --events` and `replay`, usage errors and pipes, what it says about its input.
//!
//! One test binary per area; each module was once a binary of its own.

#[path = "../support/mod.rs"]
mod support;

mod all_ports;
mod check;
mod input;
mod matrix;
mod replay;
mod usage;
