//! `health_check(target)`: the adapter's probe, timed, combined with what deliveries and the
//! circuit breaker have seen.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::Target;
use crate::resilience::BreakerState;

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthStatus {
    /// The probe succeeded, the breaker is closed, and the last delivery (if any) succeeded.
    Healthy,
    /// The probe succeeded but the last delivery failed or the breaker is half-open.
    Degraded,
    /// The probe failed or the breaker is open.
    Unhealthy,
}

/// A target's health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The verdict.
    pub status: HealthStatus,
    /// How long the adapter's `health-check` took.
    pub latency: Duration,
    /// Why the probe failed, if it did.
    pub probe_error: Option<String>,
    /// When a delivery last succeeded (RFC 3339).
    pub last_success: Option<String>,
    /// When a delivery last finally failed, and why.
    pub last_failure: Option<(String, String)>,
    /// The circuit breaker's state, if the target has one.
    pub breaker: Option<BreakerState>,
}

/// What deliveries to a target have seen, shared by its clones.
#[derive(Debug, Default)]
pub(crate) struct DeliveryRecord {
    inner: Mutex<(Option<(tokio::time::Instant, String)>, Option<(tokio::time::Instant, String, String)>)>,
}

impl DeliveryRecord {
    pub(crate) fn success(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.0 = Some((tokio::time::Instant::now(), crate::signal::now()));
    }

    pub(crate) fn failure(&self, error: String) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.1 = Some((tokio::time::Instant::now(), crate::signal::now(), error));
    }

    /// (last success time, last failure (time, error), whether the failure is the latest).
    fn snapshot(&self) -> (Option<String>, Option<(String, String)>, bool) {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let failing = match (&inner.0, &inner.1) {
            (Some((ok, _)), Some((bad, _, _))) => bad > ok,
            (None, Some(_)) => true,
            _ => false,
        };
        (inner.0.as_ref().map(|s| s.1.clone()), inner.1.as_ref().map(|f| (f.1.clone(), f.2.clone())), failing)
    }
}

impl Target {
    /// Probes the target through the adapter's `health-check` and combines the result with
    /// the target's recent deliveries and its breaker.
    pub async fn health(&self) -> Health {
        let started = std::time::Instant::now();
        let probe = self.health_check().await;
        let latency = started.elapsed();
        let (last_success, last_failure, failing) = self.record.snapshot();
        let breaker = self.breaker_state();
        let status = match (&probe, breaker) {
            (Err(_), _) | (_, Some(BreakerState::Open { .. })) => HealthStatus::Unhealthy,
            (Ok(()), Some(BreakerState::HalfOpen { .. })) => HealthStatus::Degraded,
            (Ok(()), _) if failing => HealthStatus::Degraded,
            (Ok(()), _) => HealthStatus::Healthy,
        };
        Health { status, latency, probe_error: probe.err(), last_success, last_failure, breaker }
    }
}
