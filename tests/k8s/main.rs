//! The Kubernetes layer: loading (formats, lists, kinds), validation as the API server
//! validates, and ClusterNetworkPolicy / AdminNetworkPolicy tiers as their CRDs validate them.
//!
//! One test binary per area; each module was once a binary of its own.

mod load;
mod tiers;
mod validation;
