//! tagwall enforces Kubernetes NetworkPolicy the way a Contrail vRouter agent does: as tags,
//! address groups and ordered firewall rules, compiled into a structure that answers "may this
//! connection open, and which rule decided?" without walking the rules.
//!
//! # The pipeline
//!
//! Four layers, each usable on its own:
//!
//! 1. [`k8s`] reads Namespaces, Pods, Nodes, `networking.k8s.io/v1` NetworkPolicies and the
//!    network-policy-api's ClusterNetworkPolicies (Admin and Baseline tiers) as
//!    `kubectl get -o yaml|json` prints them, validates them as the API server would and applies
//!    its defaults. The result is a [`model::Cluster`]: nothing in it can be invalid.
//! 2. [`translate`] turns each NetworkPolicy into the Contrail objects Juniper CN2 creates
//!    ([`firewall`]: tags, address groups, firewall rules, one firewall policy per
//!    NetworkPolicy, an application policy set), in `kubernetes` mode (correct) or `cn2` mode
//!    (CN2 exactly, faults included).
//! 3. [`compile`] turns the firewall objects and the workloads into an immutable
//!    [`compile::Decision`]: address groups in longest-prefix-match tries, tags as bits of
//!    per-identity bitsets, rules pre-filtered per identity, direction, protocol and port.
//! 4. [`lookup`] answers a [`tuple::Tuple`] with a [`lookup::Verdict`] (allow/deny and the rule
//!    that decided each side); [`conntrack`] lets replies of allowed connections through and
//!    re-checks connections when policy changes; [`engine`] swaps a new `Decision` in under
//!    concurrent lookups.
//!
//! # Three engines, one answer
//!
//! [`reference::kubernetes`](mod@reference::kubernetes) is the Kubernetes API reference transcribed literally: no indexes,
//! no caches, no code shared with the fast path. [`reference::linear`] evaluates the translated
//! firewall by a first-match scan, as a Contrail agent does. The compiled [`compile::Decision`]
//! must agree with `linear` on every tuple (same deciding rules), and in `kubernetes` mode both
//! must agree with `reference`: property tests, scenario files and fuzz targets check exactly that.
//!
//! # The API in one example
//!
//! ```
//! use tagwall::compile::{Builder, Config};
//! use tagwall::conntrack::{self, ConnTable, Timestamp};
//! use tagwall::engine::Engine;
//! use tagwall::protocol::Protocol;
//! use tagwall::translate::{Mode, translate};
//! use tagwall::tuple::Tuple;
//!
//! let cluster = tagwall::k8s::load_str("cluster.yaml", r#"
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: db, namespace: default, labels: {role: db}}
//! status: {podIP: 10.244.0.10}
//! ---
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: web, namespace: default, labels: {role: frontend}}
//! status: {podIP: 10.244.0.11}
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: NetworkPolicy
//! metadata: {name: only-from-frontend, namespace: default}
//! spec:
//!   podSelector: {}
//!   ingress:
//!   - from: [{podSelector: {matchLabels: {role: frontend}}}]
//!     ports: [{port: 6379}]
//! "#)?.cluster;
//!
//! // Translate (CN2's objects, Kubernetes-correct), compile, and serve lookups.
//! let firewall = translate(&cluster, Mode::Kubernetes).config;
//! let engine = Engine::new(Builder::new(Config::default()).build(&firewall)?);
//!
//! let web_to_db = Tuple {
//!     src: "10.244.0.11".parse()?,
//!     dst: "10.244.0.10".parse()?,
//!     protocol: Protocol::Tcp,
//!     src_port: 40000,
//!     dst_port: 6379,
//! };
//! let verdict = engine.lookup(&web_to_db);
//! assert!(verdict.allowed());
//! assert!(!engine.lookup(&web_to_db.reversed()).allowed()); // db may not open to web...
//!
//! // ...but with a connection table in front, db's replies on web's connection pass.
//! let table = ConnTable::new(conntrack::Config::default())?;
//! let now = Timestamp::from_secs(1);
//! assert!(table.packet(&*engine.snapshot(), &web_to_db, now).allowed);
//! assert!(table.packet(&*engine.snapshot(), &web_to_db.reversed(), now).allowed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Organisation
//!
//! | module | layer | what it holds |
//! |---|---|---|
//! | [`k8s`] | 1 | raw serde types, loading (YAML/JSON, multi-document, `List`), validation, limits |
//! | [`model`] | 1 | the validated cluster every later layer reads |
//! | `synth` | 1 | seeded synthetic clusters for scale runs (`tagwall gen`; feature `synth`) |
//! | [`firewall`] | 2 | Contrail objects, their tables and `vnc-json` |
//! | [`translate`] | 2 | NetworkPolicy -> firewall objects, CN2 naming, the two modes |
//! | [`compile`] | 3 | `Builder` + `Config` -> `Decision`: identities, tag bits, LPM classes, port tables |
//! | [`lookup`] | 4 | `Verdict`, `Decide`, the lookup fast path |
//! | [`engine`] | 4 | lock-free hot swap of `Decision`s for agents |
//! | [`conntrack`] | 4 | connection table: replies, timeouts, bounded memory, re-decision |
//! | [`watch`] | 4 | watch events in, a decision per change out: the state an agent keeps |
//! | `capi` | 4 | the C ABI and its header, `tagwall.h` (feature `capi`) |
//! | [`reference`](mod@reference) | - | the oracles: Kubernetes semantics, and the linear first-match scan |
//! | [`evaluator`] | - | one trait over the three engines (verdict plus reasons) |
//! | [`reach`] | - | all-ports reachability between pods, from the compiled structure |
//! | [`protocol`], [`tuple`](mod@tuple) | - | protocols, port ranges, the connection tuple |
//! | [`rng`] | - | the seeded generator behind synthetic clusters and benchmark traffic |
//! | `cli` | - | the `tagwall` command, one module per subcommand (feature `cli`) |
//!
//! # Features
//!
//! `cli` (the command line, with clap), `synth` (the generator) and `capi` (the C ABI, see
//! `capi`) are on by default. An agent that links only the engine builds with
//! `default-features = false` (adding `capi` for C): no clap, no generator.

#[cfg(feature = "capi")]
#[allow(non_camel_case_types, reason = "C names, as the header spells them")]
pub mod capi;
#[cfg(feature = "cli")]
pub mod cli;
pub mod compile;
pub mod conntrack;
pub mod engine;
pub mod evaluator;
pub mod firewall;
pub mod k8s;
pub mod lookup;
pub mod model;
pub mod protocol;
pub mod reach;
pub mod reference;
pub mod rng;
#[cfg(feature = "synth")]
pub mod synth;
pub mod translate;
pub mod tuple;
pub mod watch;
