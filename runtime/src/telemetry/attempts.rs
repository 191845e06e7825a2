//! The attempt log: one [`AttemptRecord`] per delivery attempt (or refusal by an open
//! breaker), handed to an [`AttemptLog`] that keeps it, such as the daemon's store.
//!
//! A record names where the attempt went (subscription, lane, target label, adapter),
//! when and how long it took, its outcome code, and for http adapters the last answer the
//! host received for it: its status and the first [`BODY_PREFIX`] bytes of its body. It
//! never holds target options (they may hold secrets).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use crate::outbound::BODY_PREFIX;

/// One delivery attempt, as the attempt log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptRecord {
    /// When the attempt ended.
    pub at: SystemTime,
    /// The signal's `id`.
    pub signal_id: String,
    /// The signal's `source` (with `id`, what identifies a CloudEvent).
    pub signal_source: String,
    /// The subscription whose lane made the attempt (`None`: a direct dispatch).
    pub subscription: Option<u64>,
    /// The lane's store key, for durable lanes.
    pub lane: Option<Arc<str>>,
    /// The target's label (URL origins or `adapter#hash`).
    pub target: Arc<str>,
    /// The adapter.
    pub adapter: Arc<str>,
    /// 1 for the first attempt of a delivery, 2 for its first retry, …
    pub attempt: u32,
    /// How long it took (zero for a refusal).
    pub duration: Duration,
    /// `ok`, or the failure's code (`error` when the adapter gave none).
    pub outcome: String,
    /// The failure's message.
    pub message: Option<String>,
    /// The HTTP status of the attempt's last answer (http adapters).
    pub status: Option<u16>,
    /// The first [`BODY_PREFIX`] bytes of that answer's body, as text (lossy).
    pub body: Option<String>,
}

/// Keeps attempt records; called on the delivery path, so it must not block.
pub trait AttemptLog: Send + Sync + std::fmt::Debug {
    /// Keeps one record.
    fn record(&self, record: AttemptRecord);
}

/// Where a subscription's lane records its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaneTag {
    pub subscription: u64,
    pub key: Option<Arc<str>>,
}
