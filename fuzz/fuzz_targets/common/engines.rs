//! `compiled_matches_linear_and_reference`: every engine answers alike.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use arbitrary::{Arbitrary, Unstructured};
use tagwall::compile::{Builder, Config as CompileConfig};
use tagwall::evaluator::{self, Evaluator, Kind, Reference};
use tagwall::lookup::Verdict;
use tagwall::protocol::Protocol;
use tagwall::reference::linear;
use tagwall::translate::{Mode, translate};
use tagwall::tuple::Tuple;

use super::Failure;
use super::cluster::*;

/// Addresses tuples draw from besides the pods': pool neighbours, outside addresses, the
/// unspecified addresses, IPv4-mapped forms.
pub(super) fn extra_addresses() -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = Vec::new();
    for low in [0, 7, 9, 15, 16, 255] {
        addresses.push(pool_v4(low).into());
        addresses.push(pool_v6(low).into());
    }
    addresses.extend([
        IpAddr::from([192, 0, 2, 1]),
        IpAddr::from([0, 0, 0, 0]),
        IpAddr::from([255, 255, 255, 255]),
        IpAddr::from(Ipv6Addr::UNSPECIFIED),
        IpAddr::from(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        IpAddr::from(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped()),
    ]);
    addresses
}

pub(super) fn arbitrary_address(
    u: &mut Unstructured<'_>,
    known: &[IpAddr],
) -> arbitrary::Result<IpAddr> {
    Ok(match u.int_in_range(0..=7)? {
        0 => IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?)),
        1 => IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?)),
        2 => match *u.choose(known)? {
            IpAddr::V4(v4) => IpAddr::V6(v4.to_ipv6_mapped()),
            v6 => v6,
        },
        _ => *u.choose(known)?,
    })
}

pub(super) fn arbitrary_tuple(
    u: &mut Unstructured<'_>,
    known: &[IpAddr],
) -> arbitrary::Result<Tuple> {
    let protocol = if u.ratio(3, 4)? {
        *u.choose(&[6, 17, 132, 0, 1, 255])?
    } else {
        u.arbitrary()?
    };
    let dst_port = if u.ratio(3, 4)? {
        *u.choose(&[0, 1, 53, 80, 443, 8080, 65534, 65535])?
    } else {
        u.arbitrary()?
    };
    Ok(Tuple {
        src: arbitrary_address(u, known)?,
        dst: arbitrary_address(u, known)?,
        protocol: Protocol::from_number(protocol),
        src_port: u.arbitrary()?,
        dst_port,
    })
}

/// On a valid cluster and arbitrary tuples (pod IPs, their IPv4-mapped forms, neighbours,
/// outsiders; ports 0 and 65535; protocols 0, 255 and others), the compiled decision answers
/// exactly as the linear scan in both modes, deciding rules included, one by one and in a
/// batch; and in `kubernetes` mode the firewall allows exactly what the reference allows.
pub fn compiled_matches_linear_and_reference(data: &[u8]) -> Result<(), Failure> {
    let mut u = Unstructured::new(data);
    let Ok(spec) = ClusterSpec::arbitrary(&mut u) else {
        return Ok(());
    };
    let (text, loaded) = load_spec(&spec)?;
    let cluster = &loaded.cluster;
    let mut known: Vec<IpAddr> = cluster.pods.iter().flat_map(|p| p.ips.clone()).collect();
    known.extend(cluster.nodes.iter().flat_map(|n| n.addresses.clone()));
    known.extend(extra_addresses());
    let mut tuples = Vec::new();
    for _ in 0..u.int_in_range(1..=24).unwrap_or(1) {
        if u.is_empty() && !tuples.is_empty() {
            break;
        }
        match arbitrary_tuple(&mut u, &known) {
            Ok(tuple) => tuples.push(tuple),
            Err(_) => break,
        }
    }
    for mode in [Mode::Kubernetes, Mode::Cn2] {
        let translation = translate(cluster, mode);
        let config = &translation.config;
        let decision = Builder::new(CompileConfig::default())
            .build(config)
            .map_err(|error| format!("{mode}: compile failed: {error}\n{text}"))?;
        let mut batch = vec![Verdict::default(); tuples.len()];
        decision.lookup_batch(&tuples, &mut batch);
        // Every engine through the one interface the CLI and the scenarios use, in a batch too.
        let engines = [Kind::Reference, Kind::Linear, Kind::Compiled]
            .into_iter()
            .filter(|kind| mode == Mode::Kubernetes || *kind != Kind::Reference)
            .map(|kind| evaluator::build(kind, mode, cluster))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| format!("{mode}: compile failed: {error}\n{text}"))?;
        let answers: Vec<Vec<bool>> = engines.iter().map(|e| e.allowed_batch(&tuples)).collect();
        let first = engines.iter().zip(&answers).next();
        for (engine, answer) in engines.iter().zip(&answers) {
            if let Some((base, expected)) = first
                && answer != expected
            {
                return Err(format!(
                    "{mode}: `{}` allows {answer:?} but `{}` allows {expected:?} for {tuples:?}\n{text}",
                    engine.name(),
                    base.name()
                ));
            }
        }
        for (tuple, batched) in tuples.iter().zip(&batch) {
            let compiled = decision.lookup(tuple);
            let scanned = linear::evaluate(config, tuple);
            if compiled != scanned {
                return Err(format!(
                    "{mode}: compiled {compiled:?} but linear {scanned:?} for {tuple:?}\n{text}"
                ));
            }
            if *batched != compiled {
                return Err(format!(
                    "{mode}: batch lookup {batched:?} but lookup {compiled:?} for {tuple:?}\n{text}"
                ));
            }
            if mode == Mode::Kubernetes {
                let reference = Reference::new(cluster).explain(tuple);
                if reference.allowed != scanned.allowed() {
                    return Err(format!(
                        "kubernetes: firewall says {scanned:?} but reference says {} for {tuple:?}\n{text}",
                        reference.explanation
                    ));
                }
            }
        }
    }
    Ok(())
}
