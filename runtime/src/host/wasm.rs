//! [`Adapter`] and [`Endpoint`] for a Wasm component, on top of its [`InstancePool`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::convert::{cap_message, error_from_wit};
use super::pool::{Answer, InstancePool, Op, SharedPool, TargetRef};
use crate::adapter::{Adapter, BoxFuture, DeliveryContext, DeliveryError, Endpoint, OptionsError};
use crate::signal::Signal;

/// Keys of opened endpoints, unique in the process.
static NEXT_TARGET_KEY: AtomicU64 = AtomicU64::new(1);

/// An adapter implemented by a Wasm component.
#[derive(Debug, Clone)]
pub struct WasmAdapter {
    pool: SharedPool,
}

impl WasmAdapter {
    /// Wraps a pool.
    pub fn new(pool: InstancePool) -> Self {
        WasmAdapter { pool: Arc::new(pool) }
    }

    /// The instance pool (for statistics).
    pub fn pool(&self) -> &InstancePool {
        &self.pool
    }

    fn options_error(&self, message: String) -> OptionsError {
        OptionsError { adapter: self.pool.name().to_owned(), message: cap_message(message) }
    }
}

impl Adapter for WasmAdapter {
    fn validate_opts<'a>(&'a self, opts: &'a str) -> BoxFuture<'a, Result<String, OptionsError>> {
        Box::pin(async move {
            match self.pool.run(Op::Validate(opts)).await {
                Ok(Answer::Validated(Ok(normalised))) => Ok(normalised),
                Ok(Answer::Validated(Err(message))) => Err(self.options_error(message)),
                Ok(other) => Err(self.options_error(format!("unexpected answer {other:?}"))),
                Err(error) => {
                    Err(self.options_error(format!("the component failed while validating: {error}")))
                }
            }
        })
    }

    fn open(&self, opts: String) -> BoxFuture<'_, Result<Arc<dyn Endpoint>, OptionsError>> {
        Box::pin(async move {
            let key = NEXT_TARGET_KEY.fetch_add(1, Ordering::Relaxed);
            match self.pool.run(Op::Open(TargetRef { key, opts: &opts })).await {
                Ok(Answer::Opened) => {
                    Ok(Arc::new(WasmEndpoint { pool: self.pool.clone(), key, opts }) as Arc<dyn Endpoint>)
                }
                Ok(Answer::OpenFailed(message)) => Err(self.options_error(message)),
                Ok(other) => Err(self.options_error(format!("unexpected answer {other:?}"))),
                Err(error) => Err(self.options_error(format!("the component failed while opening: {error}"))),
            }
        })
    }
}

/// An opened target of a Wasm adapter.
#[derive(Debug)]
pub struct WasmEndpoint {
    pool: SharedPool,
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

fn unexpected(answer: &Answer) -> DeliveryError {
    DeliveryError::permanent("adapter_error", format!("unexpected answer {answer:?}"))
}

impl Endpoint for WasmEndpoint {
    fn deliver<'a>(
        &'a self,
        signal: &'a Signal,
        ctx: DeliveryContext,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            match self.pool.run(Op::Deliver(self.target(), signal, &ctx)).await? {
                Answer::Delivered(result) => result.map_err(error_from_wit),
                Answer::OpenFailed(message) => Err(open_failed(message)),
                other => Err(unexpected(&other)),
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
            match self.pool.run(Op::Batch(self.target(), signals, &ctx)).await {
                Ok(Answer::Batch(results)) if results.len() == signals.len() => {
                    results.into_iter().map(|r| r.map_err(error_from_wit)).collect()
                }
                Ok(Answer::Batch(results)) => all(DeliveryError::permanent(
                    "adapter_error",
                    format!("deliver-batch returned {} results for {} signals", results.len(), signals.len()),
                )),
                Ok(Answer::OpenFailed(message)) => all(open_failed(message)),
                Ok(other) => all(unexpected(&other)),
                Err(error) => all(error),
            }
        })
    }

    fn health_check(&self, ctx: DeliveryContext) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            match self.pool.run(Op::Health(self.target(), &ctx)).await {
                Ok(Answer::Health(result)) => result.map_err(cap_message),
                Ok(Answer::OpenFailed(message)) => Err(cap_message(message)),
                Ok(other) => Err(format!("unexpected answer {other:?}")),
                Err(error) => Err(error.to_string()),
            }
        })
    }
}
