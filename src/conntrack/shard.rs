//! One shard: a hash index over a slab of entries, with a recency list per state class.
//!
//! The index holds only slot numbers (4 bytes a bucket); keys live once, in the slab, and the
//! caller's hash is computed once per packet, for both the shard choice and the probe. The slab never holds more than the shard's capacity and never shrinks, so a shard's memory is
//! bounded by its capacity whatever the traffic. Each class list runs from the most recently seen
//! entry (head) to the least (tail); with one timeout per class, the tail is also the entry to
//! expire first, so sweeping and choosing an eviction victim look only at list tails.

use hashbrown::HashTable;

use super::counters::Counters;
use super::entry::{CLASS_COUNT, Class, Entry};
use super::key::ConnKey;

/// The "no slot" link.
const NIL: u32 = u32::MAX;

/// A slab slot: an entry and its links in its class list (or the free list).
#[derive(Clone, Copy, Debug)]
struct Slot {
    entry: Entry,
    prev: u32,
    next: u32,
}

/// Ends of one doubly linked list through the slab.
#[derive(Clone, Copy, Debug)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
};

/// A shard of the connection table. All methods run under the shard's lock.
#[derive(Debug)]
pub(crate) struct Shard {
    index: HashTable<u32>,
    hasher: ahash::RandomState,
    slots: Vec<Slot>,
    free: u32,
    lists: [List; CLASS_COUNT],
    capacity: usize,
    clock: u64,
    /// What happened in this shard.
    pub(crate) counters: Counters,
}

impl Shard {
    /// An empty shard holding at most `capacity` entries (at least 1), whose keys hash with
    /// `hasher` (the table's, so the caller's hash of a key is the shard's).
    pub(crate) fn new(capacity: usize, hasher: ahash::RandomState) -> Shard {
        Shard {
            index: HashTable::new(),
            hasher,
            slots: Vec::new(),
            free: NIL,
            lists: [EMPTY; CLASS_COUNT],
            capacity,
            clock: 0,
            counters: Counters::default(),
        }
    }

    /// The caller's time, never earlier than any time this shard has seen: a thread that read its
    /// clock just before another but took the lock after it cannot turn time back, so each class
    /// list stays ordered by last packet time.
    pub(crate) fn advance_clock(&mut self, now: u64) -> u64 {
        self.clock = self.clock.max(now);
        self.clock
    }

    /// The number of entries, expired ones not yet removed included.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot of `key`'s entry; `hash` is `key`'s hash with the shard's hasher.
    pub(crate) fn find(&self, hash: u64, key: &ConnKey) -> Option<u32> {
        self.index
            .find(hash, |&slot| self.slots[slot as usize].entry.key == *key)
            .copied()
    }

    /// The entry in `slot`.
    pub(crate) fn entry(&self, slot: u32) -> &Entry {
        &self.slots[slot as usize].entry
    }

    /// Whether the entry in `slot` has been idle for its class's timeout at `now`.
    pub(crate) fn expired(&self, slot: u32, now: u64, timeouts: &[u64; CLASS_COUNT]) -> bool {
        let entry = self.entry(slot);
        now.saturating_sub(entry.last_seen) >= timeouts[entry.class.index()]
    }

    /// Records a packet of `slot`'s entry at `now`, in class `class`: the entry becomes the most
    /// recent of that class.
    pub(crate) fn touch(&mut self, slot: u32, class: Class, now: u64) {
        let entry = &mut self.slots[slot as usize].entry;
        if entry.class == class && self.lists[class.index()].head == slot {
            // Already the most recent of its class: a burst of one connection relinks nothing.
            entry.last_seen = now;
            return;
        }
        self.unlink(slot);
        let entry = &mut self.slots[slot as usize].entry;
        entry.class = class;
        entry.last_seen = now;
        self.push_head(slot);
    }

    /// Replaces `slot`'s entry with `redecided`, an entry of the same key decided again (a
    /// re-evaluation or a new attempt), as the most recent of its class.
    pub(crate) fn redecide(&mut self, slot: u32, redecided: Entry) {
        self.unlink(slot);
        self.slots[slot as usize].entry = redecided;
        self.push_head(slot);
    }

    /// Removes the entry in `slot`.
    pub(crate) fn remove(&mut self, slot: u32) {
        self.unlink(slot);
        let hash = self.hasher.hash_one(self.slots[slot as usize].entry.key);
        if let Ok(found) = self.index.find_entry(hash, |&other| other == slot) {
            found.remove();
        }
        self.slots[slot as usize].next = self.free;
        self.free = slot;
    }

    /// Adds `entry` (whose key is absent), first sweeping up to `sweep` expired entries and then,
    /// if the shard is full, removing one more: an expired entry if there is one, else the least
    /// recently seen unprotected entry, else the least recently seen protected one.
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        entry: Entry,
        timeouts: &[u64; CLASS_COUNT],
        sweep: usize,
    ) {
        let now = entry.last_seen;
        self.sweep(now, timeouts, sweep);
        if self.len() >= self.capacity && self.sweep(now, timeouts, 1) == 0 {
            self.evict_one();
        }
        let slot = self.allocate(entry);
        self.push_head(slot);
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, slot, |&other| {
            hasher.hash_one(slots[other as usize].entry.key)
        });
        self.counters.inserts += 1;
    }

    /// Removes up to `budget` expired entries, oldest first within each class, classes in
    /// eviction order; returns how many.
    pub(crate) fn sweep(
        &mut self,
        now: u64,
        timeouts: &[u64; CLASS_COUNT],
        budget: usize,
    ) -> usize {
        let mut removed = 0;
        for class in Class::ALL {
            while removed < budget {
                let tail = self.lists[class.index()].tail;
                if tail == NIL || !self.expired(tail, now, timeouts) {
                    break;
                }
                self.remove(tail);
                self.counters.expirations += 1;
                removed += 1;
            }
        }
        removed
    }

    /// Removes the least recently seen entry of the unprotected classes, or of the protected
    /// ones if there is none (ties go to the class earlier in eviction order).
    fn evict_one(&mut self) {
        let victim = self
            .oldest_tail(&Class::UNPROTECTED)
            .or_else(|| self.oldest_tail(&Class::PROTECTED));
        if let Some(slot) = victim {
            self.remove(slot);
            self.counters.evictions += 1;
        }
    }

    fn oldest_tail(&self, classes: &[Class]) -> Option<u32> {
        let mut oldest: Option<u32> = None;
        for class in classes {
            let tail = self.lists[class.index()].tail;
            if tail == NIL {
                continue;
            }
            let older =
                oldest.is_none_or(|best| self.entry(tail).last_seen < self.entry(best).last_seen);
            if older {
                oldest = Some(tail);
            }
        }
        oldest
    }

    fn allocate(&mut self, entry: Entry) -> u32 {
        let slot = Slot {
            entry,
            prev: NIL,
            next: NIL,
        };
        if self.free != NIL {
            let reused = self.free;
            self.free = self.slots[reused as usize].next;
            self.slots[reused as usize] = slot;
            reused
        } else {
            // Grow by doubling but never past the capacity, so the slab's allocation stays
            // within the shard's bound.
            if self.slots.len() == self.slots.capacity() {
                let room = self.capacity.saturating_sub(self.slots.len());
                self.slots
                    .reserve_exact(self.slots.len().max(4).min(room.max(1)));
            }
            // The length stays below the capacity, which `Config::validate` keeps below `NIL`.
            let fresh = self.slots.len() as u32;
            self.slots.push(slot);
            fresh
        }
    }

    fn push_head(&mut self, slot: u32) {
        let class = self.slots[slot as usize].entry.class.index();
        let old_head = self.lists[class].head;
        self.slots[slot as usize].prev = NIL;
        self.slots[slot as usize].next = old_head;
        if old_head == NIL {
            self.lists[class].tail = slot;
        } else {
            self.slots[old_head as usize].prev = slot;
        }
        self.lists[class].head = slot;
    }

    fn unlink(&mut self, slot: u32) {
        let linked = &self.slots[slot as usize];
        let (prev, next) = (linked.prev, linked.next);
        let list = &mut self.lists[linked.entry.class.index()];
        if prev == NIL {
            list.head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            list.tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
    }

    /// Bytes one entry costs at most: its slab slot plus its index bucket (slot number and
    /// control byte) at the index's lowest load factor of 7/16 after a resize.
    pub(crate) fn bytes_per_entry() -> usize {
        let bucket = size_of::<u32>() + 1;
        size_of::<Slot>() + bucket * 16 / 7
    }
}
