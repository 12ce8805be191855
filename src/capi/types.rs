//! The plain C types: tuples, verdicts, packet answers.

use std::ffi::c_char;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::conntrack::{Outcome, PacketDirection as Direction, PacketVerdict};
use crate::firewall::Action;
use crate::lookup::Side;
use crate::protocol::Protocol;
use crate::tuple::Tuple;
use crate::watch::RuleBook;

/// How NetworkPolicies are translated (see the `tagwall translate --mode` documentation).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tagwall_mode {
    /// Kubernetes-correct where CN2 is not.
    TAGWALL_MODE_KUBERNETES = 0,
    /// CN2 exactly, faults included.
    TAGWALL_MODE_CN2 = 1,
}

/// A connection's first packet: addresses in network byte order.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tagwall_tuple {
    /// 4 or 6: how many bytes of `src` and `dst` are the address (the first 4, or all 16).
    pub family: u8,
    /// IP protocol number: 6 TCP, 17 UDP, 132 SCTP, 1 ICMP...
    pub protocol: u8,
    /// Source port (0 for protocols without ports).
    pub src_port: u16,
    /// Destination port (0 for protocols without ports).
    pub dst_port: u16,
    /// Source address.
    pub src: [u8; 16],
    /// Destination address.
    pub dst: [u8; 16],
}

impl tagwall_tuple {
    /// The tuple, or `None` for a family other than 4 and 6.
    pub(crate) fn to_tuple(self) -> Option<Tuple> {
        let ip = |bytes: [u8; 16]| -> Option<IpAddr> {
            match self.family {
                4 => Some(IpAddr::V4(Ipv4Addr::new(
                    bytes[0], bytes[1], bytes[2], bytes[3],
                ))),
                6 => Some(IpAddr::V6(Ipv6Addr::from(bytes))),
                _ => None,
            }
        };
        Some(Tuple {
            src: ip(self.src)?,
            dst: ip(self.dst)?,
            protocol: Protocol::from_number(self.protocol),
            src_port: self.src_port,
            dst_port: self.dst_port,
        })
    }
}

/// How one side of a connection was decided.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tagwall_side_kind {
    /// The address is no workload's: no rule of this direction applies (allowed).
    TAGWALL_SIDE_NOT_WORKLOAD = 0,
    /// Source and destination are one workload (allowed).
    TAGWALL_SIDE_SAME_WORKLOAD = 1,
    /// A rule with action pass decided (allowed).
    TAGWALL_SIDE_PASS = 2,
    /// A rule with action deny decided (denied).
    TAGWALL_SIDE_DENY = 3,
    /// No rule matched (denied).
    TAGWALL_SIDE_NO_MATCH = 4,
}

/// One side's decision.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tagwall_side {
    /// How it was decided.
    pub kind: tagwall_side_kind,
    /// The deciding rule's index in its generation's firewall, or `UINT32_MAX` when no rule
    /// decided.
    pub rule_id: u32,
    /// The deciding rule's name (NUL-terminated), or null when no rule decided. Owned by the
    /// snapshot the lookup ran on: valid until that snapshot is freed.
    pub rule: *const c_char,
    /// The name of the deciding rule's firewall policy, or null; owned like `rule`.
    pub policy: *const c_char,
}

/// The verdict for a tuple: the egress side (rules at the source) and the ingress side (rules
/// at the destination); the connection is allowed when both allow it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tagwall_verdict {
    /// 1 when the connection may open, 0 when not.
    pub allowed: u8,
    /// Decided by egress rules at the source workload.
    pub egress: tagwall_side,
    /// Decided by ingress rules at the destination workload.
    pub ingress: tagwall_side,
    /// The generation of the decision that answered.
    pub generation: u64,
}

/// How a packet's answer was found.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tagwall_outcome {
    /// A live entry recorded under the current generation answered.
    TAGWALL_OUTCOME_HIT = 0,
    /// No live entry: the packet was decided as a new connection.
    TAGWALL_OUTCOME_NEW = 1,
    /// The entry was recorded under an older generation: the connection was decided again.
    TAGWALL_OUTCOME_REEVALUATED = 2,
}

/// The connection table's answer for one packet.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct tagwall_packet {
    /// 1 when the packet passes, 0 when not.
    pub allowed: u8,
    /// 1 when the packet goes the connection's reply way, 0 when it goes the opening way.
    pub reply: u8,
    /// How the answer was found.
    pub outcome: tagwall_outcome,
    /// The verdict that decided the connection, for its opening direction (rule names null:
    /// look the rule ids up in a snapshot of the same generation when they are needed).
    pub verdict: tagwall_verdict,
}

impl tagwall_side {
    pub(crate) fn new(side: Side, rules: Option<&RuleBook>) -> tagwall_side {
        let none = |kind| tagwall_side {
            kind,
            rule_id: u32::MAX,
            rule: std::ptr::null(),
            policy: std::ptr::null(),
        };
        match side {
            Side::NotWorkload => none(tagwall_side_kind::TAGWALL_SIDE_NOT_WORKLOAD),
            Side::SameWorkload => none(tagwall_side_kind::TAGWALL_SIDE_SAME_WORKLOAD),
            Side::NoMatch => none(tagwall_side_kind::TAGWALL_SIDE_NO_MATCH),
            Side::Rule { rule, action } => {
                let names = rules.and_then(|book| book.c_rule(rule));
                tagwall_side {
                    kind: match action {
                        Action::Pass => tagwall_side_kind::TAGWALL_SIDE_PASS,
                        // A lookup never ends on a tier pass (it goes on past it); were one to,
                        // it would not allow, as `Side::allows` says.
                        Action::Deny | Action::Next => tagwall_side_kind::TAGWALL_SIDE_DENY,
                    },
                    rule_id: rule.0,
                    rule: names.map_or(std::ptr::null(), |(r, _)| r.as_ptr()),
                    policy: names.map_or(std::ptr::null(), |(_, p)| p.as_ptr()),
                }
            }
        }
    }
}

impl tagwall_verdict {
    pub(crate) fn new(
        verdict: crate::lookup::Verdict,
        generation: u64,
        rules: Option<&RuleBook>,
    ) -> tagwall_verdict {
        tagwall_verdict {
            allowed: u8::from(verdict.allowed()),
            egress: tagwall_side::new(verdict.egress, rules),
            ingress: tagwall_side::new(verdict.ingress, rules),
            generation,
        }
    }
}

impl tagwall_packet {
    pub(crate) fn new(packet: PacketVerdict, generation: u64) -> tagwall_packet {
        tagwall_packet {
            allowed: u8::from(packet.allowed),
            reply: u8::from(packet.direction == Direction::Reply),
            outcome: match packet.outcome {
                Outcome::Hit => tagwall_outcome::TAGWALL_OUTCOME_HIT,
                Outcome::New => tagwall_outcome::TAGWALL_OUTCOME_NEW,
                Outcome::Reevaluated => tagwall_outcome::TAGWALL_OUTCOME_REEVALUATED,
            },
            verdict: tagwall_verdict::new(packet.verdict, generation, None),
        }
    }
}
