//! `tagwall translate`: the Contrail objects for a cluster's NetworkPolicies.

use std::process::ExitCode;

use clap::ValueEnum;

use super::engines::load;
use super::{CliError, InputArgs, ModeArg, output};
use crate::firewall::vnc;
use crate::translate::translate;

/// Output format of `translate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TranslateOutput {
    /// The seed document's four tables.
    Table,
    /// tagwall's firewall model.
    Json,
    /// Objects as a Contrail config API client would post them.
    VncJson,
}

/// Arguments of `tagwall translate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Kubernetes-correct (default) or CN2 exactly.
    #[arg(long, value_enum, default_value_t = ModeArg::Kubernetes)]
    mode: ModeArg,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = TranslateOutput::Table)]
    output: TranslateOutput,
}

/// Runs `tagwall translate`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let loaded = load(&args.input)?;
    let translation = translate(&loaded, args.mode.into());
    for warning in &translation.warnings {
        output::warn(&warning.to_string());
    }
    match args.output {
        TranslateOutput::Table => output::print(&translation.config.tables())?,
        TranslateOutput::Json => {
            output::println(&serde_json::to_string_pretty(&translation.config)?)?;
        }
        TranslateOutput::VncJson => {
            let (objects, warnings) = vnc::export(&translation.config);
            for warning in &warnings {
                output::warn(&warning.to_string());
            }
            output::println(&serde_json::to_string_pretty(&objects)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
