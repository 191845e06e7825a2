//! A subscription: pattern, targets, and its own bounded queue drained by one worker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use std::time::Duration;

use crate::adapter::DeliveryError;
use crate::dead_letter::{FailureSink, annotate};
use crate::routing::Pattern;
use crate::runtime::Target;
use crate::signal::Signal;

/// Identifies a subscription within its runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(pub u64);

impl std::fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What `publish` does when a matching subscription's queue is full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WhenFull {
    /// Fail the publish with `queue_full` (nothing of that signal is enqueued anywhere).
    #[default]
    Fail,
    /// Wait for room (the publisher slows down to the subscription's pace).
    Wait,
}

/// Per-subscription settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscribeOptions {
    /// Among equally specific subscriptions, higher runs first (−100..=100, default 0).
    pub priority: i32,
    /// Signals each target's lane holds before it is full (default 1024).
    pub queue_capacity: usize,
    /// What a publish does when the queue is full (default [`WhenFull::Fail`]).
    pub when_full: WhenFull,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        SubscribeOptions { priority: 0, queue_capacity: 1024, when_full: WhenFull::Fail }
    }
}

/// One queued delivery to one target.
#[derive(Debug)]
pub(crate) struct Queued {
    pub signal: Arc<Signal>,
    pub hops: u32,
    /// Told when this delivery is finished (for [`Bus::publish_tracked`](super::Bus::publish_tracked)).
    pub ticket: Option<Arc<Ticket>>,
}

/// Called with a signal's key once every lane it reached has finished with it.
pub type OnDone = Arc<dyn Fn(u64) + Send + Sync>;

/// Counts the lanes still working on one tracked signal.
pub(crate) struct Ticket {
    key: u64,
    remaining: AtomicUsize,
    on_done: OnDone,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket").field("key", &self.key).finish_non_exhaustive()
    }
}

impl Ticket {
    pub(crate) fn new(key: u64, lanes: usize, on_done: OnDone) -> Arc<Self> {
        Arc::new(Ticket { key, remaining: AtomicUsize::new(lanes), on_done })
    }

    /// Reports at once: the signal reached no lane.
    pub(crate) fn complete_one_of_none(&self) {
        (self.on_done)(self.key);
    }

    /// One lane is done; the last one reports the key. Never called for a delivery that
    /// was abandoned (a lane aborted at shutdown), so that signal stays pending.
    pub(crate) fn complete_one(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            (self.on_done)(self.key);
        }
    }
}

/// One target's ordered lane: a bounded queue and the task draining it.
#[derive(Debug)]
pub(crate) struct Lane {
    pub sender: mpsc::Sender<Queued>,
    pub worker: Mutex<Option<JoinHandle<()>>>,
}

/// A live subscription: one lane per target, so a slow or failing target holds back only
/// its own lane. Order is kept per (subscription, target).
#[derive(Debug)]
pub(crate) struct Subscription {
    pub id: SubscriptionId,
    pub pattern: Pattern,
    pub priority: i32,
    pub targets: Arc<[Target]>,
    /// Identity of each target, to deliver a target matched twice only once.
    pub target_keys: Vec<Arc<str>>,
    pub when_full: WhenFull,
    /// One lane per target, in target order.
    pub lanes: Vec<Lane>,
    /// Deliveries enqueued and not yet finished, over all lanes.
    pub pending: Arc<AtomicUsize>,
}

/// What a primary lane does with a final failure: record it, then hand the annotated
/// signal to the subscription's `on_failure` lanes.
struct FailureRoute {
    fallbacks: Vec<mpsc::Sender<Queued>>,
}

impl Subscription {
    /// Creates the subscription and starts one lane worker per target. Targets marked
    /// `on_failure` get lanes that only primary lanes feed.
    pub fn start(
        id: SubscriptionId,
        pattern: Pattern,
        targets: Vec<Target>,
        options: SubscribeOptions,
        sink: FailureSink,
    ) -> Self {
        let targets: Arc<[Target]> = targets.into();
        let target_keys = targets.iter().map(Target::identity).collect();
        let pending = Arc::new(AtomicUsize::new(0));
        let channels: Vec<_> = targets.iter().map(|_| mpsc::channel(options.queue_capacity.max(1))).collect();
        let fallbacks = targets
            .iter()
            .zip(&channels)
            .filter(|(target, _)| target.spec().is_on_failure())
            .map(|(_, (sender, _))| sender.clone())
            .collect();
        let route = Arc::new(FailureRoute { fallbacks });
        let lanes = targets
            .iter()
            .zip(channels)
            .enumerate()
            .map(|(index, (target, (sender, receiver)))| {
                // Fallback lanes must not hold the route (and with it their own senders), or
                // they would never see their queue close.
                let route = (!target.spec().is_on_failure()).then(|| route.clone());
                let lane = LaneCtx {
                    id,
                    index,
                    target: target.clone(),
                    pending: pending.clone(),
                    route,
                    sink: sink.clone(),
                };
                let worker = tokio::spawn(drain(Arc::new(lane), receiver));
                Lane { sender, worker: Mutex::new(Some(worker)) }
            })
            .collect();
        Subscription {
            id,
            pattern,
            priority: options.priority,
            targets,
            target_keys,
            when_full: options.when_full,
            lanes,
            pending,
        }
    }

    /// Whether lane `index` is an `on_failure` lane (never fed by publish).
    pub fn is_fallback(&self, index: usize) -> bool {
        self.targets.get(index).is_some_and(|t| t.spec().is_on_failure())
    }
}
/// What a lane worker needs.
struct LaneCtx {
    id: SubscriptionId,
    index: usize,
    target: Target,
    pending: Arc<AtomicUsize>,
    /// `None` for `on_failure` lanes.
    route: Option<Arc<FailureRoute>>,
    sink: FailureSink,
}

/// Delivers one lane's signals in order (an `async` target's deliveries run concurrently;
/// a batching target's go out in batches). Exits when the lane's queue closes and is empty.
async fn drain(lane: Arc<LaneCtx>, mut receiver: mpsc::Receiver<Queued>) {
    if let Some((size, timeout)) = lane.target.batching() {
        return drain_batches(lane, receiver, size, timeout).await;
    }
    while let Some(item) = receiver.recv().await {
        if lane.target.spec().is_async() {
            let lane = lane.clone();
            tokio::spawn(async move { finish(&lane, item, None).await });
        } else {
            finish(&lane, item, None).await;
        }
    }
}

/// Groups up to `size` signals, or those that arrive within `timeout` of the first, into
/// one `deliver-batch` call.
async fn drain_batches(
    lane: Arc<LaneCtx>,
    mut receiver: mpsc::Receiver<Queued>,
    size: usize,
    timeout: Duration,
) {
    while let Some(first) = receiver.recv().await {
        let mut items = vec![first];
        let deadline = tokio::time::Instant::now() + timeout;
        while items.len() < size {
            match tokio::time::timeout_at(deadline, receiver.recv()).await {
                Ok(Some(item)) => items.push(item),
                Ok(None) | Err(_) => break,
            }
        }
        deliver_batch(&lane, items).await;
    }
}

/// One batch: each signal then goes on from its own result (retried, dead-lettered or
/// done), so one bad signal fails alone. With the breaker not closed, signals go one by
/// one through the normal loop instead.
async fn deliver_batch(lane: &Arc<LaneCtx>, items: Vec<Queued>) {
    if !lane.target.batch_admitted() {
        for item in items {
            finish(lane, item, None).await;
        }
        return;
    }
    let hops = items.iter().map(|item| item.hops).max().unwrap_or(0);
    let signals: Vec<Signal> = items.iter().map(|item| (*item.signal).clone()).collect();
    let mut results = lane.target.endpoint().deliver_batch(&signals, lane.target.context(hops)).await;
    let missing =
        DeliveryError::permanent("adapter_error", "deliver-batch returned fewer results than signals");
    results.resize(items.len(), Err(missing));
    for (item, result) in items.into_iter().zip(results) {
        finish(lane, item, Some(result)).await;
    }
}

/// Completes one delivery (from `first`, an attempt already made, if any): on final
/// failure, record it and feed the `on_failure` lanes.
async fn finish(lane: &Arc<LaneCtx>, item: Queued, first: Option<Result<(), DeliveryError>>) {
    let (outcome, attempts) = lane.target.continue_delivery(&item.signal, item.hops, first).await;
    if let Err(error) = outcome {
        lane.sink.record(&lane.target, &item.signal, &error, attempts);
        if let Some(route) = &lane.route {
            let annotated = Arc::new(annotate(&item.signal, &lane.target.spec().adapter, &error, attempts));
            for fallback in &route.fallbacks {
                lane.pending.fetch_add(1, Ordering::AcqRel);
                if let Err(full) =
                    fallback.try_send(Queued { signal: annotated.clone(), hops: item.hops, ticket: None })
                {
                    lane.pending.fetch_sub(1, Ordering::AcqRel);
                    tracing::error!(
                        subscription = lane.id.0,
                        target = lane.index,
                        "an on_failure lane refused the signal ({full}); it is in the dead-letter store"
                    );
                }
            }
        }
    }
    lane.pending.fetch_sub(1, Ordering::AcqRel);
    if let Some(ticket) = &item.ticket {
        ticket.complete_one();
    }
}
