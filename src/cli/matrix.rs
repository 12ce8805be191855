//! `tagwall matrix`.

use std::process::ExitCode;

use super::CliError;

/// Arguments of `tagwall matrix`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tagwall matrix`.
pub fn run(_args: Args) -> Result<ExitCode, CliError> {
    Err(CliError("`matrix` is not built yet".to_string()))
}
