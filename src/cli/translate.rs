//! `tagwall translate`: the Contrail objects for a cluster's NetworkPolicies.

use std::process::ExitCode;

use clap::ValueEnum;

use super::engines::load;
use super::{CliError, InputArgs, ModeArg, output};
use crate::compile::{Builder, Config};
use crate::firewall::{FirewallConfig, vnc};
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
    /// With `--output vnc-json`: evaluate the objects as a vRouter agent does and compare with
    /// the compiled engine on every connection that can tell them apart; exit 1 on disagreement.
    #[arg(long)]
    verify: bool,
}

/// Runs `tagwall translate`.
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.verify && args.output != TranslateOutput::VncJson {
        return Err(CliError(
            "`--verify` checks `--output vnc-json` and needs it".to_string(),
        ));
    }
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
            let (objects, warnings) = vnc::export_objects(&translation.config);
            for warning in &warnings {
                output::warn(&warning.to_string());
            }
            if args.verify && !verified(&translation.config, &objects)? {
                return Ok(ExitCode::from(1));
            }
            output::println(&serde_json::to_string_pretty(&objects)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the objects decide every probe as the compiled engine does; says so on stderr.
fn verified(config: &FirewallConfig, objects: &vnc::VncObjects) -> Result<bool, CliError> {
    let decision = Builder::new(Config::default()).build(config)?;
    let report = vnc::verify::verify(config, objects, |t| decision.lookup(t).allowed())?;
    let Some(first) = report.disagreements.first() else {
        eprintln!(
            "tagwall: vnc-json verified: {} connections decided as tagwall decides them",
            report.tried
        );
        return Ok(true);
    };
    // Show a widening disagreement first: it is the one that matters.
    let first = report.widening().next().unwrap_or(first);
    let t = &first.tuple;
    eprintln!(
        "tagwall: error: vnc-json disagrees with tagwall on {} of {} connections ({} where it allows what tagwall denies); first: {} -> {} {} port {}: tagwall {}, vnc-json {} (egress {:?}, ingress {:?})",
        report.disagreements.len(),
        report.widening().count(),
        report.tried,
        t.src,
        t.dst,
        t.protocol,
        t.dst_port,
        if first.tagwall { "allows" } else { "denies" },
        if first.vnc.allowed() {
            "allows"
        } else {
            "denies"
        },
        first.vnc.egress,
        first.vnc.ingress,
    );
    Ok(false)
}
