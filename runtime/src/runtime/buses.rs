//! The runtime's named buses, created on first use, and the subscription ids they share.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, PoisonError, RwLock};

use crate::bus::{Bus, TargetOpener};

/// The buses by name.
pub(super) struct Buses {
    by_name: RwLock<HashMap<String, Bus>>,
    /// Subscription ids are unique across every bus of the runtime.
    next_subscription: Arc<AtomicU64>,
}

impl Default for Buses {
    fn default() -> Self {
        Buses { by_name: RwLock::default(), next_subscription: Arc::new(AtomicU64::new(1)) }
    }
}

impl Buses {
    /// The bus `name`, if it exists.
    pub fn get(&self, name: &str) -> Option<Bus> {
        self.by_name.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }

    /// The bus `name`, created with `opener` on first use.
    pub fn get_or_create(&self, name: &str, opener: impl FnOnce() -> Arc<dyn TargetOpener>) -> Bus {
        if let Some(bus) = self.get(name) {
            return bus;
        }
        let mut buses = self.by_name.write().unwrap_or_else(PoisonError::into_inner);
        let next_id = self.next_subscription.clone();
        buses.entry(name.to_owned()).or_insert_with(|| Bus::new(name, opener(), next_id)).clone()
    }

    /// Every name, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.by_name.read().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect();
        names.sort();
        names
    }
}
