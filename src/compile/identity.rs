//! Security identities: workloads that no rule can tell apart share one identity, and
//! everything precomputed for it (Cilium's idea, over Contrail tags).
//!
//! An identity is a workload's relevant tag bits plus the named ports that some named-port
//! service mentions. Its two [`PortTable`]s hold, per direction, the rules whose endpoint_1
//! can select it, indexed by protocol and port.

use std::sync::Arc;

use super::ids::PortNameId;
use super::ports::PortTable;
use super::tags::TagBits;
use crate::model::Direction;
use crate::protocol::Protocol;

/// A named port an identity's workloads declare, for a mentioned name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NamedPortEntry {
    pub(crate) name: PortNameId,
    pub(crate) protocol: Protocol,
    pub(crate) port: u16,
}

/// What makes two workloads the same identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct IdentityKey {
    /// The relevant tag bits.
    pub(crate) bits: TagBits,
    /// Mentioned named ports, sorted by name then protocol, one port per pair (the first the
    /// workload declares, as `linear` resolves it).
    pub(crate) named: Box<[NamedPortEntry]>,
}

impl IdentityKey {
    /// The port this identity gives `name` for `protocol`.
    #[inline]
    pub(crate) fn named_port(&self, name: PortNameId, protocol: Protocol) -> Option<u16> {
        self.named
            .iter()
            .find(|e| e.name == name && e.protocol == protocol)
            .map(|e| e.port)
    }

    /// Heap bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.bits.heap_bytes() + size_of_val(&*self.named)
    }
}

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
