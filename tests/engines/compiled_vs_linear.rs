//! The compiled engine answers exactly what the linear scan answers, deciding rules included,
//! on random configurations and tuples.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers parse literals and build valid configs; a failure is a test bug"
)]

use crate::support;

use crate::support::cases;
use proptest::prelude::*;

use crate::support::compiled::{
    addresses_of, firewall, firewall_and_tuples, tag_heavy_firewall_and_tuples, tuple, workloads,
};
use tagwall::compile::{Builder, Config};
use tagwall::reference::linear;

proptest! {
    #![proptest_config(support::proptest_config(cases(256)))]

    #[test]
    fn compiled_lookup_equals_linear((config, tuples) in firewall_and_tuples(64)) {
        let decision = Builder::new(Config::default()).build(&config).unwrap();
        // Every port table in its bounded scan form, as over-budget tables are built.
        let scanned = Builder::new(Config { split_factor: 0, split_minimum: 0, ..Config::default() })
            .build(&config)
            .unwrap();
        for tuple in &tuples {
            let expected = linear::evaluate(&config, tuple);
            prop_assert_eq!(decision.lookup(tuple), expected, "tuple {:?}", tuple);
            prop_assert_eq!(scanned.lookup(tuple), expected, "tuple {:?} (scan lists)", tuple);
        }
        let mut batch = vec![Default::default(); tuples.len()];
        decision.lookup_batch(&tuples, &mut batch);
        for (tuple, verdict) in tuples.iter().zip(&batch) {
            prop_assert_eq!(*verdict, decision.lookup(tuple));
        }
    }

    #[test]
    fn compiled_lookup_equals_linear_on_long_runs_of_tag_rules(
        (config, tuples) in tag_heavy_firewall_and_tuples(64),
    ) {
        let decision = Builder::new(Config::default()).build(&config).unwrap();
        for tuple in &tuples {
            prop_assert_eq!(decision.lookup(tuple), linear::evaluate(&config, tuple), "tuple {:?}", tuple);
        }
    }

    #[test]
    fn with_workloads_equals_fresh_build(
        (config, inventory, tuples) in (firewall(), workloads(10)).prop_flat_map(|(config, inventory)| {
            let mut owned = addresses_of(&config.workloads);
            owned.extend(addresses_of(&inventory));
            (Just(config), Just(inventory), prop::collection::vec(tuple(owned), 64))
        }),
    ) {
        let builder = Builder::new(Config::default());
        let churned = builder.build(&config).unwrap().with_workloads(&inventory).unwrap();
        let mut fresh_config = config.clone();
        fresh_config.workloads = inventory;
        let fresh = builder.build(&fresh_config).unwrap();
        prop_assert_eq!(churned.identity_count(), fresh.identity_count());
        for tuple in &tuples {
            prop_assert_eq!(churned.lookup(tuple), fresh.lookup(tuple), "tuple {:?}", tuple);
            prop_assert_eq!(churned.lookup(tuple), linear::evaluate(&fresh_config, tuple));
        }
    }

    #[test]
    fn update_equals_fresh_build(
        (config, steps, tuples) in (firewall(), prop::collection::vec(churn(), 1..3))
            .prop_flat_map(|(config, steps)| {
                let mut owned = addresses_of(&config.workloads);
                for (changes, _) in &steps {
                    owned.extend(addresses_of(changes));
                }
                (Just(config), Just(steps), prop::collection::vec(tuple(owned), 64))
            }),
    ) {
        let builder = Builder::new(Config::default());
        let mut updated = builder.build(&config).unwrap();
        let mut expected = config.workloads.clone();
        for (changes, removed) in &steps {
            let removed: Vec<&str> = removed.iter().map(String::as_str).collect();
            updated = updated.update(changes, &removed).unwrap();
            expected.retain(|w| !removed.contains(&w.name.as_str()));
            for workload in changes {
                match expected.iter_mut().find(|e| e.name == workload.name) {
                    Some(slot) => *slot = workload.clone(),
                    None => expected.push(workload.clone()),
                }
            }
        }
        let mut fresh_config = config.clone();
        fresh_config.workloads = expected;
        let fresh = builder.build(&fresh_config).unwrap();
        prop_assert_eq!(updated.identity_count(), fresh.identity_count());
        prop_assert_eq!(updated.workload_count(), fresh.workload_count());
        prop_assert_eq!(updated.address_count(), fresh.address_count());
        // Deriving again from the updated decision recomputes what the updates deferred.
        let rederived = updated.with_workloads(&fresh_config.workloads).unwrap();
        prop_assert_eq!(rederived.identity_count(), fresh.identity_count());
        for tuple in &tuples {
            prop_assert_eq!(updated.lookup(tuple), fresh.lookup(tuple), "tuple {:?}", tuple);
            prop_assert_eq!(updated.lookup(tuple), linear::evaluate(&fresh_config, tuple));
            prop_assert_eq!(rederived.lookup(tuple), fresh.lookup(tuple), "tuple {:?}", tuple);
        }
    }
}

/// One churn step: workloads added or changed (names `ns/w0`.. overlap the configured ones)
/// and names removed (some unknown).
fn churn() -> impl Strategy<Value = (Vec<tagwall::firewall::Workload>, Vec<String>)> {
    (
        workloads(12),
        prop::collection::vec((0..14usize).prop_map(|i| format!("ns/w{i}")), 0..4),
    )
}
