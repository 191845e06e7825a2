//! Telemetry: one typed [`DeliveryEvent`] per delivery attempt, broadcast to embedders
//! (`Runtime::telemetry().subscribe()`), a `tracing` span per attempt with the same fields,
//! and [`Metrics`] rendered as Prometheus text.
//!
//! Labels are bounded: the adapter's name and an outcome class (`ok`, `retryable`,
//! `permanent`), never guest-chosen error codes; a target is named by its URL origins or an
//! opaque hash of its options, never by the options themselves (they may hold secrets).

mod metrics;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

pub use metrics::Metrics;
pub(crate) use metrics::escape as metrics_escape;

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
    metrics: Metrics,
}

impl Default for Telemetry {
    fn default() -> Self {
        Telemetry { events: broadcast::channel(EVENT_BUFFER).0, metrics: Metrics::default() }
    }
}

impl Telemetry {
    /// A stream of every delivery event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DeliveryEvent> {
        self.events.subscribe()
    }

    /// The delivery metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
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
