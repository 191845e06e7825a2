//! The transform step of the delivery path: a target's `transform` runs once per delivery,
//! before the first attempt (retries reuse its output). A dropped signal is a success
//! counted as filtered; a failing transform is a permanent failure of the delivery, so the
//! caller dead-letters the *original* signal (a redrive transforms it again).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Target;
use super::delivery::Counted;
use crate::resilience::Admission;
use crate::signal::Signal;

/// What the transform step decided for one signal.
pub(crate) enum Step<'s> {
    /// Deliver this (the signal itself, or the transform's output).
    Deliver(Cow<'s, Signal>),
    /// Finished already: dropped (a success) or failed.
    Done(Counted),
}

impl Target {
    /// Runs the target's transform on `signal`, recording a drop or a failure.
    pub(crate) async fn transform_step<'s>(&self, signal: &'s Signal) -> Step<'s> {
        let Some(transform) = &self.transform else { return Step::Deliver(Cow::Borrowed(signal)) };
        let started = Instant::now();
        match transform.apply_to(signal).await {
            Ok(Some(out)) => Step::Deliver(out),
            Ok(None) => {
                self.emit_filtered(signal, started.elapsed());
                Step::Done((Ok(()), 0))
            }
            Err(error) => {
                let outcome = self.scrubbed(Err(error));
                self.emit_attempt(signal, 1, started.elapsed(), &outcome, &(None, None));
                self.final_outcome(&outcome, Admission::Allowed, Instant::now());
                Step::Done((outcome, 1))
            }
        }
    }

    /// The transform step for a batch (`None` without a transform: send `signals` as they
    /// are): what to send for each signal (the original where the signal is done already),
    /// and the outcomes of those done.
    pub(crate) async fn transform_batch(
        &self,
        signals: &[Arc<Signal>],
    ) -> Option<(Vec<Arc<Signal>>, Vec<Option<Counted>>)> {
        self.transform.as_ref()?;
        let steps = futures::future::join_all(signals.iter().map(|s| self.transform_step(s))).await;
        let mut payloads = Vec::with_capacity(signals.len());
        let mut done = Vec::with_capacity(signals.len());
        for (signal, step) in signals.iter().zip(steps) {
            let (payload, finished) = match step {
                Step::Deliver(Cow::Owned(out)) => (Arc::new(out), None),
                Step::Deliver(Cow::Borrowed(_)) => (signal.clone(), None),
                Step::Done(counted) => (signal.clone(), Some(counted)),
            };
            payloads.push(payload);
            done.push(finished);
        }
        Some((payloads, done))
    }

    /// Counts a signal the transform dropped for this target (metrics, attempt log).
    fn emit_filtered(&self, signal: &Signal, duration: Duration) {
        self.telemetry.metrics().filtered(&self.adapter);
        if let Some(log) = self.telemetry.attempt_log() {
            log.record(self.attempt_record(signal, 0, duration, "filtered".to_owned()));
        }
    }
}
