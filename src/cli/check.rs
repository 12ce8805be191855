//! `tagwall check`.

use std::process::ExitCode;

use super::CliError;

/// Arguments of `tagwall check`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tagwall check`.
pub fn run(_args: Args) -> Result<ExitCode, CliError> {
    Err(CliError("`check` is not built yet".to_string()))
}
