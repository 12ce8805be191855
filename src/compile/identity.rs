//! Security identities: workloads that no rule can tell apart share one identity, and
//! everything precomputed for it (Cilium's idea, over Contrail tags).
//!
//! An identity is a workload's relevant tag bits plus the named ports that some named-port
//! service mentions. Its [`PortTable`]s hold, per direction, the rules whose endpoint_1 can
//! select it, indexed by protocol and port: one table per policy tier that has such rules
//! (one in all without ClusterNetworkPolicies).
//!
//! Tables are per tier because tiers are selected independently: the Admin tier's rules at an
//! identity depend on which cluster policies' subjects hold it, not on its NetworkPolicies,
//! so identities that differ only in the latter share their Admin and Baseline tables. One
//! table for all tiers would repeat every wide cluster rule in every identity's table.

use std::sync::Arc;

use smallvec::SmallVec;

use super::key::IdentityKey;
use super::ports::PortTable;
use crate::model::Direction;

/// An identity's tables in one direction, one per tier with rules there, in tier order.
pub(crate) type Tables = SmallVec<[Arc<PortTable>; 1]>;

/// An identity and its per-direction port tables (shared between identities when equal).
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub(crate) key: IdentityKey,
    pub(crate) ingress: Tables,
    pub(crate) egress: Tables,
    /// Its blocks have the set of all peers, not their own (built by an update).
    pub(crate) deferred: bool,
}

impl Identity {
    /// The tables of rules deciding at this identity in `direction`, in tier order: a tier's
    /// pass (or no match in it) goes on to the next table.
    #[inline]
    pub(crate) fn tables(&self, direction: Direction) -> &[Arc<PortTable>] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// Every table of the identity, both directions.
    pub(crate) fn all_tables(&self) -> impl Iterator<Item = &Arc<PortTable>> {
        self.ingress.iter().chain(self.egress.iter())
    }
}
