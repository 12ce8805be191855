//! `vnc-json`, the Contrail objects tagwall exports: what a Contrail API server would accept
//! (every object checked against the config schema and the API server's own rules), in the order
//! a vRouter agent evaluates, deciding every connection as tagwall does.
//!
//! One test binary per area; each module was once a binary of its own.

#[path = "../support/mod.rs"]
mod support;

mod export;
mod schema;
