//! [`Adapter`] and [`Endpoint`] for a Wasm component, on top of its [`InstancePool`].
//!
//! The adapter and every endpoint it opened share one *slot* holding the current pool, so
//! [`WasmAdapter::replace`] swaps the component under live targets: calls already running
//! finish on the old instances, the next ones run (and open their target) on the new.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use super::call::{Batch, Deliver, Health, Open, Validate};
use super::convert::{cap_message, error_from_wit};
use super::failure::HostFailure;
use super::instance::TargetRef;
use super::pool::{InstancePool, SharedPool};
use crate::adapter::{Adapter, BoxFuture, DeliveryContext, DeliveryError, Endpoint, OptionsError};
use crate::signal::Signal;

/// Keys of opened endpoints, unique in the process.
static NEXT_TARGET_KEY: AtomicU64 = AtomicU64::new(1);

/// The current pool of an adapter (or transform), shared with its endpoints.
#[derive(Debug)]
pub(super) struct Slot {
    pool: RwLock<SharedPool>,
    /// Every distinct option set opened so far (checked against a replacement).
    opened: Mutex<BTreeSet<String>>,
}

impl Slot {
    /// A slot holding `pool`.
    pub(super) fn new(pool: InstancePool) -> Arc<Slot> {
        Arc::new(Slot { pool: RwLock::new(Arc::new(pool)), opened: Mutex::default() })
    }

    /// The pool calls run on now.
    pub(super) fn current(&self) -> SharedPool {
        self.pool.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Notes an option set opened from this slot.
    pub(super) fn opened(&self, opts: &str) {
        self.opened.lock().unwrap_or_else(PoisonError::into_inner).insert(opts.to_owned());
    }

    /// Every option set opened so far.
    fn option_sets(&self) -> Vec<String> {
        self.opened.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }

    /// Makes `next`'s pool the current one once `accepts` (the new component's
    /// `validate-opts`) has accepted every option set opened from this slot; on a refusal
    /// nothing changes and the error names the options refused.
    pub(super) async fn replace<F>(&self, next: &Slot, accepts: impl Fn(String) -> F) -> Result<(), String>
    where
        F: Future<Output = Result<(), String>>,
    {
        for opts in self.option_sets() {
            accepts(opts.clone())
                .await
                .map_err(|e| format!("the new component refuses options in use ({opts}): {e}"))?;
        }
        *self.pool.write().unwrap_or_else(PoisonError::into_inner) = next.current();
        Ok(())
    }
}

/// A fresh key for an opened endpoint or transformer.
pub(super) fn next_key() -> u64 {
    NEXT_TARGET_KEY.fetch_add(1, Ordering::Relaxed)
}

/// An adapter implemented by a Wasm component.
#[derive(Debug, Clone)]
pub struct WasmAdapter {
    slot: Arc<Slot>,
}

impl WasmAdapter {
    /// Wraps a pool.
    pub fn new(pool: InstancePool) -> Self {
        WasmAdapter { slot: Slot::new(pool) }
    }

    /// The current instance pool (for statistics).
    pub fn pool(&self) -> SharedPool {
        self.slot.current()
    }

    /// Replaces the component under every target opened from this adapter, after checking
    /// that the new component accepts each of their option sets; on refusal nothing changes
    /// and the error names the options it refused.
    pub async fn replace(&self, next: WasmAdapter) -> Result<(), OptionsError> {
        let next = &next;
        let accepts =
            |opts: String| async move { next.validate_opts(&opts).await.map(drop).map_err(|e| e.message) };
        self.slot.replace(&next.slot, accepts).await.map_err(|message| self.options_error(message))
    }

    fn options_error(&self, message: String) -> OptionsError {
        OptionsError { adapter: self.slot.current().name().to_owned(), message: cap_message(message) }
    }
}

impl Adapter for WasmAdapter {
    fn validate_opts<'a>(&'a self, opts: &'a str) -> BoxFuture<'a, Result<String, OptionsError>> {
        Box::pin(async move {
            match self.slot.current().run(Validate(opts)).await {
                Ok(Ok(normalised)) => Ok(normalised),
                Ok(Err(message)) => Err(self.options_error(message)),
                Err(error) => {
                    Err(self.options_error(format!("the component failed while validating: {error}")))
                }
            }
        })
    }

    fn open(&self, opts: String) -> BoxFuture<'_, Result<Arc<dyn Endpoint>, OptionsError>> {
        Box::pin(async move {
            let key = next_key();
            match self.slot.current().run(Open(TargetRef { key, opts: &opts })).await {
                Ok(Ok(())) => {
                    self.slot.opened(&opts);
                    Ok(Arc::new(WasmEndpoint { slot: self.slot.clone(), key, opts }) as Arc<dyn Endpoint>)
                }
                Ok(Err(message)) => Err(self.options_error(message)),
                Err(error) => Err(self.options_error(format!("the component failed while opening: {error}"))),
            }
        })
    }
}

/// An opened target of a Wasm adapter.
#[derive(Debug)]
pub struct WasmEndpoint {
    slot: Arc<Slot>,
    key: u64,
    opts: String,
}

impl WasmEndpoint {
    fn target(&self) -> TargetRef<'_> {
        TargetRef { key: self.key, opts: &self.opts }
    }
}

fn open_failed(message: String) -> DeliveryError {
    DeliveryError::permanent("invalid_options", cap_message(message))
}

impl Endpoint for WasmEndpoint {
    fn deliver<'a>(
        &'a self,
        signal: &'a Signal,
        ctx: DeliveryContext,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            match self.slot.current().run(Deliver { target: self.target(), signal, ctx: &ctx }).await? {
                Ok(result) => result.map_err(error_from_wit),
                Err(message) => Err(open_failed(message)),
            }
        })
    }

    fn deliver_batch<'a>(
        &'a self,
        signals: &'a [Signal],
        ctx: DeliveryContext,
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            let all = |error: DeliveryError| signals.iter().map(|_| Err(error.clone())).collect();
            match self.slot.current().run(Batch { target: self.target(), signals, ctx: &ctx }).await {
                Ok(Ok(results)) if results.len() == signals.len() => {
                    results.into_iter().map(|r| r.map_err(error_from_wit)).collect()
                }
                Ok(Ok(results)) => all(HostFailure::AdapterError.error(format!(
                    "deliver-batch returned {} results for {} signals",
                    results.len(),
                    signals.len()
                ))),
                Ok(Err(message)) => all(open_failed(message)),
                Err(error) => all(error),
            }
        })
    }

    fn health_check(&self, ctx: DeliveryContext) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            match self.slot.current().run(Health { target: self.target(), ctx: &ctx }).await {
                Ok(Ok(result)) => result.map_err(cap_message),
                Ok(Err(message)) => Err(cap_message(message)),
                Err(error) => Err(error.to_string()),
            }
        })
    }
}
