//! A fixed workload for profiling the compiled engine (`valgrind --tool=callgrind` with
//! `--toggle-collect`): loads a cluster file, builds, then runs `update` (a relabel, as
//! `tagwall bench` does) and lookups over the seeded traffic mix, printing the fastest relabel.
//!
//! `cargo run --release --example profile_driver -- cluster.json [tuples] [relabels]`

use std::hint::black_box;
use std::time::Instant;

use tagwall::compile::traffic::TrafficMix;
use tagwall::compile::{Builder, Config};
use tagwall::lookup::Verdict;
use tagwall::translate::{Mode, translate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or("usage: profile_driver cluster.json [tuples] [relabels]")?;
    let tuples: usize = args.next().map_or(Ok(20_000), |a| a.parse())?;
    let relabels: usize = args.next().map_or(Ok(20), |a| a.parse())?;
    let loaded = tagwall::k8s::load_files(&[file.into()], tagwall::k8s::LoadOptions::default())?;
    let config = translate(&loaded.cluster, Mode::Kubernetes).config;
    let decision = Builder::new(Config::default()).build(&config)?;

    let (Some(first), Some(last)) = (config.workloads.first(), config.workloads.last()) else {
        return Err("no workloads".into());
    };
    let mut relabelled = last.clone();
    relabelled.tags = first.tags.clone();
    let mut fastest = f64::MAX;
    for _ in 0..relabels {
        let started = Instant::now();
        let updated = decision.update(std::slice::from_ref(&relabelled), &[])?;
        fastest = fastest.min(started.elapsed().as_secs_f64() * 1e6);
        black_box(updated);
    }
    println!("relabel update: fastest {fastest:.1} us over {relabels}");

    let mix = TrafficMix::new(&config).tuples(tuples, 1);
    let mut verdicts = vec![Verdict::default(); mix.len()];
    for tuple in &mix {
        black_box(decision.lookup(black_box(tuple)));
    }
    decision.lookup_batch(&mix, &mut verdicts);
    black_box(&verdicts);
    println!("structure bytes: {}", decision.structure_bytes());
    Ok(())
}
