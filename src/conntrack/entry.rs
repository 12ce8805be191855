//! One recorded connection and the state class that sets its timeout and eviction rank.

use crate::lookup::Verdict;
use crate::protocol::Protocol;

use super::config::Timeouts;
use super::key::{ConnKey, End};
use super::time::nanos_of;

/// The state of an entry. Each class has one idle timeout, so within a class the least recently
/// seen entry is also the first to expire; the shard keeps one recency list per class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A remembered denial: the first packet was denied.
    Denied = 0,
    /// An allowed TCP connection no reply has been seen for.
    TcpUnreplied,
    /// An allowed UDP flow no reply has been seen for.
    UdpUnreplied,
    /// An allowed flow of another protocol no reply has been seen for.
    OtherUnreplied,
    /// An allowed connection the agent reported closed.
    Closing,
    /// An allowed TCP connection that has seen a reply.
    TcpEstablished,
    /// An allowed UDP flow that has seen a reply.
    UdpReplied,
    /// An allowed flow of another protocol that has seen a reply.
    OtherReplied,
}

/// The number of classes.
pub(crate) const CLASS_COUNT: usize = 8;

impl Class {
    /// Every class in eviction order: the unprotected ones first.
    pub(crate) const ALL: [Class; CLASS_COUNT] = [
        Class::Denied,
        Class::TcpUnreplied,
        Class::UdpUnreplied,
        Class::OtherUnreplied,
        Class::Closing,
        Class::TcpEstablished,
        Class::UdpReplied,
        Class::OtherReplied,
    ];

    /// The classes a full shard evicts from first: denials, connections nobody has answered, and
    /// closed ones. A flood of fresh tuples lands here and so evicts itself before it can touch a
    /// connection both ends have used.
    pub(crate) const UNPROTECTED: [Class; 5] = [
        Class::Denied,
        Class::TcpUnreplied,
        Class::UdpUnreplied,
        Class::OtherUnreplied,
        Class::Closing,
    ];

    /// The classes evicted only when a shard holds nothing else.
    pub(crate) const PROTECTED: [Class; 3] = [
        Class::TcpEstablished,
        Class::UdpReplied,
        Class::OtherReplied,
    ];

    /// The class of a newly allowed connection of `protocol`.
    pub(crate) fn unreplied(protocol: Protocol) -> Class {
        match protocol {
            Protocol::Tcp => Class::TcpUnreplied,
            Protocol::Udp => Class::UdpUnreplied,
            Protocol::Sctp | Protocol::Other(_) => Class::OtherUnreplied,
        }
    }

    /// The class after a reply: unreplied connections become established, others stay.
    pub(crate) fn replied(self) -> Class {
        match self {
            Class::TcpUnreplied => Class::TcpEstablished,
            Class::UdpUnreplied => Class::UdpReplied,
            Class::OtherUnreplied => Class::OtherReplied,
            other => other,
        }
    }

    /// Whether the class records an allowed connection.
    pub(crate) fn allows(self) -> bool {
        self != Class::Denied
    }

    /// The position of the class in per-class arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The idle timeout of each class in nanoseconds; `u64::MAX` for denials when none are kept.
pub(crate) fn class_timeouts(timeouts: &Timeouts) -> [u64; CLASS_COUNT] {
    let mut nanos = [0; CLASS_COUNT];
    for class in Class::ALL {
        let timeout = match class {
            Class::Denied => timeouts.denied.map_or(u64::MAX, nanos_of),
            Class::TcpUnreplied => nanos_of(timeouts.tcp_unreplied),
            Class::UdpUnreplied | Class::UdpReplied => nanos_of(timeouts.udp),
            Class::OtherUnreplied | Class::OtherReplied => nanos_of(timeouts.other),
            Class::Closing => nanos_of(timeouts.closing),
            Class::TcpEstablished => nanos_of(timeouts.tcp_established),
        };
        nanos[class.index()] = timeout;
    }
    nanos
}

/// A recorded connection (or remembered denial).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// The connection's key.
    pub(crate) key: ConnKey,
    /// The verdict that decided the connection, for its opening direction.
    pub(crate) verdict: Verdict,
    /// The decider generation that gave `verdict`.
    pub(crate) generation: u64,
    /// When the last packet was seen, in caller nanoseconds.
    pub(crate) last_seen: u64,
    /// The end that opened the connection.
    pub(crate) opener: End,
    /// The state class.
    pub(crate) class: Class,
}
