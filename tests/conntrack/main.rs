//! The connection table: replies, expiry, capacity, re-decision on policy change, concurrency, and
//! a model-based test.
//!
//! One test binary per area; each module was once a binary of its own.

#[path = "../support/mod.rs"]
mod support;

mod capacity;
mod concurrency;
mod expiry;
mod model;
mod reevaluation;
mod reply;
