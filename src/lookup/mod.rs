//! The lookup fast path: [`Verdict`]s for connection tuples.
//!
//! [`crate::compile::Decision::lookup`] and [`crate::compile::Decision::lookup_batch`] live
//! here; [`Decide`] is what layers above (the connection table, the engine) call.

mod compiled;
mod verdict;

pub use verdict::{Side, Verdict};

use crate::compile::Decision;
use crate::tuple::Tuple;

/// Something that decides connections, and says which generation of policy decided.
pub trait Decide {
    /// The generation of the policy in force.
    fn generation(&self) -> u64;
    /// The verdict for a tuple.
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
