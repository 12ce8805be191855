//! The `tagwall` command line: one module per subcommand; `main.rs` only calls [`run`].

mod all_ports;
mod bench;
mod check;
mod engines;
mod flows;
mod generate;
mod matrix;
mod output;
mod percentiles;
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
    /// NetworkPolicy's local-node rule: traffic from a pod's own node (its Node's addresses,
    /// its `status.hostIPs`) reaches it whatever policy isolates it.
    #[arg(long, value_enum, default_value_t = LocalNodeArg::On)]
    local_node_rule: LocalNodeArg,
}

/// `--local-node-rule`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LocalNodeArg {
    /// As the API reference states it (the default).
    On,
    /// The node is an address like any other, as some CNIs can be configured.
    Off,
}

impl From<LocalNodeArg> for crate::model::LocalNodeRule {
    fn from(arg: LocalNodeArg) -> crate::model::LocalNodeRule {
        match arg {
            LocalNodeArg::On => crate::model::LocalNodeRule::On,
            LocalNodeArg::Off => crate::model::LocalNodeRule::Off,
        }
    }
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
        // clap prints help and version to stdout with success; usage errors exit 2.
        Err(error) if error.use_stderr() => {
            let (first, hint) = usage_error(&error);
            output::error(&first);
            if !hint.is_empty() {
                let _ = std::io::Write::write_all(&mut std::io::stderr(), hint.as_bytes());
            }
            return ExitCode::from(2);
        }
        Err(help) => {
            // Help or version: quiet on a closed pipe like any other output.
            let _ = output::print(&help.render().to_string());
            return ExitCode::SUCCESS;
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
            output::error(&message);
            ExitCode::from(2)
        }
    }
}

/// A usage error as every other error reads: one line (clap's message, its continuation lines
/// joined, quotes as backticks), then the hint clap adds (usage, `--help`), unchanged.
fn usage_error(error: &clap::Error) -> (String, String) {
    let rendered = error.render().to_string();
    // `tagwall` alone: clap's answer is the help text, which becomes the hint.
    if error.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let hint = format!("{}\n", rendered.trim_end());
        return ("a command is required".to_string(), hint);
    }
    let rendered = rendered.strip_prefix("error: ").unwrap_or(&rendered);
    let (message, hint) = rendered.split_once("\n\n").unwrap_or((rendered, ""));
    // Continuation lines name arguments (`  --filename <FILES>`): those go in backticks.
    let first: Vec<String> = message
        .lines()
        .enumerate()
        .map(|(i, line)| match line.trim() {
            arg if i > 0 && arg.starts_with('-') => format!("`{arg}`"),
            other => other.to_string(),
        })
        .collect();
    let hint = hint.trim_end();
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!("{hint}\n")
    };
    (first.join(" ").replace('\'', "`"), hint)
}

/// `--port`: a port number, 1-65535 (0 is no port a connection can be opened to).
fn port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(format!("`{text}` is not a port: ports are 1-65535")),
    }
}
