//! The table's limits: capacity, shards, idle timeouts, expiry work per call.

use std::time::Duration;

/// Idle timeouts: how long a connection lives after its last packet.
///
/// The defaults follow Linux conntrack where it is short (unreplied TCP and a closed connection)
/// and cut it where it is long: conntrack keeps an established TCP connection 5 days, which lets a
/// table fill with connections whose ends vanished without a FIN; an hour is ample for an agent
/// whose peers send keepalives, and a connection that outlives it is simply decided again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP after a reply was seen (default 1 h).
    pub tcp_established: Duration,
    /// TCP before any reply, such as an unanswered SYN (default 2 min, conntrack's `SYN_SENT`).
    pub tcp_unreplied: Duration,
    /// UDP, replied or not (default 2 min, conntrack's UDP stream timeout).
    pub udp: Duration,
    /// Any other protocol, SCTP and ICMP included (default 2 min).
    pub other: Duration,
    /// A connection the agent reported closed with [`ConnTable::close`](super::ConnTable::close),
    /// for its last packets such as the final ACK (default 10 s, conntrack's `CLOSE`).
    pub closing: Duration,
    /// How long a denied first packet is remembered to spare the decider repeated attempts;
    /// `None` remembers no denial (default 5 s). Whatever it is, a policy swap re-decides a
    /// remembered denial on its next packet.
    pub denied: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            tcp_established: Duration::from_secs(3600),
            tcp_unreplied: Duration::from_secs(120),
            udp: Duration::from_secs(120),
            other: Duration::from_secs(120),
            closing: Duration::from_secs(10),
            denied: Some(Duration::from_secs(5)),
        }
    }
}

/// How a [`ConnTable`](super::ConnTable) is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The most entries the table ever holds, split as evenly as possible over the shards
    /// (default 524288, the default size of a vRouter flow table).
    pub capacity: usize,
    /// The number of independently locked shards, a power of two up to [`MAX_SHARDS`]
    /// (default 64).
    pub shards: usize,
    /// Idle timeouts per protocol and state.
    pub timeouts: Timeouts,
    /// How many expired entries a packet that inserts may remove from its shard, on top of the
    /// entry it may need to make room (default 4). Hits do no sweeping at all.
    pub sweep_per_insert: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            capacity: 512 * 1024,
            shards: 64,
            timeouts: Timeouts::default(),
            sweep_per_insert: 4,
        }
    }
}

/// Why a [`Config`] cannot build a table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The shard count is zero, not a power of two, or above [`MAX_SHARDS`].
    #[error("shard count `{0}` is not a power of two from 1 to 65536")]
    ShardsNotPowerOfTwo(usize),
    /// Fewer entries than shards would leave a shard that can hold nothing.
    #[error("capacity `{capacity}` is below the shard count `{shards}`")]
    CapacityBelowShards {
        /// The configured capacity.
        capacity: usize,
        /// The configured shard count.
        shards: usize,
    },
    /// A shard indexes its entries with 32 bits.
    #[error("capacity `{capacity}` exceeds `{limit}` entries per shard")]
    ShardCapacityTooLarge {
        /// The configured capacity.
        capacity: usize,
        /// The most entries one shard can hold.
        limit: usize,
    },
    /// A zero timeout would expire every entry as soon as it is made.
    #[error("timeout `{0}` is zero")]
    ZeroTimeout(&'static str),
}

/// The most shards a table can have: the shard is chosen by 16 bits of the key's hash.
pub const MAX_SHARDS: usize = 1 << 16;

/// The most entries one shard can index (slot numbers are `u32`, one value marks "none").
pub(crate) const SHARD_CAPACITY_LIMIT: usize = (u32::MAX - 1) as usize;

impl Config {
    /// Checks the limits, returning the first that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !self.shards.is_power_of_two() || self.shards > MAX_SHARDS {
            return Err(ConfigError::ShardsNotPowerOfTwo(self.shards));
        }
        if self.capacity < self.shards {
            return Err(ConfigError::CapacityBelowShards {
                capacity: self.capacity,
                shards: self.shards,
            });
        }
        if self.capacity.div_ceil(self.shards) > SHARD_CAPACITY_LIMIT {
            return Err(ConfigError::ShardCapacityTooLarge {
                capacity: self.capacity,
                limit: SHARD_CAPACITY_LIMIT,
            });
        }
        let t = &self.timeouts;
        let named = [
            ("tcp_established", Some(t.tcp_established)),
            ("tcp_unreplied", Some(t.tcp_unreplied)),
            ("udp", Some(t.udp)),
            ("other", Some(t.other)),
            ("closing", Some(t.closing)),
            ("denied", t.denied),
        ];
        for (name, timeout) in named {
            if timeout == Some(Duration::ZERO) {
                return Err(ConfigError::ZeroTimeout(name));
            }
        }
        Ok(())
    }

    /// The capacity of shard `index`: the first `capacity % shards` shards hold one more.
    pub(crate) fn shard_capacity(&self, index: usize) -> usize {
        let base = self.capacity / self.shards;
        base + usize::from(index < self.capacity % self.shards)
    }
}
