//! A *lane*: one target of one subscription, with its own backlog and worker.
//!
//! A lane is fed by [`Lane::offer`], which never waits: a memory lane whose read-ahead is
//! full records the signal as a `queue_full` dead letter for that lane alone; a durable lane
//! leaves it in the store and reads it from there later ([`feed`]). The worker
//! ([`schedule`]) delivers up to `max_in_flight` at once in the target's `ordering`, and
//! every delivery ends in [`LaneCtx::finish`]: success, or a final failure recorded as a
//! dead letter and handed (annotated) to the subscription's `on_failure` lanes. A durable
//! lane then tells the store it is done with the signal, unless the dead letter could not
//! be written: the signal then stays stored and is delivered again after a restart.

mod batch;
pub(crate) mod feed;
#[cfg(test)]
mod feed_tests;
pub(crate) mod pause;
pub(crate) mod schedule;
pub(crate) mod shape;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;

use super::SubscriptionId;
use crate::adapter::DeliveryError;
use crate::dead_letter::{FailureSink, annotate};
use crate::signal::Signal;
use crate::target::Target;
use crate::target::delivery::{Ended, Retries};
use feed::{Durable, Feed};

/// One signal on its way through a lane.
#[derive(Debug)]
pub(crate) struct Item {
    /// Its position in the durable store (`None`: not stored).
    pub seq: Option<u64>,
    pub signal: Arc<Signal>,
    /// Buses crossed through `bus` targets.
    pub hops: u32,
    /// Earlier failed deliveries from a shared store ([`StoredSignal::earlier`](feed::StoredSignal)).
    pub earlier: u32,
}

/// What became of an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offered {
    /// In the read-ahead (or, for a durable lane, left in the store).
    Taken,
    /// The read-ahead is full and the signal is not stored: recorded as `queue_full`.
    Refused,
    /// The lane is shut down.
    Closed,
}

/// The handle publishers hold.
#[derive(Debug)]
pub(crate) struct Lane {
    sender: mpsc::Sender<Item>,
    durable: Option<Arc<Durable>>,
    ctx: Arc<LaneCtx>,
    pub worker: Mutex<Option<JoinHandle<()>>>,
}

/// What a lane's deliveries need.
#[derive(Debug)]
pub(crate) struct LaneCtx {
    pub subscription: SubscriptionId,
    pub index: usize,
    pub target: Target,
    /// Signals in the subscription's lanes' memory and not finished: counted when a memory
    /// offer is taken, or when a durable lane's worker takes a stored signal.
    pub pending: Arc<AtomicUsize>,
    /// The subscription's `on_failure` lanes (empty for those lanes themselves).
    pub fallbacks: Mutex<Vec<mpsc::Sender<Item>>>,
    pub sink: FailureSink,
    pub durable: Option<Arc<Durable>>,
    /// Paused or running, and the time of the last success (`auto_pause_after`).
    pub pause: pause::Pause,
}

impl Lane {
    /// Starts a lane with a read-ahead of `capacity` signals.
    pub fn start(ctx: LaneCtx, capacity: usize) -> (Lane, mpsc::Sender<Item>) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let ctx = Arc::new(ctx);
        let feed = feed::start(receiver, ctx.durable.clone());
        let worker = tokio::spawn(schedule::run(ctx.clone(), feed));
        let lane = Lane {
            sender: sender.clone(),
            durable: ctx.durable.clone(),
            ctx,
            worker: Mutex::new(Some(worker)),
        };
        (lane, sender)
    }

    /// The lane's context.
    pub fn ctx(&self) -> &Arc<LaneCtx> {
        &self.ctx
    }

    /// The lane's key in the store (durable lanes).
    pub fn key(&self) -> Option<&Arc<str>> {
        self.durable.as_ref().map(|d| &d.key)
    }

    /// Hands `item` to the lane without waiting.
    pub fn offer(&self, item: Item) -> Offered {
        if let (Some(durable), Some(seq)) = (&self.durable, item.seq) {
            return durable.offer(&self.sender, seq, item);
        }
        match self.sender.try_send(item) {
            Ok(()) => self.counted(),
            Err(TrySendError::Full(item)) => {
                self.ctx.refuse(item);
                Offered::Refused
            }
            Err(TrySendError::Closed(_)) => Offered::Closed,
        }
    }

    /// Hands `item` to the lane, waiting for room ([`WhenFull::Wait`](super::WhenFull)).
    pub async fn offer_waiting(&self, item: Item) -> Offered {
        self.ctx.pending.fetch_add(1, Ordering::AcqRel);
        match self.sender.send(item).await {
            Ok(()) => Offered::Taken,
            Err(_) => {
                self.ctx.pending.fetch_sub(1, Ordering::AcqRel);
                Offered::Closed
            }
        }
    }

    fn counted(&self) -> Offered {
        self.ctx.pending.fetch_add(1, Ordering::AcqRel);
        Offered::Taken
    }
}

impl LaneCtx {
    /// The worker took `item` from its feed (a stored signal of a durable lane is counted
    /// now; every other signal was counted when offered).
    pub(crate) fn took(&self, item: &Item) {
        if self.durable.is_some() && item.seq.is_some() {
            self.pending.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The next signal from the feed, once the lane is not paused (`None`: closed, or
    /// stopped while paused).
    pub(crate) async fn next(&self, feed: &mut Feed) -> Option<Item> {
        loop {
            if !self.pause.resumed().await {
                return None;
            }
            // A pause while waiting wins over the next signal (`recv` is cancel-safe).
            tokio::select! {
                biased;
                () = self.pause.paused() => {}
                item = feed.recv() => return item,
            }
        }
    }

    /// Delivers one signal through the target's delivery loop, then finishes it. A lane
    /// on a store that defers retries hands a retry back to it instead of waiting.
    pub(crate) async fn deliver(&self, item: Item) {
        let deferring = self.durable.as_ref().filter(|d| d.backlog.defers_retries());
        let (Some(durable), Some(seq)) = (deferring, item.seq) else {
            let (outcome, attempts) = self.target.deliver_counted(&item.signal, item.hops).await;
            return self.finish(item, outcome, attempts);
        };
        let retries = Retries::Deferred { earlier: item.earlier };
        match self.target.deliver_with(&item.signal, item.hops, retries).await {
            Ended::Final((outcome, attempts)) => self.finish(item, outcome, attempts),
            Ended::RetryIn(wait) => {
                self.pending.fetch_sub(1, Ordering::AcqRel);
                durable.backlog.retry_later(&durable.key, seq, wait);
            }
        }
    }

    /// A memory lane's read-ahead was full: the signal fails for this lane alone.
    fn refuse(&self, item: Item) {
        self.pending.fetch_add(1, Ordering::AcqRel);
        let error = DeliveryError::permanent(
            "queue_full",
            format!(
                "the lane of subscription {} target {} ({}) was full",
                self.subscription,
                self.index,
                self.target.label()
            ),
        );
        self.finish(item, Err(error), 0);
    }

    /// Ends one delivery: a final failure is recorded and handed to the `on_failure`
    /// lanes; a stored signal is released from the store once recorded or delivered.
    pub(crate) fn finish(&self, item: Item, outcome: Result<(), DeliveryError>, attempts: u32) {
        let mut release = true;
        match outcome {
            Ok(()) => self.pause.succeeded(),
            Err(error) => {
                release = self.sink.record(&self.target, &item.signal, &error, attempts).is_ok();
                self.feed_fallbacks(&item, &error, attempts);
                if let Some(since) = self.pause.failed(self.target.settings().lane.auto_pause_after) {
                    self.paused_for_no_success(since, &error);
                }
            }
        }
        self.pending.fetch_sub(1, Ordering::AcqRel);
        if let (Some(durable), Some(seq), true) = (&self.durable, item.seq, release) {
            durable.backlog.done(&durable.key, seq);
        }
    }

    fn feed_fallbacks(&self, item: &Item, error: &DeliveryError, attempts: u32) {
        let fallbacks = self.fallbacks.lock().unwrap_or_else(PoisonError::into_inner);
        if fallbacks.is_empty() {
            return;
        }
        let annotated = Arc::new(annotate(&item.signal, &self.target.spec().adapter, error, attempts));
        for fallback in fallbacks.iter() {
            let next = Item { seq: None, signal: annotated.clone(), hops: item.hops, earlier: 0 };
            self.pending.fetch_add(1, Ordering::AcqRel);
            if let Err(full) = fallback.try_send(next) {
                self.pending.fetch_sub(1, Ordering::AcqRel);
                tracing::error!(
                    subscription = self.subscription.0,
                    target = self.index,
                    "an on_failure lane refused the signal ({full}); it is in the dead-letter store"
                );
            }
        }
    }
}
