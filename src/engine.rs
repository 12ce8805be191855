//! [`Engine`]: the hot-swap handle an agent holds.
//!
//! Readers take the current [`Decision`] lock-free (`arc-swap`) and keep it for as long as
//! they need; a writer compiles a new decision outside the handle and swaps it in atomically.
//! Readers never block and never see a half-built decision: a lookup runs entirely on the
//! snapshot it started with. Each swapped-in decision gets the next generation number.
//!
//! ```
//! use tagwall::compile::{Builder, Config};
//! use tagwall::engine::Engine;
//! use tagwall::firewall::{ApplicationPolicySet, FirewallConfig};
//!
//! let config = FirewallConfig {
//!     tags: vec![],
//!     address_groups: vec![],
//!     application_policy_set: ApplicationPolicySet { name: "k8s".into(), policies: vec![] },
//!     workloads: vec![],
//! };
//! let builder = Builder::new(Config::default());
//! let engine = Engine::new(builder.build(&config)?);
//! assert_eq!(engine.generation(), 1);
//! assert_eq!(engine.swap(builder.build(&config)?), 2);
//! assert_eq!(engine.snapshot().generation(), 2);
//! # Ok::<(), tagwall::compile::CompileError>(())
//! ```

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::compile::Decision;
use crate::lookup::{Decide, Verdict};
use crate::tuple::Tuple;

/// The decision in force, swappable while readers look up.
pub struct Engine {
    current: ArcSwap<Decision>,
    /// Serialises writers so generations go in increasing order; readers never take it.
    writer: Mutex<()>,
}

impl Engine {
    /// An engine starting with `decision` as generation 1.
    pub fn new(mut decision: Decision) -> Engine {
        decision.set_generation(1);
        Engine {
            current: ArcSwap::from_pointee(decision),
            writer: Mutex::new(()),
        }
    }

    /// The decision in force now; it stays valid (and unchanged) however long it is held.
    pub fn snapshot(&self) -> Arc<Decision> {
        self.current.load_full()
    }

    /// The verdict of the decision in force.
    pub fn lookup(&self, tuple: &Tuple) -> Verdict {
        self.current.load().lookup(tuple)
    }

    /// Puts `decision` in force and returns its generation (one more than the last).
    pub fn swap(&self, mut decision: Decision) -> u64 {
        // A poisoned lock only means another writer panicked between two plain stores.
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let generation = self.current.load().generation() + 1;
        decision.set_generation(generation);
        self.current.store(Arc::new(decision));
        generation
    }

    /// The generation in force.
    pub fn generation(&self) -> u64 {
        self.current.load().generation()
    }
}

impl Decide for Engine {
    fn generation(&self) -> u64 {
        Engine::generation(self)
    }

    /// One snapshot answers: its generation may be newer than an earlier `generation()` call.
    fn decide(&self, tuple: &Tuple) -> Verdict {
        self.lookup(tuple)
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("current", &*self.current.load())
            .finish_non_exhaustive()
    }
}
