//! `circuit_breaker`: an explicit state machine per destination.
//!
//! `Closed { failures }` → `Open { until }` after `failure_threshold` consecutive final
//! failures; while open, deliveries are refused at once (`circuit_open`, retryable); after
//! `recovery_timeout` the breaker lets `half_open_max_calls` trial attempts through
//! (`HalfOpen`): a trial's success closes it, a trial's failure reopens it. Time is passed
//! in, so the logic is tested without clocks.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

/// Breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive final failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before trials.
    pub recovery_timeout: Duration,
    /// Trial attempts let through at once while half-open.
    pub half_open_max_calls: u32,
}

impl BreakerConfig {
    /// The decisions' defaults: 5 / 30000 ms / 1.
    pub const DEFAULT: BreakerConfig = BreakerConfig {
        failure_threshold: 5,
        recovery_timeout: Duration::from_secs(30),
        half_open_max_calls: 1,
    };

    /// Parses `circuit_breaker`: an object (missing keys take the defaults), or `false`
    /// (no breaker, `Ok(None)`), or `true` (the defaults).
    pub fn from_value(value: &Value) -> Result<Option<BreakerConfig>, String> {
        let map = match value {
            Value::Bool(false) => return Ok(None),
            Value::Bool(true) => return Ok(Some(BreakerConfig::DEFAULT)),
            Value::Object(map) => map,
            other => return Err(format!("circuit_breaker: expected an object or false, got {other}")),
        };
        let mut config = BreakerConfig::DEFAULT;
        for (key, value) in map {
            let number = |min: u64, max: u64| {
                value.as_u64().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                    format!("circuit_breaker.{key}: expected an integer {min}..={max}, got {value}")
                })
            };
            match key.as_str() {
                "failure_threshold" => config.failure_threshold = number(1, 10_000)? as u32,
                "recovery_timeout" => config.recovery_timeout = Duration::from_millis(number(1, 86_400_000)?),
                "half_open_max_calls" => config.half_open_max_calls = number(1, 10_000)? as u32,
                other => {
                    return Err(format!(
                        "circuit_breaker.{other}: unknown key (known: failure_threshold, recovery_timeout, half_open_max_calls)"
                    ));
                }
            }
        }
        Ok(Some(config))
    }
}

/// Where a breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerState {
    /// Deliveries flow; `failures` consecutive final failures so far.
    Closed {
        /// Consecutive final failures.
        failures: u32,
    },
    /// Deliveries are refused until `until`.
    Open {
        /// When trials may start.
        until: Instant,
    },
    /// Up to `half_open_max_calls` trial attempts may run; `in_flight` are running.
    HalfOpen {
        /// Trials running now.
        in_flight: u32,
    },
}

/// What the breaker says about one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Admission {
    /// Go ahead (closed).
    Allowed,
    /// Go ahead as a trial; report the outcome with [`Breaker::trial_done`].
    Trial,
    /// Refused: the breaker is open (or its trial slots are taken).
    Refused,
}

/// One destination's breaker.
#[derive(Debug)]
pub struct Breaker {
    config: BreakerConfig,
    state: Mutex<BreakerState>,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Breaker { config, state: Mutex::new(BreakerState::Closed { failures: 0 }) }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks to make an attempt at `now`.
    pub fn admit(&self, now: Instant) -> Admission {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match *state {
            BreakerState::Closed { .. } => Admission::Allowed,
            BreakerState::Open { until } if now < until => Admission::Refused,
            BreakerState::Open { .. } => {
                transition(&mut state, BreakerState::HalfOpen { in_flight: 1 });
                Admission::Trial
            }
            BreakerState::HalfOpen { in_flight } if in_flight < self.config.half_open_max_calls => {
                *state = BreakerState::HalfOpen { in_flight: in_flight + 1 };
                Admission::Trial
            }
            BreakerState::HalfOpen { .. } => Admission::Refused,
        }
    }

    /// Reports a trial attempt's outcome: success closes, failure reopens.
    pub fn trial_done(&self, ok: bool, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let BreakerState::HalfOpen { .. } = *state {
            let next = if ok {
                BreakerState::Closed { failures: 0 }
            } else {
                BreakerState::Open { until: now + self.config.recovery_timeout }
            };
            transition(&mut state, next);
        }
    }

    /// Reports a delivery's final outcome (after its retries) while closed.
    pub fn delivery_done(&self, ok: bool, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let BreakerState::Closed { failures } = *state {
            if ok {
                *state = BreakerState::Closed { failures: 0 };
            } else if failures + 1 >= self.config.failure_threshold {
                transition(&mut state, BreakerState::Open { until: now + self.config.recovery_timeout });
            } else {
                *state = BreakerState::Closed { failures: failures + 1 };
            }
        }
    }
}

/// A half-open trial in progress. Report its outcome with [`TrialGuard::finish`]; a trial
/// dropped without a report (its delivery was cancelled) gives its slot back, so a
/// half-open breaker never waits for a trial that will not come.
#[derive(Debug)]
pub struct TrialGuard<'a> {
    breaker: &'a Breaker,
    done: bool,
}

impl<'a> TrialGuard<'a> {
    /// Guards the trial `breaker` just admitted.
    pub fn new(breaker: &'a Breaker) -> Self {
        TrialGuard { breaker, done: false }
    }

    /// Reports the trial's outcome (see [`Breaker::trial_done`]).
    pub fn finish(mut self, ok: bool, now: Instant) {
        self.done = true;
        self.breaker.trial_done(ok, now);
    }
}

impl Drop for TrialGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.breaker.trial_cancelled();
        }
    }
}

impl Breaker {
    /// A trial ended without an outcome: its slot is free again.
    pub fn trial_cancelled(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let BreakerState::HalfOpen { in_flight } = *state {
            *state = BreakerState::HalfOpen { in_flight: in_flight.saturating_sub(1) };
        }
    }
}

/// Changes state and emits the transition as an event.
fn transition(state: &mut BreakerState, next: BreakerState) {
    tracing::info!(target: "jido_dispatch::breaker", from = ?*state, to = ?next, "circuit breaker transition");
    *state = next;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(threshold: u32, recovery_ms: u64, half_open: u32) -> BreakerConfig {
        BreakerConfig {
            failure_threshold: threshold,
            recovery_timeout: Duration::from_millis(recovery_ms),
            half_open_max_calls: half_open,
        }
    }

    #[test]
    fn opens_after_the_threshold_of_consecutive_failures() {
        let t0 = Instant::now();
        let breaker = Breaker::new(config(3, 1000, 1));
        breaker.delivery_done(false, t0);
        breaker.delivery_done(false, t0);
        breaker.delivery_done(true, t0);
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 }, "a success resets the count");
        for _ in 0..3 {
            assert_eq!(breaker.admit(t0), Admission::Allowed);
            breaker.delivery_done(false, t0);
        }
        assert_eq!(breaker.state(), BreakerState::Open { until: t0 + Duration::from_millis(1000) });
        assert_eq!(breaker.admit(t0 + Duration::from_millis(999)), Admission::Refused);
    }

    #[test]
    fn half_open_admits_limited_trials_and_closes_or_reopens() {
        let t0 = Instant::now();
        let breaker = Breaker::new(config(1, 1000, 2));
        breaker.delivery_done(false, t0);
        let later = t0 + Duration::from_millis(1000);
        assert_eq!(breaker.admit(later), Admission::Trial);
        assert_eq!(breaker.admit(later), Admission::Trial);
        assert_eq!(breaker.admit(later), Admission::Refused, "only two trials at once");
        breaker.trial_done(false, later);
        assert_eq!(breaker.state(), BreakerState::Open { until: later + Duration::from_millis(1000) });
        let again = later + Duration::from_millis(1000);
        assert_eq!(breaker.admit(again), Admission::Trial);
        breaker.trial_done(true, again);
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn a_cancelled_trial_gives_its_slot_back() {
        let breaker = Breaker::new(config(1, 1000, 1));
        let now = Instant::now();
        breaker.delivery_done(false, now);
        let later = now + Duration::from_millis(1000);
        assert_eq!(breaker.admit(later), Admission::Trial);
        drop(TrialGuard::new(&breaker));
        assert_eq!(breaker.state(), BreakerState::HalfOpen { in_flight: 0 });
        assert_eq!(breaker.admit(later), Admission::Trial, "the slot is free again");
        TrialGuard::new(&breaker).finish(true, later);
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn configs_parse_with_defaults_false_and_named_errors() {
        use serde_json::json;
        assert_eq!(BreakerConfig::from_value(&json!(false)), Ok(None));
        assert_eq!(BreakerConfig::from_value(&json!({})), Ok(Some(BreakerConfig::DEFAULT)));
        let parsed = BreakerConfig::from_value(&json!({"failure_threshold": 2})).expect("valid");
        assert_eq!(parsed.map(|c| c.failure_threshold), Some(2));
        for (value, message) in [
            (
                json!({"failure_threshold": 0}),
                "circuit_breaker.failure_threshold: expected an integer 1..=10000",
            ),
            (json!({"recovery_timeout": "30s"}), "circuit_breaker.recovery_timeout"),
            (json!({"threshold": 3}), "circuit_breaker.threshold: unknown key"),
            (json!("on"), "circuit_breaker: expected an object or false"),
        ] {
            let err = BreakerConfig::from_value(&value).expect_err("refused");
            assert!(err.contains(message), "{value}: {err}");
        }
    }
}
