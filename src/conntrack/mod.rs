//! The connection table: replies of allowed connections pass, memory stays bounded, policy swaps
//! re-decide live connections.
//!
//! Engines answer for a connection's first packet; an agent answers for every packet with a
//! [`ConnTable`] in front of its engine:
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use tagwall::conntrack::{Config, ConnTable, PacketDirection, Timestamp};
//! use tagwall::lookup::{Decide, Side, Verdict};
//! use tagwall::protocol::Protocol;
//! use tagwall::tuple::Tuple;
//!
//! /// Lets 10.0.0.1 open connections to anyone, and nobody else open any.
//! struct OnlyFromA;
//! impl Decide for OnlyFromA {
//!     fn generation(&self) -> u64 { 1 }
//!     fn decide(&self, tuple: &Tuple) -> Verdict {
//!         let egress = if tuple.src == IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)) {
//!             Side::NotWorkload
//!         } else {
//!             Side::NoMatch
//!         };
//!         Verdict { egress, ingress: Side::NotWorkload }
//!     }
//! }
//!
//! let table = ConnTable::new(Config::default())?;
//! let a_to_b = Tuple {
//!     src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
//!     dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
//!     protocol: Protocol::Tcp,
//!     src_port: 40000,
//!     dst_port: 80,
//! };
//! let now = Timestamp::from_secs(1);
//! assert!(!table.packet(&OnlyFromA, &a_to_b.reversed(), now).allowed); // B may not open
//! assert!(table.packet(&OnlyFromA, &a_to_b, now).allowed); // A may
//! let reply = table.packet(&OnlyFromA, &a_to_b.reversed(), now); // so B's replies pass
//! assert!(reply.allowed);
//! assert_eq!(reply.direction, PacketDirection::Reply);
//! # Ok::<(), tagwall::conntrack::ConfigError>(())
//! ```
//!
//! Organisation: `key` the canonical key both directions share, `entry` state classes and their
//! timeouts, `shard` one locked map with per-class recency lists, `table` the sharded table,
//! `config` limits, `counters` what is counted, `time` caller-given time.

mod config;
mod counters;
mod entry;
mod key;
mod shard;
mod table;
mod time;

pub use config::{Config, ConfigError, MAX_SHARDS, Timeouts};
pub use counters::Counters;
pub use table::{ConnTable, Outcome, PacketDirection, PacketVerdict};
pub use time::Timestamp;
