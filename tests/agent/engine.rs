//! The hot-swap engine: readers looking up while a writer swaps decisions only ever get the
//! answer of a decision that was in force during their call.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers parse literals and build valid configs; a failure is a test bug"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::support::compiled::{addresses_of, firewall, tuple, workloads};
use tagwall::compile::{Builder, Config, Decision};
use tagwall::engine::Engine;
use tagwall::firewall::FirewallConfig;
use tagwall::lookup::{Decide, Verdict};
use tagwall::reference::linear;
use tagwall::tuple::Tuple;

const CONFIGS: usize = 4;
const SWAPS: u64 = 200;
const READERS: usize = 3;
const LOOKUPS_PER_READER: usize = 20_000;

/// `CONFIGS` different policies over one inventory, and tuples between its workloads, drawn
/// (deterministically) until the policies disagree on some tuple: a swap must be visible.
fn scenario() -> (Vec<FirewallConfig>, Vec<Tuple>) {
    let mut runner = TestRunner::deterministic();
    let inventory = workloads(10).new_tree(&mut runner).unwrap().current();
    let tuples: Vec<Tuple> = (0..64)
        .map(|_| {
            tuple(addresses_of(&inventory))
                .new_tree(&mut runner)
                .unwrap()
                .current()
        })
        .collect();
    let draw = |runner: &mut TestRunner| -> Vec<FirewallConfig> {
        (0..CONFIGS)
            .map(|_| {
                let mut config = firewall().new_tree(runner).unwrap().current();
                config.workloads = inventory.clone();
                config
            })
            .collect()
    };
    let disagree = |configs: &[FirewallConfig]| {
        tuples.iter().any(|t| {
            let first = linear::evaluate(&configs[0], t);
            configs.iter().any(|c| linear::evaluate(c, t) != first)
        })
    };
    // At most 100 draws; should none disagree, the test's own check says so.
    let mut configs = draw(&mut runner);
    for _ in 0..100 {
        if disagree(&configs) {
            break;
        }
        configs = draw(&mut runner);
    }
    (configs, tuples)
}

/// The config generation `g` runs (generation 1 is the engine's first decision).
fn config_of(generation: u64) -> usize {
    ((generation - 1) % CONFIGS as u64) as usize
}

fn build(config: &FirewallConfig) -> Decision {
    Builder::new(Config::default()).build(config).unwrap()
}

#[test]
fn swaps_number_generations_in_order() {
    let (configs, _) = scenario();
    let engine = Engine::new(build(&configs[0]));
    assert_eq!(engine.generation(), 1);
    let before = engine.snapshot();
    assert_eq!(engine.swap(build(&configs[1])), 2);
    assert_eq!(engine.swap(build(&configs[2])), 3);
    assert_eq!(Decide::generation(&engine), 3);
    // A snapshot taken earlier is unchanged.
    assert_eq!(before.generation(), 1);
}

#[test]
fn readers_see_only_decisions_in_force_during_their_call() {
    let (configs, tuples) = scenario();
    // answers[c][t]: the verdict of config c for tuple t, from the oracle.
    let answers: Vec<Vec<Verdict>> = configs
        .iter()
        .map(|c| tuples.iter().map(|t| linear::evaluate(c, t)).collect())
        .collect();
    let differing = (0..tuples.len())
        .filter(|t| answers.iter().any(|a| a[*t] != answers[0][*t]))
        .count();
    assert!(differing > 0, "the configurations must disagree somewhere");

    let decisions: Vec<Decision> = configs.iter().map(build).collect();
    let engine = Arc::new(Engine::new(build(&configs[0])));
    let done = Arc::new(AtomicBool::new(false));
    std::thread::scope(|scope| {
        for reader in 0..READERS {
            let engine = engine.clone();
            let (answers, tuples) = (&answers, &tuples);
            scope.spawn(move || {
                for i in 0..LOOKUPS_PER_READER {
                    let t = (i * (reader + 1)) % tuples.len();
                    let before = engine.generation();
                    let verdict = engine.lookup(&tuples[t]);
                    let after = engine.generation();
                    assert!(before <= after);
                    let possible = (before..=after).any(|g| answers[config_of(g)][t] == verdict);
                    assert!(
                        possible,
                        "tuple {:?}: {verdict:?} from no generation in {before}..={after}",
                        tuples[t]
                    );
                    // A snapshot answers for its own generation, however long it is held.
                    let snapshot = engine.snapshot();
                    let expected = answers[config_of(snapshot.generation())][t];
                    assert_eq!(snapshot.lookup(&tuples[t]), expected);
                }
            });
        }
        let (engine, done) = (engine.clone(), done.clone());
        let configs = &configs;
        scope.spawn(move || {
            for generation in 2..=SWAPS + 1 {
                let next = build(&configs[config_of(generation)]);
                assert_eq!(engine.swap(next), generation);
            }
            done.store(true, Ordering::Release);
        });
    });
    assert!(done.load(Ordering::Acquire));
    assert_eq!(engine.generation(), SWAPS + 1);
    // Each swapped-in decision still agrees with its own prebuilt twin.
    let last = engine.snapshot();
    for t in &tuples {
        assert_eq!(last.lookup(t), decisions[config_of(SWAPS + 1)].lookup(t));
    }
}
