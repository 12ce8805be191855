//! tagwall: Kubernetes NetworkPolicy as Contrail firewall objects, compiled for fast lookup.

pub mod cli;
pub mod compile;
pub mod conntrack;
pub mod engine;
pub mod firewall;
pub mod k8s;
pub mod lookup;
pub mod model;
pub mod protocol;
pub mod reference;
pub mod synth;
pub mod translate;
pub mod tuple;
