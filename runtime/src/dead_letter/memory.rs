//! The in-memory dead-letter store (the default; lost when the process exits).

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::{DeadLetter, DeadLetterStore, StoreError};

/// Dead letters in a map, ids counting up from 1.
#[derive(Debug, Default)]
pub struct MemoryStore {
    letters: Mutex<(u64, BTreeMap<u64, DeadLetter>)>,
}

impl DeadLetterStore for MemoryStore {
    fn record(&self, mut letter: DeadLetter) -> Result<u64, StoreError> {
        let mut guard = self.letters.lock().unwrap_or_else(PoisonError::into_inner);
        guard.0 += 1;
        letter.id = guard.0;
        guard.1.insert(letter.id, letter);
        Ok(guard.0)
    }

    fn list(&self) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(self.letters.lock().unwrap_or_else(PoisonError::into_inner).1.values().cloned().collect())
    }

    fn get(&self, id: u64) -> Result<Option<DeadLetter>, StoreError> {
        Ok(self.letters.lock().unwrap_or_else(PoisonError::into_inner).1.get(&id).cloned())
    }

    fn remove(&self, id: u64) -> Result<bool, StoreError> {
        Ok(self.letters.lock().unwrap_or_else(PoisonError::into_inner).1.remove(&id).is_some())
    }

    fn purge(&self) -> Result<usize, StoreError> {
        let mut guard = self.letters.lock().unwrap_or_else(PoisonError::into_inner);
        let count = guard.1.len();
        guard.1.clear();
        Ok(count)
    }
}
