//! A durable lane's *shape* in a store shared by several readers (nodes): how many of its
//! signals may be out at once, and over how many partitions its work is split.
//!
//! An unordered lane is one partition with `max_in_flight` signals out. A `strict` lane is
//! one partition with one signal out, so its order holds whichever node delivers. A lane
//! ordered by `{ key = … }` with `max_in_flight` above 1 is split into that many partitions
//! (at most [`MAX_PARTITIONS`]) by a stable hash of the key, each with one signal out: a
//! key's signals stay in order, and different keys go out at once, from any node.
//! A batching lane is one partition (a batch is gathered from one reader's signals).

use crate::resilience::LaneOrdering;
use crate::signal::Signal;
use crate::target::Target;

use super::schedule::key_of;

/// The most partitions a key-ordered lane is split into.
pub const MAX_PARTITIONS: usize = 64;

/// How a durable lane's work may spread over the readers of a shared store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneShape {
    /// Signals of one partition that may be out (read and not done) at once, across
    /// every reader.
    pub max_out: usize,
    /// Partitions of the lane's work (1: not split).
    pub partitions: usize,
}

impl LaneShape {
    /// The shape of a lane delivering to `target`.
    pub fn of(target: &Target) -> LaneShape {
        let lane = &target.settings().lane;
        let max = lane.max_in_flight.max(1);
        match (&lane.ordering, target.batching()) {
            (LaneOrdering::None, _) => LaneShape { max_out: max, partitions: 1 },
            (LaneOrdering::Key(_), None) => LaneShape { max_out: 1, partitions: max.min(MAX_PARTITIONS) },
            (LaneOrdering::Strict | LaneOrdering::Key(_), _) => LaneShape { max_out: 1, partitions: 1 },
        }
    }

    /// The partition `signal` belongs to (`None`: the lane is not split).
    pub fn partition(&self, target: &Target, signal: &Signal) -> Option<usize> {
        if self.partitions <= 1 {
            return None;
        }
        let key = key_of(&target.settings().lane.ordering, signal).unwrap_or_default();
        let buckets = u64::try_from(self.partitions).unwrap_or(1);
        usize::try_from(fnv1a(key.as_bytes()) % buckets).ok()
    }
}

/// FNV-1a, 64 bits: a hash every node and every version computes the same.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn the_partition_hash_is_fnv1a() {
        // Published FNV-1a 64 test vectors: a change here would move keys between
        // partitions of a running cluster.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
