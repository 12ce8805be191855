//! `compiled_matches_linear_and_reference`: see `common::engines::compiled_matches_linear_and_reference` for the property, fuzz/README.md for how to run it.

#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(failure) = common::engines::compiled_matches_linear_and_reference(data) {
        panic!("{failure}");
    }
});
