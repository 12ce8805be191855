//! The connection table: sharded, bounded, re-deciding connections after a policy swap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::lookup::{Decide, Verdict};
use crate::protocol::Protocol;
use crate::tuple::Tuple;

use super::config::{Config, ConfigError};
use super::counters::Counters;
use super::entry::{CLASS_COUNT, Class, Entry, class_timeouts};
use super::key::{ConnKey, End};
use super::shard::Shard;
use super::time::Timestamp;

/// Which way a packet goes on its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketDirection {
    /// From the end that opened the connection (or a new connection's first packet).
    Original,
    /// From the end the connection was opened to.
    Reply,
}

/// How a packet's answer was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// An entry recorded under the current policy generation answered; the decider was not asked.
    Hit,
    /// No live entry: the decider decided the packet as a new connection.
    New,
    /// The entry was recorded under an older policy generation: the decider decided the
    /// connection again, in its opening direction.
    Reevaluated,
}

/// The table's answer for one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PacketVerdict {
    /// Whether the packet passes.
    pub allowed: bool,
    /// Which way the packet goes on its connection.
    pub direction: PacketDirection,
    /// How the answer was found.
    pub outcome: Outcome,
    /// The verdict that decided the connection, for its opening direction.
    pub verdict: Verdict,
}

/// What [`ConnTable::packet`] knows about the packet it answers.
struct Packet<'a> {
    tuple: &'a Tuple,
    from: End,
    generation: u64,
    now: u64,
}

/// A shard on a cache line of its own, so that threads locking neighbouring shards do not
/// contend on one line.
#[repr(align(128))]
#[derive(Debug)]
struct PaddedShard(Mutex<Shard>);

/// A bounded, sharded table of connections that answers for every packet, reply direction
/// included.
///
/// Kubernetes policies act on connections: when `A` may open a connection to `B`, `B`'s replies
/// reach `A` even though no rule lets `B` open one to `A`. The first packet of a connection is
/// decided by the caller's [`Decide`] structure; an allowed connection is recorded under a key
/// that both directions share, so its replies pass. A denied first packet is never recorded as
/// allowed; it may be remembered as denied for [`Timeouts::denied`](super::Timeouts::denied).
///
/// # Concurrency
/// Entries live in [`Config::shards`] shards, each behind its own mutex and chosen by the key's
/// hash; a packet locks one shard once. The decider runs under that lock: it is an in-memory
/// lookup of the same order of cost as the probe, and deciding under the lock keeps two threads
/// from recording one connection twice.
///
/// # Bounds
/// A shard never holds more than its share of [`Config::capacity`]. A packet that must insert into
/// a full shard first removes an expired entry if there is one, else evicts the least recently
/// seen entry among denials, unreplied and closed connections, and only if the shard holds none of
/// those, the least recently seen established one. Refusing new entries instead would let a full
/// table break the replies of every new legitimate connection; evicting unanswered entries first
/// means a flood of fresh tuples evicts itself rather than connections both ends use. Every
/// removal is counted ([`Counters::evictions`], [`Counters::expirations`]).
///
/// Work per call is bounded: a hit only probes and relinks; an insert sweeps at most
/// [`Config::sweep_per_insert`] expired entries, plus one to make room; [`ConnTable::expire`]
/// takes a budget.
///
/// # Policy swaps
/// Each entry keeps the generation of the decider that decided it. When a packet finds an entry
/// of another generation, the connection is decided again in its opening direction: if the new
/// policy still allows it, it continues under the new generation; if not, it stops passing in
/// both directions (the entry becomes a remembered denial, or is removed when denials are not
/// remembered).
///
/// # Time
/// `now` is the caller's monotonic time; the table never reads a clock. A shard never lets time go
/// back: an earlier `now` than the latest it has seen counts as that latest time.
#[derive(Debug)]
pub struct ConnTable {
    shards: Box<[PaddedShard]>,
    hasher: ahash::RandomState,
    timeouts: [u64; CLASS_COUNT],
    remember_denials: bool,
    config: Config,
    expire_cursor: AtomicUsize,
}

impl ConnTable {
    /// An empty table with `config`'s limits.
    pub fn new(config: Config) -> Result<ConnTable, ConfigError> {
        config.validate()?;
        let hasher = ahash::RandomState::new();
        let shards = (0..config.shards)
            .map(|index| {
                let shard = Shard::new(config.shard_capacity(index), hasher.clone());
                PaddedShard(Mutex::new(shard))
            })
            .collect();
        Ok(ConnTable {
            shards,
            hasher,
            timeouts: class_timeouts(&config.timeouts),
            remember_denials: config.timeouts.denied.is_some(),
            config,
            expire_cursor: AtomicUsize::new(0),
        })
    }

    /// The configuration the table was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The answer for a packet `tuple` seen at `now`, deciding it with `decider` if its
    /// connection is new or was decided under another generation.
    pub fn packet<D: Decide + ?Sized>(
        &self,
        decider: &D,
        tuple: &Tuple,
        now: Timestamp,
    ) -> PacketVerdict {
        let (key, from) = ConnKey::of(tuple);
        let hash = self.hasher.hash_one(key);
        let mut shard = self.lock(self.shard_of_hash(hash));
        let packet = Packet {
            tuple,
            from,
            generation: decider.generation(),
            now: shard.advance_clock(now.as_nanos()),
        };
        shard.counters.packets += 1;
        if let Some(slot) = self.live_slot(&mut shard, hash, &key, packet.now) {
            return self.known(&mut shard, slot, decider, &packet);
        }
        shard.counters.misses += 1;
        let verdict = decider.decide(tuple);
        if let Some(class) = self.decided_class(verdict, key.protocol()) {
            let entry = Entry {
                key,
                verdict,
                generation: packet.generation,
                last_seen: packet.now,
                opener: from,
                class,
            };
            shard.insert(hash, entry, &self.timeouts, self.config.sweep_per_insert);
        }
        Self::answer(&mut shard, verdict, PacketDirection::Original, Outcome::New)
    }

    /// Marks `tuple`'s connection closed (the agent saw a TCP FIN or RST), so it expires after
    /// [`Timeouts::closing`](super::Timeouts::closing) without further packets. Returns whether
    /// a live allowed connection was found.
    pub fn close(&self, tuple: &Tuple, now: Timestamp) -> bool {
        let (key, _) = ConnKey::of(tuple);
        let hash = self.hasher.hash_one(key);
        let mut shard = self.lock(self.shard_of_hash(hash));
        let now = shard.advance_clock(now.as_nanos());
        match self.live_slot(&mut shard, hash, &key, now) {
            Some(slot) if shard.entry(slot).class.allows() => {
                shard.touch(slot, Class::Closing, now);
                shard.counters.closes += 1;
                true
            }
            _ => false,
        }
    }

    /// Removes up to `budget` entries whose idle timeout has passed at `now`, for an agent's
    /// timer; returns how many. Shards are visited round-robin from where the last call stopped,
    /// so small budgets reach every shard in turn.
    pub fn expire(&self, now: Timestamp, budget: usize) -> usize {
        let start = self.expire_cursor.load(Ordering::Relaxed);
        let mut removed = 0;
        for step in 0..self.shards.len() {
            if removed >= budget {
                break;
            }
            let index = (start + step) & (self.shards.len() - 1);
            let mut shard = self.lock(index);
            let now = shard.advance_clock(now.as_nanos());
            removed += shard.sweep(now, &self.timeouts, budget - removed);
            self.expire_cursor.store(index + 1, Ordering::Relaxed);
        }
        removed
    }

    /// The number of entries (allowed connections and remembered denials), including expired ones
    /// not yet removed. Locks each shard in turn: for monitoring, not for the packet path.
    pub fn len(&self) -> usize {
        (0..self.shards.len()).map(|i| self.lock(i).len()).sum()
    }

    /// Whether the table holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The event counts so far, summed over the shards.
    pub fn counters(&self) -> Counters {
        let mut total = Counters::default();
        for index in 0..self.shards.len() {
            total += self.lock(index).counters;
        }
        total
    }

    /// The most bytes one entry costs: its slab slot plus its share of the hash index at the
    /// index's lowest load factor. Times [`Config::capacity`] it bounds the table's memory.
    pub fn bytes_per_entry() -> usize {
        Shard::bytes_per_entry()
    }

    /// The shard holding `tuple`'s connection (both directions give the same shard), for tests
    /// and diagnostics that reason about per-shard capacity.
    pub fn shard_of(&self, tuple: &Tuple) -> usize {
        self.shard_of_hash(self.hasher.hash_one(ConnKey::of(tuple).0))
    }

    fn shard_of_hash(&self, hash: u64) -> usize {
        // Bits 32 to 47: the shard's index takes its bucket from the low bits and its control
        // tag from the top 7, and keys of one shard must still differ there. The mask keeps the
        // index below the power-of-two shard count, at most `MAX_SHARDS` (2^16).
        ((hash >> 32) as usize) & (self.shards.len() - 1)
    }

    fn lock(&self, index: usize) -> MutexGuard<'_, Shard> {
        // A panic under the lock (only a panicking decider could cause one) happens before the
        // shard is changed, so the shard is consistent and poisoning can be ignored.
        self.shards[index]
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The slot of `key`'s entry if it has not expired; an expired one is removed.
    fn live_slot(&self, shard: &mut Shard, hash: u64, key: &ConnKey, now: u64) -> Option<u32> {
        let slot = shard.find(hash, key)?;
        if shard.expired(slot, now, &self.timeouts) {
            shard.remove(slot);
            shard.counters.expirations += 1;
            return None;
        }
        Some(slot)
    }

    /// The class to record a new decision under, or `None` not to record it.
    fn decided_class(&self, verdict: Verdict, protocol: Protocol) -> Option<Class> {
        if verdict.allowed() {
            Some(Class::unreplied(protocol))
        } else {
            self.remember_denials.then_some(Class::Denied)
        }
    }

    /// The answer for a packet of a live entry.
    fn known<D: Decide + ?Sized>(
        &self,
        shard: &mut Shard,
        slot: u32,
        decider: &D,
        packet: &Packet<'_>,
    ) -> PacketVerdict {
        let &Packet {
            tuple,
            from,
            generation,
            now,
        } = packet;
        let entry = *shard.entry(slot);
        let direction = if from == entry.opener {
            PacketDirection::Original
        } else {
            PacketDirection::Reply
        };
        if entry.class == Class::Denied && direction == PacketDirection::Reply {
            // The remembered denial is of the other end's attempt; a packet from this end is an
            // attempt of its own to open the connection, decided as new.
            shard.counters.misses += 1;
            let verdict = decider.decide(tuple);
            let redecided = self
                .decided_class(verdict, entry.key.protocol())
                .map(|class| Entry {
                    verdict,
                    generation,
                    opener: from,
                    class,
                    last_seen: now,
                    ..entry
                });
            Self::settle(shard, slot, redecided);
            return Self::answer(shard, verdict, PacketDirection::Original, Outcome::New);
        }
        if entry.generation != generation {
            shard.counters.reevaluations += 1;
            let verdict = decider.decide(&entry.key.tuple_from(entry.opener));
            // A connection the new policy still allows keeps its state; anything else starts
            // over as a new decision would.
            let class = if verdict.allowed() && entry.class.allows() {
                Some(Self::after_packet(entry.class, direction))
            } else {
                self.decided_class(verdict, entry.key.protocol())
            };
            let redecided = class.map(|class| Entry {
                verdict,
                generation,
                class,
                last_seen: now,
                ..entry
            });
            Self::settle(shard, slot, redecided);
            return Self::answer(shard, verdict, direction, Outcome::Reevaluated);
        }
        if entry.class == Class::Denied {
            // Not touched: a denial is remembered for its timeout from the decision, however
            // often it is retried.
            shard.counters.denied_hits += 1;
        } else {
            shard.counters.hits += 1;
            shard.touch(slot, Self::after_packet(entry.class, direction), now);
        }
        Self::answer(shard, entry.verdict, direction, Outcome::Hit)
    }

    /// The class of an allowed entry after a packet in `direction`: a reply establishes it.
    fn after_packet(class: Class, direction: PacketDirection) -> Class {
        match direction {
            PacketDirection::Original => class,
            PacketDirection::Reply => class.replied(),
        }
    }

    /// Stores `redecided` in `slot` as its most recent entry, or removes the entry when the new
    /// decision is not to be recorded (a revoked connection, with denials not remembered).
    fn settle(shard: &mut Shard, slot: u32, redecided: Option<Entry>) {
        match redecided {
            Some(entry) => shard.redecide(slot, entry),
            None => {
                shard.remove(slot);
                shard.counters.revocations += 1;
            }
        }
    }

    /// The answer for a packet decided by `verdict`, counting a denial.
    fn answer(
        shard: &mut Shard,
        verdict: Verdict,
        direction: PacketDirection,
        outcome: Outcome,
    ) -> PacketVerdict {
        let allowed = verdict.allowed();
        if !allowed {
            shard.counters.denials += 1;
        }
        PacketVerdict {
            allowed,
            direction,
            outcome,
            verdict,
        }
    }
}
