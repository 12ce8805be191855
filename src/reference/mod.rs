//! Oracles: engines written to be obviously right, not fast, that the firewall engines are
//! checked against.
//!
//! [`kubernetes`] evaluates a [`Tuple`](crate::tuple::Tuple) over a validated
//! [`Cluster`](crate::model::Cluster) by transcribing the `networking.k8s.io/v1` API reference
//! rule by rule: no indexes, no caches, and no matching code shared with the translated
//! firewall engines. It also says *why*: every verdict carries the policies and rules that
//! decided it.
//!
//! ```
//! use tagwall::model::Cluster;
//! use tagwall::protocol::Protocol;
//! use tagwall::reference::kubernetes;
//! use tagwall::tuple::Tuple;
//!
//! // With no pods at all, both addresses are external and nothing isolates them.
//! let tuple = Tuple {
//!     src: "10.0.0.1".parse().unwrap(),
//!     dst: "10.0.0.2".parse().unwrap(),
//!     protocol: Protocol::Tcp,
//!     src_port: 40000,
//!     dst_port: 80,
//! };
//! let explanation = kubernetes::evaluate(&Cluster::default(), &tuple);
//! assert!(explanation.allowed());
//! ```

pub mod kubernetes;
pub mod linear;
