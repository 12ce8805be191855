//! What an agent embeds: the C ABI driven from C (`tests/agent/agent.c`), the hot-swap
//! `Engine` under concurrent lookups, and watch events into a `ClusterState` whose every
//! published decision equals a fresh build, a connection table in front re-deciding after each.
//!
//! One test binary per area; each module was once a binary of its own.

#[path = "../support/mod.rs"]
mod support;

mod capi;
mod engine;
mod watch_equivalence;
