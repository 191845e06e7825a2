//! The dispatch API beside the bus: one signal to many targets, batches, fire-and-forget.
//!
//! Semantics (from the decisions): several targets are delivered concurrently (default
//! [`DEFAULT_MAX_CONCURRENCY`]) and every failure is reported in configuration order;
//! `dispatch_batch` runs [`DEFAULT_BATCH_CONCURRENCY`] signals at a time and reports
//! failures by signal index, ascending. A target with `async = true` is started and not
//! waited for; its outcome is logged.

use futures::StreamExt as _;

use crate::Runtime;
use crate::adapter::{BoxFuture, DeliveryError};
use crate::dead_letter::{FailureSink, annotate};
use crate::runtime::Target;
use crate::signal::Signal;

/// Targets delivered at once by [`Runtime::dispatch_to`].
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;

/// Signals delivered at once by [`Runtime::dispatch_batch`].
pub const DEFAULT_BATCH_CONCURRENCY: usize = 5;

/// One target's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFailure {
    /// The target's position in the configuration.
    pub index: usize,
    /// Its adapter.
    pub adapter: String,
    /// What went wrong.
    pub error: DeliveryError,
}

/// Some targets failed; the failures are in configuration order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} target(s) failed: {}", failures.len(), describe(failures))]
pub struct DispatchError {
    /// Every failure, by ascending target index.
    pub failures: Vec<TargetFailure>,
}

fn describe(failures: &[TargetFailure]) -> String {
    let parts: Vec<String> =
        failures.iter().map(|f| format!("[{}] {}: {}", f.index, f.adapter, f.error)).collect();
    parts.join("; ")
}

/// Some signals of a batch failed; by ascending signal index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} signal(s) of the batch failed: {}", failures.len(), describe_batch(failures))]
pub struct BatchError {
    /// (signal index, that signal's failures), ascending by index.
    pub failures: Vec<(usize, DispatchError)>,
}

fn describe_batch(failures: &[(usize, DispatchError)]) -> String {
    let parts: Vec<String> = failures.iter().map(|(i, e)| format!("signal {i}: {e}")).collect();
    parts.join("; ")
}

/// A target's index and outcome (`None`: an `async` target, not awaited, or an
/// `on_failure` target with nothing to receive).
type Outcome = (usize, Option<Result<(), DeliveryError>>);

/// A waited delivery's result: index, target, outcome, attempts.
type Delivered<'a> = (usize, &'a Target, Result<(), DeliveryError>, u32);

/// Deliveries to `async` targets started by the dispatch API and not finished yet;
/// [`Runtime::wait_detached`] waits for them (the CLI does before it exits).
#[derive(Debug, Default)]
pub(crate) struct Detached {
    running: std::sync::atomic::AtomicUsize,
    idle: tokio::sync::Notify,
}

impl Detached {
    fn start(&self) {
        self.running.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    fn finish(&self) {
        if self.running.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }

    async fn wait(&self) {
        loop {
            let idle = self.idle.notified();
            if self.running.load(std::sync::atomic::Ordering::Acquire) == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// A primary target's final failure: record it, then deliver the annotated signal to each
/// `on_failure` target (recording theirs too). Returns the fallbacks' outcomes in order.
async fn fail_over(
    signal: &Signal,
    target: &Target,
    error: &DeliveryError,
    attempts: u32,
    fallbacks: &[(usize, Target)],
    hops: u32,
    sink: &FailureSink,
) -> Vec<Result<(), DeliveryError>> {
    let _ = sink.record(target, signal, error, attempts);
    let annotated = annotate(signal, &target.spec().adapter, error, attempts);
    let mut outcomes = Vec::with_capacity(fallbacks.len());
    for (_, fallback) in fallbacks {
        let (result, tries) = fallback.deliver_counted(&annotated, hops).await;
        if let Err(error) = &result {
            let _ = sink.record(fallback, &annotated, error, tries);
        }
        outcomes.push(result);
    }
    outcomes
}

/// Delivers `signal` to the chosen targets, at most `max_concurrency` at once, recording
/// every final failure in `sink`. `on_failure` targets receive the signal (with the failure
/// attached) once per primary target that finally failed, `async` primaries included.
/// Returns one entry per target, in the order given.
pub(crate) async fn deliver_each(
    signal: &Signal,
    targets: impl IntoIterator<Item = (usize, &Target)>,
    hops: u32,
    max_concurrency: usize,
    sink: &FailureSink,
    detached: &std::sync::Arc<Detached>,
) -> Vec<Outcome> {
    let (mut primaries, mut fallbacks) = (Vec::new(), Vec::new());
    for (index, target) in targets {
        if target.settings().on_failure {
            fallbacks.push((index, target.clone()));
        } else {
            primaries.push((index, target));
        }
    }
    let mut waited = Vec::new();
    let mut results = Vec::new();
    for (index, target) in primaries {
        if target.settings().is_async {
            let (signal, target, sink) = (signal.clone(), target.clone(), sink.clone());
            let (fallbacks, detached) = (fallbacks.clone(), detached.clone());
            detached.start();
            tokio::spawn(async move {
                let (outcome, attempts) = target.deliver_counted(&signal, hops).await;
                if let Err(error) = outcome {
                    fail_over(&signal, &target, &error, attempts, &fallbacks, hops, &sink).await;
                }
                detached.finish();
            });
            results.push((index, None));
        } else {
            waited.push((index, target));
        }
    }
    // Boxed with a named type: a closure-built stream of borrowing futures trips the
    // compiler's higher-ranked lifetime check once the whole future is spawned.
    let deliveries: Vec<BoxFuture<'_, Delivered<'_>>> = waited
        .into_iter()
        .map(|(index, target)| {
            Box::pin(async move {
                let (outcome, attempts) = target.deliver_counted(signal, hops).await;
                (index, target, outcome, attempts)
            }) as BoxFuture<'_, _>
        })
        .collect();
    let delivered: Vec<Delivered<'_>> =
        futures::stream::iter(deliveries).buffer_unordered(max_concurrency.max(1)).collect().await;
    let mut fallback_outcomes: Vec<Option<Result<(), DeliveryError>>> = vec![None; fallbacks.len()];
    for (index, target, outcome, attempts) in delivered {
        if let Err(error) = &outcome {
            let outcomes = fail_over(signal, target, error, attempts, &fallbacks, hops, sink).await;
            for (slot, result) in fallback_outcomes.iter_mut().zip(outcomes) {
                *slot = Some(result);
            }
        }
        results.push((index, Some(outcome)));
    }
    results.extend(fallbacks.iter().map(|(index, _)| *index).zip(fallback_outcomes));
    results.sort_by_key(|(index, _)| *index);
    results
}

fn failures(
    targets: &[Target],
    outcomes: Vec<(usize, Option<Result<(), DeliveryError>>)>,
) -> Vec<TargetFailure> {
    outcomes
        .into_iter()
        .filter_map(|(index, outcome)| match outcome {
            Some(Err(error)) => {
                Some(TargetFailure { index, adapter: targets[index].spec().adapter.clone(), error })
            }
            _ => None,
        })
        .collect()
}

impl Runtime {
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
    /// (decisions' default: [`DEFAULT_BATCH_CONCURRENCY`]); failures by signal index.
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
