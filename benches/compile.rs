//! Compile time, and the cost of following pod churn (a relabel, an added pod) without
//! recompiling the policies.
//!
//! Short by default (10 samples, 10k pods and 2k policies); `TAGWALL_BENCH_FULL=1` runs the
//! design card's scale (50k pods, 100 namespaces, 10k policies).

#![allow(
    clippy::expect_used,
    reason = "benchmark setup: a generated cluster that does not load or compile is a bug to stop on"
)]

use std::hint::black_box;
use std::time::Duration;

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use support::synthetic;

use tagwall::compile::{Builder, Config};

fn compile(c: &mut Criterion) {
    let config = if std::env::var_os("TAGWALL_BENCH_FULL").is_some() {
        synthetic(100, 50_000, 10_000)
    } else {
        synthetic(20, 10_000, 2_000)
    };
    let builder = Builder::new(Config::default());
    let decision = builder.build(&config).expect("synthetic clusters compile");
    let mut group = c.benchmark_group("compile");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    group.bench_function("build", |b| b.iter(|| builder.build(black_box(&config))));

    // A relabel: the last pod takes the first pod's labels (an identity that exists).
    let mut relabelled = config.workloads.clone();
    if let (Some(first), Some(last)) = (config.workloads.first(), relabelled.last_mut()) {
        last.tags = first.tags.clone();
    }
    group.bench_function("relabel", |b| {
        b.iter(|| decision.with_workloads(black_box(&relabelled)))
    });

    // An added pod: a copy of the first pod under a new name and address.
    let mut added = config.workloads.clone();
    if let Some(first) = config.workloads.first() {
        let mut pod = first.clone();
        pod.name.push_str("-added");
        pod.ips = vec!["10.255.255.254".parse().unwrap_or(pod.ips[0])];
        added.push(pod);
    }
    group.bench_function("add", |b| {
        b.iter(|| decision.with_workloads(black_box(&added)))
    });

    // The same two events through `update`, which copies only the inventory shards it touches.
    if let (Some(relabelled), Some(pod)) = (relabelled.last(), added.last()) {
        let relabelled = std::slice::from_ref(relabelled);
        group.bench_function("relabel_update", |b| {
            b.iter(|| decision.update(black_box(relabelled), &[]))
        });
        let pod = std::slice::from_ref(pod);
        group.bench_function("add_update", |b| {
            b.iter(|| decision.update(black_box(pod), &[]))
        });
    }
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
