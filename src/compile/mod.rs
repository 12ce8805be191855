//! The compiler: [`FirewallConfig`](crate::firewall::FirewallConfig) -> [`Decision`], the
//! immutable structure an agent consults for every new connection.
//!
//! [`Decision::lookup`] answers exactly what [`crate::reference::linear::evaluate`] answers,
//! with the same deciding rules, but without scanning the rules:
//!
//! - **Identities** (module `identity`): workloads with the same relevant tags (those some endpoint
//!   mentions, as bits: module `tags`) and mentioned named ports share one identity, and its
//!   per-direction tables.
//! - **Port tables** (module `ports`): per identity and direction, only the rules whose endpoint_1
//!   can select it, split by protocol and into disjoint port intervals, each with its ordered
//!   candidate list (equal lists shared), cut into blocks of same-action candidates.
//! - **Peer sets** (module `peers`): per block, the identities and address classes any of its
//!   candidates can match (hash-consed). A lookup tests one bit per block and tests candidates
//!   one by one only in a block that may match, so a denied peer costs a few bit tests.
//! - **Address classes** (module `groups`): address groups in longest-prefix tries whose match gives
//!   the set of groups an address is in; workload addresses have theirs precomputed.
//! - **Inventory** (module `inventory`): workload address -> workload, identity and class, and
//!   workload name -> addresses, in `Arc`'d shards.
//!
//! Policies and inventory are apart, so [`Decision::with_workloads`] follows a new workload list
//! without recompiling the policies, and [`Decision::update`] follows single pod events by
//! copying only the inventory shards they touch (identity ids stay put across both, so peer sets
//! stay right).
//!
//! ```
//! use tagwall::compile::{Builder, Config};
//! use tagwall::firewall::{ApplicationPolicySet, FirewallConfig};
//!
//! let config = FirewallConfig {
//!     tags: vec![],
//!     address_groups: vec![],
//!     application_policy_set: ApplicationPolicySet { name: "k8s".into(), policies: vec![] },
//!     workloads: vec![],
//! };
//! let decision = Builder::new(Config::default()).build(&config)?;
//! assert_eq!(decision.rule_count(), 0);
//! # Ok::<(), tagwall::compile::CompileError>(())
//! ```

mod builder;
mod candidate;
mod config;
mod decision;
mod groups;
mod holders;
mod identity;
mod ids;
mod inventory;
mod key;
mod lookup;
mod partition;
mod peers;
mod policy;
mod ports;
mod selector;
mod tags;
pub mod traffic;

pub use builder::Builder;
pub use config::{CompileError, Config, Limit};
pub use decision::{Decision, Memory};
pub use ids::{ClassId, GroupId, IdentityId, PortNameId, SelectorId, TagBit, WorkloadId};
pub use partition::PartitionKey;
