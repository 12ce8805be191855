//! [`Builder`]: compiles a [`FirewallConfig`] into a [`Decision`].

use std::sync::Arc;

use super::config::{CompileError, Config};
use super::decision::Decision;
use super::policy::Policies;
use crate::firewall::FirewallConfig;

/// Compiles firewall configurations within the limits of a [`Config`].
#[derive(Clone, Debug, Default)]
pub struct Builder {
    config: Config,
}

impl Builder {
    /// A builder with these limits.
    pub fn new(config: Config) -> Builder {
        Builder { config }
    }

    /// Compiles `firewall`: its policies, then its workloads.
    pub fn build(&self, firewall: &FirewallConfig) -> Result<Decision, CompileError> {
        let policies = Arc::new(Policies::compile(firewall, self.config)?);
        Decision::assemble(policies, &firewall.workloads, None)
    }
}
