//! Pausing a lane: its worker stops taking signals (deliveries in flight finish). A durable
//! lane's backlog waits in the store; a memory lane's waits in its read-ahead, beyond which
//! offers fail as `queue_full` for that lane alone. Resuming lets the worker go on.
//!
//! `auto_pause_after`: a lane whose target has had no success for that long (since its last
//! success, or since the lane started) pauses itself at its next final failure, and says
//! so: a `warn` log line, the `jido_lane_paused` gauge, and an operator signal
//! `jido.target.paused` to the target's `on_pause` target, if it has one. A durable lane's
//! store keeps either kind of pause across restarts until an operator resumes it.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Why a lane is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PauseReason {
    /// An operator paused it.
    Operator,
    /// It had no success for its `auto_pause_after`.
    NoSuccess,
}

/// A lane's pause switch and the time of its last success.
#[derive(Debug)]
pub(crate) struct Pause {
    state: watch::Sender<Option<PauseReason>>,
    /// Set at shutdown for durable lanes: a paused one stops at once (its backlog is stored).
    stopped: watch::Sender<bool>,
    last_success: Mutex<Instant>,
}

impl Default for Pause {
    fn default() -> Self {
        Pause {
            state: watch::Sender::new(None),
            stopped: watch::Sender::new(false),
            last_success: Mutex::new(Instant::now()),
        }
    }
}

impl Pause {
    /// A switch that starts paused for `reason`, or running.
    pub fn starting(reason: Option<PauseReason>) -> Self {
        let pause = Pause::default();
        pause.state.send_replace(reason);
        pause
    }

    /// Pauses (or changes the reason); returns whether it was running.
    pub fn pause(&self, reason: PauseReason) -> bool {
        self.state.send_replace(Some(reason)).is_none()
    }

    /// Resumes; returns whether it was paused. The no-success clock starts again.
    pub fn resume(&self) -> bool {
        *self.last_success.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
        self.state.send_replace(None).is_some()
    }

    /// Why it is paused, if it is.
    pub fn reason(&self) -> Option<PauseReason> {
        *self.state.borrow()
    }

    /// Waits until the lane is not paused; `false` when it was stopped instead.
    pub async fn resumed(&self) -> bool {
        let (mut state, mut stopped) = (self.state.subscribe(), self.stopped.subscribe());
        tokio::select! {
            biased;
            _ = stopped.wait_for(|stopped| *stopped) => false,
            _ = state.wait_for(Option::is_none) => true,
        }
    }

    /// Waits until the lane is paused.
    pub async fn paused(&self) {
        let mut state = self.state.subscribe();
        let _ = state.wait_for(Option::is_some).await;
    }

    /// Stops a paused lane's wait (shutdown of a durable lane).
    pub fn stop(&self) {
        self.stopped.send_replace(true);
    }

    /// A delivery succeeded.
    pub fn succeeded(&self) {
        *self.last_success.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// A delivery finally failed: pauses when nothing succeeded for `after`; returns how long
    /// it had been when it did.
    pub fn failed(&self, after: Option<Duration>) -> Option<Duration> {
        let after = after?;
        let since = self.last_success.lock().unwrap_or_else(PoisonError::into_inner).elapsed();
        (since >= after && self.reason().is_none() && self.pause(PauseReason::NoSuccess)).then_some(since)
    }
}

impl super::LaneCtx {
    /// The lane paused itself after `since` without a success: a durable lane's store
    /// remembers it (still paused after a restart), a log line, and the operator
    /// signal to the target's `on_pause` target (delivered with that target's own retries,
    /// on a task of its own so the lane's worker does not wait for it).
    pub(super) fn paused_for_no_success(&self, since: Duration, error: &crate::adapter::DeliveryError) {
        let label = self.target.label().to_owned();
        if let Some(durable) = &self.durable {
            durable.backlog.paused_itself(&durable.key);
        }
        tracing::warn!(
            subscription = self.subscription.0,
            target = self.index,
            label = %label,
            no_success_s = since.as_secs(),
            "paused: no successful delivery for {}s (last error: {error}); resume it through the admin API",
            since.as_secs()
        );
        let Some(on_pause) = self.target.on_pause().cloned() else { return };
        let data = serde_json::json!({
            "subscription": self.subscription.0,
            "target": self.index,
            "label": label,
            "adapter": self.target.spec().adapter,
            "no_success_seconds": since.as_secs(),
            "last_error": error.to_string(),
        });
        let built = crate::signal::Signal::builder("jido.target.paused", "/jido-dispatch")
            .subject(format!("{}/{}", self.subscription.0, self.index))
            .data_json(&data)
            .build();
        let signal = match built {
            Ok(signal) => signal,
            Err(error) => return tracing::error!("cannot build the operator signal: {error}"),
        };
        tokio::spawn(async move {
            if let Err(error) = on_pause.deliver(&signal).await {
                tracing::error!(%error, "the on_pause target did not take the operator signal");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_paused_lane_waits_until_resumed() {
        let pause = std::sync::Arc::new(Pause::default());
        assert!(pause.pause(PauseReason::Operator));
        assert!(!pause.pause(PauseReason::Operator), "already paused");
        let waiting = tokio::spawn({
            let pause = pause.clone();
            async move { pause.resumed().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert!(pause.resume());
        assert!(waiting.await.expect("resumed"));
        assert_eq!(pause.reason(), None);
        pause.pause(PauseReason::Operator);
        pause.stop();
        assert!(!pause.resumed().await, "a stopped lane does not wait");
    }

    #[test]
    fn no_success_for_the_window_pauses_once() {
        let pause = Pause::default();
        assert_eq!(pause.failed(None), None, "no auto_pause_after: never");
        assert_eq!(pause.failed(Some(Duration::from_secs(3600))), None, "not long enough");
        assert!(pause.failed(Some(Duration::ZERO)).is_some());
        assert_eq!(pause.reason(), Some(PauseReason::NoSuccess));
        assert_eq!(pause.failed(Some(Duration::ZERO)), None, "already paused");
    }
}
