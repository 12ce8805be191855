//! Lookup speed: compiled single and batched lookups, linear for comparison, and how lookup
//! time grows with the number of policies.
//!
//! Short by default (10 samples, 2 s each, 10k pods, 100 to 10k policies); set
//! `TAGWALL_BENCH_FULL=1` for the design card's scale (50k pods, 100 namespaces, up to 100k
//! policies). Inputs are `tagwall::synth` clusters translated in kubernetes mode, and the
//! seeded `TrafficMix`.

#![allow(
    clippy::expect_used,
    reason = "benchmark setup: a generated cluster that does not load or compile is a bug to stop on"
)]

use std::hint::black_box;
use std::time::Duration;

mod support;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use support::synthetic;

use tagwall::compile::traffic::TrafficMix;
use tagwall::compile::{Builder, Config};
use tagwall::lookup::Verdict;
use tagwall::reference::linear;

/// Tuples cycled through by the single-lookup benches (a power of two).
const MIX: usize = 1 << 14;
/// Tuples per batch.
const BATCH: usize = 4096;

fn full() -> bool {
    std::env::var_os("TAGWALL_BENCH_FULL").is_some()
}

fn lookup(c: &mut Criterion) {
    let (namespaces, pods, scale): (usize, usize, &[usize]) = if full() {
        (100, 50_000, &[100, 1_000, 10_000, 100_000])
    } else {
        (20, 10_000, &[100, 1_000, 10_000])
    };
    let mut group = c.benchmark_group("lookup");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for &policies in scale {
        let config = synthetic(namespaces, pods, policies);
        let decision = Builder::new(Config::default())
            .build(&config)
            .expect("synthetic clusters compile");
        let tuples = TrafficMix::new(&config).tuples(MIX, 1);

        group.throughput(Throughput::Elements(1));
        let mut next = 0;
        group.bench_function(BenchmarkId::new("compiled_single", policies), |b| {
            b.iter(|| {
                next = (next + 1) & (MIX - 1);
                decision.lookup(black_box(&tuples[next]))
            })
        });

        group.throughput(Throughput::Elements(BATCH as u64));
        let mut verdicts = vec![Verdict::default(); BATCH];
        let mut offset = 0;
        group.bench_function(BenchmarkId::new("compiled_batch", policies), |b| {
            b.iter(|| {
                offset = (offset + BATCH) & (MIX - 1);
                decision.lookup_batch(black_box(&tuples[offset..offset + BATCH]), &mut verdicts);
            })
        });

        // The scan is ~1000x slower: compare where it still fits in the time budget.
        if policies <= 1_000 {
            group.throughput(Throughput::Elements(1));
            let mut next = 0;
            group.bench_function(BenchmarkId::new("linear_single", policies), |b| {
                b.iter(|| {
                    next = (next + 1) & (MIX - 1);
                    linear::evaluate(&config, black_box(&tuples[next]))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
