//! How a command gets an engine: `--engine` and `--mode` over a loaded cluster give something
//! that answers a [`Tuple`] with a verdict and a printable explanation.

use std::fmt;
use std::net::IpAddr;

use serde_json::Value;

use super::{CliError, EngineKind, InputArgs, ModeArg, output};
use crate::compile::{Builder, Config, Decision};
use crate::firewall::{Action, FirewallConfig};
use crate::k8s::{self, LoadOptions};
use crate::lookup::{Side, Verdict};
use crate::model::Cluster;
use crate::protocol::Protocol;
use crate::reference::{kubernetes, linear};
use crate::translate::translate;
use crate::tuple::Tuple;

/// An engine's answer for one tuple, in the forms the commands print.
pub(super) struct Answer {
    /// Whether the connection is allowed.
    pub allowed: bool,
    /// Why, for people (one or more lines).
    pub explanation: String,
    /// Why, for tools.
    pub details: Value,
}

/// A ready engine: built once per command, then asked per tuple.
pub(super) enum Engine<'c> {
    /// Kubernetes semantics over the cluster itself.
    Reference(&'c Cluster),
    /// First-match scan over the translated firewall.
    Linear(FirewallConfig),
    /// The compiled structure (and the firewall, to name rules).
    Compiled(FirewallConfig, Decision),
}

impl Engine<'_> {
    /// Decides `tuple`, with the reasons.
    pub fn answer(&self, tuple: &Tuple) -> Answer {
        match self {
            Engine::Reference(cluster) => {
                let explanation = kubernetes::evaluate(cluster, tuple);
                Answer {
                    allowed: explanation.allowed(),
                    // Cannot fail: the explanation holds only strings, numbers and enums.
                    details: serde_json::to_value(&explanation).unwrap_or(Value::Null),
                    explanation: explanation.to_string(),
                }
            }
            Engine::Linear(config) => firewall_answer(config, &linear::evaluate(config, tuple)),
            Engine::Compiled(config, decision) => firewall_answer(config, &decision.lookup(tuple)),
        }
    }

    /// Whether each of `tuples` is allowed, without building reasons: the compiled engine
    /// answers them as one batch ([`Decision::lookup_batch`]).
    pub fn allowed(&self, tuples: &[Tuple]) -> Vec<bool> {
        match self {
            Engine::Reference(cluster) => tuples
                .iter()
                .map(|t| kubernetes::evaluate(cluster, t).allowed())
                .collect(),
            Engine::Linear(config) => tuples
                .iter()
                .map(|t| linear::evaluate(config, t).allowed())
                .collect(),
            Engine::Compiled(_, decision) => {
                let mut verdicts = vec![Verdict::default(); tuples.len()];
                decision.lookup_batch(tuples, &mut verdicts);
                verdicts.iter().map(Verdict::allowed).collect()
            }
        }
    }
}

/// Builds the engine `kind` over `cluster`. `mode` chooses how policies are translated for the
/// firewall engines; the reference engine reads the policies themselves and ignores it.
pub(super) fn engine(
    kind: EngineKind,
    mode: ModeArg,
    cluster: &Cluster,
) -> Result<Engine<'_>, CliError> {
    if (kind, mode) == (EngineKind::Reference, ModeArg::Cn2) {
        output::warn(
            "`--mode cn2` changes only the firewall engines; the reference engine answers with \
             Kubernetes semantics",
        );
    }
    Ok(match kind {
        EngineKind::Reference => Engine::Reference(cluster),
        EngineKind::Linear => Engine::Linear(translate(cluster, mode.into()).config),
        EngineKind::Compiled => {
            let config = translate(cluster, mode.into()).config;
            let decision = Builder::new(Config::default()).build(&config)?;
            Engine::Compiled(config, decision)
        }
    })
}

/// A firewall engine's verdict, with each side's deciding rule named.
fn firewall_answer(config: &FirewallConfig, verdict: &Verdict) -> Answer {
    let side = |direction: &str, at: &str, side: Side| -> (String, Value) {
        let (text, rule) = match side {
            Side::NotWorkload => (
                format!("{at} is not a workload: no {direction} rule applies"),
                Value::Null,
            ),
            Side::SameWorkload => ("a pod always reaches itself".to_string(), Value::Null),
            Side::NoMatch => (
                format!("no {direction} rule matched: implicit deny"),
                Value::Null,
            ),
            Side::Rule { rule, action } => {
                let (policy, name) = config
                    .rule(rule)
                    .map_or(("?", "?"), |(p, r)| (p.name.as_str(), r.name.as_str()));
                let action = match action {
                    Action::Pass => "pass",
                    Action::Deny => "deny",
                };
                (
                    format!("{action} by rule `{name}` of firewall policy `{policy}`"),
                    serde_json::json!({"policy": policy, "rule": name, "action": action}),
                )
            }
        };
        (format!("{direction} (at the {at}): {text}"), rule)
    };
    let (egress_text, egress_rule) = side("egress", "source", verdict.egress);
    let (ingress_text, ingress_rule) = side("ingress", "destination", verdict.ingress);
    Answer {
        allowed: verdict.allowed(),
        explanation: format!("{egress_text}\n{ingress_text}"),
        details: serde_json::json!({
            "egress": {"decision": verdict.egress, "rule": egress_rule},
            "ingress": {"decision": verdict.ingress, "rule": ingress_rule},
        }),
    }
}

/// Loads the cluster named by `-f`, printing each loader warning to stderr.
pub(super) fn load(input: &InputArgs) -> Result<Cluster, CliError> {
    let options = LoadOptions {
        lenient: input.lenient,
        ..LoadOptions::default()
    };
    let loaded = k8s::load_files(&input.files, options)?;
    for warning in &loaded.warnings {
        output::warn(&warning.to_string());
    }
    // One line, so that nothing the user gave vanishes without a word.
    if !loaded.skipped_kinds.is_empty() {
        let counts: Vec<String> = loaded
            .skipped_kinds
            .iter()
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        output::warn(&format!(
            "skipped {} object(s) of kinds tagwall does not read: {}",
            loaded.skipped_kinds.values().sum::<usize>(),
            counts.join(", ")
        ));
    }
    Ok(loaded.cluster)
}

/// `--engine` and `--mode`, shared by `matrix` and `check`.
#[derive(Debug, clap::Args)]
pub(super) struct EngineArgs {
    /// Which engine answers.
    #[arg(long, value_enum, default_value_t = EngineKind::Compiled)]
    pub engine: EngineKind,
    /// How policies are translated for the firewall engines (the reference engine reads the
    /// policies themselves).
    #[arg(long, value_enum, default_value_t = ModeArg::Kubernetes)]
    pub mode: ModeArg,
}

/// `--protocol` and `--port`, shared by `matrix` and `check`.
#[derive(Debug, clap::Args)]
pub(super) struct TrafficArgs {
    /// The protocol: TCP, UDP, SCTP or an IP protocol number (1 is ICMP).
    #[arg(long, default_value = "TCP")]
    protocol: Protocol,
    /// The destination port, 1-65535 (required for TCP, UDP and SCTP).
    #[arg(long, value_parser = super::port, allow_negative_numbers = true)]
    port: Option<u16>,
}

impl TrafficArgs {
    /// The traffic asked about, checked.
    pub fn traffic(&self) -> Result<Traffic, CliError> {
        Traffic::new(self.protocol, self.port)
    }
}

/// The source port of every tuple the CLI builds: an ephemeral port, which no policy looks at.
pub(super) const SOURCE_PORT: u16 = 40000;

/// What `--protocol` and `--port` ask about: the protocol and ports of every tuple a command
/// builds.
#[derive(Clone, Copy, Debug)]
pub(super) struct Traffic {
    /// The protocol.
    pub protocol: Protocol,
    /// The destination port; 0 for protocols without ports.
    pub port: u16,
}

impl Traffic {
    /// Checks `--port` against `--protocol`: a protocol with ports needs one, a protocol without
    /// (ICMP is 1) takes none.
    pub fn new(protocol: Protocol, port: Option<u16>) -> Result<Traffic, CliError> {
        match (protocol.has_ports(), port) {
            (true, Some(port)) => Ok(Traffic { protocol, port }),
            (true, None) => Err(CliError(format!(
                "`--port` is required for protocol `{protocol}`"
            ))),
            (false, None) => Ok(Traffic { protocol, port: 0 }),
            (false, Some(_)) => Err(CliError(format!(
                "protocol `{protocol}` has no ports: leave out `--port`"
            ))),
        }
    }

    /// The tuple from `src` to `dst`.
    pub fn tuple(self, src: IpAddr, dst: IpAddr) -> Tuple {
        Tuple {
            src,
            dst,
            protocol: self.protocol,
            src_port: if self.protocol.has_ports() {
                SOURCE_PORT
            } else {
                0
            },
            dst_port: self.port,
        }
    }
}

impl fmt::Display for Traffic {
    /// `TCP port 80`, or `protocol 1` for a protocol without ports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.protocol.has_ports() {
            write!(f, "{} port {}", self.protocol, self.port)
        } else {
            write!(f, "protocol {}", self.protocol)
        }
    }
}
