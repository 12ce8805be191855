//! What the table counts, for an agent to export.

use std::ops::AddAssign;

/// Event counts since the table was made, summed over its shards.
///
/// Each shard counts under the lock its packet already holds, so counting shares no cache line
/// between threads (one set of global atomics would be written by every core on every packet);
/// [`ConnTable::counters`](super::ConnTable::counters) adds the shards up, each read whole under its
/// lock, so the sums below hold for every snapshot taken while no call is running, and up to
/// in-flight calls otherwise.
///
/// - `packets == hits + denied_hits + misses + reevaluations`
/// - `len == inserts - evictions - expirations - revocations`
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Packets looked up ([`ConnTable::packet`](super::ConnTable::packet) calls).
    pub packets: u64,
    /// Packets answered "allowed" by a connection recorded under the current policy generation.
    pub hits: u64,
    /// Packets answered "denied" by a remembered denial under the current policy generation.
    pub denied_hits: u64,
    /// Packets of no live connection, decided afresh by the decider.
    pub misses: u64,
    /// Packets whose connection was recorded under an older policy and decided again.
    pub reevaluations: u64,
    /// Packets answered "denied", however they were decided.
    pub denials: u64,
    /// Entries added (allowed connections and remembered denials).
    pub inserts: u64,
    /// Live entries removed to make room for a new one.
    pub evictions: u64,
    /// Entries removed because their idle timeout had passed.
    pub expirations: u64,
    /// Allowed connections removed because a new policy denies them (with denials not remembered;
    /// otherwise the entry stays as a remembered denial).
    pub revocations: u64,
    /// Connections marked closed by [`ConnTable::close`](super::ConnTable::close).
    pub closes: u64,
}

impl AddAssign for Counters {
    fn add_assign(&mut self, other: Counters) {
        self.packets += other.packets;
        self.hits += other.hits;
        self.denied_hits += other.denied_hits;
        self.misses += other.misses;
        self.reevaluations += other.reevaluations;
        self.denials += other.denials;
        self.inserts += other.inserts;
        self.evictions += other.evictions;
        self.expirations += other.expirations;
        self.revocations += other.revocations;
        self.closes += other.closes;
    }
}
