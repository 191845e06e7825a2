//! The delivery abstraction every adapter implements, Wasm or native.
//!
//! An [`Adapter`] validates options and opens [`Endpoint`]s; an endpoint delivers signals.
//! Built-in and custom Wasm components implement it through [`crate::host`]; embedders
//! may register native adapters (and the benchmarks use a native no-op as the baseline
//! behind this same API).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::signal::Signal;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a delivery failed, with the adapter's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Human-readable reason.
    pub message: String,
    /// Short machine-readable reason (`http_503`, `time_limit`, `process_not_found`, …).
    pub code: Option<String>,
    /// How long the receiver asked us to wait before retrying.
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A failed delivery: the adapter decides whether it is worth retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// Transient; the host may retry.
    #[error("{0} (retryable)")]
    Retryable(Failure),
    /// Final.
    #[error("{0}")]
    Permanent(Failure),
}

impl DeliveryError {
    /// A retryable failure with a code.
    pub fn retryable(code: &str, message: impl Into<String>) -> Self {
        DeliveryError::Retryable(Failure {
            message: message.into(),
            code: Some(code.to_owned()),
            retry_after: None,
        })
    }

    /// A permanent failure with a code.
    pub fn permanent(code: &str, message: impl Into<String>) -> Self {
        DeliveryError::Permanent(Failure {
            message: message.into(),
            code: Some(code.to_owned()),
            retry_after: None,
        })
    }

    /// The failure, whatever its class.
    pub fn failure(&self) -> &Failure {
        match self {
            DeliveryError::Retryable(f) | DeliveryError::Permanent(f) => f,
        }
    }

    /// The same error with its message replaced by `message`.
    pub(crate) fn with_message(mut self, message: String) -> Self {
        let (DeliveryError::Retryable(f) | DeliveryError::Permanent(f)) = &mut self;
        f.message = message;
        self
    }

    /// The same error, its message ending with what the component wrote to stderr last
    /// (`said`, when it wrote anything): why a trap happened, in the component's words.
    pub(crate) fn with_stderr(mut self, said: Option<String>) -> Self {
        if let Some(said) = said {
            let (DeliveryError::Retryable(f) | DeliveryError::Permanent(f)) = &mut self;
            f.message = format!("{}; stderr: {said}", f.message);
        }
        self
    }

    /// Whether retrying may help.
    pub fn is_retryable(&self) -> bool {
        matches!(self, DeliveryError::Retryable(_))
    }

    /// The failure's code, if any.
    pub fn code(&self) -> Option<&str> {
        self.failure().code.as_deref()
    }
}

/// What the host knows about a delivery beyond the signal itself.
#[derive(Debug, Clone, Default)]
pub struct DeliveryContext {
    /// How many buses the signal has crossed through `bus` targets to get here; the host
    /// refuses to publish it further past [`MAX_BUS_HOPS`] (a loop guard guests cannot
    /// forge, since it never travels inside the signal).
    pub hops: u32,
    /// What the target may do through the `http` import (its origins and pool); `None`
    /// means no http access.
    pub http: Option<Arc<crate::outbound::HttpTarget>>,
    /// Final answers already received during this delivery (kept across its retries), so a
    /// retry re-sends only the requests that failed retryably.
    pub replay: Option<Arc<crate::outbound::ResponseMemo>>,
    /// Where a connection-pool slot taken before the call got its instance waits for the
    /// call's first request (so a delivery waiting for a slot holds no instance); only for
    /// targets with `http` access.
    pub http_slot: Option<Arc<std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>>>,
    /// The attempt's W3C `traceparent`, sent on the call's `http` requests that set none.
    pub traceparent: Option<Arc<str>>,
    /// The signal's W3C `tracestate`, sent with that `traceparent`.
    pub tracestate: Option<Arc<str>>,
    /// Where the call's `http` answers are noted for the attempt log (`None`: no log).
    pub observed: Option<Arc<crate::outbound::Observed>>,
}

impl DeliveryContext {
    /// The context of a delivery after `hops` bus crossings, with `http` access or none.
    pub fn new(hops: u32, http: Option<Arc<crate::outbound::HttpTarget>>) -> Self {
        let http_slot = http.as_ref().map(|_| Arc::default());
        DeliveryContext {
            hops,
            http,
            replay: None,
            http_slot,
            traceparent: None,
            tracestate: None,
            observed: None,
        }
    }

    /// Keeps `slot` for the call's first request (dropped at once without http access).
    pub fn reserve_http_slot(&self, slot: tokio::sync::OwnedSemaphorePermit) {
        if let Some(held) = &self.http_slot {
            *held.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(slot);
        }
    }

    /// The slot reserved for this call, if it is still unused.
    pub fn take_http_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.http_slot.as_ref()?.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take()
    }
}

/// Buses a signal may cross through `bus` targets before the host calls it a loop.
pub const MAX_BUS_HOPS: u32 = 8;

/// Options an adapter refused, with its message (which names the option).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid options for adapter `{adapter}`: {message}")]
pub struct OptionsError {
    /// The adapter's name.
    pub adapter: String,
    /// The adapter's own message.
    pub message: String,
}

/// A kind of destination: validates options and opens endpoints.
pub trait Adapter: Send + Sync + 'static {
    /// Checks `opts` (a JSON object of the adapter's own options) and returns them
    /// normalised, with defaults filled in.
    fn validate_opts<'a>(&'a self, opts: &'a str) -> BoxFuture<'a, Result<String, OptionsError>>;

    /// Opens an endpoint from normalised options.
    fn open(&self, opts: String) -> BoxFuture<'_, Result<Arc<dyn Endpoint>, OptionsError>>;
}

/// A configured destination of one adapter.
pub trait Endpoint: Send + Sync + 'static {
    /// Delivers one signal.
    fn deliver<'a>(
        &'a self,
        signal: &'a Signal,
        ctx: DeliveryContext,
    ) -> BoxFuture<'a, Result<(), DeliveryError>>;

    /// Delivers a batch; one result per signal, in order. Defaults to one `deliver` each.
    fn deliver_batch<'a>(
        &'a self,
        signals: &'a [Signal],
        ctx: DeliveryContext,
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            let mut results = Vec::with_capacity(signals.len());
            for signal in signals {
                results.push(self.deliver(signal, ctx.clone()).await);
            }
            results
        })
    }

    /// Probes the destination. Defaults to healthy.
    fn health_check(&self, _ctx: DeliveryContext) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// An adapter that accepts any options unchanged and opens the same endpoint for every
/// target: the shortest way to plug a native [`Endpoint`] into a runtime.
///
/// ```
/// use std::sync::Arc;
/// use jido_dispatch::adapter::{NativeNoop, SharedEndpoint};
/// # fn register(runtime: &jido_dispatch::Runtime) {
/// runtime.register_adapter("native-noop", Arc::new(SharedEndpoint::new(NativeNoop)));
/// # }
/// ```
#[derive(Clone)]
pub struct SharedEndpoint(pub Arc<dyn Endpoint>);

impl SharedEndpoint {
    /// Wraps `endpoint`.
    pub fn new(endpoint: impl Endpoint) -> Self {
        SharedEndpoint(Arc::new(endpoint))
    }
}

impl std::fmt::Debug for SharedEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedEndpoint").finish_non_exhaustive()
    }
}

impl Adapter for SharedEndpoint {
    fn validate_opts<'a>(&'a self, opts: &'a str) -> BoxFuture<'a, Result<String, OptionsError>> {
        Box::pin(async move { Ok(opts.to_owned()) })
    }

    fn open(&self, _opts: String) -> BoxFuture<'_, Result<Arc<dyn Endpoint>, OptionsError>> {
        let endpoint = self.0.clone();
        Box::pin(async move { Ok(endpoint) })
    }
}

/// A native endpoint that accepts every signal: the baseline the benchmarks compare Wasm
/// adapters against (register it with [`SharedEndpoint`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct NativeNoop;

impl Endpoint for NativeNoop {
    fn deliver<'a>(
        &'a self,
        signal: &'a Signal,
        _ctx: DeliveryContext,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            std::hint::black_box(signal);
            Ok(())
        })
    }
}
