//! A subscription: pattern, targets, and its own bounded queue drained by one worker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::dispatch::deliver_each;
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

impl Subscription {
    /// Creates the subscription and starts one lane worker per target.
    pub fn start(
        id: SubscriptionId,
        pattern: Pattern,
        targets: Vec<Target>,
        options: SubscribeOptions,
    ) -> Self {
        let targets: Arc<[Target]> = targets.into();
        let target_keys = targets.iter().map(Target::identity).collect();
        let pending = Arc::new(AtomicUsize::new(0));
        let lanes = targets
            .iter()
            .enumerate()
            .map(|(index, target)| {
                let (sender, receiver) = mpsc::channel(options.queue_capacity.max(1));
                let worker = tokio::spawn(drain(id, index, target.clone(), receiver, pending.clone()));
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
}

/// Delivers one lane's signals in order. Exits when the lane's queue closes and is empty.
async fn drain(
    id: SubscriptionId,
    index: usize,
    target: Target,
    mut receiver: mpsc::Receiver<Queued>,
    pending: Arc<AtomicUsize>,
) {
    while let Some(item) = receiver.recv().await {
        for (_, outcome) in deliver_each(&item.signal, [(index, &target)], item.hops, 1).await {
            if let Some(Err(error)) = outcome {
                let adapter = &target.spec().adapter;
                tracing::warn!(subscription = id.0, target = index, adapter, signal = %item.signal.id, "delivery failed: {error}");
            }
        }
        pending.fetch_sub(1, Ordering::AcqRel);
    }
}
