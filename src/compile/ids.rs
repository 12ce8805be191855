//! Dense index newtypes: every interned thing in a [`super::Decision`] is a `u32` position.
//!
//! Ids are made in one place, [`Id::new`]-style checked constructors that fail with
//! [`CompileError::IdSpace`] rather than saturate (two things sharing an id would silently
//! share answers), and read through `index()` or the `Index` impls on slices and vectors.
//!
//! The fast-path invariant policy: an id indexes the table built alongside it, by
//! construction. Where the lookup reads a table by an id it uses `get` and treats a miss as "no
//! match here" (never a panic across an agent), and a `debug_assert!` states the invariant, so
//! that tests and fuzzing (debug builds) catch a broken one loudly instead of it passing as a
//! quiet deny with no rule named.

use std::ops::Index;

use super::config::CompileError;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        #[allow(dead_code, reason = "generated for every id type; not every type needs every method")]
        impl $name {
            /// The id of the thing at `position`; an error naming `what` past `u32::MAX`.
            pub(crate) fn new(position: usize, what: &'static str) -> Result<$name, CompileError> {
                checked_id(position, what).map($name)
            }

            /// The id a `u32` stored in a compact structure stands for.
            #[inline]
            pub(crate) const fn from_raw(raw: u32) -> $name {
                $name(raw)
            }

            /// The id as stored in compact structures.
            #[inline]
            pub(crate) const fn raw(self) -> u32 {
                self.0
            }

            /// The position this id stands for.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl<T> Index<$name> for [T] {
            type Output = T;

            #[inline]
            fn index(&self, id: $name) -> &T {
                &self[id.index()]
            }
        }

        impl<T> Index<$name> for Vec<T> {
            type Output = T;

            #[inline]
            fn index(&self, id: $name) -> &T {
                &self[id.index()]
            }
        }
    };
}

id!(
    /// A tag's bit in an identity's tag bitset (also used for a tag type's "has some value" bit).
    TagBit
);
id!(
    /// An address group's position in [`crate::firewall::FirewallConfig::address_groups`].
    GroupId
);
id!(
    /// An address class: the addresses whose deepest prefix boundary is the same (so that are in
    /// exactly the same address groups).
    ClassId
);
id!(
    /// A security identity: workloads with the same relevant tags and named ports share one.
    IdentityId
);
id!(
    /// A compiled endpoint selector (endpoint_1 or endpoint_2).
    SelectorId
);
id!(
    /// A port name some named-port service mentions.
    PortNameId
);
id!(
    /// A workload's position in the inventory a [`super::Decision`] was built with.
    WorkloadId
);

impl ClassId {
    /// The class of addresses inside no boundary (in no group).
    pub const NONE: ClassId = ClassId(0);
}

/// Converts a count to a `u32` index, or `None` past `u32::MAX`.
pub(crate) fn index_u32(index: usize) -> Option<u32> {
    u32::try_from(index).ok()
}

/// The `u32` id of the thing at `position`, or an error naming what ran out of ids: ids are
/// never saturated, since two things sharing an id would silently share answers.
pub(crate) fn checked_id(position: usize, what: &'static str) -> Result<u32, CompileError> {
    index_u32(position).ok_or(CompileError::IdSpace { what })
}
