//! `tagwall check`: decide one connection and say why. Exit 0 allowed, 1 denied, 2 error.

use std::process::ExitCode;

use serde_json::json;

use super::engines::{self, EngineArgs, TrafficArgs};
use super::{CliError, InputArgs, OutputKind, output};
use crate::model::{Endpoint, addresses};

/// Arguments of `tagwall check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// The source: NAMESPACE/POD or an IP address.
    #[arg(long)]
    from: String,
    /// The destination: NAMESPACE/POD or an IP address.
    #[arg(long)]
    to: String,
    #[command(flatten)]
    traffic: TrafficArgs,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputKind::Table)]
    output: OutputKind,
    #[command(flatten)]
    engine: EngineArgs,
}

/// Runs `tagwall check`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let traffic = args.traffic.traffic()?;
    let cluster = engines::load(&args.input)?;
    let engine = engines::engine(args.engine.engine, args.engine.mode, &cluster)?;
    let from = Endpoint::resolve(&args.from, &cluster)?;
    let to = Endpoint::resolve(&args.to, &cluster)?;
    let what = traffic.to_string();

    let Some((src, dst)) = addresses(from, to) else {
        // Two ends with no address family in common: no such connection can exist.
        let reason = format!(
            "{} and {} have no addresses of a common IP family",
            from.label(),
            to.label()
        );
        match args.output {
            OutputKind::Table => output::println(&format!(
                "denied: {} -> {} {what}\n{reason}",
                from.label(),
                to.label()
            ))?,
            OutputKind::Json => output::println(
                &json!({"allowed": false, "from": from.label(), "to": to.label(), "reason": reason})
                    .to_string(),
            )?,
        }
        return Ok(ExitCode::from(1));
    };

    let tuple = traffic.tuple(src, dst);
    let answer = engine.explain(&tuple);
    let verdict = if answer.allowed { "allowed" } else { "denied" };
    match args.output {
        OutputKind::Table => output::println(&format!(
            "{verdict}: {} ({src}) -> {} ({dst}) {what}\n{}",
            from.label(),
            to.label(),
            answer.explanation
        ))?,
        OutputKind::Json => output::println(
            &json!({
                "allowed": answer.allowed,
                "from": from.label(),
                "to": to.label(),
                "tuple": {
                    "src": src,
                    "dst": dst,
                    "protocol": tuple.protocol,
                    "src_port": tuple.src_port,
                    "dst_port": tuple.dst_port,
                },
                "explanation": answer.details,
            })
            .to_string(),
        )?,
    }
    Ok(ExitCode::from(if answer.allowed { 0 } else { 1 }))
}
