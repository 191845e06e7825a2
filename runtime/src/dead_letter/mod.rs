//! Dead letters: every delivery that finally failed (after its retries, or refused by an
//! open breaker) is recorded with the signal, the target, the error and the attempts, so
//! nothing is dropped silently. Letters can be listed, inspected, redriven to their
//! original target and purged.
//!
//! [`DeadLetterStore`] is the seam for backends; [`MemoryStore`] keeps letters in the
//! process, [`SqliteStore`] in a SQLite file.

#[cfg(any(feature = "sqlite", feature = "cluster"))]
pub(crate) mod codec;
mod memory;
mod sink;
#[cfg(feature = "sqlite")]
mod sqlite;

use crate::adapter::DeliveryError;
use crate::signal::Signal;
use crate::target::TargetSpec;

pub use memory::MemoryStore;
pub(crate) use sink::{FailureSink, annotate};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// A recorded final failure.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// Store-assigned id.
    pub id: u64,
    /// Where the delivery came from: `bus/<name>/<subscription>` or `dispatch`.
    pub origin: String,
    /// The target that failed, as configured.
    pub target: TargetSpec,
    /// The final error.
    pub error: DeliveryError,
    /// Attempts made (0 when an open breaker refused every one).
    pub attempts: u32,
    /// When it finally failed (RFC 3339, UTC).
    pub failed_at: String,
    /// The signal.
    pub signal: Signal,
}

impl DeadLetter {
    /// The letter as JSON: id, origin, time, attempts, target (its secrets as fingerprints;
    /// see [`TargetSpec::to_redacted_value`](crate::target::TargetSpec::to_redacted_value)),
    /// error and the signal. The stored letter keeps the target whole, for redrive.
    pub fn to_json(&self) -> serde_json::Value {
        let failure = self.error.failure();
        serde_json::json!({
            "id": self.id,
            "origin": self.origin,
            "failed_at": self.failed_at,
            "attempts": self.attempts,
            "target": self.target.to_redacted_value(&[]),
            "error": {"retryable": self.error.is_retryable(), "code": failure.code, "message": failure.message},
            "signal": serde_json::from_str::<serde_json::Value>(&self.signal.to_json()).unwrap_or_default(),
        })
    }
}

/// A dead-letter store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dead-letter store: {0}")]
pub struct StoreError(pub String);

/// Where dead letters are kept.
pub trait DeadLetterStore: Send + Sync + 'static {
    /// Records a letter (its `id` is ignored) and returns the id assigned.
    fn record(&self, letter: DeadLetter) -> Result<u64, StoreError>;
    /// Every letter, oldest first.
    fn list(&self) -> Result<Vec<DeadLetter>, StoreError>;
    /// One letter.
    fn get(&self, id: u64) -> Result<Option<DeadLetter>, StoreError>;
    /// Removes one letter; whether it existed.
    fn remove(&self, id: u64) -> Result<bool, StoreError>;
    /// Removes every letter; how many there were.
    fn purge(&self) -> Result<usize, StoreError>;
    /// Up to `limit` letters with ids above `after`, oldest first (a page of [`list`]).
    ///
    /// [`list`]: DeadLetterStore::list
    fn page(&self, after: u64, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(self.list()?.into_iter().filter(|letter| letter.id > after).take(limit).collect())
    }
    /// How many letters there are.
    fn count(&self) -> Result<usize, StoreError> {
        self.list().map(|letters| letters.len())
    }
    /// The largest id of a letter now stored (0: none); bulk redrive stops there, so
    /// letters recorded while it runs are not taken.
    fn last_id(&self) -> Result<u64, StoreError> {
        Ok(self.list()?.last().map_or(0, |letter| letter.id))
    }
}
