//! A subscription: pattern, targets, and one lane per target.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, PoisonError};

use super::lane::pause::Pause;
use sha2::{Digest, Sha256};

use super::lane::feed::{Backlog, Durable};
use super::lane::shape::LaneShape;
use super::lane::{Lane, LaneCtx};
use crate::dead_letter::FailureSink;
use crate::routing::{Filter, Pattern};
use crate::target::Target;

/// Identifies a subscription within its runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(pub u64);

impl std::fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What `publish` does when a lane's read-ahead is full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WhenFull {
    /// That lane alone fails the signal: it is recorded as a `queue_full` dead letter (and
    /// handed to the subscription's `on_failure` targets); every other lane gets it.
    #[default]
    DeadLetter,
    /// The publisher waits for room. A slow lane then slows its publisher, and so every
    /// other lane that publisher feeds: use it only where backpressure is wanted (tests,
    /// benchmarks, a producer that must not outrun one consumer).
    Wait,
}

/// Where a subscription's lanes keep their backlog beyond the read-ahead.
#[derive(Clone)]
pub struct DurableLanes {
    /// The store.
    pub backlog: Arc<dyn Backlog>,
    /// A key naming this subscription in the store, stable across restarts; each lane's
    /// key is this plus its target's position and a digest of the target.
    pub key: String,
}

impl std::fmt::Debug for DurableLanes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DurableLanes").field("key", &self.key).finish_non_exhaustive()
    }
}

/// Per-subscription settings.
#[derive(Debug, Clone)]
pub struct SubscribeOptions {
    /// Among equally specific subscriptions, higher runs first (−100..=100, default 0).
    pub priority: i32,
    /// Signals each lane holds in memory before it is full (default 1024).
    pub queue_capacity: usize,
    /// What a publish does when a memory lane is full (default [`WhenFull::DeadLetter`]).
    pub when_full: WhenFull,
    /// Durable lanes: a full lane leaves signals in this store instead (signals must then
    /// be stored first and offered with [`Bus::offer_stored`](super::Bus::offer_stored)).
    pub durable: Option<DurableLanes>,
    /// Filters a signal must also pass, after its type matched (ANDed; none by default).
    pub filters: Vec<Filter>,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        SubscribeOptions {
            priority: 0,
            queue_capacity: 1024,
            when_full: WhenFull::DeadLetter,
            durable: None,
            filters: Vec::new(),
        }
    }
}

/// A live subscription: one lane per target, so a slow or failing target holds back only
/// its own lane.
#[derive(Debug)]
pub(crate) struct Subscription {
    pub id: SubscriptionId,
    pub pattern: Pattern,
    pub priority: i32,
    pub targets: Arc<[Target]>,
    /// Filters after the pattern (ANDed), as given (the router holds them compiled).
    pub filters: Vec<Filter>,
    /// Identity of each target, to deliver a target matched twice only once.
    pub target_keys: Vec<Arc<str>>,
    pub when_full: WhenFull,
    /// One lane per target, in target order.
    pub lanes: Vec<Lane>,
    /// Signals in the lanes' memory and not finished (see [`LaneCtx::pending`]).
    pub pending: Arc<AtomicUsize>,
}

impl Subscription {
    /// Creates the subscription and starts one lane per target. Targets marked
    /// `on_failure` get memory lanes that only primary lanes feed.
    pub fn start(
        id: SubscriptionId,
        pattern: Pattern,
        targets: Vec<Target>,
        options: &SubscribeOptions,
        sink: FailureSink,
    ) -> Self {
        let targets: Arc<[Target]> = targets.into();
        let target_keys = targets.iter().map(Target::identity).collect();
        let pending = Arc::new(AtomicUsize::new(0));
        let mut fallbacks = Vec::new();
        let lanes: Vec<Lane> = targets
            .iter()
            .enumerate()
            .map(|(index, target)| {
                let on_failure = target.settings().on_failure;
                let durable = options.durable.as_ref().filter(|_| !on_failure).map(|d| {
                    let key: Arc<str> = lane_key(&d.key, index, target).into();
                    d.backlog.lane_started(&key, LaneShape::of(target));
                    Arc::new(Durable::new(key, d.backlog.clone()))
                });
                // A lane an operator paused before a restart starts paused.
                let pause = Pause::starting(durable.as_ref().and_then(|d| d.backlog.starts_paused(&d.key)));
                let ctx = LaneCtx {
                    subscription: id,
                    index,
                    target: target.in_lane(id.0, durable.as_ref().map(|d| d.key.clone())),
                    pending: pending.clone(),
                    fallbacks: Mutex::default(),
                    sink: sink.clone(),
                    durable,
                    pause,
                };
                let (lane, sender) = Lane::start(ctx, options.queue_capacity);
                if on_failure {
                    fallbacks.push(sender);
                }
                lane
            })
            .collect();
        for lane in lanes.iter().filter(|lane| !lane.ctx().target.settings().on_failure) {
            lane.ctx().fallbacks.lock().unwrap_or_else(PoisonError::into_inner).clone_from(&fallbacks);
        }
        Subscription {
            id,
            pattern,
            priority: options.priority,
            targets,
            filters: options.filters.clone(),
            target_keys,
            when_full: options.when_full,
            lanes,
            pending,
        }
    }

    /// Whether lane `index` is an `on_failure` lane (never fed by publish).
    pub fn is_fallback(&self, index: usize) -> bool {
        self.targets.get(index).is_some_and(|t| t.settings().on_failure)
    }

    /// Signals in the lanes' memory (read-ahead, parked or in flight), not finished.
    pub fn backlog(&self) -> usize {
        self.pending.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// A durable lane's key: the subscription's key, the target's position and a digest of
/// the target (so a changed target does not inherit another's backlog).
fn lane_key(subscription: &str, index: usize, target: &Target) -> String {
    let digest = Sha256::digest(target.identity().as_bytes());
    format!("{subscription}#{index}:{}", hex::encode(&digest[..4]))
}
