//! What the firewall engines (`linear`, `compiled`) answer for a tuple.

use serde::Serialize;

use crate::firewall::{Action, RuleId};

/// The decision of one side of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The address is no workload's, so no rule of this direction applies (allowed).
    NotWorkload,
    /// Source and destination are the same workload: a pod always reaches itself.
    SameWorkload,
    /// The first matching rule, and its action.
    Rule {
        /// The deciding rule.
        rule: RuleId,
        /// Its action.
        action: Action,
    },
    /// No rule matched: an implicit deny.
    NoMatch,
}

impl Side {
    /// Whether this side lets the connection through.
    pub fn allows(self) -> bool {
        match self {
            Side::NotWorkload | Side::SameWorkload => true,
            Side::Rule { action, .. } => action == Action::Pass,
            Side::NoMatch => false,
        }
    }
}

/// The answer for a tuple: the egress decision at the source and the ingress decision at the
/// destination. The connection is allowed iff both allow it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Verdict {
    /// Decided by egress rules at the source workload.
    pub egress: Side,
    /// Decided by ingress rules at the destination workload.
    pub ingress: Side,
}

impl Verdict {
    /// Whether the connection is allowed.
    pub fn allowed(&self) -> bool {
        self.egress.allows() && self.ingress.allows()
    }
}

impl Default for Verdict {
    fn default() -> Verdict {
        Verdict {
            egress: Side::NoMatch,
            ingress: Side::NoMatch,
        }
    }
}
