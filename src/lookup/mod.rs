//! The lookup fast path: [`Verdict`]s for connection tuples.

mod verdict;

pub use verdict::{Side, Verdict};
