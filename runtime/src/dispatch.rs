//! The dispatch API beside the bus: one signal to many targets, batches, fire-and-forget.
//!
//! Semantics (from the decisions): several targets are delivered concurrently (default
//! [`DEFAULT_MAX_CONCURRENCY`]) and every failure is reported in configuration order;
//! `dispatch_batch` runs [`DEFAULT_BATCH_CONCURRENCY`] signals at a time and reports
//! failures by signal index, ascending. A target with `async = true` is started and not
//! waited for; its outcome is logged.

use futures::StreamExt as _;

use crate::adapter::{BoxFuture, DeliveryError};
use crate::dead_letter::{FailureSink, annotate};
use crate::signal::Signal;
use crate::target::Target;

/// Targets delivered at once by [`Runtime::dispatch_to`](crate::Runtime::dispatch_to).
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;

/// Signals delivered at once by [`Runtime::dispatch_batch`](crate::Runtime::dispatch_batch).
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
/// [`Runtime::wait_detached`](crate::Runtime::wait_detached) waits for them (the CLI does before it exits).
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

    pub(crate) async fn wait(&self) {
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

pub(crate) fn failures(
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
