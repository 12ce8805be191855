//! The canonical connection key: both directions of a connection map to one key.

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv6Addr};

use crate::protocol::Protocol;
use crate::tuple::Tuple;

/// One end of a connection: an address in its 16-byte IPv6 form, and a port.
///
/// An IPv4 address is stored IPv4-mapped (`::ffff:a.b.c.d`), so `10.0.0.1` and `::ffff:10.0.0.1`
/// are the same end, as every engine compares them (see [`crate::tuple::canonical_ip`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Endpoint {
    address: [u8; 16],
    port: u16,
}

impl Endpoint {
    fn new(ip: IpAddr, port: u16) -> Endpoint {
        let address = match ip {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => v6.octets(),
        };
        Endpoint { address, port }
    }

    fn ip(self) -> IpAddr {
        Ipv6Addr::from(self.address).to_canonical()
    }
}

/// The key of a connection: its two ends in a fixed order, and the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ConnKey {
    low: Endpoint,
    high: Endpoint,
    protocol: u8,
}

impl Hash for ConnKey {
    /// Three wide writes instead of one per field and array length: every packet hashes its key.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u128(u128::from_ne_bytes(self.low.address));
        state.write_u128(u128::from_ne_bytes(self.high.address));
        let ports = u64::from(self.low.port) << 32 | u64::from(self.high.port) << 16;
        state.write_u64(ports | u64::from(self.protocol));
    }
}

/// Which end of a [`ConnKey`] a packet comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// The lower endpoint in the key's order.
    Low,
    /// The higher endpoint (or both, when a connection runs between one endpoint and itself).
    High,
}

impl ConnKey {
    /// The key of `tuple`'s connection and the end its source is.
    pub(crate) fn of(tuple: &Tuple) -> (ConnKey, End) {
        let src = Endpoint::new(tuple.src, tuple.src_port);
        let dst = Endpoint::new(tuple.dst, tuple.dst_port);
        let protocol = tuple.protocol.number();
        if src < dst {
            let key = ConnKey {
                low: src,
                high: dst,
                protocol,
            };
            (key, End::Low)
        } else {
            let key = ConnKey {
                low: dst,
                high: src,
                protocol,
            };
            (key, End::High)
        }
    }

    /// The protocol of the connection.
    pub(crate) fn protocol(&self) -> Protocol {
        Protocol::from_number(self.protocol)
    }

    /// The tuple of a packet from `from` to the other end (addresses in canonical form).
    pub(crate) fn tuple_from(&self, from: End) -> Tuple {
        let (src, dst) = match from {
            End::Low => (self.low, self.high),
            End::High => (self.high, self.low),
        };
        Tuple {
            src: src.ip(),
            dst: dst.ip(),
            protocol: self.protocol(),
            src_port: src.port,
            dst_port: dst.port,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn tuple(src: [u8; 4], src_port: u16, dst: [u8; 4], dst_port: u16) -> Tuple {
        Tuple {
            src: IpAddr::V4(Ipv4Addr::from(src)),
            dst: IpAddr::V4(Ipv4Addr::from(dst)),
            protocol: Protocol::Tcp,
            src_port,
            dst_port,
        }
    }

    #[test]
    fn both_directions_share_one_key_with_opposite_ends() {
        let forward = tuple([10, 0, 0, 2], 40000, [10, 0, 0, 1], 80);
        let (key, end) = ConnKey::of(&forward);
        let (reply_key, reply_end) = ConnKey::of(&forward.reversed());
        assert_eq!(key, reply_key);
        assert_ne!(end, reply_end);
        assert_eq!(key.tuple_from(end), forward);
        assert_eq!(key.tuple_from(reply_end), forward.reversed());
    }

    #[test]
    fn ipv4_mapped_ipv6_is_the_ipv4_end() {
        let v4 = tuple([10, 0, 0, 1], 1, [10, 0, 0, 2], 2);
        let mut mapped = v4;
        mapped.src = IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        assert_eq!(ConnKey::of(&v4), ConnKey::of(&mapped));
        assert_eq!(ConnKey::of(&mapped).0.tuple_from(End::Low), v4);
    }

    #[test]
    fn ports_and_protocol_tell_connections_apart() {
        let a = tuple([10, 0, 0, 1], 1, [10, 0, 0, 2], 2);
        let mut other_port = a;
        other_port.src_port = 3;
        let mut other_protocol = a;
        other_protocol.protocol = Protocol::Udp;
        assert_ne!(ConnKey::of(&a).0, ConnKey::of(&other_port).0);
        assert_ne!(ConnKey::of(&a).0, ConnKey::of(&other_protocol).0);
    }
}
