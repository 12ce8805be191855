//! Connection table costs: hit and insert latency, hit throughput on two threads, memory per
//! entry. Short by default (10 samples, 1 s each); pass criterion flags for longer runs.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tagwall::conntrack::{Config, ConnTable, Timestamp};
use tagwall::lookup::{Decide, Side, Verdict};
use tagwall::protocol::Protocol;
use tagwall::tuple::Tuple;

/// Allows everything: the benchmarks measure the table, not a decider.
struct AllowAll;

impl Decide for AllowAll {
    fn generation(&self) -> u64 {
        1
    }

    fn decide(&self, _: &Tuple) -> Verdict {
        Verdict {
            egress: Side::NotWorkload,
            ingress: Side::NotWorkload,
        }
    }
}

/// The `n`th of many distinct client connections to one server.
fn connection(n: u32) -> Tuple {
    let [_, x, y, z] = n.to_be_bytes();
    Tuple {
        src: IpAddr::V4(Ipv4Addr::new(10, x, y, z)),
        dst: IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)),
        protocol: Protocol::Tcp,
        src_port: 30000 + (n % 1000) as u16,
        dst_port: 443,
    }
}

/// A table of the default configuration holding `count` established connections.
fn filled(count: u32) -> (ConnTable, Vec<Tuple>) {
    let table = match ConnTable::new(Config::default()) {
        Ok(table) => table,
        Err(error) => unreachable!("the default config is valid: {error}"),
    };
    let tuples: Vec<Tuple> = (0..count).map(connection).collect();
    for tuple in &tuples {
        table.packet(&AllowAll, tuple, Timestamp::ZERO);
        table.packet(&AllowAll, &tuple.reversed(), Timestamp::ZERO);
    }
    (table, tuples)
}

fn benches(c: &mut Criterion) {
    println!(
        "conntrack: at most {} bytes per entry, {} MiB at the default capacity of {} entries",
        ConnTable::bytes_per_entry(),
        ConnTable::bytes_per_entry() * Config::default().capacity / (1 << 20),
        Config::default().capacity,
    );
    let mut group = c.benchmark_group("conntrack");
    group.throughput(Throughput::Elements(1));

    // Few connections: the table stays in cache, so this is the cost of the code itself.
    let (hot_table, hot_tuples) = filled(1_000);
    let mut next = 0;
    group.bench_function("hit_1k_connections", |b| {
        b.iter(|| {
            next = (next + 1) % hot_tuples.len();
            black_box(hot_table.packet(&AllowAll, &hot_tuples[next], Timestamp::ZERO))
        })
    });

    // Many connections visited in turn: every hit misses the caches, as in a busy agent.
    let (table, tuples) = filled(100_000);
    group.bench_function("hit_100k_connections", |b| {
        b.iter(|| {
            next = (next + 1) % tuples.len();
            black_box(table.packet(&AllowAll, &tuples[next], Timestamp::ZERO))
        })
    });

    // Past 64Ki entries every insert also evicts: the steady state of a full table.
    let small = match ConnTable::new(Config {
        capacity: 1 << 16,
        ..Config::default()
    }) {
        Ok(table) => table,
        Err(error) => unreachable!("the config is valid: {error}"),
    };
    let mut fresh = 0u32;
    group.bench_function("insert", |b| {
        b.iter(|| {
            fresh = fresh.wrapping_add(1);
            black_box(small.packet(&AllowAll, &connection(fresh), Timestamp::ZERO))
        })
    });

    group.bench_function("hit_2_threads", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            thread::scope(|scope| {
                // Each thread walks its own half of the connections in the order the
                // single-threaded `hit_100k_connections` walks them all, so the two compare.
                for half in 0..2usize {
                    let (table, tuples) = (&table, &tuples);
                    scope.spawn(move || {
                        let offset = half * tuples.len() / 2;
                        for i in 0..(iters as usize).div_ceil(2) {
                            let tuple = &tuples[(offset + i) % tuples.len()];
                            black_box(table.packet(&AllowAll, tuple, Timestamp::ZERO));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group! {
    name = conntrack;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(conntrack);
