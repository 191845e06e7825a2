//! Tenants: the owners of custom adapters. Each tenant has a cap on calls in flight over all
//! of its adapters together, so one tenant's slow or looping adapters cannot occupy every
//! worker while another tenant's signals wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;

/// Calls in flight per tenant by default.
pub const DEFAULT_TENANT_CONCURRENCY: usize = 8;

/// Which tenant an adapter belongs to, and (when it is the first of its tenant) the cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSpec {
    /// The tenant's name.
    pub name: String,
    /// Calls in flight over all of its adapters; the first adapter loaded for a tenant sets it.
    pub max_concurrency: usize,
}

/// A tenant's shared cap.
#[derive(Debug)]
pub struct Tenant {
    name: Arc<str>,
    max: usize,
    permits: Semaphore,
}

impl Tenant {
    /// The tenant's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its cap on calls in flight.
    pub fn max_concurrency(&self) -> usize {
        self.max
    }

    /// Waits for a call slot.
    pub(crate) async fn acquire(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.permits.acquire().await.ok()
    }
}

/// Every tenant of a host, by name.
#[derive(Debug, Default)]
pub(crate) struct Tenants {
    by_name: Mutex<HashMap<String, Arc<Tenant>>>,
}

impl Tenants {
    /// The tenant `spec` names, created with its cap on first use.
    pub(crate) fn get(&self, spec: &TenantSpec) -> Arc<Tenant> {
        let mut by_name = self.by_name.lock().unwrap_or_else(PoisonError::into_inner);
        by_name
            .entry(spec.name.clone())
            .or_insert_with(|| {
                let max = spec.max_concurrency.max(1);
                Arc::new(Tenant { name: Arc::from(spec.name.as_str()), max, permits: Semaphore::new(max) })
            })
            .clone()
    }
}
