//! Tags as bits: only the tags some endpoint mentions get one, and a tag expression compiles
//! to a few word-mask tests over a workload's bitset.
//!
//! A tag no endpoint mentions cannot change any verdict, so workloads that differ only in such
//! tags get the same bitset (and so the same identity). Each mentioned tag type also gets an
//! "exists" bit, set on every workload with some value of that type, so `Exists` and
//! `DoesNotExist` are one-bit tests.

use std::collections::{BTreeMap, BTreeSet};

use ahash::AHashMap;

use super::ids::TagBit;
use crate::firewall::{Tag, TagKind, TagOp, TagTerm};

/// The bits of one mentioned tag type.
#[derive(Debug, Default)]
struct KeyBits {
    /// Set on workloads with any value of this type; assigned when a term needs it.
    exists: Option<TagBit>,
    /// One bit per mentioned value.
    values: AHashMap<String, TagBit>,
}

/// The interned tags: `(kind, key, value)` and `(kind, key)` to bits.
#[derive(Debug, Default)]
pub(crate) struct TagSpace {
    /// Indexed by [`kind_index`].
    keys: [AHashMap<String, KeyBits>; 3],
    bits: u32,
}

fn kind_index(kind: TagKind) -> usize {
    match kind {
        TagKind::Namespace => 0,
        TagKind::Label => 1,
        TagKind::NamespaceLabel => 2,
    }
}

impl TagSpace {
    /// How many bits were assigned.
    pub(crate) fn bit_count(&self) -> usize {
        self.bits as usize
    }

    fn next_bit(&mut self) -> TagBit {
        let bit = TagBit::from_raw(self.bits);
        self.bits += 1;
        bit
    }

    fn value_bit(&mut self, kind: TagKind, key: &str, value: &str) -> TagBit {
        if let Some(bit) = self.lookup_value(kind, key, value) {
            return bit;
        }
        let bit = self.next_bit();
        self.key_entry(kind, key)
            .values
            .insert(value.to_string(), bit);
        bit
    }

    fn exists_bit(&mut self, kind: TagKind, key: &str) -> TagBit {
        if let Some(bit) = self.key_entry(kind, key).exists {
            return bit;
        }
        let bit = self.next_bit();
        self.key_entry(kind, key).exists = Some(bit);
        bit
    }

    fn key_entry(&mut self, kind: TagKind, key: &str) -> &mut KeyBits {
        self.keys[kind_index(kind)]
            .entry(key.to_string())
            .or_default()
    }

    fn lookup_value(&self, kind: TagKind, key: &str, value: &str) -> Option<TagBit> {
        self.keys[kind_index(kind)]
            .get(key)
            .and_then(|k| k.values.get(value))
            .copied()
    }

    /// Compiles a tag expression (every term must hold); `None` when it can never hold.
    pub(crate) fn compile(&mut self, terms: &[TagTerm]) -> Option<TagTest> {
        let mut all = MaskBuilder::default();
        let mut none = MaskBuilder::default();
        let mut any = Vec::new();
        for term in terms {
            match &term.op {
                TagOp::In(values) => {
                    let bits: Vec<TagBit> = values
                        .iter()
                        .map(|v| self.value_bit(term.kind, &term.key, v))
                        .collect();
                    match bits.as_slice() {
                        // `In` over no values: no tag can satisfy it.
                        [] => return None,
                        [bit] => all.set(*bit),
                        _ => {
                            let mut bits = bits;
                            bits.sort_unstable();
                            bits.dedup();
                            any.push(bits.into_boxed_slice());
                        }
                    }
                }
                TagOp::NotIn(values) => {
                    for v in values {
                        let bit = self.value_bit(term.kind, &term.key, v);
                        none.set(bit);
                    }
                }
                TagOp::Exists => {
                    let bit = self.exists_bit(term.kind, &term.key);
                    all.set(bit);
                }
                TagOp::DoesNotExist => {
                    let bit = self.exists_bit(term.kind, &term.key);
                    none.set(bit);
                }
            }
        }
        Some(TagTest {
            all: all.finish(),
            none: none.finish(),
            any: any.into_boxed_slice(),
        })
    }

    /// The tag bits of a workload with these tags.
    pub(crate) fn bitset(&self, tags: &BTreeSet<Tag>) -> TagBits {
        let mut words = MaskBuilder::default();
        for tag in tags {
            let Some(key) = self.keys[kind_index(tag.kind)].get(&tag.key) else {
                continue;
            };
            if let Some(bit) = key.exists {
                words.set(bit);
            }
            if let Some(bit) = key.values.get(&tag.value) {
                words.set(*bit);
            }
        }
        TagBits {
            words: words.0.into_iter().filter(|(_, mask)| *mask != 0).collect(),
        }
    }

    /// Heap bytes, estimated.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.keys
            .iter()
            .flat_map(|m| m.iter())
            .map(|(key, bits)| {
                key.capacity()
                    + size_of::<(String, KeyBits)>()
                    + bits
                        .values
                        .keys()
                        .map(|v| v.capacity() + size_of::<(String, TagBit)>())
                        .sum::<usize>()
            })
            .sum()
    }
}

/// A workload's tag bits, kept as its nonzero 64-bit words by ascending word index: a
/// workload holds a handful of tags however many the policies mention, so a dense bitset per
/// identity would grow with identities times mentioned tags.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct TagBits {
    words: Box<[(u32, u64)]>,
}

impl TagBits {
    /// Word `index` of the bitset.
    #[inline]
    pub(crate) fn word(&self, index: u32) -> u64 {
        let found = match self.words.len() {
            0..=8 => self.words.iter().find(|(i, _)| *i == index),
            _ => self
                .words
                .binary_search_by_key(&index, |(i, _)| *i)
                .ok()
                .and_then(|at| self.words.get(at)),
        };
        found.map_or(0, |(_, word)| *word)
    }

    /// The set bits, ascending.
    pub(crate) fn ones(&self) -> impl Iterator<Item = TagBit> + '_ {
        self.words.iter().flat_map(|(index, word)| {
            let (index, mut rest) = (*index, *word);
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = TagBit::from_raw(index * 64 + rest.trailing_zeros());
                    rest &= rest - 1;
                    bit
                })
            })
        })
    }

    /// Heap bytes.
    pub(crate) fn heap_bytes(&self) -> usize {
        size_of_val(&*self.words)
    }
}

/// One word of a sparse bit mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Word {
    index: u32,
    mask: u64,
}

#[derive(Default)]
struct MaskBuilder(BTreeMap<u32, u64>);

impl MaskBuilder {
    fn set(&mut self, bit: TagBit) {
        *self.0.entry(bit.raw() / 64).or_default() |= 1 << (bit.raw() % 64);
    }

    fn finish(self) -> Box<[Word]> {
        self.0
            .into_iter()
            .map(|(index, mask)| Word { index, mask })
            .collect()
    }
}

/// A compiled tag expression: all of `all`, none of `none`, and at least one bit of each `any`.
///
/// `all` and `none` are word masks (a few bits, often in one word); each `any` set (an `In`
/// of several values) is its sorted bits, four bytes a value however far apart their bits
/// are: per-pod `In` lists name bits spread over the whole tag space.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TagTest {
    all: Box<[Word]>,
    none: Box<[Word]>,
    any: Box<[Box<[TagBit]>]>,
}

/// The one-word mask of `bits`, when they all sit in one word.
fn one_word(bits: &[TagBit]) -> Option<Word> {
    let index = bits.first()?.raw() / 64;
    bits.iter().all(|b| b.raw() / 64 == index).then(|| Word {
        index,
        mask: bits.iter().fold(0, |mask, b| mask | 1 << (b.raw() % 64)),
    })
}

impl TagTest {
    /// Whether a workload with this bitset satisfies the expression.
    #[inline]
    pub(crate) fn matches(&self, bits: &TagBits) -> bool {
        let word = |w: &Word| bits.word(w.index) & w.mask;
        self.all.iter().all(|w| word(w) == w.mask)
            && self.none.iter().all(|w| word(w) == 0)
            && self
                .any
                .iter()
                .all(|set| bits.ones().any(|bit| set.binary_search(&bit).is_ok()))
    }

    /// A one-word test of a bitset: `(word, mask, all, exact)`. With `all` it asks for every
    /// bit of `mask`, else for some bit. With `exact` it is the whole expression; otherwise it
    /// is a necessary condition, picked to be as rare as possible (`holders` weighs a bit).
    pub(crate) fn key(&self, holders: impl Fn(TagBit) -> usize) -> (u32, u64, bool, bool) {
        if self.none.is_empty() && self.any.is_empty() {
            return match self.all.as_ref() {
                [] => (0, 0, true, true),
                [word] => (word.index, word.mask, true, true),
                _ => self.rarest(holders),
            };
        }
        if self.none.is_empty()
            && self.all.is_empty()
            && let [set] = self.any.as_ref()
            && let Some(word) = one_word(set)
        {
            return (word.index, word.mask, false, true);
        }
        self.rarest(holders)
    }

    fn rarest(&self, holders: impl Fn(TagBit) -> usize) -> (u32, u64, bool, bool) {
        let weight = |w: &Word| -> usize {
            let mut rest = w.mask;
            let mut total = 0;
            while rest != 0 {
                total += holders(TagBit::from_raw(w.index * 64 + rest.trailing_zeros()));
                rest &= rest - 1;
            }
            total
        };
        let singles = self.all.iter().flat_map(|w| {
            let mut rest = w.mask;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest & rest.wrapping_neg();
                    rest &= rest - 1;
                    (
                        Word {
                            index: w.index,
                            mask: bit,
                        },
                        true,
                    )
                })
            })
        });
        let sets = self
            .any
            .iter()
            .filter_map(|set| one_word(set).map(|word| (word, false)));
        singles
            .chain(sets)
            .min_by_key(|(word, _)| weight(word))
            // Nothing to narrow with (only `none` terms, or sets across words): pass all.
            .map_or((0, 0, true, false), |(w, all)| {
                (w.index, w.mask, all, false)
            })
    }

    /// Bits one of which every matching workload holds, chosen to be held by as few
    /// workloads as `holders` counts: one required bit, or the bits of one `In` set. `None`
    /// when the test has no such bits (only `NotIn` / `DoesNotExist` terms).
    pub(crate) fn drivers(&self, holders: impl Fn(TagBit) -> usize) -> Option<Vec<TagBit>> {
        let bits = |w: &Word| {
            let (index, mut rest) = (w.index, w.mask);
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = TagBit::from_raw(index * 64 + rest.trailing_zeros());
                    rest &= rest - 1;
                    bit
                })
            })
        };
        let singles = self.all.iter().flat_map(bits).map(|bit| vec![bit]);
        let sets = self.any.iter().map(|set| set.to_vec());
        singles
            .chain(sets)
            .min_by_key(|set| set.iter().map(|bit| holders(*bit)).sum::<usize>())
    }

    /// Heap bytes, estimated.
    pub(crate) fn heap_bytes(&self) -> usize {
        size_of::<Word>() * (self.all.len() + self.none.len())
            + self
                .any
                .iter()
                .map(|m| size_of::<Box<[TagBit]>>() + size_of_val(&**m))
                .sum::<usize>()
    }
}
