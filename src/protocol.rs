//! IP protocols and port ranges, shared by every layer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IP protocol as a connection tuple or a policy port names it.
///
/// Kubernetes policies name only TCP, UDP and SCTP; connection tuples may carry any IP protocol
/// number (ICMP is 1), which a policy without `ports` allows and a policy with `ports` does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// TCP, IP protocol 6.
    Tcp,
    /// UDP, IP protocol 17.
    Udp,
    /// SCTP, IP protocol 132.
    Sctp,
    /// Any other IP protocol, by number (never 6, 17 or 132: use [`Protocol::from_number`]).
    Other(u8),
}

impl Protocol {
    /// The protocol for an IP protocol number, normalising 6/17/132 to their named arms.
    pub fn from_number(number: u8) -> Protocol {
        match number {
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            132 => Protocol::Sctp,
            other => Protocol::Other(other),
        }
    }

    /// The IP protocol number.
    pub fn number(self) -> u8 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
            Protocol::Other(n) => n,
        }
    }

    /// Whether the protocol has ports (TCP, UDP, SCTP). Port rules only ever match these.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp | Protocol::Sctp)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::Tcp => f.write_str("TCP"),
            Protocol::Udp => f.write_str("UDP"),
            Protocol::Sctp => f.write_str("SCTP"),
            Protocol::Other(n) => write!(f, "{n}"),
        }
    }
}

/// The error for a protocol name that is neither TCP, UDP, SCTP nor a number 0-255.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown protocol `{0}`: expected TCP, UDP, SCTP or a protocol number 0-255")]
pub struct UnknownProtocol(pub String);

impl FromStr for Protocol {
    type Err = UnknownProtocol;

    /// Parses `TCP`, `UDP`, `SCTP` (any case) or an IP protocol number.
    fn from_str(s: &str) -> Result<Protocol, UnknownProtocol> {
        match s.to_ascii_uppercase().as_str() {
            "TCP" => Ok(Protocol::Tcp),
            "UDP" => Ok(Protocol::Udp),
            "SCTP" => Ok(Protocol::Sctp),
            _ => s
                .parse::<u8>()
                .map(Protocol::from_number)
                .map_err(|_| UnknownProtocol(s.to_string())),
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Protocol, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An inclusive range of ports, `start <= end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PortRange {
    /// First port of the range.
    pub start: u16,
    /// Last port of the range (inclusive).
    pub end: u16,
}

impl PortRange {
    /// Every port, 0-65535.
    pub const ALL: PortRange = PortRange {
        start: 0,
        end: u16::MAX,
    };

    /// The range holding only `port`.
    pub fn single(port: u16) -> PortRange {
        PortRange {
            start: port,
            end: port,
        }
    }

    /// Whether `port` lies in the range.
    pub fn contains(self, port: u16) -> bool {
        self.start <= port && port <= self.end
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}
