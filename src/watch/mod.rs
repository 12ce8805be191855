//! Watch events in, decisions out: what an agent that lives on a Kubernetes watch links.
//!
//! [`events`] reads the stream `kubectl get --watch --output-watch-events -o json` prints
//! (`{"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR", "object": {...}}`, one per line
//! or pretty-printed and concatenated) for every kind tagwall reads; [`ClusterState`] holds the
//! cluster those events describe and publishes, after each one that changes what network policy
//! sees, the next [`Decision`](crate::compile::Decision) through its
//! [`Engine`](crate::engine::Engine). Objects are validated exactly as files are, and a bad event
//! is an [`EventError`] naming its position: it is skipped, the stream goes on, nothing else is
//! lost.
//!
//! Lookup threads hold a [`Reader`]: each [`Snapshot`] pairs a decision with the names of the
//! rules its verdicts point at. A [`ConnTable`](crate::conntrack::ConnTable) in front of
//! [`Reader::engine`] re-decides live connections after each published change, as after any swap.
//!
//! Organisation: `stream` cuts bytes into events, `state` applies them, `published` pairs
//! decisions with rule names, `error` says why an event was skipped.

mod error;
mod published;
mod state;
mod stream;

pub use error::EventError;
pub use published::{Reader, RuleBook, Snapshot};
pub use state::{Applied, Change, ClusterState, ObjectKind};
pub use stream::{EventPosition, EventType, WatchEvent, events};
