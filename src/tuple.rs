//! The connection tuple every engine answers for.

use std::net::IpAddr;

use crate::protocol::Protocol;

/// The first packet of a connection: who opens it, to whom, over what.
///
/// Every engine (`reference`, `linear`, `compiled`) answers the same question for a tuple: may
/// `src` open this connection to `dst`? Replies are the connection table's business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tuple {
    /// The address that opens the connection.
    pub src: IpAddr,
    /// The address the connection is opened to.
    pub dst: IpAddr,
    /// The IP protocol.
    pub protocol: Protocol,
    /// The source port (0 for protocols without ports). No policy looks at it; it identifies the
    /// connection.
    pub src_port: u16,
    /// The destination port (0 for protocols without ports).
    pub dst_port: u16,
}

impl Tuple {
    /// The tuple of the reply direction: source and destination swapped.
    pub fn reversed(&self) -> Tuple {
        Tuple {
            src: self.dst,
            dst: self.src,
            protocol: self.protocol,
            src_port: self.dst_port,
            dst_port: self.src_port,
        }
    }
}

/// The address as every engine compares it: an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the
/// IPv4 address it carries, so a policy's IPv4 CIDR covers it and a pod's IPv4 address matches it.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}
