//! An opened target: spec, normalised options, the adapter's endpoint and the target's
//! http grant, resolved once by [`Runtime::open_target`](crate::Runtime::open_target).

use std::sync::Arc;

use crate::adapter::{DeliveryContext, DeliveryError, Endpoint};
use crate::host::http::HttpTarget;
use crate::resilience::retry_uniform as uniform;
use crate::resilience::{Admission, Breaker, BreakerState, RetryPolicy};
use crate::signal::Signal;
use crate::target::TargetSpec;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument as _;

use crate::telemetry::{DeliveryEvent, Telemetry};

/// An opened target: its spec, normalised options, and the adapter's endpoint.
#[derive(Clone)]
pub struct Target {
    pub(super) spec: Arc<TargetSpec>,
    pub(super) normalised: Arc<str>,
    pub(super) endpoint: Arc<dyn Endpoint>,
    pub(super) http: Option<Arc<HttpTarget>>,
    pub(super) retry: RetryPolicy,
    pub(super) breaker: Option<Arc<Breaker>>,
    pub(super) record: Arc<super::health::DeliveryRecord>,
    pub(super) batching: Option<(usize, Duration)>,
    pub(super) telemetry: Arc<Telemetry>,
    /// How telemetry names the target: URL origins, or `adapter#hash` (never its options).
    pub(super) label: Arc<str>,
    /// The adapter's name, shared.
    pub(super) adapter: Arc<str>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("adapter", &self.spec.adapter)
            .field("options", &self.normalised)
            .finish()
    }
}

impl Target {
    /// The spec it was opened from.
    pub fn spec(&self) -> &TargetSpec {
        &self.spec
    }

    /// The adapter options as the adapter normalised them (defaults filled in).
    pub fn normalised_options(&self) -> &str {
        &self.normalised
    }

    /// The adapter's endpoint.
    pub fn endpoint(&self) -> &Arc<dyn Endpoint> {
        &self.endpoint
    }

    /// The context of a delivery to this target after `hops` bus crossings.
    pub fn context(&self, hops: u32) -> DeliveryContext {
        DeliveryContext { hops, http: self.http.clone() }
    }

    /// The target's retry policy (its `retry_policy`, or the adapter's default).
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The state of the target's circuit breaker (`None`: no breaker).
    pub fn breaker_state(&self) -> Option<BreakerState> {
        self.breaker.as_ref().map(|b| b.state())
    }

    /// Delivers one signal to this target, retrying retryable failures as its
    /// `retry_policy` says.
    pub async fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        self.deliver_after_hops(signal, 0).await
    }

    /// [`Target::deliver`] for a signal that has crossed `hops` buses. Waits between
    /// attempts on tokio timers, so a retrying target holds back nothing but its own lane.
    pub(crate) async fn deliver_after_hops(&self, signal: &Signal, hops: u32) -> Result<(), DeliveryError> {
        self.deliver_counted(signal, hops).await.0
    }

    /// [`Target::deliver_after_hops`], also returning the attempts made (refusals by an
    /// open breaker are not attempts).
    pub(crate) async fn deliver_counted(
        &self,
        signal: &Signal,
        hops: u32,
    ) -> (Result<(), DeliveryError>, u32) {
        self.continue_delivery(signal, hops, None).await
    }

    /// The delivery loop. `first`: the outcome of an attempt already made elsewhere (a
    /// batch), which the loop takes as its first attempt and goes on from.
    pub(crate) async fn continue_delivery(
        &self,
        signal: &Signal,
        hops: u32,
        mut first: Option<Result<(), DeliveryError>>,
    ) -> (Result<(), DeliveryError>, u32) {
        let mut retry = 0;
        let mut attempts = 0;
        loop {
            let (admission, outcome) = match first.take() {
                Some(outcome) => {
                    attempts += 1;
                    (Admission::Allowed, outcome)
                }
                None => self.attempt(signal, hops, &mut attempts).await,
            };
            if let (Admission::Trial, Some(breaker)) = (admission, &self.breaker) {
                breaker.trial_done(outcome.is_ok(), Instant::now());
            }
            let error = match outcome {
                Ok(()) => {
                    if let Some(breaker) = &self.breaker {
                        breaker.delivery_done(true, Instant::now());
                    }
                    self.record.success();
                    return (Ok(()), attempts);
                }
                Err(error) => error,
            };
            if !error.is_retryable() || retry >= self.retry.max_retries {
                if let (Some(breaker), false) = (&self.breaker, admission == Admission::Refused) {
                    breaker.delivery_done(false, Instant::now());
                }
                self.record.failure(error.to_string());
                return (Err(error), attempts);
            }
            retry += 1;
            let wait = self.retry.wait(retry, error.failure().retry_after, uniform);
            tracing::debug!(adapter = %self.spec.adapter, signal = %signal.id, retry, wait_ms = wait.as_millis() as u64, "retrying: {error}");
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt, if the breaker admits it; timed, traced and emitted as telemetry.
    async fn attempt(
        &self,
        signal: &Signal,
        hops: u32,
        attempts: &mut u32,
    ) -> (Admission, Result<(), DeliveryError>) {
        let admission = self.breaker.as_ref().map_or(Admission::Allowed, |b| b.admit(Instant::now()));
        if admission == Admission::Refused {
            let refused = Err(DeliveryError::retryable(
                "circuit_open",
                format!("the circuit breaker of `{}` is open", self.label),
            ));
            self.emit_attempt(signal, *attempts + 1, Duration::ZERO, &refused);
            return (admission, refused);
        }
        *attempts += 1;
        let span = tracing::debug_span!(
            "jido.deliver",
            adapter = %self.spec.adapter,
            target = %self.label,
            signal = %signal.id,
            attempt = *attempts,
            success = tracing::field::Empty,
            duration_us = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let outcome = self.endpoint.deliver(signal, self.context(hops)).instrument(span.clone()).await;
        let duration = started.elapsed();
        span.record("success", outcome.is_ok());
        span.record("duration_us", duration.as_micros() as u64);
        if let Err(error) = &outcome {
            span.record("error", tracing::field::display(error));
        }
        self.emit_attempt(signal, *attempts, duration, &outcome);
        (admission, outcome)
    }

    /// Emits one attempt's telemetry event (also used for the signals of a batch call).
    pub(crate) fn emit_attempt(
        &self,
        signal: &Signal,
        attempt: u32,
        duration: Duration,
        outcome: &Result<(), DeliveryError>,
    ) {
        self.telemetry.emit(&self.adapter, duration, outcome, || DeliveryEvent {
            adapter: self.adapter.clone(),
            target: self.label.clone(),
            signal: signal.id.clone(),
            attempt,
            duration,
            success: outcome.is_ok(),
            error: outcome.as_ref().err().cloned(),
        });
    }

    /// How telemetry names this target.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether a batch may be sent now: no breaker, or a closed one (an open or half-open
    /// breaker sends its signals one by one through the normal loop instead).
    pub(crate) fn batch_admitted(&self) -> bool {
        self.breaker.as_ref().is_none_or(|b| matches!(b.state(), BreakerState::Closed { .. }))
    }

    /// `batch_size` and `batch_timeout` (alias `flush_interval`), if the target batches.
    pub fn batching(&self) -> Option<(usize, Duration)> {
        self.batching
    }

    /// Delivers a batch to this target (the adapter's `deliver-batch`); one result each.
    pub async fn deliver_batch(&self, signals: &[Signal]) -> Vec<Result<(), DeliveryError>> {
        self.endpoint.deliver_batch(signals, self.context(0)).await
    }

    /// Probes this target through the adapter's `health-check`.
    pub async fn health_check(&self) -> Result<(), String> {
        self.endpoint.health_check(self.context(0)).await
    }

    /// What makes two targets the same destination: adapter, normalised options and
    /// host-level keys.
    pub fn identity(&self) -> Arc<str> {
        let host = serde_json::Value::Object(self.spec.host.clone());
        Arc::from(format!("{}\u{0}{}\u{0}{host}", self.spec.adapter, self.normalised))
    }
}
