//! Telemetry: one typed [`DeliveryEvent`] per delivery attempt, broadcast to embedders
//! (`Runtime::telemetry().subscribe()`), a `tracing` span per attempt with the same fields,
//! [`Metrics`] rendered as Prometheus text, and W3C trace context ([`trace`]) with spans and
//! metrics exported over OTLP/HTTP when an endpoint is set ([`otlp`]).
//!
//! Labels are bounded: the adapter's name and an outcome class (`ok`, `retryable`,
//! `permanent`), never guest-chosen error codes; a target is named by its URL origins or an
//! opaque hash of its options, never by the options themselves (they may hold secrets).

pub mod attempts;
mod metrics;
pub mod otlp;
pub mod trace;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

pub use attempts::{AttemptLog, AttemptRecord};
pub use metrics::Metrics;
pub(crate) use metrics::escape as metrics_escape;
pub use otlp::{OtlpError, Tracing};
pub use trace::TraceContext;

use crate::adapter::DeliveryError;

/// Events kept for slow subscribers before the oldest are dropped (they see `Lagged`).
pub const EVENT_BUFFER: usize = 4096;

/// One delivery attempt (or one refusal by an open circuit breaker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryEvent {
    /// The adapter.
    pub adapter: Arc<str>,
    /// The target: its URL origins, or `adapter#hash` of its options.
    pub target: Arc<str>,
    /// The signal's id.
    pub signal: String,
    /// 1 for the first attempt of a delivery, 2 for its first retry, …
    pub attempt: u32,
    /// How long the attempt took (zero for a refusal).
    pub duration: Duration,
    /// Whether it succeeded.
    pub success: bool,
    /// The error, when it failed.
    pub error: Option<DeliveryError>,
}

/// The runtime's telemetry hub.
#[derive(Debug)]
pub struct Telemetry {
    events: broadcast::Sender<DeliveryEvent>,
    metrics: Arc<Metrics>,
    tracing: Tracing,
    attempt_log: std::sync::OnceLock<Arc<dyn AttemptLog>>,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry {
            events: broadcast::channel(EVENT_BUFFER).0,
            metrics: Arc::default(),
            tracing: Tracing::default(),
            attempt_log: std::sync::OnceLock::new(),
        }
    }
}

impl Telemetry {
    /// A stream of every delivery event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DeliveryEvent> {
        self.events.subscribe()
    }

    /// Telemetry that also exports spans and metrics to the OTLP/HTTP collector at
    /// `endpoint` (e.g. `http://127.0.0.1:4318`).
    pub fn with_otlp(endpoint: &str) -> Result<Telemetry, OtlpError> {
        let metrics = Arc::new(Metrics::default());
        let tracing = Tracing::otlp(endpoint, metrics.clone())?;
        Ok(Telemetry {
            events: broadcast::channel(EVENT_BUFFER).0,
            metrics,
            tracing,
            attempt_log: std::sync::OnceLock::new(),
        })
    }

    /// The delivery metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Sends every attempt from now on to `log` as well; only the first call takes effect
    /// (returns `false` for later ones).
    pub fn set_attempt_log(&self, log: Arc<dyn AttemptLog>) -> bool {
        self.attempt_log.set(log).is_ok()
    }

    /// The attempt log, once one is set.
    pub fn attempt_log(&self) -> Option<&Arc<dyn AttemptLog>> {
        self.attempt_log.get()
    }

    /// Spans: the tracer (exporting or not).
    pub fn tracing(&self) -> &Tracing {
        &self.tracing
    }

    /// Records an attempt: metrics always; the event (built by `event`) only when someone
    /// listens, so the hot path allocates nothing for telemetry.
    pub(crate) fn emit(
        &self,
        adapter: &Arc<str>,
        duration: Duration,
        result: &Result<(), DeliveryError>,
        event: impl FnOnce() -> DeliveryEvent,
    ) {
        self.metrics.observe(adapter, duration, result);
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(event());
        }
    }
}
