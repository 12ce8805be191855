//! Dense index newtypes: every interned thing in a [`super::Decision`] is a `u32` position.

/// A tag's bit in an identity's tag bitset (also used for a tag type's "has some value" bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagBit(pub u32);

/// An address group's position in [`crate::firewall::FirewallConfig::address_groups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u32);

/// An address class: a set of address groups that some addresses are exactly in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassId(pub u32);

impl ClassId {
    /// The class of addresses in no group.
    pub const NONE: ClassId = ClassId(0);
}

/// A security identity: workloads with the same relevant tags and named ports share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IdentityId(pub u32);

/// A compiled endpoint_2 selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SelectorId(pub u32);

/// A port name some named-port service mentions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortNameId(pub u32);

/// A workload's position in the inventory a [`super::Decision`] was built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadId(pub u32);

/// Converts a count to a `u32` index, or `None` past `u32::MAX`.
pub(crate) fn index_u32(index: usize) -> Option<u32> {
    u32::try_from(index).ok()
}

/// The `u32` id of the thing at `position`, or an error naming what ran out of ids: ids are
/// never saturated, since two things sharing an id would silently share answers.
pub(crate) fn checked_id(
    position: usize,
    what: &'static str,
) -> Result<u32, super::config::CompileError> {
    index_u32(position).ok_or(super::config::CompileError::IdSpace { what })
}
