//! Pubsub instances: topics that `pubsub` targets broadcast on, read by the embedding
//! application's [`Subscriber`]s.
//!
//! A broadcast reaches every local subscriber of the topic that has room. Broadcasts are
//! not retried per subscriber (a retry would repeat the signal to everyone who already has
//! it), so a subscriber whose queue is full misses the signal and the delivery fails with
//! `subscriber_full`, naming how many missed it; the failure is dead-lettered like any
//! other. With a cluster, the runtime also relays the broadcast to the other nodes unless
//! the target says `local? = true`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use crate::signal::Signal;

/// Signals a subscriber holds before it starts missing broadcasts.
pub const DEFAULT_SUBSCRIBER_CAPACITY: usize = 1024;

/// The pubsub instance used when a target names none.
pub const DEFAULT_PUBSUB: &str = "default";

/// The pubsub instances of a runtime, by name.
pub(crate) type PubSubs = RwLock<HashMap<String, PubSub>>;

type Topics = HashMap<String, Vec<(u64, mpsc::Sender<Arc<Signal>>)>>;

/// One pubsub instance (cheap to clone).
#[derive(Clone, Default)]
pub struct PubSub {
    inner: Arc<PubSubInner>,
}

#[derive(Default)]
struct PubSubInner {
    next: AtomicU64,
    topics: RwLock<Topics>,
}

impl std::fmt::Debug for PubSub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let topics = self.inner.topics.read().unwrap_or_else(PoisonError::into_inner).len();
        f.debug_struct("PubSub").field("topics", &topics).finish()
    }
}

/// Some local subscribers missed a broadcast because their queues were full.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{missed} of {total} subscribers of topic `{topic}` were full and missed the signal")]
pub struct BroadcastMissed {
    /// The topic.
    pub topic: String,
    /// Subscribers that missed it.
    pub missed: usize,
    /// Subscribers of the topic.
    pub total: usize,
}

impl PubSub {
    /// Subscribes to `topic` with the default queue size.
    pub fn subscribe(&self, topic: &str) -> Subscriber {
        self.subscribe_with_capacity(topic, DEFAULT_SUBSCRIBER_CAPACITY)
    }

    /// Subscribes to `topic`; the subscriber holds up to `capacity` signals.
    pub fn subscribe_with_capacity(&self, topic: &str, capacity: usize) -> Subscriber {
        let id = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let mut topics = self.inner.topics.write().unwrap_or_else(PoisonError::into_inner);
        topics.entry(topic.to_owned()).or_default().push((id, tx));
        Subscriber { id, topic: topic.to_owned(), rx, owner: Arc::downgrade(&self.inner) }
    }

    /// Number of live subscribers of `topic`.
    pub fn subscriber_count(&self, topic: &str) -> usize {
        let topics = self.inner.topics.read().unwrap_or_else(PoisonError::into_inner);
        topics.get(topic).map_or(0, |subs| subs.iter().filter(|(_, tx)| !tx.is_closed()).count())
    }

    /// Hands `signal` to every local subscriber of `topic` that has room.
    pub fn broadcast_local(&self, topic: &str, signal: Arc<Signal>) -> Result<usize, BroadcastMissed> {
        let topics = self.inner.topics.read().unwrap_or_else(PoisonError::into_inner);
        let Some(subscribers) = topics.get(topic) else {
            return Ok(0);
        };
        let (mut total, mut missed) = (0, 0);
        for (_, tx) in subscribers {
            match tx.try_send(signal.clone()) {
                Ok(()) => total += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    total += 1;
                    missed += 1;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        if missed > 0 {
            return Err(BroadcastMissed { topic: topic.to_owned(), missed, total });
        }
        Ok(total)
    }
}

/// A subscription to one topic; dropping it unsubscribes.
pub struct Subscriber {
    id: u64,
    topic: String,
    rx: mpsc::Receiver<Arc<Signal>>,
    owner: Weak<PubSubInner>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber").field("topic", &self.topic).finish()
    }
}

impl Subscriber {
    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The next signal broadcast on the topic.
    pub async fn recv(&mut self) -> Option<Arc<Signal>> {
        self.rx.recv().await
    }

    /// A signal if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<Arc<Signal>> {
        self.rx.try_recv().ok()
    }
}

impl futures::Stream for Subscriber {
    type Item = Arc<Signal>;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Arc<Signal>>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.upgrade() {
            let mut topics = owner.topics.write().unwrap_or_else(PoisonError::into_inner);
            if let Some(subs) = topics.get_mut(&self.topic) {
                subs.retain(|(id, _)| *id != self.id);
                if subs.is_empty() {
                    topics.remove(&self.topic);
                }
            }
        }
    }
}
