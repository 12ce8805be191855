//! Build limits and the errors a build can fail with.
//!
//! A [`super::Decision`] is sized by its input; the limits keep a hostile or mistaken input
//! from taking the agent's memory. Exceeding one is a [`CompileError`] that names it.

use std::fmt;

/// What a build may hold. Every limit counts objects of the input or of the structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Firewall rules, over every policy.
    pub max_rules: usize,
    /// Workloads in the inventory.
    pub max_workloads: usize,
    /// Address-group prefixes and except prefixes put into the longest-prefix tries.
    pub max_prefixes: usize,
    /// Distinct security identities.
    pub max_identities: usize,
    /// Candidate entries over every port table (the index's size, before sharing).
    pub max_candidates: usize,
    /// How far a port table may split its narrow candidates by port interval: the interval
    /// lists together may hold this many entries per narrow candidate (and
    /// [`Config::split_minimum`] in any case). Past it, that protocol's narrow candidates stay
    /// one scan list: bounded, slower to look up, counted by
    /// [`super::Decision::degraded_count`]. Not an error.
    pub split_factor: usize,
    /// Interval-list entries a port table may always hold (see [`Config::split_factor`]).
    pub split_minimum: usize,
}

impl Default for Config {
    /// Limits far above a 50k-pod, 10k-policy cluster, still bounded.
    fn default() -> Config {
        Config {
            max_rules: 1 << 20,
            max_workloads: 1 << 20,
            max_prefixes: 1 << 20,
            max_identities: 1 << 20,
            max_candidates: 1 << 26,
            split_factor: 8,
            split_minimum: 4096,
        }
    }
}

/// Which limit of [`Config`] a build exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// [`Config::max_rules`].
    Rules,
    /// [`Config::max_workloads`].
    Workloads,
    /// [`Config::max_prefixes`].
    Prefixes,
    /// [`Config::max_identities`].
    Identities,
    /// [`Config::max_candidates`].
    Candidates,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Rules => "max_rules",
            Limit::Workloads => "max_workloads",
            Limit::Prefixes => "max_prefixes",
            Limit::Identities => "max_identities",
            Limit::Candidates => "max_candidates",
        })
    }
}

/// Why a build failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The input or the structure is larger than a limit allows.
    #[error("limit `{limit}` exceeded: {count} is more than {max}")]
    LimitExceeded {
        /// The limit.
        limit: Limit,
        /// How many there were (at least).
        count: usize,
        /// What the limit allows.
        max: usize,
    },
    /// More things of one kind than 32-bit ids can number (only with limits raised that far).
    #[error("too many {what} for 32-bit ids")]
    IdSpace {
        /// What ran out of ids.
        what: &'static str,
    },
}

impl Config {
    /// The interval-list entries a port table with `narrow` narrow candidates may hold.
    pub(crate) fn split_budget(&self, narrow: usize) -> usize {
        self.split_factor
            .saturating_mul(narrow)
            .max(self.split_minimum)
    }

    /// `Ok` when `count` is within `limit`.
    pub(crate) fn check(&self, limit: Limit, count: usize) -> Result<(), CompileError> {
        let max = match limit {
            Limit::Rules => self.max_rules,
            Limit::Workloads => self.max_workloads,
            Limit::Prefixes => self.max_prefixes,
            Limit::Identities => self.max_identities,
            Limit::Candidates => self.max_candidates,
        }
        // Indexes are u32: no limit may go past that.
        .min(u32::MAX as usize - 1);
        if count > max {
            Err(CompileError::LimitExceeded { limit, count, max })
        } else {
            Ok(())
        }
    }
}
