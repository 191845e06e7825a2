//! Where final failures go: the dead-letter store, and the signal annotated for
//! `on_failure` targets.

use std::sync::Arc;

use super::{DeadLetter, DeadLetterStore};
use crate::adapter::DeliveryError;
use crate::signal::{ExtensionValue, Signal};
use crate::target::Target;

/// Records final failures from one origin (`dispatch`, `bus/<name>/<subscription>`).
#[derive(Clone)]
pub struct FailureSink {
    store: Arc<dyn DeadLetterStore>,
    origin: Arc<str>,
}

impl std::fmt::Debug for FailureSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureSink").field("origin", &self.origin).finish_non_exhaustive()
    }
}

impl FailureSink {
    /// A sink writing to `store`, tagging letters with `origin`.
    pub fn new(store: Arc<dyn DeadLetterStore>, origin: impl Into<Arc<str>>) -> Self {
        FailureSink { store, origin: origin.into() }
    }

    /// Records that `target` finally failed `signal` after `attempts`; returns the dead
    /// letter's id, or the store's error (also logged), in which case a durable caller
    /// keeps the signal.
    pub fn record(
        &self,
        target: &Target,
        signal: &Signal,
        error: &DeliveryError,
        attempts: u32,
    ) -> Result<u64, super::StoreError> {
        let letter = DeadLetter {
            id: 0,
            origin: self.origin.to_string(),
            target: target.spec().clone(),
            error: error.clone(),
            attempts,
            failed_at: crate::signal::now(),
            signal: signal.clone(),
        };
        match self.store.record(letter) {
            Ok(id) => {
                tracing::warn!(origin = %self.origin, adapter = %target.spec().adapter, signal = %signal.id, dead_letter = id, attempts, "delivery finally failed: {error}");
                Ok(id)
            }
            Err(store_error) => {
                tracing::error!(origin = %self.origin, signal = %signal.id, "delivery finally failed ({error}) and could not be recorded: {store_error}");
                Err(store_error)
            }
        }
    }
}

/// `signal` with the failure attached for `on_failure` targets: extension attributes
/// `failureadapter`, `failurecode`, `failuremessage`, `failureattempts`.
pub fn annotate(signal: &Signal, adapter: &str, error: &DeliveryError, attempts: u32) -> Signal {
    let mut annotated = signal.clone();
    let failure = error.failure();
    let extensions = &mut annotated.extensions;
    extensions.insert("failureadapter".to_owned(), ExtensionValue::Text(adapter.to_owned()));
    extensions
        .insert("failurecode".to_owned(), ExtensionValue::Text(failure.code.clone().unwrap_or_default()));
    extensions.insert("failuremessage".to_owned(), ExtensionValue::Text(failure.message.clone()));
    extensions.insert("failureattempts".to_owned(), ExtensionValue::Integer(i64::from(attempts)));
    annotated
}
