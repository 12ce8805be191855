//! `tagwall gen`.

use std::process::ExitCode;

use super::CliError;

/// Arguments of `tagwall gen`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tagwall gen`.
pub fn run(_args: Args) -> Result<ExitCode, CliError> {
    Err(CliError("`gen` is not built yet".to_string()))
}
