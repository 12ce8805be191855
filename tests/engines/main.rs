//! The engines answering alike: the scenario files against every engine, the linear scan's
//! semantics, CN2's divergence, translation goldens (ClusterNetworkPolicy tiers included), the
//! local-node rule, the all-ports table, and the property tests comparing `reference`, `linear`
//! and `compiled` on generated clusters and firewall configurations (`differential`,
//! `compiled_vs_linear`).
//!
//! One test binary per area; each module was once a binary of its own.

#[path = "../support/mod.rs"]
mod support;

mod all_ports;
mod cn2_divergence;
mod compiled_vs_linear;
mod differential;
mod linear_semantics;
mod local_node;
mod scenarios;
mod tiers_translate;
mod translate_golden;
