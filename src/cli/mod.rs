//! The `tagwall` command line: one module per subcommand; `main.rs` only calls [`run`].

mod bench;
mod check;
pub mod endpoints;
mod engines;
mod flows;
mod generate;
mod matrix;
mod replay;
mod translate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Kubernetes NetworkPolicy as Contrail firewall objects, compiled for fast lookup.
#[derive(Debug, Parser)]
#[command(name = "tagwall", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the allow/deny truth table for every ordered pair of pods.
    Matrix(matrix::Args),
    /// Decide one connection and say why (exit 0 allowed, 1 denied, 2 error).
    Check(check::Args),
    /// Translate NetworkPolicies into Contrail firewall objects.
    Translate(translate::Args),
    /// Write a synthetic cluster (a kubectl-style List) for scale runs.
    Gen(generate::Args),
    /// Measure compile time, memory and lookup speed on a cluster.
    Bench(bench::Args),
    /// Apply a watch-event stream to a cluster and report each kind of event's latency.
    Replay(replay::Args),
}

/// Options every command that reads a cluster takes.
#[derive(Debug, clap::Args)]
struct InputArgs {
    /// A YAML or JSON file (single document, multi-document, or `kind: List`); repeatable.
    #[arg(short = 'f', long = "filename", required = true)]
    files: Vec<PathBuf>,
    /// Skip invalid objects with one warning each instead of failing.
    #[arg(long)]
    lenient: bool,
}

/// Which engine answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EngineKind {
    /// The Kubernetes semantics, evaluated literally from the API reference.
    Reference,
    /// The translated firewall, evaluated by a first-match scan over the ordered rules.
    Linear,
    /// The translated firewall, compiled into the lookup structure.
    Compiled,
}

/// How NetworkPolicies are translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// Kubernetes-correct where CN2 is not.
    Kubernetes,
    /// CN2 exactly, faults included.
    Cn2,
}

impl From<ModeArg> for crate::translate::Mode {
    fn from(mode: ModeArg) -> crate::translate::Mode {
        match mode {
            ModeArg::Kubernetes => crate::translate::Mode::Kubernetes,
            ModeArg::Cn2 => crate::translate::Mode::Cn2,
        }
    }
}

/// Output format of `matrix` and `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum OutputKind {
    /// For people.
    Table,
    /// For tools.
    Json,
}

/// A command's failure: printed to stderr as one line, exit code 2.
#[derive(Debug)]
struct CliError(String);

impl<E: std::error::Error> From<E> for CliError {
    fn from(error: E) -> CliError {
        CliError(error.to_string())
    }
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with success; usage errors exit 2.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Matrix(args) => matrix::run(args),
        Command::Check(args) => check::run(args),
        Command::Translate(args) => translate::run(args),
        Command::Gen(args) => generate::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Replay(args) => replay::run(args),
    };
    match result {
        Ok(code) => code,
        Err(CliError(message)) => {
            eprintln!("tagwall: error: {message}");
            ExitCode::from(2)
        }
    }
}
