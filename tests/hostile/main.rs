//! Hostile input: mangled and oversized inputs through the loader and the binary, never a panic,
//! always one clear line.
//!
//! One test binary per area; each module was once a binary of its own.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod input;
mod load;
