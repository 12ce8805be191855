//! Model-based test: random sequences of packets, closes, expiry and policy swaps give the same
//! answers, lengths and counters from the table as from the plain single-threaded model of
//! `tests/support/conntrack_model.rs` (which the `conntrack_matches_model` fuzz target drives
//! too). Cases: `TAGWALL_PROPTEST_CASES` (default 128).

use crate::support;

use std::net::IpAddr;
use std::time::Duration;

use crate::support::conntrack::{ip, verdict};
use crate::support::conntrack_model::Model;
use proptest::prelude::*;
use tagwall::conntrack::{Config, ConnTable, Timeouts, Timestamp};
use tagwall::lookup::{Decide, Verdict};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

const HOSTS: u8 = 3;

/// Allows host `s` to open to host `d` iff bit `(s - 1) * HOSTS + (d - 1)` of the mask is set.
#[derive(Clone, Copy, Debug)]
struct MaskDecider {
    generation: u64,
    mask: u16,
}

fn host(address: IpAddr) -> u16 {
    match address {
        IpAddr::V4(v4) => u16::from(v4.octets()[3]),
        IpAddr::V6(_) => 0,
    }
}

impl Decide for MaskDecider {
    fn generation(&self) -> u64 {
        self.generation
    }

    fn decide(&self, tuple: &Tuple) -> Verdict {
        let bit = (host(tuple.src) - 1) * u16::from(HOSTS) + (host(tuple.dst) - 1);
        verdict(self.generation, self.mask & (1 << bit) != 0)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Packet { tuple: Tuple, dt: u64 },
    Close { tuple: Tuple, dt: u64 },
    Expire { budget: usize, dt: u64 },
    Swap { mask: u16 },
}

fn tuples() -> impl Strategy<Value = Tuple> {
    let protocols = prop_oneof![
        Just(Protocol::Tcp),
        Just(Protocol::Udp),
        Just(Protocol::Other(1))
    ];
    (1..=HOSTS, 1..=HOSTS, 1u16..3, 1u16..3, protocols).prop_map(
        |(src, dst, src_port, dst_port, protocol)| Tuple {
            src: ip(src),
            dst: ip(dst),
            protocol,
            src_port,
            dst_port,
        },
    )
}

fn ops() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (tuples(), 0u64..8).prop_map(|(tuple, dt)| Op::Packet { tuple, dt }),
        1 => (tuples(), 0u64..8).prop_map(|(tuple, dt)| Op::Close { tuple, dt }),
        1 => (0usize..4, 0u64..30).prop_map(|(budget, dt)| Op::Expire { budget, dt }),
        1 => any::<u16>().prop_map(|mask| Op::Swap { mask }),
    ]
}

/// Timeouts in nanoseconds, short enough that sequences see entries expire.
fn timeouts(remember_denials: bool) -> Timeouts {
    Timeouts {
        tcp_established: Duration::from_nanos(100),
        tcp_unreplied: Duration::from_nanos(20),
        udp: Duration::from_nanos(30),
        other: Duration::from_nanos(40),
        closing: Duration::from_nanos(10),
        denied: remember_denials.then_some(Duration::from_nanos(15)),
    }
}

fn configs() -> impl Strategy<Value = Config> {
    (0u32..3, 0usize..12, 0usize..3, any::<bool>()).prop_map(
        |(shard_bits, extra, sweep_per_insert, remember_denials)| {
            let shards = 1 << shard_bits;
            Config {
                capacity: shards + extra,
                shards,
                timeouts: timeouts(remember_denials),
                sweep_per_insert,
            }
        },
    )
}

proptest! {
    #![proptest_config(support::proptest_config(support::cases(128)))]

    #[test]
    fn the_table_behaves_like_the_model(
        config in configs(),
        ops in prop::collection::vec(ops(), 1..200),
    ) {
        let table = ConnTable::new(config).expect("generated configs are valid");
        let mut model = Model::new(&config);
        let mut decider = MaskDecider { generation: 1, mask: 0b1_0101_0110 };
        let mut now = 0u64;
        for (step, op) in ops.iter().enumerate() {
            match *op {
                Op::Packet { tuple, dt } => {
                    now += dt;
                    let got = table.packet(&decider, &tuple, Timestamp::from_nanos(now));
                    let want = model.packet(&decider, &tuple, now, table.shard_of(&tuple));
                    prop_assert_eq!(got, want, "step {}: {:?} at {}", step, op, now);
                }
                Op::Close { tuple, dt } => {
                    now += dt;
                    let got = table.close(&tuple, Timestamp::from_nanos(now));
                    let want = model.close(&tuple, now, table.shard_of(&tuple));
                    prop_assert_eq!(got, want, "step {}: {:?} at {}", step, op, now);
                }
                Op::Expire { budget, dt } => {
                    now += dt;
                    let got = table.expire(Timestamp::from_nanos(now), budget);
                    prop_assert_eq!(got, model.expire(now, budget), "step {}: {:?}", step, op);
                }
                Op::Swap { mask } => {
                    decider = MaskDecider { generation: decider.generation + 1, mask };
                }
            }
            prop_assert_eq!(table.len(), model.len(), "step {}: {:?}", step, op);
            prop_assert!(table.len() <= config.capacity);
            prop_assert_eq!(table.counters(), model.counters(), "step {}: {:?}", step, op);
        }
    }
}
