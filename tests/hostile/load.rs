//! Hostile input: loading arbitrary or mangled bytes returns an error or a cluster, never
//! panics. Cases scale with `TAGWALL_PROPTEST_CASES` (default 64).

use crate::support;

use proptest::prelude::*;
use tagwall::k8s::{LoadOptions, Loader};
use tagwall::synth::{Format, SynthParams, generate};

/// Loads `bytes` leniently and strictly; either may fail, neither may panic.
fn load_both(bytes: &[u8]) {
    for lenient in [false, true] {
        let mut loader = Loader::new(LoadOptions {
            lenient,
            ..LoadOptions::default()
        });
        if loader.add_bytes("hostile", bytes).is_ok() {
            let _ = loader.finish();
        }
    }
}

fn seed_document(format: Format) -> Vec<u8> {
    generate(&SynthParams {
        namespaces: 2,
        pods: 4,
        policies: 8,
        seed: 3,
        format,
        ..SynthParams::default()
    })
    .into_bytes()
}

proptest! {
    #![proptest_config(support::proptest_config(support::cases(64)))]

    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        load_both(&bytes);
    }

    #[test]
    fn yaml_looking_text_does_not_panic(text in "[-:{}\\[\\]&*!|>'\" a-z0-9\n]{0,300}") {
        load_both(text.as_bytes());
    }

    #[test]
    fn mangled_documents_do_not_panic(
        json in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = seed_document(if json { Format::Json } else { Format::Yaml });
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let end = cut.index(bytes.len() + 1);
        load_both(&bytes[..end]);
    }
}

#[test]
fn unmangled_seed_documents_load() {
    for format in [Format::Json, Format::Yaml] {
        let mut loader = Loader::new(LoadOptions::default());
        assert!(loader.add_bytes("seed", &seed_document(format)).is_ok());
        assert_eq!(
            loader.finish().map(|l| l.cluster.policies.len()).ok(),
            Some(8)
        );
    }
}
