//! Where a peer's search of a candidate list starts.
//!
//! A lookup walks a list's blocks and skips each whose peer set cannot hold the peer. On long
//! lists (policies in the thousands select an identity, most of them for other peers) that
//! walk is the lookup's cost: a set test, and a cache miss, per block passed over. An
//! [`Entry`] answers in one probe the first block that may hold a given peer identity, so the
//! walk starts there. It is a necessary condition like the sets it summarises: blocks before
//! the entry's answer cannot match the peer, and the walk goes on as before from it.
//!
//! Only lists of at least [`MIN_BLOCKS`] blocks get one, and building it costs one pass over
//! the list's sets (a bitset word per 64 identities, per block): at most a fixed factor over
//! what the sets themselves cost. Its size is one 16-bit block number per identity in the
//! id range the list's sets cover, or sorted (identity, block) pairs when that range is
//! sparse: never more than the identities the list's sets hold, twice over.

use super::ports::Block;

/// Lists shorter than this are walked from their first block.
pub(crate) const MIN_BLOCKS: usize = 4;

/// Block numbers are stored in 16 bits, with `NONE` for "no block holds this identity".
const NONE: u16 = u16::MAX;

/// The first block of a list that may hold each peer.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The first block every peer may match (a candidate matching any peer), or the block
    /// count.
    open: u32,
    /// The first block with address-group candidates, or the block count.
    groups: u32,
    /// Identities from this id on are newer than the sets (see `peers`): they start at 0.
    known: u32,
    /// The first block whose set holds an identity.
    ids: FirstBlocks,
}

#[derive(Debug)]
enum FirstBlocks {
    /// `blocks[id - base]`, `NONE` where no set holds `id`.
    Dense { base: u32, blocks: Box<[u16]> },
    /// `(id, block)`, ascending by id.
    Sparse(Box<[(u32, u16)]>),
}

impl Entry {
    /// The entry of a list's `blocks`, or `None` when the list is short (or too long for
    /// 16-bit block numbers, which lists under the default limits never are).
    pub(crate) fn of(blocks: &[Block]) -> Option<Entry> {
        if blocks.len() < MIN_BLOCKS || blocks.len() >= usize::from(NONE) {
            return None;
        }
        let count = u32::try_from(blocks.len()).ok()?;
        let mut open = count;
        let mut groups = count;
        let mut known = u32::MAX;
        // (identity, first block holding it), in the order found; `seen` marks the identities
        // met so far, a word per 64.
        let mut firsts: Vec<(u32, u16)> = Vec::new();
        let mut seen: Vec<u64> = Vec::new();
        for (index, block) in (0u16..).zip(blocks) {
            let peers = &block.peers;
            if peers.is_open() {
                open = open.min(u32::from(index));
                // Nothing after the first open block can start earlier than it.
                break;
            }
            if peers.has_groups() {
                groups = groups.min(u32::from(index));
            }
            known = known.min(peers.known());
            peers.for_each_id(|id| {
                let word = (id / 64) as usize;
                if seen.len() <= word {
                    seen.resize(word + 1, 0);
                }
                if let Some(w) = seen.get_mut(word)
                    && *w & (1 << (id % 64)) == 0
                {
                    *w |= 1 << (id % 64);
                    firsts.push((id, index));
                }
            });
        }
        Some(Entry {
            open,
            groups,
            known,
            ids: FirstBlocks::of(firsts),
        })
    }

    /// The first block that may hold a peer of identity `identity` (`None`: not a workload),
    /// not counting address groups; and the first block with address groups, which the caller
    /// refines with the peer's address when it comes earlier.
    #[inline]
    pub(crate) fn start(&self, identity: Option<u32>) -> (usize, usize) {
        let by_identity = match identity {
            None => self.open,
            Some(id) if id >= self.known => 0,
            Some(id) => self.open.min(self.ids.get(id).map_or(u32::MAX, u32::from)),
        };
        (by_identity as usize, self.groups as usize)
    }

    /// Heap bytes of the entry's table.
    pub(crate) fn heap_bytes(&self) -> usize {
        match &self.ids {
            FirstBlocks::Dense { blocks, .. } => size_of_val(&**blocks),
            FirstBlocks::Sparse(pairs) => size_of_val(&**pairs),
        }
    }
}

impl FirstBlocks {
    /// The table of `firsts` (each identity once, in any order): dense over their id range,
    /// filled in place, unless they cover under a third of it (then sorted pairs).
    fn of(mut firsts: Vec<(u32, u16)>) -> FirstBlocks {
        let low = firsts.iter().map(|(id, _)| *id).min();
        let high = firsts.iter().map(|(id, _)| *id).max();
        let (Some(low), Some(high)) = (low, high) else {
            return FirstBlocks::Sparse(Box::default());
        };
        let range = (high - low) as usize + 1;
        if range > 3 * firsts.len() {
            firsts.sort_unstable();
            return FirstBlocks::Sparse(firsts.into_boxed_slice());
        }
        let mut blocks = vec![NONE; range];
        for (id, block) in firsts {
            if let Some(slot) = blocks.get_mut((id - low) as usize) {
                *slot = block;
            }
        }
        FirstBlocks::Dense {
            base: low,
            blocks: blocks.into_boxed_slice(),
        }
    }

    #[inline]
    fn get(&self, id: u32) -> Option<u16> {
        let block = match self {
            FirstBlocks::Dense { base, blocks } => *blocks.get(id.wrapping_sub(*base) as usize)?,
            FirstBlocks::Sparse(pairs) => {
                let at = pairs.binary_search_by_key(&id, |(i, _)| *i).ok()?;
                pairs.get(at)?.1
            }
        };
        (block != NONE).then_some(block)
    }
}
