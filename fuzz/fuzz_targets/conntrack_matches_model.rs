//! `conntrack_matches_model`: see `common::conntrack::conntrack_matches_model` for the property, fuzz/README.md for how to run it.

#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(failure) = common::conntrack::conntrack_matches_model(data) {
        panic!("{failure}");
    }
});
