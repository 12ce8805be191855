//! The lookup fast path: [`Verdict`]s for connection tuples.
//!
//! [`Verdict`] is what every firewall engine answers; [`Decide`] is what layers above (the
//! connection table, the engine) call. The compiled fast path,
//! [`crate::compile::Decision::lookup`] and [`crate::compile::Decision::lookup_batch`], lives
//! beside the structure it reads, in `compile`.

mod verdict;

pub use verdict::{Side, Verdict};

use crate::compile::Decision;
use crate::tuple::Tuple;

/// A decision structure that answers for first packets, as the connection table asks it.
///
/// The generation names the policy the answers come from: a hot swap installs a structure with a
/// new generation, and the connection table re-decides connections recorded under an older one.
pub trait Decide {
    /// The generation of the policy this structure answers for; it changes on every swap.
    fn generation(&self) -> u64;
    /// The verdict for `tuple` opened as a new connection.
    fn decide(&self, tuple: &Tuple) -> Verdict;
}

impl Decide for Decision {
    fn generation(&self) -> u64 {
        Decision::generation(self)
    }

    fn decide(&self, tuple: &Tuple) -> Verdict {
        self.lookup(tuple)
    }
}
