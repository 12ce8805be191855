//! `translate_never_panics`: valid clusters through both translations.

use arbitrary::{Arbitrary, Unstructured};
use tagwall::compile::{Builder, Config as CompileConfig};
use tagwall::firewall::{FirewallConfig, vnc};
use tagwall::translate::{Mode, translate};

use super::Failure;
use super::cluster::*;

/// Translating a valid cluster never panics, in either mode; it is deterministic; its output
/// round-trips through JSON, prints as tables and vnc-json, names only address groups it
/// defines, and compiles under the default limits.
pub fn translate_never_panics(data: &[u8]) -> Result<(), Failure> {
    let mut u = Unstructured::new(data);
    let Ok(spec) = ClusterSpec::arbitrary(&mut u) else {
        return Ok(());
    };
    let (text, loaded) = load_spec(&spec)?;
    for mode in [Mode::Kubernetes, Mode::Cn2] {
        let translation = translate(&loaded.cluster, mode);
        if translate(&loaded.cluster, mode) != translation {
            return Err(format!("{mode} translation is not deterministic\n{text}"));
        }
        let config = &translation.config;
        for (_, _, rule) in config.rules() {
            for endpoint in [&rule.endpoint_1, &rule.endpoint_2] {
                if let tagwall::firewall::Endpoint::AddressGroup(name) = endpoint
                    && config.address_group(name).is_none()
                {
                    return Err(format!(
                        "{mode}: rule `{}` names undefined address group `{name}`\n{text}",
                        rule.name
                    ));
                }
            }
        }
        let json = serde_json::to_string(config)
            .map_err(|error| format!("{mode}: config does not serialise: {error}\n{text}"))?;
        let back: FirewallConfig = serde_json::from_str(&json)
            .map_err(|error| format!("{mode}: config does not read back: {error}\n{text}"))?;
        if &back != config {
            return Err(format!("{mode}: config changes through JSON\n{text}"));
        }
        let _tables = config.tables();
        let _objects = vnc::export(config);
        Builder::new(CompileConfig::default())
            .build(config)
            .map_err(|error| format!("{mode}: compile failed: {error}\n{text}"))?;
    }
    Ok(())
}
