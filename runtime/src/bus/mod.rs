//! Named buses: subscribe with a pattern and targets, publish signals, shut down cleanly.
//!
//! Each target of each subscription is a *lane* (`bus/lane/`) with its own backlog, worker,
//! concurrency (`max_in_flight`), `ordering` and `rate_limit`: a slow, retrying or full
//! lane affects only itself, never its sibling targets, other subscriptions or the
//! publisher. Publishing never waits (unless a subscription chose [`WhenFull::Wait`]): a
//! full memory lane records the signal as a `queue_full` dead letter for itself alone; a
//! durable lane ([`DurableLanes`], the daemon) leaves it in the store and reads it later.
//! A signal matched by several subscriptions goes to each, most specific first; a target
//! they share (same adapter, options and host keys) is delivered once, by the most
//! specific.

mod lane;
mod subscription;
mod types;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

pub use lane::feed::{Backlog, StoredSignal};
pub use lane::pause::PauseReason;
pub use lane::shape::{LaneShape, MAX_PARTITIONS};
use lane::{Item, Offered};
use subscription::Subscription;
pub use subscription::{DurableLanes, SubscribeOptions, SubscriptionId, WhenFull};
pub(crate) use types::TargetOpener;
pub use types::{PublishError, ShutdownReport, SubscribeError, SubscriptionInfo};

use crate::routing::filter::FilterSet;
use crate::routing::{Pattern, Router};
use crate::signal::Signal;
use crate::target::TargetSpec;

pub(crate) struct BusInner {
    name: String,
    opener: Arc<dyn TargetOpener>,
    router: RwLock<Router<Arc<Subscription>>>,
    next_id: Arc<AtomicU64>,
    closed: AtomicBool,
    /// Durable lanes by store key.
    durable: RwLock<HashMap<Arc<str>, DurableLane>>,
}

/// A durable lane: its subscription and its position there.
type DurableLane = (Arc<Subscription>, usize);

/// A named bus. Cheap to clone; every clone is the same bus.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<BusInner>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus").field("name", &self.inner.name).finish_non_exhaustive()
    }
}

/// Subscription priorities allowed.
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i32> = -100..=100;

impl Bus {
    pub(crate) fn new(name: &str, opener: Arc<dyn TargetOpener>, next_id: Arc<AtomicU64>) -> Self {
        let inner = BusInner {
            name: name.to_owned(),
            opener,
            router: RwLock::new(Router::new()),
            next_id,
            closed: AtomicBool::new(false),
            durable: RwLock::default(),
        };
        Bus { inner: Arc::new(inner) }
    }

    /// The bus's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Subscribes `targets` to signals whose type matches `path`. Every target is
    /// validated and opened now, so a bad option fails here, not at delivery.
    pub async fn subscribe(
        &self,
        path: &str,
        targets: Vec<TargetSpec>,
        options: SubscribeOptions,
    ) -> Result<SubscriptionId, SubscribeError> {
        let pattern =
            Pattern::parse(path).map_err(|error| SubscribeError::Pattern { path: path.to_owned(), error })?;
        if !PRIORITY_RANGE.contains(&options.priority) {
            return Err(SubscribeError::Priority(options.priority));
        }
        if targets.is_empty() {
            return Err(SubscribeError::NoTargets);
        }
        for (index, filter) in options.filters.iter().enumerate() {
            filter.check().map_err(|error| SubscribeError::Filter { index, error })?;
        }
        let closed = || SubscribeError::Closed(self.inner.name.clone());
        let mut opened = Vec::with_capacity(targets.len());
        for (index, spec) in targets.iter().enumerate() {
            let opening = self.inner.opener.open(spec.clone()).ok_or_else(closed)?;
            opened.push(opening.await.map_err(|error| SubscribeError::Target { index, error })?);
        }
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let id = SubscriptionId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let filters = FilterSet::new(&options.filters);
        let sink =
            self.inner.opener.failure_sink(format!("bus/{}/{id}", self.inner.name)).ok_or_else(closed)?;
        let subscription = Arc::new(Subscription::start(id, pattern.clone(), opened, &options, sink));
        {
            let mut durable = self.inner.durable.write().unwrap_or_else(PoisonError::into_inner);
            for (index, lane) in subscription.lanes.iter().enumerate() {
                if let Some(key) = lane.key() {
                    durable.insert(key.clone(), (subscription.clone(), index));
                }
            }
        }
        self.router_mut().insert_filtered(id.0, pattern, options.priority, filters, subscription);
        Ok(id)
    }

    /// Removes a subscription. Signals already in its memory lanes are still delivered; new
    /// publishes no longer reach it; a durable lane stops reading its store (the daemon
    /// removes what it left there). Returns whether it existed.
    pub fn unsubscribe(&self, id: SubscriptionId) -> bool {
        let removed = self.router_mut().remove(id.0);
        if let Some(route) = &removed {
            let mut durable = self.inner.durable.write().unwrap_or_else(PoisonError::into_inner);
            for key in route.value.lanes.iter().filter_map(|lane| lane.key()) {
                durable.remove(key);
            }
        }
        removed.is_some()
    }

    /// The store keys of subscription `id`'s durable lanes.
    pub fn lane_keys(&self, id: SubscriptionId) -> Vec<Arc<str>> {
        let router = self.inner.router.read().unwrap_or_else(PoisonError::into_inner);
        router
            .routes()
            .into_iter()
            .filter(|route| route.value.id == id)
            .flat_map(|route| {
                route.value.lanes.iter().filter_map(|lane| lane.key().cloned()).collect::<Vec<_>>()
            })
            .collect()
    }

    /// The durable lanes `signal` goes to, by store key: what the daemon stores with it
    /// before offering it with [`Bus::offer_stored`].
    pub fn route(&self, signal: &Signal) -> Vec<Arc<str>> {
        let matched = self.matched(signal);
        plan_targets(&matched)
            .into_iter()
            .flat_map(|(sub, lanes)| lanes.into_iter().filter_map(|i| sub.lanes[i].key().cloned()))
            .collect()
    }

    /// `lanes` (from [`Bus::route`]) with the partition of `signal` in each, for a store that
    /// splits key-ordered lanes ([`LaneShape`]); a lane not split, or gone, has `None`.
    pub fn partitioned(&self, signal: &Signal, lanes: &[Arc<str>]) -> Vec<(Arc<str>, Option<usize>)> {
        let durable = self.inner.durable.read().unwrap_or_else(PoisonError::into_inner);
        lanes
            .iter()
            .map(|key| {
                let partition = durable.get(key).and_then(|(sub, index)| {
                    let target = &sub.lanes[*index].ctx().target;
                    LaneShape::of(target).partition(target, signal)
                });
                (key.clone(), partition)
            })
            .collect()
    }

    /// Offers a stored signal to the durable lanes `lanes` (from [`Bus::route`]); never
    /// waits. Returns the lanes that no longer exist (unsubscribed since), which the caller
    /// tells the store are done with it. A lane shutting down leaves it stored.
    pub fn offer_stored(&self, seq: u64, signal: Arc<Signal>, lanes: &[Arc<str>]) -> Vec<Arc<str>> {
        let durable = self.inner.durable.read().unwrap_or_else(PoisonError::into_inner);
        let mut gone = Vec::new();
        for key in lanes {
            match durable.get(key) {
                Some((sub, index)) => {
                    sub.lanes[*index].offer(Item {
                        seq: Some(seq),
                        signal: signal.clone(),
                        hops: 0,
                        earlier: 0,
                    });
                }
                None => gone.push(key.clone()),
            }
        }
        gone
    }

    /// Pauses (`true`) or resumes lane `index` of subscription `id`: a paused lane takes no
    /// new deliveries (those in flight finish) and keeps its backlog. Returns whether the
    /// state changed, or `None` when there is no such lane.
    pub fn set_paused(&self, id: SubscriptionId, index: usize, paused: bool) -> Option<bool> {
        let router = self.inner.router.read().unwrap_or_else(PoisonError::into_inner);
        let route = router.routes().into_iter().find(|route| route.value.id == id)?;
        let pause = &route.value.lanes.get(index)?.ctx().pause;
        Some(if paused { pause.pause(PauseReason::Operator) } else { pause.resume() })
    }

    /// Pauses (`Some`) or resumes (`None`) the durable lane with store key `key`, if this
    /// bus has it; returns whether its state changed.
    pub fn set_lane_paused(&self, key: &str, reason: Option<PauseReason>) -> Option<bool> {
        let durable = self.inner.durable.read().unwrap_or_else(PoisonError::into_inner);
        let (sub, index) = durable.get(key)?;
        let pause = &sub.lanes.get(*index)?.ctx().pause;
        Some(match reason {
            Some(reason) => pause.pause(reason),
            None => pause.resume(),
        })
    }

    /// The store key of lane `index` of subscription `id` (durable lanes).
    pub fn lane_key(&self, id: SubscriptionId, index: usize) -> Option<Arc<str>> {
        let router = self.inner.router.read().unwrap_or_else(PoisonError::into_inner);
        let route = router.routes().into_iter().find(|route| route.value.id == id)?;
        route.value.lanes.get(index)?.key().cloned()
    }

    /// The opened targets of subscription `id` (for health checks).
    pub fn targets_of(&self, id: SubscriptionId) -> Option<Arc<[crate::target::Target]>> {
        let router = self.inner.router.read().unwrap_or_else(PoisonError::into_inner);
        router
            .routes()
            .into_iter()
            .find(|route| route.value.id == id)
            .map(|route| route.value.targets.clone())
    }

    /// Every subscription, in registration order.
    pub fn subscriptions(&self) -> Vec<SubscriptionInfo> {
        let router = self.inner.router.read().unwrap_or_else(PoisonError::into_inner);
        router
            .routes()
            .into_iter()
            .map(|route| {
                let sub = &route.value;
                SubscriptionInfo {
                    id: sub.id,
                    path: sub.pattern.to_string(),
                    priority: sub.priority,
                    targets: sub.targets.iter().map(|t| t.spec().clone()).collect(),
                    filters: sub.filters.clone(),
                    pending: sub.backlog(),
                    paused: sub.lanes.iter().map(|lane| lane.ctx().pause.reason()).collect(),
                }
            })
            .collect()
    }

    /// Publishes signals in order, each to every matching subscription's lanes (a full lane
    /// records it as `queue_full` for itself alone). Returns, per signal, how many
    /// subscriptions it reached; fails only when the bus is closed.
    pub async fn publish(&self, signals: Vec<Signal>) -> Result<Vec<usize>, PublishError> {
        let mut reached = Vec::with_capacity(signals.len());
        for signal in signals {
            let accepted = reached.len();
            reached.push(self.publish_one(Arc::new(signal), 0, accepted).await?);
        }
        Ok(reached)
    }

    /// Publishes one signal that has crossed `hops` buses.
    pub(crate) async fn publish_one(
        &self,
        signal: Arc<Signal>,
        hops: u32,
        accepted: usize,
    ) -> Result<usize, PublishError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(PublishError::Closed { bus: self.inner.name.clone(), accepted });
        }
        let matched = self.matched(&signal);
        let mut reached = 0;
        for (sub, lanes) in plan_targets(&matched) {
            let mut took = false;
            for index in lanes {
                let item = Item { seq: None, signal: signal.clone(), hops, earlier: 0 };
                let lane = &sub.lanes[index];
                let offered = match sub.when_full {
                    WhenFull::DeadLetter => lane.offer(item),
                    WhenFull::Wait => lane.offer_waiting(item).await,
                };
                took |= offered != Offered::Closed;
            }
            reached += usize::from(took);
        }
        Ok(reached)
    }

    fn matched(&self, signal: &Signal) -> Vec<Arc<Subscription>> {
        let router = self.inner.router.read().unwrap_or_else(PoisonError::into_inner);
        router.routes_for(signal).into_iter().map(|route| route.value.clone()).collect()
    }

    /// Stops the bus: publishes are refused, every subscription's queue is drained until
    /// `deadline`, and the report lists what was left undelivered.
    pub async fn shutdown(&self, deadline: Duration) -> ShutdownReport {
        self.inner.closed.store(true, Ordering::Release);
        let subscriptions: Vec<Arc<Subscription>> = {
            let mut router = self.router_mut();
            let ids: Vec<u64> = router.routes().iter().map(|r| r.id).collect();
            ids.into_iter().filter_map(|id| router.remove(id)).map(|route| route.value.clone()).collect()
        };
        self.inner.durable.write().unwrap_or_else(PoisonError::into_inner).clear();
        let mut waiting = Vec::new();
        for sub in subscriptions {
            let workers: Vec<_> = sub
                .lanes
                .iter()
                .filter_map(|lane| lane.worker.lock().unwrap_or_else(PoisonError::into_inner).take())
                .collect();
            // A paused durable lane stops now: its backlog is in the store.
            for lane in sub.lanes.iter().filter(|lane| lane.key().is_some()) {
                lane.ctx().pause.stop();
            }
            let info = (sub.id, sub.pattern.to_string(), sub.pending.clone());
            drop(sub); // drops the lanes' senders: each worker exits once its queue is empty
            waiting.push((workers, info));
        }
        let until = tokio::time::Instant::now() + deadline;
        let mut report = ShutdownReport::default();
        for (workers, (id, path, pending)) in waiting {
            let mut late = false;
            for mut worker in workers {
                if tokio::time::timeout_at(until, &mut worker).await.is_err() {
                    worker.abort();
                    late = true;
                }
            }
            if late {
                report.left.push((id, path, pending.load(Ordering::Acquire)));
            }
        }
        report
    }

    fn router_mut(&self) -> std::sync::RwLockWriteGuard<'_, Router<Arc<Subscription>>> {
        self.inner.router.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A subscription to enqueue to, and the lanes (target indices) to enqueue into.
type Planned<'a> = (&'a Arc<Subscription>, Vec<usize>);

/// For each matched subscription (most specific first), the targets it should deliver:
/// a target another, more specific subscription already delivers is skipped.
fn plan_targets(matched: &[Arc<Subscription>]) -> Vec<Planned<'_>> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut plan = Vec::with_capacity(matched.len());
    for sub in matched {
        let chosen: Vec<usize> = sub
            .target_keys
            .iter()
            .enumerate()
            .filter(|(i, key)| !sub.is_fallback(*i) && seen.insert(key))
            .map(|(i, _)| i)
            .collect();
        if !chosen.is_empty() {
            plan.push((sub, chosen));
        }
    }
    plan
}
