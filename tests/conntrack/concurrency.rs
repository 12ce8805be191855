//! Several threads on one table: no lost or duplicated entries, counters add up.

use std::net::{IpAddr, Ipv4Addr};
use std::thread;
use std::time::Duration;

use tagwall::conntrack::{Config, ConnTable, Counters, PacketDirection, Timeouts, Timestamp};
use tagwall::lookup::{Decide, Side, Verdict};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

const THREADS: u32 = 4;
const PER_THREAD: u32 = 20_000;
/// Thread `t` handles connections `t * STRIDE .. t * STRIDE + PER_THREAD` (mod `DISTINCT`), so
/// each connection is opened by two threads.
const STRIDE: u32 = PER_THREAD / 2;
const DISTINCT: u32 = THREADS * STRIDE;

const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 255, 0, 1));

/// Connection `id`: client `10.x.y.z` (from the id) to the server's port 80.
fn connection(id: u32) -> Tuple {
    let [_, x, y, z] = (id + 1).to_be_bytes();
    Tuple {
        src: IpAddr::V4(Ipv4Addr::new(10, x, y, z)),
        dst: SERVER,
        protocol: Protocol::Tcp,
        src_port: 30000 + (id % 7) as u16,
        dst_port: 80,
    }
}

fn allowed(id: u32) -> bool {
    !id.is_multiple_of(3)
}

/// Clients whose id is not a multiple of 3 may open connections; the server may open none.
struct ByClientId;

impl Decide for ByClientId {
    fn generation(&self) -> u64 {
        1
    }

    fn decide(&self, tuple: &Tuple) -> Verdict {
        let pass = match tuple.src {
            IpAddr::V4(client) if tuple.src != SERVER => {
                let id = (u32::from_be_bytes(client.octets()) & 0x00ff_ffff) - 1;
                allowed(id)
            }
            _ => false,
        };
        let egress = if pass {
            Side::NotWorkload
        } else {
            Side::NoMatch
        };
        Verdict {
            egress,
            ingress: Side::NotWorkload,
        }
    }
}

/// Every thread opens its connections and answers each from the server. With `roomy`, no entry
/// can be evicted, so every reply must pass exactly when its connection was allowed.
fn run(table: &ConnTable, roomy: bool) -> Counters {
    thread::scope(|scope| {
        for t in 0..THREADS {
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let id = (t * STRIDE + i) % DISTINCT;
                    let now = Timestamp::from_nanos(u64::from(i));
                    let tuple = connection(id);
                    let open = table.packet(&ByClientId, &tuple, now);
                    assert_eq!(open.allowed, allowed(id), "connection {id}");
                    let reply = table.packet(&ByClientId, &tuple.reversed(), now);
                    if roomy {
                        assert_eq!(reply.allowed, allowed(id), "reply of connection {id}");
                        if allowed(id) {
                            assert_eq!(reply.direction, PacketDirection::Reply);
                        }
                    } else {
                        assert!(!reply.allowed || allowed(id), "reply of connection {id}");
                    }
                }
            });
        }
    });
    table.counters()
}

#[test]
fn threads_opening_overlapping_connections_record_each_allowed_one_once() {
    let config = Config {
        capacity: 1 << 16,
        shards: 16,
        timeouts: Timeouts {
            denied: None,
            ..Timeouts::default()
        },
        sweep_per_insert: 4,
    };
    let table = ConnTable::new(config).expect("valid config");
    let counters = run(&table, true);

    let distinct_allowed = (0..DISTINCT).filter(|&id| allowed(id)).count();
    assert_eq!(table.len(), distinct_allowed);
    let packets = u64::from(THREADS * PER_THREAD * 2);
    assert_eq!(counters.packets, packets);
    assert_eq!(
        counters.hits + counters.denied_hits + counters.misses + counters.reevaluations,
        packets
    );
    assert_eq!(
        counters.inserts, distinct_allowed as u64,
        "no connection recorded twice"
    );
    assert_eq!(
        (
            counters.evictions,
            counters.expirations,
            counters.reevaluations
        ),
        (0, 0, 0)
    );
    // Every packet of a denied connection is denied; every packet of an allowed one is
    // decided once (its first open) and otherwise hits.
    let denied_connections = u64::from(DISTINCT) - distinct_allowed as u64;
    assert_eq!(counters.denials, denied_connections * 2 * 2);
    assert_eq!(counters.misses, distinct_allowed as u64 + counters.denials);
}

#[test]
fn threads_flooding_a_small_table_keep_capacity_and_account_for_every_entry() {
    let config = Config {
        capacity: 1000,
        shards: 8,
        timeouts: Timeouts {
            denied: Some(Duration::from_secs(5)),
            ..Timeouts::default()
        },
        sweep_per_insert: 4,
    };
    let table = ConnTable::new(config).expect("valid config");
    let counters = run(&table, false);

    assert_eq!(table.len(), 1000);
    assert_eq!(
        counters.inserts - counters.evictions - counters.expirations - counters.revocations,
        1000
    );
    assert_eq!(
        counters.hits + counters.denied_hits + counters.misses + counters.reevaluations,
        u64::from(THREADS * PER_THREAD * 2)
    );
    assert!(counters.evictions > 0);
}
