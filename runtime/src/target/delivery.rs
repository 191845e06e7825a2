//! The one delivery path. Bus lanes, batches, the dispatch API, the CLI and redrives all
//! deliver through these two loops, with the same steps in the same order:
//!
//! transform (once, `transformed.rs`) → rate limit → breaker admission → attempt (span,
//! telemetry and metrics per signal) → trial report → retry decision (wait on tokio
//! timers, or, for a lane on a store that schedules retries itself, [`Retries::Deferred`]:
//! end with the wait and let the store redeliver) → final outcome.
//!
//! Traces: a delivery is a `lane` span, child of the signal's `traceparent` (a new trace
//! without one), and each attempt a `attempt` span under it, whose context goes out as the
//! `traceparent` header of the attempt's http requests. A batch call is one `attempt` span
//! under its first signal's trace.
//!
//! Dead letters and `on_failure` targets are the caller's last step ([`FailureSink`]);
//! every caller records a final failure through it.
//!
//! Only retryable final failures count toward the breaker: a permanent failure (4xx,
//! invalid request) means the destination answered. A half-open trial that is cancelled
//! mid-flight gives its slot back ([`TrialGuard`]).
//!
//! [`FailureSink`]: crate::dead_letter::FailureSink

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::Instrument as _;

use super::Target;
use super::transformed::Step;
use crate::adapter::{DeliveryContext, DeliveryError};
use crate::host::HostFailure;
use crate::outbound::ResponseMemo;
use crate::resilience::retry_uniform as uniform;
use crate::resilience::{Admission, TrialGuard};
use crate::signal::Signal;
use crate::telemetry::TraceContext;
use crate::telemetry::otlp::{Kind, SpanGuard};

/// A delivery's outcome and the attempts it took.
pub(crate) type Counted = (Result<(), DeliveryError>, u32);

/// Where a delivery's retries wait.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Retries {
    /// In the delivering task, on a tokio timer.
    Here,
    /// In the store: a retry ends the delivery with [`Ended::RetryIn`] and the store (a
    /// shared JetStream queue) redelivers the signal after the wait, to whichever node
    /// pulls it. `earlier` deliveries of it already failed and count toward the policy.
    Deferred { earlier: u32 },
}

/// How a delivery ended.
#[derive(Debug)]
pub(crate) enum Ended {
    /// Delivered, or finally failed, after the attempts counted.
    Final(Counted),
    /// Failed retryably with retries left: to be delivered again after this wait.
    RetryIn(Duration),
}

impl Target {
    /// Delivers one signal with retries; returns the outcome and the attempts made
    /// (refusals by an open breaker are not attempts).
    pub(crate) async fn deliver_counted(&self, signal: &Signal, hops: u32) -> Counted {
        match self.deliver_with(signal, hops, Retries::Here).await {
            Ended::Final(counted) => counted,
            // `Retries::Here` waits in the loop and never ends with a retry.
            Ended::RetryIn(_) => (Err(DeliveryError::permanent("internal", "a retry was left undone")), 0),
        }
    }

    /// Delivers one signal, its retries waiting where `retries` says.
    pub(crate) async fn deliver_with(&self, signal: &Signal, hops: u32, retries: Retries) -> Ended {
        let payload = match self.transform_step(signal).await {
            Step::Deliver(payload) => payload,
            Step::Done(counted) => return Ended::Final(counted),
        };
        let mut lane = self.telemetry.tracing().start("lane", Kind::Internal, TraceContext::of(signal));
        let ended = self.deliver_traced(signal, &payload, hops, &lane, retries).await;
        if self.telemetry.tracing().exporting() {
            self.describe(&mut lane);
            match &ended {
                Ended::Final(counted) => {
                    lane.set("jido.attempts", i64::from(counted.1));
                    lane.set("jido.outcome", outcome_class(&counted.0));
                }
                Ended::RetryIn(_) => lane.set("jido.outcome", "retry_deferred"),
            }
        }
        ended
    }

    /// The retry loop: `payload` (the transform's output, or `signal`) is what the adapter
    /// gets; telemetry names `signal`.
    async fn deliver_traced(
        &self,
        signal: &Signal,
        payload: &Signal,
        hops: u32,
        lane: &SpanGuard,
        retries: Retries,
    ) -> Ended {
        let ctx = self.delivery_context(hops);
        let earlier = match retries {
            Retries::Here => 0,
            Retries::Deferred { earlier } => earlier,
        };
        let mut retry = earlier;
        let mut attempts = earlier;
        loop {
            self.wait_for_rate().await;
            let (admission, trial) = self.admit();
            let (outcome, ended) = if admission == Admission::Refused {
                let refused = Err(self.circuit_open());
                self.emit_attempt(signal, attempts + 1, Duration::ZERO, &refused, &(None, None));
                (refused, std::time::Instant::now())
            } else {
                attempts += 1;
                self.attempt(signal, payload, &ctx, attempts, lane.context()).await
            };
            if let Some(trial) = trial {
                trial.finish(answered(&outcome), Instant::now());
            }
            let error = match outcome {
                Ok(()) => {
                    self.final_outcome(&Ok(()), admission, ended);
                    return Ended::Final((Ok(()), attempts));
                }
                Err(error) => error,
            };
            if !error.is_retryable() || retry >= self.settings.retry.max_retries {
                let outcome = Err(error);
                self.final_outcome(&outcome, admission, ended);
                return Ended::Final((outcome, attempts));
            }
            retry += 1;
            let wait = self.settings.retry.wait(retry, error.failure().retry_after, uniform);
            tracing::debug!(adapter = %self.spec.adapter, signal = %signal.id, retry, wait_ms = wait.as_millis() as u64, "retrying: {error}");
            if let Retries::Deferred { .. } = retries {
                return Ended::RetryIn(wait);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Delivers signals as batches (`deliver-batch`) with retries: after each call, the
    /// signals that failed retryably go out again, as a batch, after the policy's wait;
    /// each signal's outcome and attempts are returned in order.
    pub(crate) async fn deliver_batch_counted(&self, signals: &[Arc<Signal>], hops: u32) -> Vec<Counted> {
        let ctx = self.delivery_context(hops);
        let transformed = self.transform_batch(signals).await;
        let mut results: Vec<Option<Result<(), DeliveryError>>> = vec![None; signals.len()];
        let mut attempts = vec![0u32; signals.len()];
        let (payloads, mut left): (&[Arc<Signal>], Vec<usize>) = match &transformed {
            None => (signals, (0..signals.len()).collect()),
            Some((payloads, done)) => {
                let mut left = Vec::with_capacity(signals.len());
                for (i, done) in done.iter().enumerate() {
                    match done {
                        Some((outcome, made)) => (results[i], attempts[i]) = (Some(outcome.clone()), *made),
                        None => left.push(i),
                    }
                }
                (payloads, left)
            }
        };
        let mut retry = 0;
        while !left.is_empty() {
            self.wait_for_rate().await;
            let (admission, trial) = self.admit();
            let (outcomes, ended) = if admission == Admission::Refused {
                (vec![Err(self.circuit_open()); left.len()], std::time::Instant::now())
            } else {
                let parent = TraceContext::of(&signals[left[0]]);
                self.attempt_batch(signals, payloads, &left, &ctx, &mut attempts, parent).await
            };
            if let Some(trial) = trial {
                trial.finish(outcomes.iter().all(answered), Instant::now());
            }
            let mut again = Vec::new();
            let mut retry_after = None;
            let last = retry >= self.settings.retry.max_retries;
            for (&i, outcome) in left.iter().zip(outcomes) {
                if admission == Admission::Refused {
                    self.emit_attempt(&signals[i], attempts[i] + 1, Duration::ZERO, &outcome, &(None, None));
                }
                match outcome {
                    Err(error) if error.is_retryable() && !last => {
                        retry_after = retry_after.max(error.failure().retry_after);
                        again.push(i);
                    }
                    other => {
                        self.final_outcome(&other, admission, ended);
                        results[i] = Some(other);
                    }
                }
            }
            if !again.is_empty() {
                retry += 1;
                let wait = self.settings.retry.wait(retry, retry_after, uniform);
                tracing::debug!(adapter = %self.spec.adapter, signals = again.len(), retry, wait_ms = wait.as_millis() as u64, "retrying a batch");
                tokio::time::sleep(wait).await;
            }
            left = again;
        }
        results
            .into_iter()
            .zip(attempts)
            .map(|(result, attempts)| (result.unwrap_or(Ok(())), attempts))
            .collect()
    }

    /// The context of one delivery: hops, the http grant, and the memo that lets a retry
    /// skip the requests whose answer was final (webhook `urls`: only the URLs that failed
    /// retryably are sent again).
    fn delivery_context(&self, hops: u32) -> DeliveryContext {
        let mut ctx = self.context(hops);
        if ctx.http.as_ref().is_some_and(|http| http.several_requests) {
            ctx.replay = Some(Arc::new(ResponseMemo::default()));
        }
        ctx
    }

    async fn wait_for_rate(&self) {
        if let Some(rate) = &self.rate {
            rate.acquire().await;
        }
    }

    /// Asks the breaker (if any) for an attempt; a trial comes with its guard, to be
    /// finished with the attempt's outcome (a cancelled trial frees its slot).
    fn admit(&self) -> (Admission, Option<TrialGuard<'_>>) {
        let Some(breaker) = &self.breaker else { return (Admission::Allowed, None) };
        match breaker.admit(Instant::now()) {
            Admission::Trial => (Admission::Trial, Some(TrialGuard::new(breaker))),
            other => (other, None),
        }
    }

    fn circuit_open(&self) -> DeliveryError {
        DeliveryError::retryable("circuit_open", format!("the circuit breaker of `{}` is open", self.label))
    }

    /// Records a delivery's final outcome, known at `ended`, in the health record and the
    /// breaker (closed state): a success resets the breaker's count, a retryable failure
    /// adds to it, a permanent failure leaves it alone (the destination answered).
    pub(super) fn final_outcome(
        &self,
        outcome: &Result<(), DeliveryError>,
        admission: Admission,
        ended: std::time::Instant,
    ) {
        match outcome {
            Ok(()) => self.record.success(ended),
            Err(error) => self.record.failure(ended, error.to_string()),
        }
        let counted = outcome.as_ref().err().is_none_or(DeliveryError::is_retryable);
        if let (Some(breaker), true) = (&self.breaker, counted && admission != Admission::Refused) {
            breaker.delivery_done(outcome.is_ok(), Instant::now());
        }
    }

    /// One attempt of `payload`; timed, traced and emitted as telemetry for `signal`.
    /// Returns its outcome and when it ended (the clock read that timed it).
    async fn attempt(
        &self,
        signal: &Signal,
        payload: &Signal,
        ctx: &DeliveryContext,
        attempt: u32,
        parent: TraceContext,
    ) -> (Result<(), DeliveryError>, std::time::Instant) {
        let mut traced = self.telemetry.tracing().start("attempt", Kind::Client, Some(parent));
        let ctx = self.traced_context(ctx, &traced, Some(signal));
        let observed = ctx.observed.clone();
        let span = tracing::debug_span!(
            "jido.deliver",
            adapter = %self.spec.adapter,
            target = %self.label,
            signal = %signal.id,
            attempt,
            success = tracing::field::Empty,
            duration_us = tracing::field::Empty,
            error = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let outcome = self.endpoint.deliver(payload, ctx).instrument(span.clone()).await;
        let outcome = self.scrubbed(outcome);
        let ended = std::time::Instant::now();
        let duration = ended - started;
        if self.telemetry.tracing().exporting() {
            self.describe(&mut traced);
            traced.set("cloudevents.event_id", signal.id.clone());
            traced.set("jido.attempt", i64::from(attempt));
            traced.set("jido.outcome", outcome_class(&outcome));
            if let Some(code) = outcome.as_ref().err().and_then(|e| e.failure().code.clone()) {
                traced.set("error.type", code);
            }
        }
        span.record("success", outcome.is_ok());
        span.record("duration_us", duration.as_micros() as u64);
        if let Err(error) = &outcome {
            span.record("error", tracing::field::display(error));
        }
        let answer = observed.as_ref().map(|o| o.take()).unwrap_or_default();
        self.emit_attempt(signal, attempt, duration, &outcome, &answer);
        (outcome, ended)
    }

    /// One `deliver-batch` call with the `payloads` of the signals `left`; one telemetry
    /// event per signal. Returns the outcomes and when the call ended.
    async fn attempt_batch(
        &self,
        signals: &[Arc<Signal>],
        payloads: &[Arc<Signal>],
        left: &[usize],
        ctx: &DeliveryContext,
        attempts: &mut [u32],
        parent: Option<TraceContext>,
    ) -> (Vec<Result<(), DeliveryError>>, std::time::Instant) {
        let mut traced = self.telemetry.tracing().start("attempt", Kind::Client, parent);
        traced.set("jido.batch_size", left.len() as i64);
        let ctx = self.traced_context(ctx, &traced, None);
        let observed = ctx.observed.clone();
        let batch: Vec<Signal> = left.iter().map(|&i| (*payloads[i]).clone()).collect();
        let span = tracing::debug_span!("jido.deliver_batch", adapter = %self.spec.adapter, target = %self.label, signals = batch.len());
        let started = std::time::Instant::now();
        let outcomes = self.endpoint.deliver_batch(&batch, ctx).instrument(span).await;
        let mut outcomes: Vec<_> = outcomes.into_iter().map(|o| self.scrubbed(o)).collect();
        let ended = std::time::Instant::now();
        let duration = ended - started;
        let missing = HostFailure::AdapterError.error("deliver-batch returned fewer results than signals");
        outcomes.resize(left.len(), Err(missing));
        let answer = observed.as_ref().map(|o| o.take()).unwrap_or_default();
        for (&i, outcome) in left.iter().zip(&outcomes) {
            attempts[i] += 1;
            self.emit_attempt(&signals[i], attempts[i], duration, outcome, &answer);
        }
        (outcomes, ended)
    }
}

impl Target {
    /// `outcome` with this target's secret values hidden from its message (logs, attempt
    /// records, dead letters and `on_failure` signals all see the scrubbed one).
    pub(super) fn scrubbed(&self, outcome: Result<(), DeliveryError>) -> Result<(), DeliveryError> {
        match outcome {
            Err(error) if !self.secrets.is_empty() => {
                match super::scrub(&error.failure().message, &self.secrets) {
                    Some(message) => Err(error.with_message(message)),
                    None => Err(error),
                }
            }
            other => other,
        }
    }

    /// The span attributes naming the delivery: adapter and target (the signal is named
    /// by its ingress span and, on attempts, by `cloudevents.event_id`).
    fn describe(&self, span: &mut SpanGuard) {
        span.set("jido.adapter", self.adapter.clone());
        span.set("jido.target", self.label.clone());
    }
}

/// The attempt's context: with the span's `traceparent` (and `signal`'s `tracestate`) for
/// the http requests it makes; a target without http access makes none, so its attempts
/// skip formatting them.
impl Target {
    fn traced_context(
        &self,
        ctx: &DeliveryContext,
        span: &SpanGuard,
        signal: Option<&Signal>,
    ) -> DeliveryContext {
        let mut ctx = traced_context(ctx, span, signal);
        if ctx.http.is_some() && self.telemetry.attempt_log().is_some() {
            ctx.observed = Some(Arc::default());
        }
        ctx
    }
}

fn traced_context(ctx: &DeliveryContext, span: &SpanGuard, signal: Option<&Signal>) -> DeliveryContext {
    let mut ctx = ctx.clone();
    if ctx.http.is_some() {
        ctx.traceparent = Some(span.context().header().into());
        ctx.tracestate =
            signal.and_then(|signal| match signal.extensions.get(crate::telemetry::trace::TRACESTATE) {
                Some(crate::signal::ExtensionValue::Text(state)) if !state.is_empty() => {
                    Some(state.as_str().into())
                }
                _ => None,
            });
    }
    ctx
}

/// The bounded outcome label: `ok`, `retryable` or `permanent`.
fn outcome_class(outcome: &Result<(), DeliveryError>) -> &'static str {
    match outcome {
        Ok(()) => "ok",
        Err(error) if error.is_retryable() => "retryable",
        Err(_) => "permanent",
    }
}

/// Whether an outcome shows the destination answering: success or a permanent failure.
fn answered(outcome: &Result<(), DeliveryError>) -> bool {
    !outcome.as_ref().is_err_and(DeliveryError::is_retryable)
}
