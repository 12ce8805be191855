//! `tagwall gen`: write a synthetic cluster (see [`crate::synth`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::{CliError, output};
use crate::synth::{Format, Shape, SynthParams, events, generate};

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
    /// The kind of cluster: a realistic one, or a hostile shape that multiplies one input
    /// dimension by another in a naive compiled structure.
    #[arg(long, value_enum, default_value_t = ShapeArg::Friendly)]
    shape: ShapeArg,
    /// Also write this many ClusterNetworkPolicies (Admin tier, one in five Baseline) over the
    /// realistic cluster's namespace and pod labels: whole teams as subjects, a third of the
    /// rules `Pass`.
    #[arg(long, default_value_t = 0)]
    cluster_policies: usize,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = OutputFormat::Json)]
    output: OutputFormat,
    /// Write this many watch events instead of the cluster: changes to the cluster the same
    /// arguments write (pod creations and deletions dominate, then relabels, policy edits,
    /// namespace relabels), one JSON event per line (whatever `--output` says), for
    /// `tagwall replay --events`.
    #[arg(long, value_name = "COUNT")]
    events: Option<usize>,
    /// Write to this file instead of standard output. (`-o` is `--output`, the format, in
    /// every command, as in kubectl.)
    #[arg(long = "output-file")]
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

/// `--shape`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ShapeArg {
    /// A realistic multi-team cluster.
    Friendly,
    /// Every pod its own identity; policies select and admit 20 pods by `id In [...]`.
    UniqueIdentities,
    /// Nested, repeated ipBlocks with excepts over 50 label groups.
    Prefixes,
    /// One server; policy `i` admits TCP ports `[1 + i, 65535]`.
    PortRanges,
}

impl From<ShapeArg> for Shape {
    fn from(shape: ShapeArg) -> Shape {
        match shape {
            ShapeArg::Friendly => Shape::Friendly,
            ShapeArg::UniqueIdentities => Shape::UniqueIdentities,
            ShapeArg::Prefixes => Shape::Prefixes,
            ShapeArg::PortRanges => Shape::PortRanges,
        }
    }
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
        shape: args.shape.into(),
        cluster_policies: args.cluster_policies,
    };
    let text = match args.events {
        // The event mix changes the realistic cluster's apps, labels and policies; a hostile
        // shape has none of those to change.
        Some(_) if params.shape != Shape::Friendly || params.cluster_policies > 0 => {
            return Err(CliError(
                "`--events` writes changes to the friendly cluster; leave out `--shape` and \
                 `--cluster-policies`"
                    .to_string(),
            ));
        }
        Some(count) => events(&params, count),
        None => generate(&params),
    };
    match &args.file {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| CliError(format!("cannot write `{}`: {e}", path.display())))?,
        None => output::print(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
