//! Compile and lookup cost on the hostile input shapes of `tagwall gen --shape`, each at three
//! sizes, so that growth is visible: near-linear compile time and flat lookups are the claim.
//!
//! Short by default (sizes a tenth of the issue's, 10 samples); `TAGWALL_BENCH_FULL=1` runs the
//! full sizes (20k pods / 10k policies of unique identities, 32k prefix policies, 50k port
//! ranges). Inputs are translated in kubernetes mode; lookups cycle through the seeded
//! `TrafficMix`.

#![allow(
    clippy::expect_used,
    reason = "benchmark setup: a generated cluster that does not load or compile is a bug to stop on"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use tagwall::compile::traffic::TrafficMix;
use tagwall::compile::{Builder, Config};
use tagwall::firewall::FirewallConfig;
use tagwall::synth::{Shape, SynthParams, generate};
use tagwall::translate::{Mode, translate};

/// Tuples cycled through by the lookup benches (a power of two).
const MIX: usize = 1 << 14;

/// Each shape's three sizes: (name, shape, pods, policies).
fn sizes() -> Vec<(&'static str, Shape, usize, usize)> {
    let full = std::env::var_os("TAGWALL_BENCH_FULL").is_some();
    let scale = |n: usize| if full { n } else { n / 10 };
    let mut sizes = Vec::new();
    for (pods, policies) in [(2_000, 1_000), (8_000, 4_000), (20_000, 10_000)] {
        sizes.push((
            "unique-identities",
            Shape::UniqueIdentities,
            scale(pods),
            scale(policies),
        ));
    }
    for policies in [2_000, 8_000, 32_000] {
        sizes.push(("prefixes", Shape::Prefixes, scale(5_000), scale(policies)));
    }
    for policies in [1_000, 4_000, 50_000] {
        sizes.push(("port-ranges", Shape::PortRanges, 17, scale(policies)));
    }
    sizes
}

fn cluster(shape: Shape, pods: usize, policies: usize) -> FirewallConfig {
    let params = SynthParams {
        pods,
        policies,
        shape,
        ..SynthParams::default()
    };
    let loaded = tagwall::k8s::load_str("shape.json", &generate(&params)).expect("shapes load");
    translate(&loaded.cluster, Mode::Kubernetes).config
}

fn shapes(c: &mut Criterion) {
    let mut group = c.benchmark_group("shapes");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    let builder = Builder::new(Config::default());
    for (name, shape, pods, policies) in sizes() {
        let config = cluster(shape, pods, policies);
        let size = format!("{name}/{pods}x{policies}");
        group.bench_function(BenchmarkId::new("compile", &size), |b| {
            b.iter(|| builder.build(black_box(&config)))
        });
        let decision = builder.build(&config).expect("shapes compile");
        let tuples = TrafficMix::new(&config).tuples(MIX, 1);
        let mut next = 0;
        group.bench_function(BenchmarkId::new("lookup", &size), |b| {
            b.iter(|| {
                next = (next + 1) & (MIX - 1);
                decision.lookup(black_box(&tuples[next]))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, shapes);
criterion_main!(benches);
