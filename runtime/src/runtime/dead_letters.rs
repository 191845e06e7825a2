//! The runtime's dead letters: where final failures are recorded, and redriving them.

use std::sync::Arc;

use super::{Runtime, TargetOpenError};
use crate::adapter::DeliveryError;
use crate::dead_letter::{DeadLetterStore, FailureSink, StoreError};

/// Why a dead letter could not be redriven.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedriveError {
    /// No letter with that id.
    #[error("no dead letter {0}")]
    NotFound(u64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The target could not be opened again.
    #[error(transparent)]
    Target(#[from] TargetOpenError),
    /// Delivery failed again; the letter stays.
    #[error("redelivery failed: {0}")]
    Delivery(#[from] DeliveryError),
}

impl Runtime {
    /// The dead-letter store.
    pub fn dead_letters(&self) -> &Arc<dyn DeadLetterStore> {
        &self.inner.dead_letters
    }

    /// Re-delivers dead letter `id` to its original target (opened again from its spec);
    /// on success the letter is removed.
    pub async fn redrive(&self, id: u64) -> Result<(), RedriveError> {
        let letter = self.inner.dead_letters.get(id)?.ok_or(RedriveError::NotFound(id))?;
        let target = self.open_target(&letter.target).await?;
        target.deliver(&letter.signal).await?;
        self.inner.dead_letters.remove(id)?;
        Ok(())
    }

    pub(crate) fn failure_sink(&self, origin: impl Into<Arc<str>>) -> FailureSink {
        FailureSink::new(self.inner.dead_letters.clone(), origin)
    }

    pub(crate) fn dispatch_sink(&self) -> FailureSink {
        self.failure_sink("dispatch")
    }
}
