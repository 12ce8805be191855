//! One interface over the three engines: [`Evaluator`], implemented by [`Reference`]
//! (Kubernetes semantics, [`crate::reference::kubernetes`]), [`Linear`] (the first-match scan,
//! [`crate::reference::linear`]) and [`Compiled`] (the [`Decision`]). The CLI, the scenario
//! suite and the fuzz targets ask engines through it, so adding an engine or comparing two is
//! one value, not one adapter per caller.
//!
//! ```
//! use tagwall::evaluator::{self, Kind};
//! use tagwall::translate::Mode;
//! use tagwall::tuple::Tuple;
//!
//! let cluster = tagwall::k8s::load_str("c.yaml", r#"
//! {"kind": "List", "items": [
//!  {"kind": "Pod", "metadata": {"name": "db"}, "status": {"podIP": "10.0.0.1"}},
//!  {"kind": "NetworkPolicy", "metadata": {"name": "deny"}, "spec": {"podSelector": {}}}]}
//! "#)?.cluster;
//! let tuple = Tuple {
//!     src: "192.0.2.1".parse()?,
//!     dst: "10.0.0.1".parse()?,
//!     protocol: tagwall::protocol::Protocol::Tcp,
//!     src_port: 40000,
//!     dst_port: 80,
//! };
//! for kind in [Kind::Reference, Kind::Linear, Kind::Compiled] {
//!     let engine = evaluator::build(kind, Mode::Kubernetes, &cluster)?;
//!     assert!(!engine.allowed(&tuple), "{}", engine.name());
//!     assert!(!engine.explain(&tuple).explanation.is_empty());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde_json::Value;

use crate::compile::{Builder, CompileError, Config, Decision};
use crate::firewall::{Action, FirewallConfig};
use crate::lookup::{Side, Verdict};
use crate::model::Cluster;
use crate::reference::{kubernetes, linear};
use crate::translate::{Mode, translate};
use crate::tuple::Tuple;

/// An engine's verdict for one tuple, with its reasons.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Whether the connection is allowed.
    pub allowed: bool,
    /// Why, for people (one or more lines).
    pub explanation: String,
    /// Why, for tools: the reference engine's reasons, or each side's decision and rule.
    pub details: Value,
}

/// Something that decides connections over one cluster: a verdict, and the reasons on demand.
pub trait Evaluator {
    /// The engine's name: `reference`, `linear` or `compiled`.
    fn name(&self) -> &'static str;

    /// The verdict for `tuple` with its reasons.
    fn explain(&self, tuple: &Tuple) -> Answer;

    /// Whether `tuple` is allowed, without building reasons.
    fn allowed(&self, tuple: &Tuple) -> bool {
        self.explain(tuple).allowed
    }

    /// Whether each of `tuples` is allowed, in order.
    fn allowed_batch(&self, tuples: &[Tuple]) -> Vec<bool> {
        tuples.iter().map(|tuple| self.allowed(tuple)).collect()
    }
}

/// Which engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// [`Reference`].
    Reference,
    /// [`Linear`].
    Linear,
    /// [`Compiled`].
    Compiled,
}

/// Builds the engine `kind` over `cluster`. `mode` chooses how policies are translated for the
/// firewall engines; the reference engine reads the policies themselves and ignores it.
pub fn build(
    kind: Kind,
    mode: Mode,
    cluster: &Cluster,
) -> Result<Box<dyn Evaluator + '_>, CompileError> {
    Ok(match kind {
        Kind::Reference => Box::new(Reference::new(cluster)),
        Kind::Linear => Box::new(Linear::new(cluster, mode)),
        Kind::Compiled => Box::new(Compiled::new(cluster, mode)?),
    })
}

/// Kubernetes semantics over the cluster itself.
#[derive(Clone, Copy, Debug)]
pub struct Reference<'c> {
    cluster: &'c Cluster,
}

impl Reference<'_> {
    /// The reference engine over `cluster`.
    pub fn new(cluster: &Cluster) -> Reference<'_> {
        Reference { cluster }
    }
}

impl Evaluator for Reference<'_> {
    fn name(&self) -> &'static str {
        "reference"
    }

    fn explain(&self, tuple: &Tuple) -> Answer {
        let explanation = kubernetes::evaluate(self.cluster, tuple);
        Answer {
            allowed: explanation.allowed(),
            // Cannot fail: the explanation holds only strings, numbers and enums.
            details: serde_json::to_value(&explanation).unwrap_or(Value::Null),
            explanation: explanation.to_string(),
        }
    }

    fn allowed(&self, tuple: &Tuple) -> bool {
        kubernetes::evaluate(self.cluster, tuple).allowed()
    }
}

/// The translated firewall, evaluated by a first-match scan.
#[derive(Clone, Debug)]
pub struct Linear {
    config: FirewallConfig,
}

impl Linear {
    /// The linear engine over `cluster` translated in `mode`.
    pub fn new(cluster: &Cluster, mode: Mode) -> Linear {
        Linear {
            config: translate(cluster, mode).config,
        }
    }

    /// The full verdict: each side's deciding rule.
    pub fn verdict(&self, tuple: &Tuple) -> Verdict {
        linear::evaluate(&self.config, tuple)
    }
}

impl Evaluator for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn explain(&self, tuple: &Tuple) -> Answer {
        firewall_answer(&self.config, &self.verdict(tuple))
    }

    fn allowed(&self, tuple: &Tuple) -> bool {
        self.verdict(tuple).allowed()
    }
}

/// The translated firewall, compiled into a [`Decision`].
#[derive(Debug)]
pub struct Compiled {
    config: FirewallConfig,
    decision: Decision,
}

impl Compiled {
    /// The compiled engine over `cluster` translated in `mode`, under the default limits.
    pub fn new(cluster: &Cluster, mode: Mode) -> Result<Compiled, CompileError> {
        let config = translate(cluster, mode).config;
        let decision = Builder::new(Config::default()).build(&config)?;
        Ok(Compiled { config, decision })
    }

    /// The compiled structure.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }
}

impl Evaluator for Compiled {
    fn name(&self) -> &'static str {
        "compiled"
    }

    fn explain(&self, tuple: &Tuple) -> Answer {
        firewall_answer(&self.config, &self.decision.lookup(tuple))
    }

    fn allowed(&self, tuple: &Tuple) -> bool {
        self.decision.lookup(tuple).allowed()
    }

    /// One [`Decision::lookup_batch`].
    fn allowed_batch(&self, tuples: &[Tuple]) -> Vec<bool> {
        let mut verdicts = vec![Verdict::default(); tuples.len()];
        self.decision.lookup_batch(tuples, &mut verdicts);
        verdicts.iter().map(Verdict::allowed).collect()
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
