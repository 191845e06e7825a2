//! `health_check(target)`: the adapter's probe, timed, combined with what deliveries and the
//! circuit breaker have seen.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::Target;
use crate::resilience::BreakerState;

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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

impl Health {
    /// The spec's shape: `{ status, latency_ms, last_success, last_failure, breaker }`
    /// (plus `probe_error`).
    pub fn to_json(&self) -> serde_json::Value {
        let status = match self.status {
            HealthStatus::Healthy => "healthy",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Unhealthy => "unhealthy",
        };
        let breaker = self.breaker.map(|state| match state {
            BreakerState::Closed { .. } => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen { .. } => "half_open",
        });
        serde_json::json!({
            "status": status,
            "latency_ms": self.latency.as_secs_f64() * 1000.0,
            "probe_error": self.probe_error,
            "last_success": self.last_success,
            "last_failure": self.last_failure.as_ref().map(|(at, why)| serde_json::json!({"at": at, "error": why})),
            "breaker": breaker,
        })
    }
}

/// When something happened: the instant the attempt that decided it ended (the clock read
/// that timed the attempt, so recording costs none), turned into wall-clock time and
/// formatted (RFC 3339) only when a health check reads it. (Which of a success and a
/// failure came last is [`Seen::failing`], not a comparison of times.)
#[derive(Debug, Clone, Copy)]
struct Event {
    at: std::time::Instant,
}

impl Event {
    fn rfc3339(&self) -> String {
        use time::format_description::well_known::Rfc3339;
        let now = std::time::SystemTime::now();
        let wall = now.checked_sub(self.at.elapsed()).unwrap_or(now);
        time::OffsetDateTime::from(wall).format(&Rfc3339).unwrap_or_default()
    }
}

#[derive(Debug, Default)]
struct Seen {
    success: Option<Event>,
    failure: Option<(Event, String)>,
    /// Whether the latest delivery recorded failed.
    failing: bool,
}

/// What deliveries to a target have seen, shared by its clones.
#[derive(Debug, Default)]
pub(crate) struct DeliveryRecord {
    seen: Mutex<Seen>,
}

impl DeliveryRecord {
    pub(crate) fn success(&self, at: std::time::Instant) {
        let event = Event { at };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.success = Some(event);
        seen.failing = false;
    }

    pub(crate) fn failure(&self, at: std::time::Instant, error: String) {
        let event = Event { at };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.failure = Some((event, error));
        seen.failing = true;
    }

    /// (last success time, last failure (time, error), whether the failure is the latest).
    fn snapshot(&self) -> (Option<String>, Option<(String, String)>, bool) {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let failing = seen.failing;
        let success = seen.success.as_ref().map(Event::rfc3339);
        let failure = seen.failure.as_ref().map(|(e, why)| (e.rfc3339(), why.clone()));
        (success, failure, failing)
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

#[cfg(test)]
mod tests {
    use super::DeliveryRecord;

    #[test]
    fn the_latest_outcome_decides_whether_a_target_is_failing() {
        let record = DeliveryRecord::default();
        assert!(!record.snapshot().2, "nothing seen yet");
        let now = std::time::Instant::now;
        record.failure(now(), "http_500".to_owned());
        assert!(record.snapshot().2, "the only delivery failed");
        record.success(now());
        let (success, failure, failing) = record.snapshot();
        assert!(!failing, "a success after the failure");
        assert!(success.is_some_and(|at| at.ends_with('Z')));
        assert_eq!(failure.map(|(_, why)| why).as_deref(), Some("http_500"), "the failure is kept");
        record.failure(now(), "timeout".to_owned());
        assert!(record.snapshot().2, "a failure after the success");
    }
}
