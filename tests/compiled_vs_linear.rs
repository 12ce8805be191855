//! The compiled engine answers exactly what the linear scan answers, deciding rules included,
//! on random configurations and tuples.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers parse literals and build valid configs; a failure is a test bug"
)]

mod compiled_support;

use proptest::prelude::*;

use compiled_support::{
    addresses_of, cases, firewall, firewall_and_tuples, tag_heavy_firewall_and_tuples, tuple,
    workloads,
};
use tagwall::compile::{Builder, Config};
use tagwall::reference::linear;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    #[test]
    fn compiled_lookup_equals_linear((config, tuples) in firewall_and_tuples(64)) {
        let decision = Builder::new(Config::default()).build(&config).unwrap();
        for tuple in &tuples {
            prop_assert_eq!(decision.lookup(tuple), linear::evaluate(&config, tuple), "tuple {:?}", tuple);
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
}
