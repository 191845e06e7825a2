//! The attempt log: one [`AttemptRecord`] per delivery attempt (or refusal by an open
//! breaker), handed to an [`AttemptLog`] that keeps it, such as the daemon's store.
//!
//! A record names where the attempt went (subscription, lane, target label, adapter),
//! when and how long it took, its outcome code, and for http adapters the last answer the
//! host received for it: its status and the first [`BODY_PREFIX`] bytes of its body. It
//! never holds target options (they may hold secrets).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Bytes of a response body an attempt record keeps.
pub const BODY_PREFIX: usize = 1024;

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

/// The answer an attempt's `http` requests got: the one to show (a failed one over a
/// successful one, else the last).
#[derive(Debug, Default)]
pub struct Observed(Mutex<Option<(u16, Vec<u8>)>>);

impl Observed {
    /// Notes an answer; a non-2xx answer is not replaced by a 2xx one.
    pub fn note(&self, status: u16, body: &[u8]) {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let failed = |s: u16| !(200..300).contains(&s);
        if held.as_ref().is_some_and(|(kept, _)| failed(*kept) && !failed(status)) {
            return;
        }
        *held = Some((status, body[..body.len().min(BODY_PREFIX)].to_vec()));
    }

    /// The answer noted, with its body prefix as text.
    pub fn take(&self) -> (Option<u16>, Option<String>) {
        match self.0.lock().unwrap_or_else(PoisonError::into_inner).take() {
            Some((status, body)) => (Some(status), Some(String::from_utf8_lossy(&body).into_owned())),
            None => (None, None),
        }
    }
}

/// Where a subscription's lane records its attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LaneTag {
    pub subscription: u64,
    pub key: Option<Arc<str>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_answer_is_kept_over_a_later_success_and_bodies_are_cut() {
        let observed = Observed::default();
        observed.note(200, b"fine");
        observed.note(503, &vec![b'x'; 4000]);
        observed.note(204, b"");
        let (status, body) = observed.take();
        assert_eq!(status, Some(503));
        assert_eq!(body.map(|b| b.len()), Some(BODY_PREFIX));
        assert_eq!(observed.take(), (None, None));
    }

    #[test]
    fn the_last_answer_is_kept_when_all_succeeded() {
        let observed = Observed::default();
        observed.note(200, b"one");
        observed.note(202, b"two");
        assert_eq!(observed.take(), (Some(202), Some("two".to_owned())));
    }
}
