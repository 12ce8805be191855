//! Answers about many connections at once, from the compiled structure: which workload
//! addresses no rule can tell apart ([`Decision::partition_key`]), and where along the port
//! axis a verdict can change ([`Decision::port_boundaries`], [`Decision::portless_protocols`]).
//!
//! An all-pairs, all-ports table (`tagwall matrix --all-ports`) built on these asks one lookup
//! per partition pair and port interval instead of 65,535 per pod pair.
//!
//! ```
//! use tagwall::compile::{Builder, Config};
//! use tagwall::protocol::Protocol;
//! use tagwall::translate::{Mode, translate};
//!
//! let cluster = tagwall::k8s::load_str("c.yaml", r#"
//! {"kind": "List", "items": [
//!  {"kind": "Pod", "metadata": {"name": "db", "labels": {"app": "db"}}, "status": {"podIP": "10.0.0.1"}},
//!  {"kind": "Pod", "metadata": {"name": "w1", "labels": {"app": "web"}}, "status": {"podIP": "10.0.0.2"}},
//!  {"kind": "Pod", "metadata": {"name": "w2", "labels": {"app": "web"}}, "status": {"podIP": "10.0.0.3"}},
//!  {"kind": "NetworkPolicy", "metadata": {"name": "db"}, "spec": {
//!    "podSelector": {"matchLabels": {"app": "db"}},
//!    "ingress": [{"ports": [{"port": 5432}, {"port": 6000, "endPort": 6010}]}]}}]}
//! "#)?.cluster;
//! let decision = Builder::new(Config::default()).build(&translate(&cluster, Mode::Kubernetes).config)?;
//! let (db, w1, w2) = ("10.0.0.1".parse()?, "10.0.0.2".parse()?, "10.0.0.3".parse()?);
//!
//! // The two web pods carry the same labels: no rule tells them apart.
//! assert_eq!(decision.partition_key(w1), decision.partition_key(w2));
//! assert_ne!(decision.partition_key(w1), decision.partition_key(db));
//! assert_eq!(decision.partition_key("192.0.2.1".parse()?), None);
//!
//! // Toward db, TCP verdicts can change only at these ports.
//! assert_eq!(
//!     decision.port_boundaries(w1, db, Protocol::Tcp),
//!     [0, 5432, 5433, 6000, 6011]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::net::IpAddr;

use super::Decision;
use super::ids::{ClassId, IdentityId};
use crate::model::Direction;
use crate::protocol::Protocol;
use crate::tuple::canonical_ip;

/// What decides every verdict toward or from a workload address: two workload addresses with
/// equal keys get the same verdict toward (and from) any third address, on every protocol and
/// port ("third": not an address of either one's own workload, which a workload always
/// reaches). Today it is the workload's identity (its relevant tags and mentioned named ports) and
/// the address's class (the address groups it is in); treat it as opaque.
///
/// A key is meaningful only for the [`Decision`] that gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    identity: IdentityId,
    class: ClassId,
}

impl Decision {
    /// The partition of workload address `ip`, or `None` when no workload has it (then the
    /// address is decided by its address groups alone).
    ///
    /// Two workload addresses with equal keys get the same [`Decision::lookup`] verdicts
    /// toward and from any third address (one of neither's workload), on every protocol and
    /// port, deciding rules included. (Between the two themselves nothing follows: a workload
    /// always reaches itself.)
    pub fn partition_key(&self, ip: IpAddr) -> Option<PartitionKey> {
        self.inventory
            .owner(canonical_ip(ip))
            .map(|owner| PartitionKey {
                identity: owner.identity,
                class: owner.class,
            })
    }

    /// Where the verdict from `src` to `dst` on `protocol` can change along the destination
    /// port axis: sorted, deduplicated interval starts, the first 0, such that
    /// [`Decision::lookup`] for `(src, dst, protocol, port)` is the same for every port of each
    /// interval `[b[i], b[i+1] - 1]` (the last ends at 65535).
    ///
    /// They come from the source identity's egress port table, the destination identity's
    /// ingress port table and the named ports the destination declares (a rule naming a port
    /// matches only that number). A finer cut than necessary is allowed; a coarser one is not.
    /// For a protocol without ports the answer is `[0]`.
    pub fn port_boundaries(&self, src: IpAddr, dst: IpAddr, protocol: Protocol) -> Vec<u16> {
        let mut starts = vec![0];
        if !protocol.has_ports() {
            return starts;
        }
        let src_owner = self.inventory.owner(canonical_ip(src));
        let dst_owner = self.inventory.owner(canonical_ip(dst));
        for (owner, direction) in [
            (src_owner, Direction::Egress),
            (dst_owner, Direction::Ingress),
        ] {
            let identity = owner.and_then(|o| self.identities.get(o.identity.index()));
            if let Some(identity) = identity {
                for table in identity.tables(direction) {
                    starts.extend(table.port_starts(protocol));
                }
            }
        }
        let dst_identity = dst_owner.and_then(|o| self.identities.get(o.identity.index()));
        if let Some(identity) = dst_identity {
            for entry in identity.key.named.iter().filter(|e| e.protocol == protocol) {
                starts.push(entry.port);
                starts.extend(entry.port.checked_add(1));
            }
        }
        starts.sort_unstable();
        starts.dedup();
        starts
    }

    /// IP protocols without ports (never 6, 17 or 132) that some rule at `src`'s egress or
    /// `dst`'s ingress names, ascending: every protocol number not listed gets the same
    /// verdict from `src` to `dst` as every other number not listed.
    pub fn portless_protocols(&self, src: IpAddr, dst: IpAddr) -> Vec<u8> {
        let mut numbers = Vec::new();
        for (ip, direction) in [(src, Direction::Egress), (dst, Direction::Ingress)] {
            let identity = self
                .inventory
                .owner(canonical_ip(ip))
                .and_then(|o| self.identities.get(o.identity.index()));
            if let Some(identity) = identity {
                for table in identity.tables(direction) {
                    numbers.extend(table.portless_numbers());
                }
            }
        }
        numbers.sort_unstable();
        numbers.dedup();
        numbers
    }
}
