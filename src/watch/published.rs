//! What a [`super::ClusterState`] publishes: decisions through the [`Engine`], and the names of
//! the rules their verdicts point at.
//!
//! A [`Verdict`] names its deciding rule by [`RuleId`], an index into the translated firewall it
//! was compiled from; the names change only when policies do. A [`Reader`] hands out a decision
//! with the rule names of exactly that decision, without locks: the writer stores a new
//! [`RuleBook`] before it swaps in the decision the book belongs to, and a reader takes the
//! decision first, then the book, and pairs them by generation.

use std::ffi::{CStr, CString};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::compile::Decision;
use crate::engine::Engine;
use crate::firewall::{FirewallConfig, RuleId};
use crate::lookup::Verdict;
use crate::tuple::Tuple;

/// The names of the rules of one translated firewall, valid from one generation on.
#[derive(Debug)]
pub struct RuleBook {
    /// The first generation whose decision was compiled from these rules.
    from_generation: u64,
    /// Rule names by [`RuleId`], then policy names; NUL-terminated for the C API.
    rules: Arc<[(CString, CString)]>,
    /// The book before, while a reader may still hold a decision of its generations.
    previous: Option<Arc<RuleBook>>,
}

impl RuleBook {
    pub(crate) fn new(firewall: &FirewallConfig, from_generation: u64) -> RuleBook {
        // Validated names hold no NUL; should one ever, it is cut there rather than lost.
        let c = |name: &str| {
            CString::new(name.split('\0').next().unwrap_or_default()).unwrap_or_default()
        };
        RuleBook {
            from_generation,
            rules: firewall
                .rules()
                .map(|(_, policy, rule)| (c(&rule.name), c(&policy.name)))
                .collect::<Vec<_>>()
                .into(),
            previous: None,
        }
    }

    /// The rule `id` and its firewall policy, by name.
    pub fn rule(&self, id: RuleId) -> Option<(&str, &str)> {
        let (rule, policy) = self.c_rule(id)?;
        Some((rule.to_str().ok()?, policy.to_str().ok()?))
    }

    /// [`RuleBook::rule`] as C strings.
    pub fn c_rule(&self, id: RuleId) -> Option<(&CStr, &CStr)> {
        self.rules
            .get(id.0 as usize)
            .map(|(rule, policy)| (rule.as_c_str(), policy.as_c_str()))
    }

    /// The book of `generation`, if it is this one or the one before.
    fn of(self: &Arc<RuleBook>, generation: u64) -> Option<Arc<RuleBook>> {
        if generation >= self.from_generation {
            return Some(self.clone());
        }
        self.previous
            .as_ref()
            .filter(|p| generation >= p.from_generation)
            .cloned()
    }
}

/// A decision and the names of its rules: what one lookup needs, held as long as the caller
/// likes (the state moves on without it).
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The decision.
    pub decision: Arc<Decision>,
    /// Its rule names.
    pub rules: Arc<RuleBook>,
}

impl Snapshot {
    /// The verdict for `tuple`.
    pub fn lookup(&self, tuple: &Tuple) -> Verdict {
        self.decision.lookup(tuple)
    }
}

/// A cloneable, `Send + Sync` handle for lookup threads: the decision in force and its rule
/// names, however the state changes meanwhile.
#[derive(Clone, Debug)]
pub struct Reader {
    pub(crate) engine: Arc<Engine>,
    pub(crate) rules: Arc<ArcSwap<RuleBook>>,
}

impl Reader {
    /// The engine decisions are published through.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The decision in force and the names of its rules.
    pub fn snapshot(&self) -> Snapshot {
        loop {
            let decision = self.engine.snapshot();
            // Stored before its decision was swapped in, so it is that decision's book, a newer
            // one (whose `previous` is), or, after two rebuilds in between, neither: retry.
            if let Some(rules) = self.rules.load_full().of(decision.generation()) {
                return Snapshot { decision, rules };
            }
        }
    }
}

/// The writer's side: publishes a decision, with a new book when the rules changed.
pub(crate) fn publish(
    reader: &Reader,
    decision: Decision,
    firewall: Option<&FirewallConfig>,
) -> u64 {
    if let Some(firewall) = firewall {
        let next = reader.engine.generation() + 1;
        let mut book = RuleBook::new(firewall, next);
        let current = reader.rules.load_full();
        // One level back is enough for readers between the two stores below; the one before
        // that is dropped so books do not chain without end.
        book.previous = Some(Arc::new(RuleBook {
            from_generation: current.from_generation,
            rules: current.rules.clone(),
            previous: None,
        }));
        reader.rules.store(Arc::new(book));
    }
    reader.engine.swap(decision)
}
