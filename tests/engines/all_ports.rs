//! `tagwall matrix --all-ports` and the compiled-structure API under it.
//!
//! - On random firewall configurations: [`Decision::port_boundaries`] cuts the port axis so that
//!   `lookup` is the same (deciding rules included) over each interval, and addresses with one
//!   [`Decision::partition_key`] get the same verdicts toward and from every other address;
//!   protocols without ports outside [`Decision::portless_protocols`] all get one verdict.
//! - On synthetic clusters: every cell of [`all_ports`] equals what the compiled lookup and the
//!   `reference` engine answer, at every range edge, one port either side of it, and random
//!   ports.
//!
//! Cases: `TAGWALL_PROPTEST_CASES` (default 64 firewalls, 8 clusters; a cluster case checks
//! every pod pair).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "generated inputs are valid by construction; a failure is a test bug"
)]

use std::net::IpAddr;

use crate::support::cases;
use crate::support::compiled::{addresses_of, firewall};
use proptest::prelude::*;
use tagwall::compile::{Builder, Config, Decision};
use tagwall::firewall::FirewallConfig;
use tagwall::model::Cluster;
use tagwall::protocol::Protocol;
use tagwall::reach::{PORTED, Reach, all_ports};
use tagwall::reference::kubernetes;
use tagwall::synth::{Format, Shape, SynthParams, generate};
use tagwall::translate::{Mode, translate};
use tagwall::tuple::{Tuple, canonical_ip};

fn tuple(src: IpAddr, dst: IpAddr, protocol: Protocol, port: u16) -> Tuple {
    Tuple {
        src,
        dst,
        protocol,
        src_port: if protocol.has_ports() { 40000 } else { 0 },
        dst_port: if protocol.has_ports() { port } else { 0 },
    }
}

/// The workload that owns each canonical address: the first that lists it.
fn owner(config: &FirewallConfig, ip: IpAddr) -> Option<usize> {
    config
        .workloads
        .iter()
        .position(|w| w.ips.iter().any(|a| canonical_ip(*a) == canonical_ip(ip)))
}

/// Every interval of `starts` as `(lo, hi)`.
fn intervals(starts: &[u16]) -> Vec<(u16, u16)> {
    starts
        .iter()
        .enumerate()
        .map(|(k, &lo)| {
            let hi = starts.get(k + 1).map_or(u16::MAX, |next| next - 1);
            (lo, hi)
        })
        .collect()
}

/// Compile configurations: the default (port tables split into intervals) and scan-only (no
/// split budget: each protocol's narrow candidates stay one list with their port ranges).
fn builds() -> [Config; 2] {
    [
        Config::default(),
        Config {
            split_factor: 0,
            split_minimum: 0,
            ..Config::default()
        },
    ]
}

fn check_firewall(config: &FirewallConfig, probes: &[u16]) -> Result<(), TestCaseError> {
    for build in builds() {
        check_firewall_with(config, probes, build)?;
    }
    Ok(())
}

fn check_firewall_with(
    config: &FirewallConfig,
    probes: &[u16],
    build: Config,
) -> Result<(), TestCaseError> {
    let decision = Builder::new(build).build(config).unwrap();
    let mut addresses = addresses_of(&config.workloads);
    addresses.extend(
        ["10.0.0.1", "10.1.2.3", "192.0.2.1", "fd00::1"].map(|a| a.parse::<IpAddr>().unwrap()),
    );
    for &src in &addresses {
        for &dst in &addresses {
            for protocol in PORTED {
                let starts = decision.port_boundaries(src, dst, protocol);
                prop_assert_eq!(starts.first(), Some(&0));
                prop_assert!(starts.windows(2).all(|w| w[0] < w[1]), "{:?}", starts);
                for (k, (lo, hi)) in intervals(&starts).into_iter().enumerate() {
                    let first = decision.lookup(&tuple(src, dst, protocol, lo));
                    let mid = lo + (hi - lo) / 2;
                    let inner = probes
                        .get(k % probes.len().max(1))
                        .map(|p| lo + p % (hi - lo).saturating_add(1).max(1));
                    for port in [Some(hi), Some(mid), inner].into_iter().flatten() {
                        let verdict = decision.lookup(&tuple(src, dst, protocol, port));
                        prop_assert_eq!(
                            verdict,
                            first,
                            "{} -> {} {} port {} vs {} (interval {}-{})",
                            src,
                            dst,
                            protocol,
                            port,
                            lo,
                            lo,
                            hi
                        );
                    }
                }
            }
            // Protocols without ports that no rule names: one verdict for all of them.
            let named = decision.portless_protocols(src, dst);
            let unnamed: Vec<Protocol> = (0..=u8::MAX)
                .map(Protocol::from_number)
                .filter(|p| !p.has_ports() && named.binary_search(&p.number()).is_err())
                .collect();
            if let Some(first) = unnamed.first() {
                let verdict = decision.lookup(&tuple(src, dst, *first, 0));
                for protocol in &unnamed {
                    prop_assert_eq!(decision.lookup(&tuple(src, dst, *protocol, 0)), verdict);
                }
            }
        }
    }
    // Equal keys, equal verdicts toward and from every address of a third workload (or none).
    for &a in &addresses {
        for &b in &addresses {
            let (Some(ka), Some(kb)) = (decision.partition_key(a), decision.partition_key(b))
            else {
                continue;
            };
            if ka != kb || owner(config, a) == owner(config, b) {
                continue;
            }
            for &z in &addresses {
                let third = owner(config, z);
                if third.is_some() && (third == owner(config, a) || third == owner(config, b)) {
                    continue;
                }
                for (protocol, port) in [
                    (Protocol::Tcp, probes.first().copied().unwrap_or(80)),
                    (Protocol::Tcp, 80),
                    (Protocol::Udp, 53),
                    (Protocol::Sctp, 90),
                    (Protocol::Other(1), 0),
                ] {
                    prop_assert_eq!(
                        decision.lookup(&tuple(a, z, protocol, port)),
                        decision.lookup(&tuple(b, z, protocol, port)),
                        "from {} and {} to {}",
                        a,
                        b,
                        z
                    );
                    prop_assert_eq!(
                        decision.lookup(&tuple(z, a, protocol, port)),
                        decision.lookup(&tuple(z, b, protocol, port)),
                        "from {} to {} and {}",
                        z,
                        a,
                        b
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::support::proptest_config(cases(64)))]

    #[test]
    fn boundaries_and_partitions_hold_on_random_firewalls(
        config in firewall(),
        probes in prop::collection::vec(any::<u16>(), 1..4),
    ) {
        check_firewall(&config, &probes)?;
    }
}

/// The ports to check in a cell for one protocol: each range's edges and one port either side
/// (within 1-65535), and a few more.
fn sample_ports(cell: &Reach, protocol: Protocol, extra: &[u16]) -> Vec<u16> {
    let mut ports: Vec<u16> = vec![1, 53, 80, 443, 8080, u16::MAX];
    for &(lo, hi) in cell.ranges(protocol) {
        ports.extend([lo, hi, lo.saturating_sub(1).max(1), hi.saturating_add(1)]);
    }
    ports.extend(extra.iter().map(|p| (*p).max(1)));
    ports.sort_unstable();
    ports.dedup();
    ports
}

fn check_cluster(cluster: &Cluster, extra: &[u16]) -> Result<(), TestCaseError> {
    for build in builds() {
        check_cluster_with(cluster, extra, build)?;
    }
    Ok(())
}

fn check_cluster_with(
    cluster: &Cluster,
    extra: &[u16],
    build: Config,
) -> Result<(), TestCaseError> {
    let config = translate(cluster, Mode::Kubernetes).config;
    let decision: Decision = Builder::new(build).build(&config).unwrap();
    let mut pods: Vec<_> = cluster.pods.iter().filter(|p| !p.ips.is_empty()).collect();
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let table = all_ports(&decision, &pods);
    prop_assert_eq!(table.len(), pods.len());
    for (i, src) in pods.iter().enumerate() {
        for (j, dst) in pods.iter().enumerate() {
            let cell = table.cell(i, j);
            // Ranges are sorted, disjoint, merged and within 1-65535.
            for protocol in PORTED {
                let ranges = cell.ranges(protocol);
                prop_assert!(ranges.iter().all(|(lo, hi)| 1 <= *lo && lo <= hi));
                prop_assert!(
                    ranges
                        .windows(2)
                        .all(|w| u32::from(w[0].1) + 1 < u32::from(w[1].0)),
                    "{:?}",
                    ranges
                );
            }
            if i == j {
                prop_assert_eq!(cell, &Reach::everything());
                continue;
            }
            let Some((s, d)) = src.pair_addresses(dst) else {
                prop_assert_eq!(cell, &Reach::default());
                continue;
            };
            let mut asked: Vec<(Protocol, u16)> = Vec::new();
            for protocol in PORTED {
                asked.extend(
                    sample_ports(cell, protocol, extra)
                        .into_iter()
                        .map(|p| (protocol, p)),
                );
            }
            asked.extend([
                (Protocol::Other(1), 0),
                (Protocol::Other(58), 0),
                (Protocol::Other(47), 0),
            ]);
            for (protocol, port) in asked {
                let t = tuple(s, d, protocol, port);
                let compiled = decision.lookup(&t).allowed();
                let reference = kubernetes::evaluate(cluster, &t).allowed();
                prop_assert_eq!(
                    cell.allows(protocol, port),
                    compiled,
                    "{} -> {}: {} port {}: cell `{}`",
                    src.key(),
                    dst.key(),
                    protocol,
                    port,
                    cell
                );
                prop_assert_eq!(
                    compiled,
                    reference,
                    "{} -> {}: {} port {}",
                    src.key(),
                    dst.key(),
                    protocol,
                    port
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::support::proptest_config((cases(64) / 8).max(2)))]

    #[test]
    fn every_cell_is_what_lookup_and_the_reference_answer(
        seed in any::<u64>(),
        extra in prop::collection::vec(any::<u16>(), 3),
    ) {
        let text = generate(&SynthParams {
            namespaces: 3,
            pods: 24,
            policies: 12,
            seed,
            format: Format::Json,
            ..SynthParams::default()
        });
        let cluster = tagwall::k8s::load_str("synth.json", &text).unwrap().cluster;
        check_cluster(&cluster, &extra)?;
    }
}

/// The shapes that multiply one input dimension by another (every pod its own identity,
/// repeated prefixes with holes, pairwise-overlapping port ranges), small.
#[test]
fn every_cell_is_what_lookup_answers_on_the_hostile_shapes() {
    for shape in [Shape::UniqueIdentities, Shape::Prefixes, Shape::PortRanges] {
        let text = generate(&SynthParams {
            namespaces: 3,
            pods: 30,
            policies: 12,
            seed: 5,
            format: Format::Json,
            shape,
            ..SynthParams::default()
        });
        let cluster = tagwall::k8s::load_str("shape.json", &text).unwrap().cluster;
        if let Err(error) = check_cluster(&cluster, &[2, 7, 40000]) {
            panic!("{shape:?}: {error}");
        }
    }
}

#[test]
fn every_cell_is_what_lookup_answers_on_the_scenarios() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let cluster = tagwall::k8s::load_str(&path.display().to_string(), &text)
            .unwrap()
            .cluster;
        if let Err(error) = check_cluster(&cluster, &[79, 81, 5000]) {
            panic!("{}: {error}", path.display());
        }
    }
}
