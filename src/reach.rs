//! Who may open what to whom, on every port at once: for each ordered pair of pods, the
//! protocols and port ranges a connection may use (`tagwall matrix --all-ports`).
//!
//! Computed from the compiled structure, not by asking 65,535 ports per pair: pods whose
//! addresses share a [`PartitionKey`] get the same verdicts, so each pair of partitions is
//! decided once, and along the port axis only once per interval on which no verdict can change
//! ([`Decision::port_boundaries`]). A cell is then one lookup per interval and protocol, plus
//! one per protocol without ports that a rule names and one for all the others.
//!
//! ```
//! use tagwall::compile::{Builder, Config};
//! use tagwall::protocol::Protocol;
//! use tagwall::reach::all_ports;
//! use tagwall::translate::{Mode, translate};
//!
//! let cluster = tagwall::k8s::load_str("c.yaml", r#"
//! {"kind": "List", "items": [
//!  {"kind": "Pod", "metadata": {"name": "db", "labels": {"app": "db"}}, "status": {"podIP": "10.0.0.1"}},
//!  {"kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}}, "status": {"podIP": "10.0.0.2"}},
//!  {"kind": "NetworkPolicy", "metadata": {"name": "db"}, "spec": {
//!    "podSelector": {"matchLabels": {"app": "db"}},
//!    "ingress": [{"ports": [{"port": 80, "endPort": 81}, {"port": 6379}, {"port": 53, "protocol": "UDP"}]}]}}]}
//! "#)?.cluster;
//! let decision = Builder::new(Config::default()).build(&translate(&cluster, Mode::Kubernetes).config)?;
//! let pods: Vec<_> = cluster.pods.iter().collect();
//! let table = all_ports(&decision, &pods);
//! let web_to_db = table.cell(1, 0);
//! assert_eq!(web_to_db.to_string(), "TCP 80-81,6379; UDP 53");
//! assert!(web_to_db.allows(Protocol::Tcp, 6379) && !web_to_db.allows(Protocol::Tcp, 82));
//! assert_eq!(table.cell(0, 1).to_string(), "all"); // db isolates ingress only
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::net::IpAddr;

use ahash::AHashMap;
use rayon::prelude::*;

use crate::compile::{Decision, PartitionKey};
use crate::lookup::Verdict;
use crate::model::Pod;
use crate::protocol::Protocol;
use crate::tuple::Tuple;

/// The source port of every tuple asked: policies never look at it.
const SOURCE_PORT: u16 = 40000;

/// The protocols with ports, in the order cells list them.
pub const PORTED: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

/// What one pod may open to another: per protocol with ports, sorted, disjoint, merged
/// inclusive port ranges within 1-65535; and whether every other IP protocol (ICMP and the
/// rest) is allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reach {
    /// TCP port ranges.
    pub tcp: Vec<(u16, u16)>,
    /// UDP port ranges.
    pub udp: Vec<(u16, u16)>,
    /// SCTP port ranges.
    pub sctp: Vec<(u16, u16)>,
    /// Every IP protocol other than TCP, UDP and SCTP is allowed.
    pub other: bool,
}

impl Reach {
    /// Everything: every port of every protocol (what a pod may open to itself).
    pub fn everything() -> Reach {
        Reach {
            tcp: vec![(1, u16::MAX)],
            udp: vec![(1, u16::MAX)],
            sctp: vec![(1, u16::MAX)],
            other: true,
        }
    }

    /// The ranges of a protocol with ports; empty for the others.
    pub fn ranges(&self, protocol: Protocol) -> &[(u16, u16)] {
        match protocol {
            Protocol::Tcp => &self.tcp,
            Protocol::Udp => &self.udp,
            Protocol::Sctp => &self.sctp,
            Protocol::Other(_) => &[],
        }
    }

    /// Whether a connection on `protocol` to `port` is allowed (`port` is ignored for
    /// protocols without ports, where the answer is [`Reach::other`]).
    pub fn allows(&self, protocol: Protocol, port: u16) -> bool {
        match protocol {
            Protocol::Other(_) => self.other,
            ported => self
                .ranges(ported)
                .iter()
                .any(|&(lo, hi)| lo <= port && port <= hi),
        }
    }
}

impl fmt::Display for Reach {
    /// `TCP 80-81,6379; UDP 53; other protocols`, `all`, or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Reach::everything() {
            return f.write_str("all");
        }
        let mut parts = Vec::new();
        for protocol in PORTED {
            let ranges = self.ranges(protocol);
            if ranges.is_empty() {
                continue;
            }
            let list: Vec<String> = ranges
                .iter()
                .map(|&(lo, hi)| match (lo, hi) {
                    (lo, hi) if lo == hi => lo.to_string(),
                    (1, u16::MAX) => "all ports".to_string(),
                    (lo, hi) => format!("{lo}-{hi}"),
                })
                .collect();
            parts.push(format!("{protocol} {}", list.join(",")));
        }
        if self.other {
            parts.push("other protocols".to_string());
        }
        if parts.is_empty() {
            return f.write_str("none");
        }
        f.write_str(&parts.join("; "))
    }
}

/// The all-ports table of a list of pods: [`ReachTable::cell`]`(i, j)` is what `pods[i]` may
/// open to `pods[j]`. Equal cells are stored once.
#[derive(Clone, Debug)]
pub struct ReachTable {
    pods: usize,
    cells: Vec<Reach>,
    /// `pods * pods` indexes into `cells`, row by row.
    index: Vec<u32>,
}

/// Cell ids every table has.
const NOTHING: u32 = 0;
const EVERYTHING: u32 = 1;

impl ReachTable {
    /// Pods in each direction.
    pub fn len(&self) -> usize {
        self.pods
    }

    /// Whether the table has no pods.
    pub fn is_empty(&self) -> bool {
        self.pods == 0
    }

    /// What pod `src` may open to pod `dst` (nothing for indexes out of range).
    pub fn cell(&self, src: usize, dst: usize) -> &Reach {
        let id = if src < self.pods && dst < self.pods {
            self.index.get(src * self.pods + dst).copied()
        } else {
            None
        };
        self.cells
            .get(id.unwrap_or(NOTHING) as usize)
            .unwrap_or(&EMPTY)
    }

    /// The distinct cells, and each pair's index into them (row by row): for printers that
    /// render each distinct cell once.
    pub fn parts(&self) -> (&[Reach], &[u32]) {
        (&self.cells, &self.index)
    }
}

static EMPTY: Reach = Reach {
    tcp: Vec::new(),
    udp: Vec::new(),
    sctp: Vec::new(),
    other: false,
};

/// The all-ports table for `pods` under `decision` (built from the same cluster).
///
/// Each pod pair is tried on the addresses [`Pod::pair_addresses`] picks (pods sharing no IP
/// family reach nothing); a pod reaches itself on everything. A pod whose address the decision
/// does not know as a workload is decided as an outside address.
pub fn all_ports(decision: &Decision, pods: &[&Pod]) -> ReachTable {
    let n = pods.len();
    // Each pod address's partition, looked up once.
    let keys: Vec<Vec<(IpAddr, Option<PartitionKey>)>> = pods
        .iter()
        .map(|pod| {
            pod.ips
                .iter()
                .map(|&ip| {
                    let ip = crate::tuple::canonical_ip(ip);
                    (ip, decision.partition_key(ip))
                })
                .collect()
        })
        .collect();
    let key_of = |pod: usize, ip: IpAddr| {
        keys.get(pod)
            .and_then(|k| k.iter().find(|(a, _)| *a == ip))
            .and_then(|(_, key)| *key)
    };
    // Pairs of partitions, each with the addresses of the first pod pair that has it. An
    // address outside the inventory stands for itself alone.
    let mut work: Vec<(IpAddr, IpAddr)> = Vec::new();
    let mut seen: AHashMap<(Side, Side), u32> = AHashMap::new();
    let mut index: Vec<u32> = Vec::with_capacity(n * n);
    for (i, src) in pods.iter().enumerate() {
        for (j, dst) in pods.iter().enumerate() {
            if i == j {
                index.push(EVERYTHING);
                continue;
            }
            let Some((src_ip, dst_ip)) = src.pair_addresses(dst) else {
                index.push(NOTHING);
                continue;
            };
            let side = |pod, ip| key_of(pod, ip).map_or(Side::Address(ip), Side::Key);
            let pair = (side(i, src_ip), side(j, dst_ip));
            let next = u32::try_from(work.len()).unwrap_or(u32::MAX);
            let id = *seen.entry(pair).or_insert_with(|| {
                work.push((src_ip, dst_ip));
                next
            });
            // Work ids for now; cell ids below.
            index.push(id.saturating_add(2));
        }
    }
    let computed: Vec<Reach> = work
        .par_iter()
        .map_init(Scratch::default, |scratch, &(src, dst)| {
            reach(decision, src, dst, scratch)
        })
        .collect();
    // Equal cells once: work id -> cell id.
    let mut cells = vec![EMPTY.clone(), Reach::everything()];
    let mut ids: AHashMap<Reach, u32> = AHashMap::new();
    ids.insert(EMPTY.clone(), NOTHING);
    ids.insert(Reach::everything(), EVERYTHING);
    let mut cell_of_work = Vec::with_capacity(computed.len());
    for cell in computed {
        let id = match ids.get(&cell) {
            Some(id) => *id,
            None => {
                let id = u32::try_from(cells.len()).unwrap_or(u32::MAX);
                ids.insert(cell.clone(), id);
                cells.push(cell);
                id
            }
        };
        cell_of_work.push(id);
    }
    for id in &mut index {
        if *id >= 2 {
            *id = cell_of_work
                .get((*id - 2) as usize)
                .copied()
                .unwrap_or(NOTHING);
        }
    }
    ReachTable {
        pods: n,
        cells,
        index,
    }
}

/// One end of a pair as the table groups them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Side {
    Key(PartitionKey),
    Address(IpAddr),
}

/// Buffers one thread reuses from cell to cell.
#[derive(Default)]
struct Scratch {
    tuples: Vec<Tuple>,
    verdicts: Vec<Verdict>,
    intervals: [Vec<(u16, u16)>; 3],
}

/// What `src` may open to `dst`: one lookup per port interval of each protocol with ports, one
/// per protocol without ports some rule names, one for every other protocol.
fn reach(decision: &Decision, src: IpAddr, dst: IpAddr, scratch: &mut Scratch) -> Reach {
    let tuple = |protocol: Protocol, port: u16| Tuple {
        src,
        dst,
        protocol,
        src_port: if protocol.has_ports() { SOURCE_PORT } else { 0 },
        dst_port: port,
    };
    let Scratch {
        tuples,
        verdicts,
        intervals,
    } = scratch;
    tuples.clear();
    // Per protocol with ports: the intervals, clamped to 1-65535 (0 is no port).
    for (protocol, slot) in PORTED.into_iter().zip(intervals.iter_mut()) {
        slot.clear();
        let starts = decision.port_boundaries(src, dst, protocol);
        for (k, &start) in starts.iter().enumerate() {
            let end = starts
                .get(k + 1)
                .map_or(u16::MAX, |next| next.saturating_sub(1));
            let lo = start.max(1);
            if lo > end {
                continue;
            }
            slot.push((lo, end));
            tuples.push(tuple(protocol, lo));
        }
    }
    let named = decision.portless_protocols(src, dst);
    let unnamed = (0..=u8::MAX).find(|n| {
        !matches!(
            Protocol::from_number(*n),
            Protocol::Tcp | Protocol::Udp | Protocol::Sctp
        ) && named.binary_search(n).is_err()
    });
    tuples.extend(
        named
            .iter()
            .copied()
            .chain(unnamed)
            .map(|n| tuple(Protocol::from_number(n), 0)),
    );
    verdicts.clear();
    verdicts.resize(tuples.len(), Verdict::default());
    decision.lookup_batch(tuples, verdicts);
    let mut allowed = verdicts.iter().map(Verdict::allowed);
    let mut cell = Reach::default();
    for (protocol, slot) in PORTED.into_iter().zip(intervals.iter()) {
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        for &(lo, hi) in slot {
            if !allowed.next().unwrap_or(false) {
                continue;
            }
            match ranges.last_mut() {
                Some(last) if u32::from(last.1) + 1 == u32::from(lo) => last.1 = hi,
                _ => ranges.push((lo, hi)),
            }
        }
        match protocol {
            Protocol::Tcp => cell.tcp = ranges,
            Protocol::Udp => cell.udp = ranges,
            _ => cell.sctp = ranges,
        }
    }
    cell.other = allowed.all(|a| a);
    cell
}
