//! TODO module doc
pub mod linear;
