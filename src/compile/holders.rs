//! Which identities hold each tag bit: the inverted index that keeps selector matching
//! proportional to what a selector matches, not to the number of identities.
//!
//! A tag test can only match identities holding one of its "driver" bits: one bit every match
//! must have (an `In` of one value, `Exists`), or the values of one multi-value `In`, any of
//! which a match must have. The driver with the fewest holders is the one walked; a test
//! with no driver (only `NotIn` / `DoesNotExist` terms) is the one case that looks at every
//! identity, and it matches almost all of them anyway.

use super::ids::TagBit;
use super::key::IdentityKey;
use super::tags::TagTest;

/// For each tag bit, the identities holding it, ascending.
#[derive(Debug, Default)]
pub(crate) struct Holders {
    by_bit: Vec<Vec<u32>>,
    identities: u32,
}

impl Holders {
    /// Indexes `keys` (position = identity; `None`: no identity at that position).
    pub(crate) fn new<'k>(
        keys: impl ExactSizeIterator<Item = Option<&'k IdentityKey>>,
        bit_count: usize,
    ) -> Holders {
        let mut by_bit: Vec<Vec<u32>> = vec![Vec::new(); bit_count];
        let identities = u32::try_from(keys.len()).unwrap_or(u32::MAX);
        for (position, key) in (0..identities).zip(keys) {
            let Some(key) = key else { continue };
            for bit in key.bits.ones() {
                if let Some(list) = by_bit.get_mut(bit.index()) {
                    list.push(position);
                }
            }
        }
        Holders { by_bit, identities }
    }

    /// How many identities hold `bit`.
    pub(crate) fn count(&self, bit: TagBit) -> usize {
        self.by_bit.get(bit.index()).map_or(0, Vec::len)
    }

    /// The identities `test` may match, ascending: a superset of its matches, to be confirmed
    /// with [`TagTest::matches`].
    pub(crate) fn candidates(&self, test: &TagTest) -> Candidates<'_> {
        match test.drivers(|bit| self.count(bit)).as_deref() {
            None => Candidates::All(0..self.identities),
            Some([]) => Candidates::Listed(Vec::new()),
            Some([bit]) => Candidates::One(self.by_bit.get(bit.index()).map_or(&[], |h| h)),
            Some(bits) => {
                let mut union: Vec<u32> = bits
                    .iter()
                    .flat_map(|bit| self.by_bit.get(bit.index()).into_iter().flatten())
                    .copied()
                    .collect();
                union.sort_unstable();
                union.dedup();
                Candidates::Listed(union)
            }
        }
    }
}

/// The identities a test may match.
#[derive(Clone)]
pub(crate) enum Candidates<'a> {
    /// Every identity.
    All(std::ops::Range<u32>),
    /// The holders of one bit.
    One(&'a [u32]),
    /// A union of holders.
    Listed(Vec<u32>),
}

impl Candidates<'_> {
    /// The identities, ascending.
    pub(crate) fn for_each(&self, mut f: impl FnMut(u32)) {
        match self {
            Candidates::All(range) => range.clone().for_each(f),
            Candidates::One(ids) => ids.iter().for_each(|id| f(*id)),
            Candidates::Listed(ids) => ids.iter().for_each(|id| f(*id)),
        }
    }
}
