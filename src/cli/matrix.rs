//! `tagwall matrix`: the truth table for every ordered pair of pods, like the upstream e2e
//! netpol tests print.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::engines::{self, EngineArgs, Traffic, TrafficArgs};
use super::{CliError, InputArgs, OutputKind, output};
use crate::model::{Cluster, Pod};

/// Arguments of `tagwall matrix`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    #[command(flatten)]
    traffic: TrafficArgs,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputKind::Table)]
    output: OutputKind,
    #[command(flatten)]
    engine: EngineArgs,
    /// Every protocol and port at once: per pod pair, the port ranges allowed (from the
    /// compiled engine).
    #[arg(long, conflicts_with_all = ["protocol", "port"])]
    all_ports: bool,
}

/// Runs `tagwall matrix`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.all_ports {
        return super::all_ports::run(&args.input, &args.engine, args.output);
    }
    let traffic = args.traffic.traffic()?;
    let cluster = engines::load(&args.input)?;
    let engine = engines::engine(args.engine.engine, args.engine.mode, &cluster)?;
    let pods = pods(&cluster);

    // One batch of tuples, one per pair with a common IP family; pods sharing none cannot
    // connect at all: not allowed. Only verdicts are needed, not their reasons.
    let mut tuples = Vec::with_capacity(pods.len() * pods.len());
    let mut cells = Vec::with_capacity(pods.len() * pods.len());
    for src in &pods {
        for dst in &pods {
            let pair = src.pair_addresses(dst);
            if let Some((src_ip, dst_ip)) = pair {
                tuples.push(traffic.tuple(src_ip, dst_ip));
            }
            cells.push(pair.is_some());
        }
    }
    let mut verdicts = engine.allowed_batch(&tuples).into_iter();
    let allowed: Vec<Vec<bool>> = cells
        .chunks(pods.len().max(1))
        .map(|row| {
            row.iter()
                .map(|&paired| paired && verdicts.next().unwrap_or(false))
                .collect()
        })
        .collect();
    let labels: Vec<String> = pods.iter().map(|pod| pod.key()).collect();
    let text = match args.output {
        OutputKind::Json => json(&labels, traffic, &allowed)?,
        OutputKind::Table => table(&labels, traffic, &allowed),
    };
    output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The pods of a matrix, sorted by namespace, then name; pods without an IP are left out with a
/// warning.
pub(super) fn pods(cluster: &Cluster) -> Vec<&Pod> {
    let (mut pods, without_ip): (Vec<&Pod>, Vec<&Pod>) =
        cluster.pods.iter().partition(|pod| !pod.ips.is_empty());
    if !without_ip.is_empty() {
        let names: Vec<String> = without_ip.iter().map(|pod| pod.key()).collect();
        output::warn(&format!(
            "left out {} pod(s) without an IP: {}",
            names.len(),
            names.join(", ")
        ));
    }
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    pods
}

/// `{"pods": [...], "protocol": "TCP", "port": 80, "allowed": [[...], ...]}` on one line, keys
/// in that order: conformance tooling outside this project reads exactly this shape.
fn json(pods: &[String], traffic: Traffic, allowed: &[Vec<bool>]) -> Result<String, CliError> {
    let pods: Vec<String> = pods
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    let rows: Vec<String> = allowed
        .iter()
        .map(|row| {
            let cells: Vec<&str> = row
                .iter()
                .map(|&cell| if cell { "true" } else { "false" })
                .collect();
            format!("[{}]", cells.join(", "))
        })
        .collect();
    Ok(format!(
        "{{\"pods\": [{}], \"protocol\": {}, \"port\": {}, \"allowed\": [{}]}}\n",
        pods.join(", "),
        serde_json::to_string(&traffic.protocol)?,
        traffic.port,
        rows.join(", ")
    ))
}

/// A grid for people: a legend line, then one row per source and one column per destination,
/// `.` allowed and `X` denied (the upstream e2e truth-table form).
fn table(pods: &[String], traffic: Traffic, allowed: &[Vec<bool>]) -> String {
    const CORNER: &str = "from\\to";
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{traffic}: rows are sources, columns destinations; . allowed, X denied"
    );
    let width = pods
        .iter()
        .map(String::len)
        .chain([CORNER.len()])
        .max()
        .unwrap_or(0);
    let mut header = format!("{CORNER:width$}");
    for pod in pods {
        let _ = write!(header, " {pod}");
    }
    let _ = writeln!(out, "{header}");
    for (src, row) in pods.iter().zip(allowed) {
        let mut line = format!("{src:width$}");
        for (dst, &cell) in pods.iter().zip(row) {
            let mark = if cell { "." } else { "X" };
            let _ = write!(line, " {mark:w$}", w = dst.len());
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Protocol;

    fn traffic() -> Traffic {
        Traffic::new(Protocol::Tcp, Some(80)).unwrap()
    }

    #[test]
    fn json_has_the_pinned_shape() {
        let pods = vec!["x/a".to_string(), "y/\"q\"".to_string()];
        let text = json(&pods, traffic(), &[vec![true, false], vec![false, true]]).unwrap();
        assert_eq!(
            text,
            "{\"pods\": [\"x/a\", \"y/\\\"q\\\"\"], \"protocol\": \"TCP\", \"port\": 80, \
             \"allowed\": [[true, false], [false, true]]}\n"
        );
    }

    #[test]
    fn table_aligns_marks_under_labels() {
        let pods = vec!["x/a".to_string(), "y/long".to_string()];
        let text = table(&pods, traffic(), &[vec![true, false], vec![false, true]]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "TCP port 80: rows are sources, columns destinations; . allowed, X denied",
                "from\\to x/a y/long",
                "x/a     .   X",
                "y/long  X   .",
            ]
        );
    }
}
