//! What makes two workloads one security identity: their relevant tag bits and the named ports
//! some rule mentions.

use super::ids::PortNameId;
use super::tags::TagBits;
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
