//! `load_never_panics`: see `common::load::load_never_panics` for the property, fuzz/README.md for how to run it.

#![no_main]

mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(failure) = common::load::load_never_panics(data) {
        panic!("{failure}");
    }
});
