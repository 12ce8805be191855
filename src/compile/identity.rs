//! Security identities: workloads that no rule can tell apart share one identity, and
//! everything precomputed for it (Cilium's idea, over Contrail tags).
//!
//! An identity is a workload's relevant tag bits plus the named ports that some named-port
//! service mentions. Its two [`PortTable`]s hold, per direction, the rules whose endpoint_1
//! can select it, indexed by protocol and port.

use std::sync::Arc;

use super::key::IdentityKey;
use super::ports::PortTable;
use crate::model::Direction;

/// An identity and its per-direction port tables (shared between identities when equal).
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub(crate) key: IdentityKey,
    pub(crate) ingress: Arc<PortTable>,
    pub(crate) egress: Arc<PortTable>,
    /// Its blocks have the set of all peers, not their own (built by an update).
    pub(crate) deferred: bool,
}

impl Identity {
    /// The table of rules deciding at this identity in `direction`.
    #[inline]
    pub(crate) fn table(&self, direction: Direction) -> &PortTable {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}
