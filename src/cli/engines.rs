//! How a command gets an engine: `--engine` and `--mode` over a loaded cluster give something
//! that answers a [`Tuple`] with a verdict and a printable explanation.

use std::fmt;
use std::net::IpAddr;

use serde_json::Value;

use super::{CliError, EngineKind, InputArgs, ModeArg};
use crate::compile::{Builder, Config};
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

/// A ready engine: built once per command, then asked once per tuple.
pub(super) struct Engine<'c> {
    decide: Box<dyn Fn(&Tuple) -> Answer + 'c>,
}

impl Engine<'_> {
    /// Decides `tuple`.
    pub fn answer(&self, tuple: &Tuple) -> Answer {
        (self.decide)(tuple)
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
        eprintln!(
            "tagwall: warning: `--mode cn2` changes only the firewall engines; the reference \
             engine answers with Kubernetes semantics"
        );
    }
    match (kind, mode) {
        (EngineKind::Reference, ModeArg::Kubernetes | ModeArg::Cn2) => Ok(Engine {
            decide: Box::new(move |tuple| {
                let explanation = kubernetes::evaluate(cluster, tuple);
                Answer {
                    allowed: explanation.allowed(),
                    // Cannot fail: the explanation holds only strings, numbers and enums.
                    details: serde_json::to_value(&explanation).unwrap_or(Value::Null),
                    explanation: explanation.to_string(),
                }
            }),
        }),
        (EngineKind::Linear, mode) => {
            let config = translate(cluster, mode.into()).config;
            Ok(Engine {
                decide: Box::new(move |tuple| {
                    firewall_answer(&config, &linear::evaluate(&config, tuple))
                }),
            })
        }
        (EngineKind::Compiled, mode) => {
            let config = translate(cluster, mode.into()).config;
            let decision = Builder::new(Config::default()).build(&config)?;
            Ok(Engine {
                decide: Box::new(move |tuple| firewall_answer(&config, &decision.lookup(tuple))),
            })
        }
    }
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
                    Action::Next => "next",
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
        local_node_rule: input.local_node_rule.into(),
        ..LoadOptions::default()
    };
    let loaded = k8s::load_files(&input.files, options)?;
    for warning in &loaded.warnings {
        eprintln!("tagwall: warning: {warning}");
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
    /// The destination port (required for TCP, UDP and SCTP).
    #[arg(long)]
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
