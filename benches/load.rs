//! Load speed on kubectl-shaped dumps of 10,000 pods, JSON and YAML, in bytes per second.
//!
//! Short by default (10 samples, 5 s): `cargo bench --bench load -- --quick` for a glance.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tagwall::k8s::{LoadOptions, Loader};
use tagwall::synth::{Format, kubectl_dump};

const PODS: usize = 10_000;

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_10k_pods");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.warm_up_time(Duration::from_secs(1));
    for (name, format) in [("json", Format::Json), ("yaml", Format::Yaml)] {
        let dump = kubectl_dump(PODS, 1, format);
        group.throughput(Throughput::Bytes(dump.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut loader = Loader::new(LoadOptions::default());
                let added = loader.add_bytes("dump", black_box(dump.as_bytes()));
                black_box(
                    added
                        .and_then(|()| loader.finish())
                        .map(|l| l.cluster.pods.len()),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
