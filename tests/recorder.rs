//! A native adapter that records what it receives, for observing bus semantics: which
//! target got which signal, in what order, and a gate that holds deliveries back to play
//! a slow receiver. Options: `{"name": "a", "gated": true}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jido_dispatch::adapter::{Adapter, BoxFuture, DeliveryContext, DeliveryError, Endpoint, OptionsError};
use jido_dispatch::signal::Signal;
use tokio::sync::{Notify, Semaphore};

struct Shared {
    received: Mutex<HashMap<String, Vec<Signal>>>,
    batches: Mutex<HashMap<String, Vec<usize>>>,
    entered: Mutex<HashMap<String, usize>>,
    changed: Notify,
    gate: Semaphore,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            received: Mutex::default(),
            batches: Mutex::default(),
            entered: Mutex::default(),
            changed: Notify::new(),
            gate: Semaphore::new(0),
        }
    }
}

/// The recording adapter; clones share their records.
#[derive(Clone, Default)]
pub struct Recorder {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder whose gate is closed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets `n` gated deliveries through.
    pub fn open_gate(&self, n: usize) {
        self.shared.gate.add_permits(n);
    }

    /// Signals the target `name` received, in arrival order.
    pub fn received(&self, name: &str) -> Vec<Signal> {
        let map = self.shared.received.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(name).cloned().unwrap_or_default()
    }

    /// Sizes of the `deliver-batch` calls target `name` received, in order.
    pub fn batches(&self, name: &str) -> Vec<usize> {
        let map = self.shared.batches.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(name).cloned().unwrap_or_default()
    }

    /// The types target `name` received.
    pub fn types(&self, name: &str) -> Vec<String> {
        self.received(name).into_iter().map(|s| s.ty).collect()
    }

    /// Deliveries to `name` that have started (gated ones included).
    pub fn entered(&self, name: &str) -> usize {
        *self.shared.entered.lock().unwrap_or_else(PoisonError::into_inner).get(name).unwrap_or(&0)
    }

    /// Waits until `condition` holds, re-checking after every delivery event; panics after
    /// `limit` (a safety net against a hung test, not a timing assertion).
    pub async fn wait_for(&self, limit: Duration, mut condition: impl FnMut(&Recorder) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let changed = self.shared.changed.notified();
            if condition(self) {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                assert!(condition(self), "condition not reached within {limit:?}");
                return;
            }
        }
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Options {
    name: String,
    #[serde(default)]
    gated: bool,
    /// Signals with this subject fail permanently (and are not recorded as received).
    reject: Option<String>,
}

impl Adapter for Recorder {
    fn validate_opts<'a>(&'a self, opts: &'a str) -> BoxFuture<'a, Result<String, OptionsError>> {
        Box::pin(async move { crate::test_options::<Options>("recorder", opts).map(|_| opts.to_owned()) })
    }

    fn open(&self, opts: String) -> BoxFuture<'_, Result<Arc<dyn Endpoint>, OptionsError>> {
        Box::pin(async move {
            let options: Options = crate::test_options("recorder", &opts)?;
            let endpoint = RecorderEndpoint {
                shared: self.shared.clone(),
                name: options.name,
                gated: options.gated,
                reject: options.reject,
            };
            Ok(Arc::new(endpoint) as Arc<dyn Endpoint>)
        })
    }
}

struct RecorderEndpoint {
    shared: Arc<Shared>,
    name: String,
    gated: bool,
    reject: Option<String>,
}

impl Endpoint for RecorderEndpoint {
    fn deliver<'a>(
        &'a self,
        signal: &'a Signal,
        _ctx: DeliveryContext,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            *self
                .shared
                .entered
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(self.name.clone())
                .or_default() += 1;
            self.shared.changed.notify_waiters();
            if self.gated {
                let permit = self
                    .shared
                    .gate
                    .acquire()
                    .await
                    .map_err(|_| DeliveryError::permanent("closed", "gate"))?;
                permit.forget();
            }
            if self.reject.is_some() && signal.subject == self.reject {
                return Err(DeliveryError::permanent("rejected", "this subject is rejected"));
            }
            let mut map = self.shared.received.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(self.name.clone()).or_default().push(signal.clone());
            drop(map);
            self.shared.changed.notify_waiters();
            Ok(())
        })
    }

    fn deliver_batch<'a>(
        &'a self,
        signals: &'a [Signal],
        ctx: DeliveryContext,
    ) -> BoxFuture<'a, Vec<Result<(), DeliveryError>>> {
        Box::pin(async move {
            {
                let mut batches = self.shared.batches.lock().unwrap_or_else(PoisonError::into_inner);
                batches.entry(self.name.clone()).or_default().push(signals.len());
            }
            let mut results = Vec::with_capacity(signals.len());
            for signal in signals {
                results.push(self.deliver(signal, ctx.clone()).await);
            }
            results
        })
    }
}
