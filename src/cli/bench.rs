//! `tagwall bench`: compile time, structure memory and lookup speed of the `compiled` and
//! `linear` engines on one cluster, side by side.
//!
//! Single-lookup latency is measured over groups of consecutive calls (one clock read per
//! group, so the timer's own cost does not swamp a ~50 ns call); median and p99 are over the
//! per-call time of each group. `linear` runs on the first tuples of the mix, for at most about
//! five seconds: it is slow. Both engines' verdicts on those are compared, and a disagreement
//! is an error.

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::percentiles::median_p99;
use super::{CliError, InputArgs, ModeArg, OutputKind, engines, output};
use crate::compile::traffic::TrafficMix;
use crate::compile::{Builder, Config, Decision, Memory};
use crate::firewall::FirewallConfig;
use crate::lookup::Verdict;
use crate::reference::linear;
use crate::translate::{Mode, translate};
use crate::tuple::Tuple;

/// Consecutive compiled lookups timed together.
const GROUP: usize = 64;

/// Roughly how long the linear engine may run.
const LINEAR_BUDGET: Duration = Duration::from_secs(5);

/// Arguments of `tagwall bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// How NetworkPolicies are translated.
    #[arg(long, value_enum, default_value = "kubernetes")]
    mode: ModeArg,
    /// Tuples in the traffic mix (the compiled engine looks up each).
    #[arg(long, default_value_t = 200_000)]
    tuples: usize,
    /// Tuples the linear engine looks up at most (the first ones of the mix); it also stops
    /// after about 5 seconds.
    #[arg(long, default_value_t = 2_000)]
    linear_tuples: usize,
    /// Seed of the traffic mix.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value = "table")]
    output: OutputKind,
    /// Also replay the mix as flows with replies through a connection table.
    #[arg(long)]
    conntrack: bool,
}

/// Lookup latency of one engine.
#[derive(Debug, Serialize)]
struct Latency {
    median_ns: f64,
    p99_ns: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_ns: Option<f64>,
    lookups_per_second: f64,
    tuples: usize,
}

#[derive(Debug, Serialize)]
struct Engines {
    compiled: Latency,
    linear: Latency,
}

/// Everything `bench` reports; the top-level keys are read by outside tooling.
#[derive(Debug, Serialize)]
struct Report {
    mode: String,
    load_ms: f64,
    translate_ms: f64,
    compile_ms: f64,
    relabel_ms: Option<f64>,
    structure_bytes: usize,
    /// `structure_bytes`, part by part.
    memory: Memory,
    rules: usize,
    workloads: usize,
    identities: usize,
    prefixes: usize,
    /// Parts of the structure built in their bounded fallback form (see
    /// `Decision::degraded_count`).
    degraded: usize,
    allowed_share: f64,
    speedup: f64,
    engines: Engines,
    #[serde(skip_serializing_if = "Option::is_none")]
    conntrack: Option<super::flows::FlowReport>,
}

/// Runs `tagwall bench`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let started = Instant::now();
    let cluster = engines::load(&args.input)?;
    let load_ms = millis(started.elapsed());

    let mode: Mode = args.mode.into();
    let started = Instant::now();
    let config = translate(&cluster, mode).config;
    let translate_ms = millis(started.elapsed());

    let started = Instant::now();
    let decision = Builder::new(Config::default()).build(&config)?;
    let compile_ms = millis(started.elapsed());
    let relabel_ms = relabel_time(&decision, &config)?;

    let tuples = TrafficMix::new(&config).tuples(args.tuples.max(1), args.seed);
    let linear_count = args.linear_tuples.clamp(1, tuples.len());
    let (linear_tuples, _) = tuples.split_at(linear_count);
    let (linear, oracle) = linear_latency(&config, linear_tuples);
    for (tuple, expected) in linear_tuples.iter().zip(&oracle) {
        let verdict = decision.lookup(tuple);
        if verdict != *expected {
            return Err(CliError(format!(
                "compiled and linear disagree on {tuple:?}: {verdict:?} vs {expected:?}"
            )));
        }
    }
    let allowed = tuples
        .iter()
        .filter(|t| decision.lookup(t).allowed())
        .count();
    let compiled = compiled_latency(&decision, &tuples);
    let report = Report {
        mode: mode.to_string(),
        load_ms,
        translate_ms,
        compile_ms,
        relabel_ms,
        structure_bytes: decision.structure_bytes(),
        memory: decision.memory(),
        rules: decision.rule_count(),
        workloads: decision.workload_count(),
        identities: decision.identity_count(),
        prefixes: decision.prefix_count(),
        degraded: decision.degraded_count(),
        allowed_share: allowed as f64 / tuples.len() as f64,
        speedup: linear.median_ns / compiled.median_ns.max(f64::MIN_POSITIVE),
        engines: Engines { compiled, linear },
        conntrack: if args.conntrack {
            Some(super::flows::bench(&decision, &tuples)?)
        } else {
            None
        },
    };
    match args.output {
        OutputKind::Json => output::println(&serde_json::to_string_pretty(&report)?)?,
        OutputKind::Table => output::print(&table(&report))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Time to derive a decision where one workload got another workload's tags (a relabel),
/// with [`Decision::update`]: the path an agent takes on a pod event.
fn relabel_time(decision: &Decision, config: &FirewallConfig) -> Result<Option<f64>, CliError> {
    let (Some(first), Some(last)) = (config.workloads.first(), config.workloads.last()) else {
        return Ok(None);
    };
    let mut relabelled = last.clone();
    relabelled.tags = first.tags.clone();
    let started = Instant::now();
    let updated = decision.update(std::slice::from_ref(&relabelled), &[])?;
    let elapsed = started.elapsed();
    black_box(updated);
    Ok(Some(millis(elapsed)))
}

fn compiled_latency(decision: &Decision, tuples: &[Tuple]) -> Latency {
    // Warm the caches the way a running agent's are.
    for tuple in tuples {
        black_box(decision.lookup(black_box(tuple)));
    }
    let mut per_call: Vec<f64> = tuples
        .chunks(GROUP)
        .map(|group| {
            let started = Instant::now();
            for tuple in group {
                black_box(decision.lookup(black_box(tuple)));
            }
            nanos(started.elapsed()) / group.len() as f64
        })
        .collect();
    let mut verdicts = vec![Verdict::default(); tuples.len()];
    let started = Instant::now();
    decision.lookup_batch(tuples, &mut verdicts);
    let batch_ns = nanos(started.elapsed()) / tuples.len() as f64;
    black_box(&verdicts);
    let (median_ns, p99_ns) = median_p99(&mut per_call);
    Latency {
        median_ns,
        p99_ns,
        batch_ns: Some(batch_ns),
        lookups_per_second: 1e9 / batch_ns.max(f64::MIN_POSITIVE),
        tuples: tuples.len(),
    }
}

/// The linear engine's latency over (a prefix of) `tuples`, and its verdicts for that prefix.
fn linear_latency(config: &FirewallConfig, tuples: &[Tuple]) -> (Latency, Vec<Verdict>) {
    let budget = Instant::now();
    let mut per_call = Vec::new();
    let mut verdicts = Vec::new();
    for tuple in tuples {
        if budget.elapsed() > LINEAR_BUDGET {
            break;
        }
        let started = Instant::now();
        let verdict = linear::evaluate(config, black_box(tuple));
        per_call.push(nanos(started.elapsed()));
        verdicts.push(verdict);
    }
    let (median_ns, p99_ns) = median_p99(&mut per_call);
    let mean = per_call.iter().sum::<f64>() / per_call.len().max(1) as f64;
    let latency = Latency {
        median_ns,
        p99_ns,
        batch_ns: None,
        lookups_per_second: 1e9 / mean.max(f64::MIN_POSITIVE),
        tuples: verdicts.len(),
    };
    (latency, verdicts)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn nanos(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e9
}

/// The report as lines for people.
fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "mode            {}", report.mode);
    let _ = writeln!(out, "rules           {}", report.rules);
    let _ = writeln!(out, "workloads       {}", report.workloads);
    let _ = writeln!(out, "identities      {}", report.identities);
    let _ = writeln!(out, "prefixes        {}", report.prefixes);
    let _ = writeln!(out, "load            {:.1} ms", report.load_ms);
    let _ = writeln!(out, "translate       {:.1} ms", report.translate_ms);
    let _ = writeln!(out, "compile         {:.1} ms", report.compile_ms);
    if let Some(relabel) = report.relabel_ms {
        let _ = writeln!(out, "relabel         {relabel:.3} ms");
    }
    let _ = writeln!(
        out,
        "structure       {} bytes ({:.1} MiB)",
        report.structure_bytes,
        report.structure_bytes as f64 / (1024.0 * 1024.0)
    );
    let _ = writeln!(
        out,
        "degraded parts  {} (built in their bounded fallback form)",
        report.degraded
    );
    let _ = writeln!(
        out,
        "allowed         {:.1}% of the mix",
        report.allowed_share * 100.0
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "engine      tuples   median ns    p99 ns   batch ns/tuple   lookups/s"
    );
    for (name, latency) in [
        ("compiled", &report.engines.compiled),
        ("linear", &report.engines.linear),
    ] {
        let batch = latency
            .batch_ns
            .map_or_else(|| "-".to_string(), |b| format!("{b:.1}"));
        let _ = writeln!(
            out,
            "{name:<10} {:>7} {:>11.1} {:>9.1} {:>16} {:>11.0}",
            latency.tuples, latency.median_ns, latency.p99_ns, batch, latency.lookups_per_second
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "compiled is {:.0}x faster than linear (median)",
        report.speedup
    );
    if let Some(flows) = &report.conntrack {
        out.push_str(&super::flows::report_lines(flows));
    }
    out
}
