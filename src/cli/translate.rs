//! `tagwall translate`.

use std::process::ExitCode;

use super::CliError;

/// Arguments of `tagwall translate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tagwall translate`.
pub fn run(_args: Args) -> Result<ExitCode, CliError> {
    Err(CliError("`translate` is not built yet".to_string()))
}
