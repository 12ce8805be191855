//! What a [`super::ClusterState`] publishes: decisions through the [`Engine`], and the names of
//! the rules their verdicts point at.
//!
//! A [`Verdict`] names its deciding rule by [`RuleId`], an index into the translated firewall it
//! was compiled from; the names change only when policies do. A [`Reader`] hands out a decision
//! with the rule names of exactly that decision, without locks: the writer stores a new
//! [`RuleBook`] before it swaps in the decision the book belongs to, and a reader takes the
//! decision first, then the book, and pairs them by generation.

use std::ffi::CStr;
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
    /// Every name once, each NUL-terminated (for the C API), in one allocation: a rebuild
    /// at 30k rules would otherwise allocate and later free 60k small strings, and the
    /// allocator's work after such frees is what slows the next events most.
    text: Arc<[u8]>,
    /// Where each rule's name and its policy's name start in `text`, by [`RuleId`].
    starts: Arc<[(usize, usize)]>,
    /// The book before, while a reader may still hold a decision of its generations.
    previous: Option<Arc<RuleBook>>,
}

impl RuleBook {
    pub(crate) fn new(firewall: &FirewallConfig, from_generation: u64) -> RuleBook {
        // Validated names hold no NUL; should one ever, it is cut there rather than lost.
        let push = |text: &mut Vec<u8>, name: &str| {
            let at = text.len();
            text.extend(name.bytes().take_while(|b| *b != 0));
            text.push(0);
            at
        };
        let mut text = Vec::new();
        let mut starts = Vec::new();
        let mut policy_at: Option<(&crate::firewall::FirewallPolicy, usize)> = None;
        for (_, policy, rule) in firewall.rules() {
            // Rules come policy by policy: each policy's name is written once.
            let at = match policy_at {
                Some((last, at)) if std::ptr::eq(last, policy) => at,
                _ => {
                    let at = push(&mut text, &policy.name);
                    policy_at = Some((policy, at));
                    at
                }
            };
            starts.push((push(&mut text, &rule.name), at));
        }
        RuleBook {
            from_generation,
            text: text.into(),
            starts: starts.into(),
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
        let (rule, policy) = self.starts.get(id.0 as usize)?;
        let name = |at: usize| CStr::from_bytes_until_nul(self.text.get(at..)?).ok();
        Some((name(*rule)?, name(*policy)?))
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
            text: current.text.clone(),
            starts: current.starts.clone(),
            previous: None,
        }));
        reader.rules.store(Arc::new(book));
    }
    reader.engine.swap(decision)
}
