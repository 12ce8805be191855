//! `tagwall replay`: apply a watch-event stream to a cluster as an agent would, and measure what
//! each kind of event costs.
//!
//! Each event's latency is the time [`ClusterState::apply`] takes: validation, the new
//! decision, and its publication. Skipped events (invalid, `ERROR`) are reported on stderr as
//! warnings and counted; they never stop the replay.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde::Serialize;

use super::percentiles::median_p99;
use super::{CliError, InputArgs, ModeArg, OutputKind, engines};
use crate::compile::traffic::TrafficMix;
use crate::compile::{Builder, Config};
use crate::firewall::FirewallConfig;
use crate::lookup::Side;
use crate::translate::{Mode, translate};
use crate::watch::{Change, ClusterState, Snapshot, events};

/// Tuples compared with a fresh build at each `--verify-every` point.
const VERIFY_TUPLES: usize = 20_000;

/// Arguments of `tagwall replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// The watch events: JSON as `kubectl get --watch --output-watch-events -o json` prints
    /// them (one per line, or pretty-printed and concatenated).
    #[arg(long, value_name = "FILE")]
    events: PathBuf,
    /// After every N applied events, compare the decision with a fresh translate and compile of
    /// the same cluster (verdicts and deciding rules on a traffic mix); a difference is an error.
    #[arg(long, value_name = "N")]
    verify_every: Option<usize>,
    /// Print a progress line (structure size included) every N events; 0 for none.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    progress_every: usize,
    /// How NetworkPolicies are translated.
    #[arg(long, value_enum, default_value = "kubernetes")]
    mode: ModeArg,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value = "table")]
    output: OutputKind,
}

/// Latency of one kind of event.
#[derive(Debug, Serialize)]
struct KindLatency {
    kind: String,
    events: usize,
    median_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// What `replay` reports.
#[derive(Debug, Serialize)]
struct Report {
    mode: String,
    initial_ms: f64,
    events: usize,
    applied: usize,
    unchanged: usize,
    skipped: usize,
    verified: usize,
    /// A fresh translate and compile of the final state, timed the same way: what each
    /// policy event would cost if it rebuilt everything.
    fresh_translate_ms: f64,
    fresh_compile_ms: f64,
    generation: u64,
    structure_bytes: usize,
    workloads: usize,
    identities: usize,
    rules: usize,
    latency: Vec<KindLatency>,
}

/// Runs `tagwall replay`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let cluster = engines::load(&args.input)?;
    let mode: Mode = args.mode.into();
    let started = Instant::now();
    let mut state = ClusterState::new(cluster, mode, Builder::default(), Default::default())?;
    let initial_ms = started.elapsed().as_secs_f64() * 1e3;
    let source = args.events.display().to_string();
    let bytes =
        std::fs::read(&args.events).map_err(|e| CliError(format!("{source}: cannot read: {e}")))?;

    let reader = state.reader();
    let mut samples: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let (mut total, mut applied, mut unchanged, mut skipped, mut verified) = (0, 0, 0, 0, 0);
    for event in events(&source, &bytes) {
        total += 1;
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                eprintln!("tagwall: warning: {error}; event skipped");
                skipped += 1;
                continue;
            }
        };
        let identities = reader.engine().snapshot().identity_count();
        let started = Instant::now();
        let outcome = state.apply(&event);
        let elapsed = started.elapsed().as_secs_f64() * 1e3;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                eprintln!("tagwall: warning: {error}; event skipped");
                skipped += 1;
                continue;
            }
        };
        let mut kind = match outcome.kind {
            Some(kind) => format!("{} {}", kind.as_str(), event.event_type),
            None => format!("other {}", event.event_type),
        };
        // Pod and namespace events that bring a security identity to life are apart: a new
        // identity's tables are built from the rules, the rest only copies inventory shards.
        if outcome.change != Change::Policies
            && reader.engine().snapshot().identity_count() > identities
        {
            kind.push_str(" (new identity)");
        }
        samples.entry(kind).or_default().push(elapsed);
        if outcome.generation.is_some() {
            applied += 1;
        } else {
            unchanged += 1;
        }
        if let Some(every) = args.verify_every.filter(|n| *n > 0)
            && outcome.generation.is_some()
            && applied % every == 0
        {
            verify(&state, &reader.snapshot(), mode, total)?;
            verified += 1;
        }
        if args.progress_every > 0 && total % args.progress_every == 0 {
            let decision = reader.snapshot().decision;
            eprintln!(
                "tagwall: {total} events: generation {}, {} workloads, {} identities, {:.1} MB",
                decision.generation(),
                decision.workload_count(),
                decision.identity_count(),
                decision.structure_bytes() as f64 / 1e6
            );
        }
    }

    let decision = reader.snapshot().decision;
    let started = Instant::now();
    let firewall = translate(&state.cluster(), mode).config;
    let fresh_translate_ms = started.elapsed().as_secs_f64() * 1e3;
    let started = Instant::now();
    drop(Builder::new(Config::default()).build(&firewall)?);
    let fresh_compile_ms = started.elapsed().as_secs_f64() * 1e3;
    let latency = samples
        .into_iter()
        .map(|(kind, mut ms)| {
            let (median_ms, p99_ms) = median_p99(&mut ms);
            KindLatency {
                kind,
                events: ms.len(),
                median_ms,
                p99_ms,
                max_ms: ms.last().copied().unwrap_or(0.0),
            }
        })
        .collect();
    let report = Report {
        mode: mode.to_string(),
        initial_ms,
        events: total,
        applied,
        unchanged,
        skipped,
        verified,
        fresh_translate_ms,
        fresh_compile_ms,
        generation: decision.generation(),
        structure_bytes: decision.structure_bytes(),
        workloads: decision.workload_count(),
        identities: decision.identity_count(),
        rules: decision.rule_count(),
        latency,
    };
    match args.output {
        OutputKind::Json => println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| CliError(e.to_string()))?
        ),
        OutputKind::Table => print_table(&report),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_table(report: &Report) {
    println!(
        "{} events: {} published a decision, {} changed nothing, {} skipped; {} verified against a fresh build",
        report.events, report.applied, report.unchanged, report.skipped, report.verified
    );
    println!(
        "initial build {:.1} ms; now generation {}, {} workloads, {} identities, {} rules, {:.1} MB",
        report.initial_ms,
        report.generation,
        report.workloads,
        report.identities,
        report.rules,
        report.structure_bytes as f64 / 1e6
    );
    println!(
        "a fresh build of the final state: translate {:.1} ms, compile {:.1} ms",
        report.fresh_translate_ms, report.fresh_compile_ms
    );
    let width = report
        .latency
        .iter()
        .map(|k| k.kind.len())
        .max()
        .unwrap_or(0)
        .max(4);
    println!(
        "{:width$}  {:>7}  {:>10}  {:>10}  {:>10}",
        "kind", "events", "median ms", "p99 ms", "max ms"
    );
    for k in &report.latency {
        println!(
            "{:width$}  {:>7}  {:>10.3}  {:>10.3}  {:>10.3}",
            k.kind, k.events, k.median_ms, k.p99_ms, k.max_ms
        );
    }
}

/// Compares `snapshot` with a fresh translate and compile of the state's cluster.
fn verify(
    state: &ClusterState,
    snapshot: &Snapshot,
    mode: Mode,
    event: usize,
) -> Result<(), CliError> {
    let firewall = translate(&state.cluster(), mode).config;
    let fresh = Builder::new(Config::default()).build(&firewall)?;
    let ours = |side: Side| match side {
        Side::Rule { rule, action } => format!("{action:?} {:?}", snapshot.rules.rule(rule)),
        other => format!("{other:?}"),
    };
    let theirs = |side: Side, firewall: &FirewallConfig| match side {
        Side::Rule { rule, action } => format!(
            "{action:?} {:?}",
            firewall
                .rule(rule)
                .map(|(p, r)| (r.name.as_str(), p.name.as_str()))
        ),
        other => format!("{other:?}"),
    };
    for tuple in TrafficMix::new(&firewall).tuples(VERIFY_TUPLES, event as u64) {
        let got = snapshot.lookup(&tuple);
        let want = fresh.lookup(&tuple);
        let got = (ours(got.egress), ours(got.ingress));
        let want = (
            theirs(want.egress, &firewall),
            theirs(want.ingress, &firewall),
        );
        if got != want {
            return Err(CliError(format!(
                "after event {event}, the decision differs from a fresh build on {tuple:?}: {got:?} vs {want:?}"
            )));
        }
    }
    Ok(())
}
