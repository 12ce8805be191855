//! The Kubernetes layer: loading (formats, lists, kinds) and validation as the API server
//! validates.
//!
//! One test binary per area; each module was once a binary of its own.

mod load;
mod validation;
