//! `tagwall gen`: write a synthetic cluster (see [`crate::synth`]).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::CliError;
use crate::synth::{Format, SynthParams, events, generate};

/// Arguments of `tagwall gen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of namespaces.
    #[arg(long, default_value_t = 10)]
    namespaces: usize,
    /// Number of pods.
    #[arg(long, default_value_t = 200)]
    pods: usize,
    /// Number of network policies.
    #[arg(long, default_value_t = 30)]
    policies: usize,
    /// Seed: the same arguments write the same cluster.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
    output: OutputFormat,
    /// Write this many watch events instead of the cluster: changes to the cluster the same
    /// arguments write (pod creations and deletions dominate, then relabels, policy edits,
    /// namespace relabels), one JSON event per line (whatever `--output` says), for
    /// `tagwall replay --events`.
    #[arg(long, value_name = "COUNT")]
    events: Option<usize>,
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output-file")]
    file: Option<PathBuf>,
}

/// `--output`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// JSON, as `kubectl get -o json` prints.
    Json,
    /// YAML, as `kubectl get -o yaml` prints.
    Yaml,
}

/// Runs `tagwall gen`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let params = SynthParams {
        namespaces: args.namespaces,
        pods: args.pods,
        policies: args.policies,
        seed: args.seed,
        format: match args.output {
            OutputFormat::Json => Format::Json,
            OutputFormat::Yaml => Format::Yaml,
        },
    };
    let text = match args.events {
        Some(count) => events(&params, count),
        None => generate(&params),
    };
    match &args.file {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError(format!("cannot write `{}`: {e}", path.display())))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| CliError(format!("cannot write to standard output: {e}")))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
