//! One end of a connection as a person names it (`NS/POD` or an IP, as `tagwall check` and the
//! scenario files take them), and which addresses a connection between two ends uses (a pod
//! stands for its first address of the other end's family, [`Pod::pair_addresses`]).

use std::net::IpAddr;

use super::{Cluster, Pod};
use crate::tuple::canonical_ip;

/// One end of a connection as given on the command line.
#[derive(Clone, Copy, Debug)]
pub enum Endpoint<'c> {
    /// A pod, named `namespace/name`.
    Pod(&'c Pod),
    /// An address (canonical), a pod's or not.
    Ip(IpAddr),
}

/// Why a command-line endpoint does not resolve.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// `namespace/name` names no pod of the cluster.
    #[error("unknown pod `{0}`")]
    UnknownPod(String),
    /// The pod has no IP, so no connection can name it.
    #[error("pod `{0}` has no IP")]
    PodWithoutIp(String),
    /// Neither `namespace/name` nor an IP address.
    #[error("`{0}` is neither NAMESPACE/POD nor an IP address")]
    Malformed(String),
}

impl<'c> Endpoint<'c> {
    /// Parses `NAMESPACE/POD` (a pod of `cluster` with at least one IP) or an IP address.
    pub fn resolve(text: &str, cluster: &'c Cluster) -> Result<Endpoint<'c>, EndpointError> {
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Endpoint::Ip(canonical_ip(ip)));
        }
        let Some((namespace, name)) = text.split_once('/') else {
            return Err(EndpointError::Malformed(text.to_string()));
        };
        let pod = cluster
            .pods
            .iter()
            .find(|pod| pod.namespace == namespace && pod.name == name)
            .ok_or_else(|| EndpointError::UnknownPod(text.to_string()))?;
        if pod.ips.is_empty() {
            return Err(EndpointError::PodWithoutIp(text.to_string()));
        }
        Ok(Endpoint::Pod(pod))
    }

    /// How a person named it: `namespace/name` or the address.
    pub fn label(&self) -> String {
        match self {
            Endpoint::Pod(pod) => pod.key(),
            Endpoint::Ip(ip) => ip.to_string(),
        }
    }
}

/// The addresses of a connection from `src` to `dst`: a pod stands for its first address of the
/// other end's family ([`Pod::pair_addresses`] when both are pods); `None` when the two ends share
/// no family.
pub fn addresses(src: Endpoint<'_>, dst: Endpoint<'_>) -> Option<(IpAddr, IpAddr)> {
    match (src, dst) {
        (Endpoint::Pod(src), Endpoint::Pod(dst)) => src.pair_addresses(dst),
        (Endpoint::Pod(src), Endpoint::Ip(dst)) => src.address_toward(dst).map(|ip| (ip, dst)),
        (Endpoint::Ip(src), Endpoint::Pod(dst)) => dst.address_toward(src).map(|ip| (src, ip)),
        (Endpoint::Ip(src), Endpoint::Ip(dst)) => {
            (src.is_ipv4() == dst.is_ipv4()).then_some((src, dst))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Labels;

    fn pod(name: &str, ips: &[&str]) -> Pod {
        Pod {
            namespace: "x".to_string(),
            name: name.to_string(),
            labels: Labels::new(),
            ips: ips.iter().map(|ip| ip.parse().unwrap()).collect(),
            ports: Vec::new(),
            node_name: None,
            host_ips: Vec::new(),
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn pairs_take_the_first_common_family_in_source_order() {
        let dual = pod("dual", &["10.0.0.1", "fd00::1"]);
        let v6_first = pod("v6first", &["fd00::2", "10.0.0.2"]);
        let v6 = pod("v6", &["fd00::3"]);
        let v4 = pod("v4", &["10.0.0.4"]);
        assert_eq!(
            dual.pair_addresses(&v6_first),
            Some((ip("10.0.0.1"), ip("10.0.0.2")))
        );
        assert_eq!(
            v6_first.pair_addresses(&dual),
            Some((ip("fd00::2"), ip("fd00::1")))
        );
        assert_eq!(v4.pair_addresses(&v6), None);
        assert_eq!(
            v6.pair_addresses(&dual),
            Some((ip("fd00::3"), ip("fd00::1")))
        );
    }

    #[test]
    fn endpoints_resolve_pods_and_addresses() {
        let cluster = Cluster {
            pods: vec![pod("a", &["fd00::1", "10.0.0.1"]), pod("pending", &[])],
            ..Cluster::default()
        };
        let a = Endpoint::resolve("x/a", &cluster).unwrap();
        let mapped = Endpoint::resolve("::ffff:192.0.2.1", &cluster).unwrap();
        assert_eq!(
            addresses(a, mapped),
            Some((ip("10.0.0.1"), ip("192.0.2.1")))
        );
        assert_eq!(
            Endpoint::resolve("x/b", &cluster).unwrap_err(),
            EndpointError::UnknownPod("x/b".to_string())
        );
        assert_eq!(
            Endpoint::resolve("x/pending", &cluster).unwrap_err(),
            EndpointError::PodWithoutIp("x/pending".to_string())
        );
        assert_eq!(
            Endpoint::resolve("nonsense", &cluster).unwrap_err(),
            EndpointError::Malformed("nonsense".to_string())
        );
        let v4 = Endpoint::Ip(ip("192.0.2.1"));
        let v6 = Endpoint::Ip(ip("2001:db8::1"));
        assert_eq!(addresses(v4, v6), None);
    }
}
