//! How a command gets an engine: `--engine` and `--mode` over a loaded cluster give something
//! that answers a [`Tuple`] with a verdict and a printable explanation ([`Evaluator`]).

use std::fmt;
use std::net::IpAddr;

use super::{CliError, EngineKind, InputArgs, ModeArg, output};
use crate::evaluator::{self, Evaluator, Kind};
use crate::k8s::{self, LoadOptions};
use crate::model::Cluster;
use crate::protocol::Protocol;
use crate::tuple::Tuple;

/// Builds the engine `kind` over `cluster`. `mode` chooses how policies are translated for the
/// firewall engines; the reference engine reads the policies themselves and ignores it.
pub(super) fn engine(
    kind: EngineKind,
    mode: ModeArg,
    cluster: &Cluster,
) -> Result<Box<dyn Evaluator + '_>, CliError> {
    if (kind, mode) == (EngineKind::Reference, ModeArg::Cn2) {
        output::warn(
            "`--mode cn2` changes only the firewall engines; the reference engine answers with \
             Kubernetes semantics",
        );
    }
    let kind = match kind {
        EngineKind::Reference => Kind::Reference,
        EngineKind::Linear => Kind::Linear,
        EngineKind::Compiled => Kind::Compiled,
    };
    Ok(evaluator::build(kind, mode.into(), cluster)?)
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
