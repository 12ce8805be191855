//! What the criterion benches share: their synthetic input.

use tagwall::firewall::FirewallConfig;
use tagwall::synth::{SynthParams, generate};
use tagwall::translate::{Mode, translate};

/// A synthetic cluster (seed 1) translated in kubernetes mode.
pub fn synthetic(namespaces: usize, pods: usize, policies: usize) -> FirewallConfig {
    let params = SynthParams {
        namespaces,
        pods,
        policies,
        seed: 1,
        ..SynthParams::default()
    };
    let loaded = tagwall::k8s::load_str("synthetic.json", &generate(&params))
        .expect("synthetic clusters load");
    translate(&loaded.cluster, Mode::Kubernetes).config
}
