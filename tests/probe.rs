//! A native adapter that watches how a lane delivers: deliveries in flight at once, the
//! order signals arrive per target, and (optionally) a gate and seeded retryable failures.
//! Options: `{"name": "x", "gated": false, "fail_percent": 30, "seed": 7}`; a signal fails
//! retryably on its first attempts as the seed decides (never more than three times), so
//! with a few retries every signal is delivered once.

use std::collections::HashMap;
use std::hash::{Hash as _, Hasher as _};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jido_dispatch::adapter::{Adapter, BoxFuture, DeliveryContext, DeliveryError, Endpoint, OptionsError};
use jido_dispatch::signal::Signal;
use tokio::sync::{Notify, Semaphore};

#[derive(Default)]
struct Shared {
    in_flight: HashMap<String, usize>,
    peak: HashMap<String, usize>,
    delivered: HashMap<String, Vec<(Signal, tokio::time::Instant)>>,
    attempts: HashMap<String, u32>,
}

/// The probe; clones share their records and gate.
#[derive(Clone)]
pub struct Probe {
    shared: Arc<Mutex<Shared>>,
    changed: Arc<Notify>,
    gate: Arc<Semaphore>,
}

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probe").finish_non_exhaustive()
    }
}

impl Default for Probe {
    fn default() -> Self {
        Probe { shared: Arc::default(), changed: Arc::default(), gate: Arc::new(Semaphore::new(0)) }
    }
}

impl Probe {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Lets `n` gated deliveries through.
    pub fn open_gate(&self, n: usize) {
        self.gate.add_permits(n);
    }

    /// Deliveries of `name` in flight now.
    pub fn in_flight(&self, name: &str) -> usize {
        self.lock().in_flight.get(name).copied().unwrap_or(0)
    }

    /// The most deliveries of `name` ever in flight at once.
    pub fn peak(&self, name: &str) -> usize {
        self.lock().peak.get(name).copied().unwrap_or(0)
    }

    /// Signals delivered to `name`, in arrival order.
    pub fn delivered(&self, name: &str) -> Vec<Signal> {
        self.lock()
            .delivered
            .get(name)
            .map(|d| d.iter().map(|(s, _)| s.clone()).collect())
            .unwrap_or_default()
    }

    /// When (tokio time) each signal reached `name`.
    pub fn instants(&self, name: &str) -> Vec<tokio::time::Instant> {
        self.lock().delivered.get(name).map(|d| d.iter().map(|(_, at)| *at).collect()).unwrap_or_default()
    }

    /// Waits until `done(self)` holds; panics after `limit` (a safety net, not a timing check).
    pub async fn wait_for(&self, limit: Duration, done: impl Fn(&Probe) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let changed = self.changed.notified();
            if done(self) {
                return;
            }
            assert!(tokio::time::timeout_at(deadline, changed).await.is_ok(), "condition never held");
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    name: String,
    #[serde(default)]
    gated: bool,
    #[serde(default)]
    fail_percent: u64,
    #[serde(default)]
    seed: u64,
}

impl Adapter for Probe {
    fn validate_opts<'a>(&'a self, opts: &'a str) -> BoxFuture<'a, Result<String, OptionsError>> {
        Box::pin(async move { crate::test_options::<Options>("probe", opts).map(|_| opts.to_owned()) })
    }

    fn open(&self, opts: String) -> BoxFuture<'_, Result<Arc<dyn Endpoint>, OptionsError>> {
        Box::pin(async move {
            let options: Options = crate::test_options("probe", &opts)?;
            Ok(Arc::new(ProbeEndpoint { probe: self.clone(), options }) as Arc<dyn Endpoint>)
        })
    }
}

struct ProbeEndpoint {
    probe: Probe,
    options: Options,
}

impl ProbeEndpoint {
    /// Whether this attempt at `signal` fails (seeded; at most three times per signal).
    fn fails(&self, signal: &Signal, attempt: u32) -> bool {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (self.options.seed, &signal.id, attempt).hash(&mut hasher);
        attempt <= 3 && hasher.finish() % 100 < self.options.fail_percent
    }
}

impl Endpoint for ProbeEndpoint {
    fn deliver<'a>(
        &'a self,
        signal: &'a Signal,
        _ctx: DeliveryContext,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            let name = &self.options.name;
            let attempt = {
                let mut shared = self.probe.lock();
                let now = shared.in_flight.entry(name.clone()).or_default();
                *now += 1;
                let now = *now;
                let peak = shared.peak.entry(name.clone()).or_default();
                *peak = (*peak).max(now);
                let attempt = shared.attempts.entry(signal.id.clone()).or_default();
                *attempt += 1;
                *attempt
            };
            self.probe.changed.notify_waiters();
            if self.options.gated {
                if let Ok(permit) = self.probe.gate.acquire().await {
                    permit.forget();
                }
            } else {
                // Give the lane's other deliveries a chance to interleave.
                tokio::task::yield_now().await;
            }
            let failed = self.fails(signal, attempt);
            {
                let mut shared = self.probe.lock();
                if let Some(now) = shared.in_flight.get_mut(name) {
                    *now -= 1;
                }
                if !failed {
                    let at = tokio::time::Instant::now();
                    shared.delivered.entry(name.clone()).or_default().push((signal.clone(), at));
                }
            }
            self.probe.changed.notify_waiters();
            if failed { Err(DeliveryError::retryable("probe_failure", "seeded failure")) } else { Ok(()) }
        })
    }
}
