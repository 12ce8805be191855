//! Load speed on a 10,000-pod kubectl dump, in wall-clock and CPU time: on a shared machine
//! the CPU-time figure is the one that says how fast the loader is.
//!
//! `cargo run --release --example load_speed [pods] [json|yaml]`

use std::time::Instant;

use tagwall::k8s::{LoadOptions, Loader};
use tagwall::synth::{Format, kubectl_dump};

/// This process's user + system CPU time in seconds (Linux `/proc/self/stat`, 100 ticks/s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let pods = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let format = match args.next().as_deref() {
        Some("yaml") => Format::Yaml,
        _ => Format::Json,
    };
    let dump = kubectl_dump(pods, 1, format);
    let rounds = if format == Format::Json { 10 } else { 2 };
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    for _ in 0..rounds {
        let mut loader = Loader::new(LoadOptions::default());
        let loaded = loader
            .add_bytes("dump", dump.as_bytes())
            .and_then(|()| loader.finish());
        if let Err(error) = loaded {
            eprintln!("{error}");
            std::process::exit(2);
        }
    }
    let megabytes = (dump.len() * rounds) as f64 / (1024.0 * 1024.0);
    let wall = wall.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    println!(
        "{format:?}: {:.1} MiB x {rounds}: {:.0} MiB/s wall, {:.0} MiB/s CPU",
        dump.len() as f64 / (1024.0 * 1024.0),
        megabytes / wall,
        megabytes / cpu.max(0.01)
    );
}
