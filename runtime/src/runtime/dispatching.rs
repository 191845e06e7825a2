//! The dispatch API on [`Runtime`]: one signal to many targets, batches, fire-and-forget
//! (the delivery logic is in [`crate::dispatch`]).

use futures::StreamExt as _;

use super::Runtime;
use crate::adapter::{BoxFuture, DeliveryError};
use crate::dispatch::{BatchError, DEFAULT_MAX_CONCURRENCY, DispatchError, deliver_each, failures};
use crate::signal::Signal;
use crate::target::Target;

impl Runtime {
    /// Delivers `signal` to one target: `Ok` or that target's error (also recorded as a
    /// dead letter).
    pub async fn dispatch(&self, signal: &Signal, target: &Target) -> Result<(), DeliveryError> {
        self.dispatch_from("dispatch", signal, target).await
    }

    /// [`Runtime::dispatch`], its dead letter recording `origin` (e.g. `job/7` for a
    /// replay) as where the delivery came from.
    pub async fn dispatch_from(
        &self,
        origin: &str,
        signal: &Signal,
        target: &Target,
    ) -> Result<(), DeliveryError> {
        let (outcome, attempts) = target.deliver_counted(signal, 0).await;
        if let Err(error) = &outcome {
            // A store failure is logged by the sink; the caller has the error either way.
            let _ = self.failure_sink(origin).record(target, signal, error, attempts);
        }
        outcome
    }

    /// Delivers `signal` to every target, at most `max_concurrency` at once. Returns each
    /// target's outcome in order (`None` for `async = true` targets, which are not awaited).
    pub async fn dispatch_each(
        &self,
        signal: &Signal,
        targets: &[Target],
        max_concurrency: usize,
    ) -> Vec<Option<Result<(), DeliveryError>>> {
        let sink = self.dispatch_sink();
        let detached = self.detached();
        let outcomes = deliver_each(signal, targets.iter().enumerate(), 0, max_concurrency, &sink, &detached);
        outcomes.await.into_iter().map(|(_, outcome)| outcome).collect()
    }

    /// Waits until every delivery to an `async` target that the dispatch API started has
    /// finished (delivered, or recorded as a dead letter and handed to `on_failure`).
    pub async fn wait_detached(&self) {
        self.detached().wait().await;
    }

    /// Delivers `signal` to every target concurrently (at most
    /// [`DEFAULT_MAX_CONCURRENCY`]); fails with every target's error, in configuration order.
    pub async fn dispatch_to(&self, signal: &Signal, targets: &[Target]) -> Result<(), DispatchError> {
        self.dispatch_to_with(signal, targets, DEFAULT_MAX_CONCURRENCY).await
    }

    /// [`Runtime::dispatch_to`] with an explicit concurrency.
    pub async fn dispatch_to_with(
        &self,
        signal: &Signal,
        targets: &[Target],
        max_concurrency: usize,
    ) -> Result<(), DispatchError> {
        let sink = self.dispatch_sink();
        let detached = self.detached();
        let outcomes = deliver_each(signal, targets.iter().enumerate(), 0, max_concurrency, &sink, &detached);
        let failures = failures(targets, outcomes.await);
        if failures.is_empty() { Ok(()) } else { Err(DispatchError { failures }) }
    }

    /// Starts delivering `signal` to `targets` and returns at once; await the handle for
    /// the outcome, or drop it.
    pub fn dispatch_async(
        &self,
        signal: Signal,
        targets: Vec<Target>,
    ) -> tokio::task::JoinHandle<Result<(), DispatchError>> {
        let runtime = self.clone();
        tokio::spawn(async move { runtime.dispatch_to(&signal, &targets).await })
    }

    /// Delivers every signal to every target, `max_concurrency` signals at a time
    /// (decisions' default: [`DEFAULT_BATCH_CONCURRENCY`](crate::dispatch::DEFAULT_BATCH_CONCURRENCY)); failures by signal index.
    pub async fn dispatch_batch(
        &self,
        signals: &[Signal],
        targets: &[Target],
        max_concurrency: usize,
    ) -> Result<(), BatchError> {
        let runs: Vec<BoxFuture<'_, (usize, Result<(), DispatchError>)>> = signals
            .iter()
            .enumerate()
            .map(|(index, signal)| {
                Box::pin(async move {
                    (index, self.dispatch_to_with(signal, targets, DEFAULT_MAX_CONCURRENCY).await)
                }) as BoxFuture<'_, _>
            })
            .collect();
        let outcomes: Vec<(usize, Result<(), DispatchError>)> =
            futures::stream::iter(runs).buffer_unordered(max_concurrency.max(1)).collect().await;
        let mut failures: Vec<(usize, DispatchError)> =
            outcomes.into_iter().filter_map(|(index, result)| result.err().map(|e| (index, e))).collect();
        failures.sort_by_key(|(index, _)| *index);
        if failures.is_empty() { Ok(()) } else { Err(BatchError { failures }) }
    }
}
