//! An opened target: spec, normalised options, the adapter's endpoint and the target's
//! http grant, resolved once by [`Runtime::open_target`](crate::Runtime::open_target).

use std::sync::Arc;

use std::time::Duration;

use crate::adapter::{DeliveryContext, DeliveryError, Endpoint};
use crate::outbound::HttpTarget;
use crate::resilience::{Breaker, BreakerState, RateLimiter, RetryPolicy};
use crate::signal::Signal;
use crate::target::{TargetSettings, TargetSpec};
use crate::telemetry::attempts::{AttemptRecord, LaneTag};
use crate::telemetry::{DeliveryEvent, Telemetry};

/// An opened target: its spec, normalised options, and the adapter's endpoint.
#[derive(Clone)]
pub struct Target {
    pub(crate) spec: Arc<TargetSpec>,
    pub(crate) normalised: Arc<str>,
    pub(crate) endpoint: Arc<dyn Endpoint>,
    pub(crate) http: Option<Arc<HttpTarget>>,
    pub(crate) settings: Arc<TargetSettings>,
    pub(crate) breaker: Option<Arc<Breaker>>,
    pub(crate) rate: Option<Arc<RateLimiter>>,
    pub(crate) record: Arc<super::DeliveryRecord>,
    pub(crate) telemetry: Arc<Telemetry>,
    /// How telemetry names the target: URL origins, or `adapter#hash` (never its options).
    pub(crate) label: Arc<str>,
    /// The adapter's name, shared.
    pub(crate) adapter: Arc<str>,
    /// The subscription lane this copy delivers for (attempt records name it).
    pub(crate) lane: Option<Arc<LaneTag>>,
    /// Where the operator signal goes when this target's lane pauses itself.
    pub(crate) on_pause: Option<Arc<Target>>,
    /// Its secret option values: scrubbed from failure messages before anything sees them.
    pub(crate) secrets: Arc<[String]>,
    /// Its `transform`, run once per delivery before the first attempt.
    pub(crate) transform: Option<Arc<crate::host::OpenedTransform>>,
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
        DeliveryContext::new(hops, self.http.clone())
    }

    /// The target's host-level settings, typed.
    pub fn settings(&self) -> &TargetSettings {
        &self.settings
    }

    /// The target's retry policy (its `retry_policy`, or the adapter's default).
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.settings.retry
    }

    /// The state of the target's circuit breaker (`None`: no breaker).
    pub fn breaker_state(&self) -> Option<BreakerState> {
        self.breaker.as_ref().map(|b| b.state())
    }

    /// Delivers one signal to this target, retrying retryable failures as its
    /// `retry_policy` says.
    pub async fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        self.deliver_counted(signal, 0).await.0
    }

    /// Emits one attempt's telemetry event (one per signal, batched or not).
    pub(crate) fn emit_attempt(
        &self,
        signal: &Signal,
        attempt: u32,
        duration: Duration,
        outcome: &Result<(), DeliveryError>,
        answer: &(Option<u16>, Option<String>),
    ) {
        if let Some(log) = self.telemetry.attempt_log() {
            let failure = outcome.as_ref().err().map(DeliveryError::failure);
            let name = match failure {
                None => "ok".to_owned(),
                Some(failure) => failure.code.clone().unwrap_or_else(|| "error".to_owned()),
            };
            let mut record = self.attempt_record(signal, attempt, duration, name);
            record.message = failure.map(|failure| failure.message.clone());
            record.status = answer.0;
            // A receiver may echo what it was sent (an `Authorization` header in an error
            // page): the body prefix is scrubbed like the message.
            record.body = answer
                .1
                .as_ref()
                .map(|body| super::scrub(body, &self.secrets).unwrap_or_else(|| body.clone()));
            log.record(record);
        }
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

    /// An attempt record of `signal` for this target's lane, with outcome `outcome` and no
    /// message, status or body.
    pub(crate) fn attempt_record(
        &self,
        signal: &Signal,
        attempt: u32,
        duration: Duration,
        outcome: String,
    ) -> AttemptRecord {
        AttemptRecord {
            at: std::time::SystemTime::now(),
            signal_id: signal.id.clone(),
            signal_source: signal.source.clone(),
            subscription: self.lane.as_ref().map(|lane| lane.subscription),
            lane: self.lane.as_ref().and_then(|lane| lane.key.clone()),
            target: self.label.clone(),
            adapter: self.adapter.clone(),
            attempt,
            duration,
            outcome,
            message: None,
            status: None,
            body: None,
        }
    }

    /// This target as delivered by lane `key` of `subscription` (its attempt records
    /// name them).
    pub(crate) fn in_lane(&self, subscription: u64, key: Option<Arc<str>>) -> Target {
        Target { lane: Some(Arc::new(LaneTag { subscription, key })), ..self.clone() }
    }

    /// The `on_pause` target, if it has one.
    pub fn on_pause(&self) -> Option<&Arc<Target>> {
        self.on_pause.as_ref()
    }

    /// How telemetry names this target.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// `batch_size` and `batch_timeout` (alias `flush_interval`), if the target batches.
    pub fn batching(&self) -> Option<(usize, Duration)> {
        self.settings.batching
    }

    /// One `deliver-batch` call to this target, without retries; one result per signal.
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
