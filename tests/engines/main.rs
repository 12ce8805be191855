//! The engines answering alike: the scenario files against every engine, the linear scan's
//! semantics, CN2's divergence, translation goldens, and the all-ports table.
//!
//! One test binary per area; each module was once a binary of its own.

#[path = "../support/mod.rs"]
mod support;

mod all_ports;
mod cn2_divergence;
mod linear_semantics;
mod scenarios;
mod translate_golden;
