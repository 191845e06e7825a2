//! A subscription: pattern, targets, and its own bounded queue drained by one worker.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::dispatch::{DEFAULT_MAX_CONCURRENCY, deliver_each};
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
    /// Signals the queue holds before it is full (default 1024).
    pub queue_capacity: usize,
    /// What a publish does when the queue is full (default [`WhenFull::Fail`]).
    pub when_full: WhenFull,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        SubscribeOptions { priority: 0, queue_capacity: 1024, when_full: WhenFull::Fail }
    }
}

/// One queued delivery.
#[derive(Debug)]
pub(crate) struct Queued {
    pub signal: Arc<Signal>,
    /// Target indices to deliver to; `None` means all (others were already reached through
    /// a more specific subscription).
    pub only: Option<Arc<[usize]>>,
    pub hops: u32,
}

/// A live subscription.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub id: SubscriptionId,
    pub pattern: Pattern,
    pub priority: i32,
    pub targets: Arc<[Target]>,
    /// Identity of each target, to deliver a target matched twice only once.
    pub target_keys: Vec<Arc<str>>,
    pub when_full: WhenFull,
    pub sender: mpsc::Sender<Queued>,
    /// Signals enqueued and not yet fully delivered.
    pub pending: Arc<AtomicUsize>,
    pub worker: Mutex<Option<JoinHandle<()>>>,
}

impl Subscription {
    /// Creates the subscription and starts its worker.
    pub fn start(
        id: SubscriptionId,
        pattern: Pattern,
        targets: Vec<Target>,
        options: SubscribeOptions,
    ) -> Self {
        let (sender, receiver) = mpsc::channel(options.queue_capacity.max(1));
        let targets: Arc<[Target]> = targets.into();
        let target_keys = targets.iter().map(Target::identity).collect();
        let pending = Arc::new(AtomicUsize::new(0));
        let worker = tokio::spawn(drain(id, targets.clone(), receiver, pending.clone()));
        Subscription {
            id,
            pattern,
            priority: options.priority,
            targets,
            target_keys,
            when_full: options.when_full,
            sender,
            pending,
            worker: Mutex::new(Some(worker)),
        }
    }
}

/// Delivers queued signals in order: each signal to all its targets (concurrently) before
/// the next one starts, so the subscription's order is kept. Exits when the queue closes
/// and is empty.
async fn drain(
    id: SubscriptionId,
    targets: Arc<[Target]>,
    mut receiver: mpsc::Receiver<Queued>,
    pending: Arc<AtomicUsize>,
) {
    while let Some(item) = receiver.recv().await {
        let chosen: Vec<(usize, &Target)> = match &item.only {
            None => targets.iter().enumerate().collect(),
            Some(only) => only.iter().filter_map(|&i| targets.get(i).map(|t| (i, t))).collect(),
        };
        for (index, outcome) in deliver_each(&item.signal, chosen, item.hops, DEFAULT_MAX_CONCURRENCY).await {
            if let Some(Err(error)) = outcome {
                let adapter = &targets[index].spec().adapter;
                tracing::warn!(subscription = id.0, target = index, adapter, signal = %item.signal.id, "delivery failed: {error}");
            }
        }
        pending.fetch_sub(1, Ordering::AcqRel);
    }
}
