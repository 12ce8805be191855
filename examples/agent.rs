//! A small agent loop: the initial cluster, then a watch-event stream applied on the main
//! thread while worker threads pass packets through a connection table in front of the engine;
//! counters at the end.
//!
//! ```sh
//! cargo run --release --example agent -- examples/test-network-policy.yaml examples/test-network-policy.events.json
//! # at scale:
//! tagwall gen --namespaces 100 --pods 50000 --policies 10000 --seed 1 --output-file initial.json
//! tagwall gen --namespaces 100 --pods 50000 --policies 10000 --seed 1 --events 500 --output-file events.json
//! cargo run --release --example agent -- initial.json events.json
//! ```
//!
//! A real agent reads events from its watch connection instead of a file, and packets from its
//! datapath; the calls are the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use tagwall::compile::Builder;
use tagwall::compile::traffic::TrafficMix;
use tagwall::conntrack::{self, ConnTable, Outcome, Timestamp};
use tagwall::k8s::{LoadOptions, load_files};
use tagwall::translate::{Mode, translate};
use tagwall::watch::{ClusterState, events};

/// Packet-passing threads.
const WORKERS: usize = 2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(initial), Some(stream)) = (args.next(), args.next()) else {
        return Err("usage: agent INITIAL.yaml|json EVENTS.json".into());
    };
    let cluster = load_files(&[initial.into()], LoadOptions::default())?.cluster;
    // The traffic: the seeded mix over the initial cluster's workloads and address groups.
    let tuples = TrafficMix::new(&translate(&cluster, Mode::Kubernetes).config).tuples(50_000, 1);
    let mut state = ClusterState::new(
        cluster,
        Mode::Kubernetes,
        Builder::default(),
        LoadOptions::default(),
    )?;
    let reader = state.reader();
    let table = Arc::new(ConnTable::new(conntrack::Config::default())?);
    let started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let (allowed, denied, reevaluated) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );

    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (engine, table, tuples, done) = (
                reader.engine().clone(),
                table.clone(),
                tuples.clone(),
                done.clone(),
            );
            let (allowed, denied, reevaluated) =
                (allowed.clone(), denied.clone(), reevaluated.clone());
            std::thread::spawn(move || {
                // Each worker starts at its own place in the mix and goes round until the
                // events are done (and at least once).
                let mut rounds = 0;
                while rounds == 0 || !done.load(Ordering::Relaxed) {
                    for tuple in tuples
                        .iter()
                        .skip(worker * 1000)
                        .chain(tuples.iter().take(worker * 1000))
                    {
                        let now = Timestamp::from_nanos(started.elapsed().as_nanos() as u64);
                        let packet = table.packet(&*engine, tuple, now);
                        let counter = if packet.allowed { &allowed } else { &denied };
                        counter.fetch_add(1, Ordering::Relaxed);
                        if packet.outcome == Outcome::Reevaluated {
                            reevaluated.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    rounds += 1;
                }
            })
        })
        .collect();

    let bytes = std::fs::read(&stream)?;
    let (mut applied, mut unchanged, mut skipped) = (0u64, 0u64, 0u64);
    for event in events(&stream, &bytes) {
        match event.and_then(|event| state.apply(&event)) {
            Ok(outcome) if outcome.generation.is_some() => applied += 1,
            Ok(_) => unchanged += 1,
            Err(error) => {
                eprintln!("agent: skipped: {error}");
                skipped += 1;
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().map_err(|_| "a worker panicked")?;
    }

    let decision = reader.snapshot().decision;
    let counters = table.counters();
    println!(
        "events: {applied} published a decision, {unchanged} changed nothing, {skipped} skipped; generation {}",
        decision.generation()
    );
    println!(
        "decision: {} workloads, {} identities, {} rules, {:.1} MB",
        decision.workload_count(),
        decision.identity_count(),
        decision.rule_count(),
        decision.structure_bytes() as f64 / 1e6
    );
    println!(
        "packets: {} allowed, {} denied, {} connections decided again after a change",
        allowed.load(Ordering::Relaxed),
        denied.load(Ordering::Relaxed),
        reevaluated.load(Ordering::Relaxed)
    );
    println!(
        "connection table: {} entries, {} hits, {} misses, {} re-evaluations, {} revocations, {} evictions",
        table.len(),
        counters.hits,
        counters.misses,
        counters.reevaluations,
        counters.revocations,
        counters.evictions
    );
    println!("{:.1} ms in all", started.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
