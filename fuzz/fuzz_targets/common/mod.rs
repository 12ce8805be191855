//! The properties the fuzz targets check, as plain functions of the input bytes, one module per
//! property (`cluster` is the valid-cluster generator the structured ones share).
//!
//! Each fuzz target calls one of these and panics on `Err`; `tests/hostile/fuzz_regressions.rs`
//! includes this module with `#[path]` and replays every saved input through the same function on
//! stable, so a crasher found once stays a failing ordinary test until fixed. Nothing here unwraps
//! or panics: a property that does not hold is an `Err` saying what and how to reproduce it, and
//! any panic comes from the library under test.

#![allow(dead_code, reason = "each fuzz target uses one check")]

mod cluster;
pub mod conntrack;
pub mod engines;
pub mod load;
pub mod translate;

/// A property that did not hold: what, with enough of the input to reproduce it.
pub type Failure = String;
