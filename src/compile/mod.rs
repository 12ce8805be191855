//! The compiler: [`FirewallConfig`](crate::firewall::FirewallConfig) -> [`Decision`], the
//! immutable structure an agent consults for every new connection.
//!
//! [`Decision::lookup`] answers exactly what [`crate::reference::linear::evaluate`] answers,
//! with the same deciding rules, but without scanning the rules. It is the design Cilium uses
//! (a peer's address resolves to a security identity, and each local identity has its own
//! policy table keyed by protocol and port), over Contrail tags and ordered first-match rules,
//! with every part sized by what it holds rather than by the product of two inputs.
//!
//! # The structure
//!
//! - **Identities** (`key`, `identity`, `tags`): workloads with the same relevant tags (those
//!   some endpoint mentions) and the same mentioned named ports share one identity. A key is its
//!   nonzero tag-bit words and its named ports: a few words per identity, whatever the number of
//!   tags.
//! - **Port tables** (`ports`, `candidate`): per identity, direction and policy tier, the
//!   rules whose endpoint_1 selects it, as candidates in rule order (a tier's pass, or no match
//!   in a tier, goes on to the next tier's table; tiers select independently, so identities
//!   that differ in one tier's rules share the others' tables). Per ported protocol, candidates covering
//!   every port form one *wide* list; the others (*narrow*) are split over disjoint port
//!   intervals. A lookup takes the first match of its interval's list, then looks in the wide
//!   list only for an earlier one. Lists end at their first unconditional candidate, and equal
//!   lists and tables are shared.
//! - **Peer sets** (`peers`): candidates are cut into blocks of the same action; each block
//!   carries the identities its tag selectors match (sorted ids or a trimmed bitset, whichever is
//!   smaller) and whether it has address-group candidates; the list indexes its groups' prefix
//!   boundaries by block, so one search per step of the peer's class chain finds the blocks
//!   whose groups may hold the peer, and each block its distinct groups. A peer outside a
//!   block's set skips the block in one test.
//! - **Entries** (`entry`): a long list maps each peer identity to the first block whose set
//!   may hold it, so a lookup starts its walk there instead of at the list's head.
//! - **Address classes** (`groups`): every group prefix and except is a boundary in one
//!   longest-prefix trie; an address's class is its deepest boundary, each boundary knows its
//!   parent, and group membership walks that chain. Groups with equal prefixes and excepts
//!   (translation makes one per ipBlock per policy) compile to one.
//! - **Rule selection** (`holders`): which identities a selector matches is found from the
//!   holders of its rarest "driver" bits, not by testing every identity.
//! - **Inventory** (`inventory`): workload address -> workload, identity and class, and workload
//!   name -> addresses, in `Arc`'d shards.
//! - **Lookup** (`lookup`): the fast path, beside the structure it reads.
//!
//! Policies and inventory are apart, so [`Decision::with_workloads`] follows a new workload list
//! without recompiling the policies, and [`Decision::update`] follows single pod events by
//! copying only the inventory shards they touch (identity ids stay put across both, so peer sets
//! stay right).
//!
//! # Cost model
//!
//! Write *R* for rules, *W* workloads, *I* identities, *P* prefixes (group prefixes and
//! excepts), *S* the identity-rule incidences (for each identity, the rules selecting it; what
//! any per-identity table must hold), *M* the identities selectors match in total.
//!
//! | part | build time | size |
//! |---|---|---|
//! | tags, selectors, rules | O(R + tag values) | O(R + tag values) |
//! | address classes | O(P log P + P x depth) | O(P) |
//! | rule selection | O(S + M), plus I per `NotIn`-only selector | O(S) |
//! | port tables | O(S log S) + the interval lists, at most `split_factor` x the narrow candidates (else a scan list) | same |
//! | peer sets | O(M + group prefixes) per distinct block | same, shared |
//! | entries | per list of 4+ blocks: its sets' ids, plus I/64 words per block | at most I per list |
//! | inventory | O(W) | O(W) |
//!
//! depth is the nesting of prefixes around an address (at most 33 for IPv4, 129 for IPv6; two
//! or three in practice). Nothing multiplies identities by tags, prefixes by groups or port
//! intervals by candidates. A lookup costs two hash probes, one interval search per side and
//! tier, one entry probe per long list, and per block walked one set test (an id search, or a
//! chain walk per distinct group for group blocks); a degraded (scan) list adds a range test per
//! candidate it passes over.
//!
//! What stays proportional to *S* is inherent to per-identity tables: policies that select
//! every identity of a cluster whose every pod is its own identity give each identity a table
//! of every such rule. [`Config::max_candidates`] bounds it (an error, not a stall).
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
mod entry;
mod flat;
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
