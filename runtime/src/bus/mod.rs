//! Named buses: subscribe with a pattern and targets, publish signals, shut down cleanly.
//!
//! Each target of each subscription has its own bounded, ordered lane (queue and worker): a
//! slow or failing target delays only its own lane, never its sibling targets, other
//! subscriptions or the publisher (unless the subscription chose [`WhenFull::Wait`]). A signal matched by several subscriptions is
//! enqueued to each, most specific first; a target they share (same adapter, options and
//! host keys) is delivered once, by the most specific. Order is kept per (subscription,
//! target): a target shared by several subscriptions may see signals that reached it
//! through different subscriptions in either order.

mod subscription;
mod types;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use tokio::sync::mpsc::error::TrySendError;

pub use subscription::{OnDone, SubscribeOptions, SubscriptionId, WhenFull};
use subscription::{Queued, Subscription, Ticket};
pub use types::{PublishError, ShutdownReport, SubscribeError, SubscriptionInfo};

use crate::routing::{Pattern, Router};
use crate::runtime::{Inner, Runtime};
use crate::signal::Signal;
use crate::target::TargetSpec;

pub(crate) struct BusInner {
    name: String,
    runtime: Weak<Inner>,
    router: RwLock<Router<Arc<Subscription>>>,
    next_id: Arc<AtomicU64>,
    closed: AtomicBool,
}

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
    pub(crate) fn new(name: &str, runtime: Weak<Inner>, next_id: Arc<AtomicU64>) -> Self {
        let inner = BusInner {
            name: name.to_owned(),
            runtime,
            router: RwLock::new(Router::new()),
            next_id,
            closed: AtomicBool::new(false),
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
        let closed = || SubscribeError::Closed(self.inner.name.clone());
        let runtime = Runtime::upgrade(&self.inner.runtime).ok_or_else(closed)?;
        let mut opened = Vec::with_capacity(targets.len());
        for (index, spec) in targets.iter().enumerate() {
            let target =
                runtime.open_target(spec).await.map_err(|error| SubscribeError::Target { index, error })?;
            opened.push(target);
        }
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(closed());
        }
        let id = SubscriptionId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let sink = runtime.failure_sink(format!("bus/{}/{id}", self.inner.name));
        let subscription = Arc::new(Subscription::start(id, pattern.clone(), opened, options, sink));
        self.router_mut().insert(id.0, pattern, options.priority, subscription);
        Ok(id)
    }

    /// Removes a subscription. Signals already in its queue are still delivered; new
    /// publishes no longer reach it. Returns whether it existed.
    pub fn unsubscribe(&self, id: SubscriptionId) -> bool {
        self.router_mut().remove(id.0).is_some()
    }

    /// The opened targets of subscription `id` (for health checks).
    pub fn targets_of(&self, id: SubscriptionId) -> Option<Arc<[crate::Target]>> {
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
                    pending: sub.pending.load(Ordering::Acquire),
                }
            })
            .collect()
    }

    /// Publishes signals in order. Each signal is enqueued to every matching subscription
    /// or (on `queue_full`) to none; the error says how many signals went in before.
    /// Returns, per signal, how many subscriptions it reached.
    pub async fn publish(&self, signals: Vec<Signal>) -> Result<Vec<usize>, PublishError> {
        let mut reached = Vec::with_capacity(signals.len());
        for signal in signals {
            let accepted = reached.len();
            reached.push(self.publish_one(Arc::new(signal), 0, accepted).await?);
        }
        Ok(reached)
    }

    /// Publishes one signal like [`Bus::publish`], and calls `on_done(key)` once every
    /// target lane it reached has finished with it: delivered, or finally failed and
    /// recorded as a dead letter (at once if it reached none). A delivery abandoned at
    /// shutdown never reports, so a caller that keeps signals until `on_done` (the daemon's
    /// durable log) delivers them again after a restart.
    pub async fn publish_tracked(
        &self,
        signal: Arc<Signal>,
        key: u64,
        on_done: OnDone,
    ) -> Result<usize, PublishError> {
        self.enqueue(signal, 0, 0, Some((key, on_done))).await
    }

    /// Publishes one signal that has crossed `hops` buses.
    pub(crate) async fn publish_one(
        &self,
        signal: Arc<Signal>,
        hops: u32,
        accepted: usize,
    ) -> Result<usize, PublishError> {
        self.enqueue(signal, hops, accepted, None).await
    }

    async fn enqueue(
        &self,
        signal: Arc<Signal>,
        hops: u32,
        accepted: usize,
        tracked: Option<(u64, OnDone)>,
    ) -> Result<usize, PublishError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(PublishError::Closed { bus: self.inner.name.clone(), accepted });
        }
        let matched: Vec<Arc<Subscription>> = {
            let router = self.inner.router.read().unwrap_or_else(PoisonError::into_inner);
            router.matches(&signal.ty).into_iter().map(|route| route.value.clone()).collect()
        };
        let plan = plan_targets(&matched);
        // Reserve a slot in every chosen lane first: a signal goes everywhere or nowhere.
        let mut permits = Vec::new();
        let mut reached = 0;
        for (sub, lanes) in plan {
            let before = permits.len();
            for index in lanes {
                let sender = &sub.lanes[index].sender;
                let permit = match sub.when_full {
                    WhenFull::Fail => match sender.try_reserve() {
                        Ok(permit) => permit,
                        Err(TrySendError::Full(())) => {
                            return Err(PublishError::QueueFull {
                                subscription: sub.id,
                                path: sub.pattern.to_string(),
                                accepted,
                            });
                        }
                        Err(TrySendError::Closed(())) => continue,
                    },
                    WhenFull::Wait => match sender.reserve().await {
                        Ok(permit) => permit,
                        Err(_) => continue,
                    },
                };
                permits.push((permit, sub));
            }
            reached += usize::from(permits.len() > before);
        }
        let ticket = tracked.map(|(key, on_done)| Ticket::new(key, permits.len(), on_done));
        if let Some(ticket) = &ticket
            && permits.is_empty()
        {
            ticket.complete_one_of_none();
        }
        for (permit, sub) in permits {
            sub.pending.fetch_add(1, Ordering::AcqRel);
            permit.send(Queued { signal: signal.clone(), hops, ticket: ticket.clone() });
        }
        Ok(reached)
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
        let mut waiting = Vec::new();
        for sub in subscriptions {
            let workers: Vec<_> = sub
                .lanes
                .iter()
                .filter_map(|lane| lane.worker.lock().unwrap_or_else(PoisonError::into_inner).take())
                .collect();
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
