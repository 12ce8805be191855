//! `tagwall bench`.

use std::process::ExitCode;

use super::CliError;

/// Arguments of `tagwall bench`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tagwall bench`.
pub fn run(_args: Args) -> Result<ExitCode, CliError> {
    Err(CliError("`bench` is not built yet".to_string()))
}
