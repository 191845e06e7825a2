//! [`JetStreamBacklog`]: durable lanes reading their work from shared JetStream consumers.
//!
//! Each lane partition has one durable pull consumer, created on a lane's first read, that
//! every node's lane of the same key pulls from (a lane of `partitions` > 1 reads all of its
//! partitions' consumers at once, merged). A pulled message is *held* (its acker kept) until
//! the lane is done with it; then it is acknowledged and the work queue drops it. While
//! held, a ticker sends progress acks, so a long delivery is not mistaken for a dead node.
//! A retryable failure is not waited for here: the message is nak'd with the retry
//! policy's delay and the server hands it out again after it, to whichever node pulls
//! first; its delivery count tells the next attempt how many came before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::message::Acker;
use futures::stream::SelectAll;
use futures::{FutureExt, StreamExt};

use super::{Shared, consumer_name, lane_token};
use crate::adapter::BoxFuture;
use crate::bus::{Backlog, LaneShape, StoredSignal};
use crate::signal::Signal;

/// How long a read waits for a lane's next message before it returns empty.
const IDLE: Duration = Duration::from_secs(1);

/// A lane's messages: its partitions' pull streams, merged.
type Messages = Arc<tokio::sync::Mutex<SelectAll<pull::Stream>>>;

/// Per lane: its shape (messages out cluster-wide, partitions), and its message streams
/// once opened.
type Lanes = HashMap<Arc<str>, (LaneShape, Option<Messages>)>;

/// Messages pulled and not finished, by (lane, stream sequence).
type Held = HashMap<(Arc<str>, u64), Arc<Acker>>;

/// The lanes' side of the [`WorkQueue`](super::WorkQueue).
#[derive(Clone)]
pub struct JetStreamBacklog {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for JetStreamBacklog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamBacklog")
            .field("stream", &self.inner.shared.config.prefix)
            .finish_non_exhaustive()
    }
}

struct Inner {
    shared: Arc<Shared>,
    lanes: Mutex<Lanes>,
    held: Mutex<Held>,
}

impl JetStreamBacklog {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        let inner = Arc::new(Inner { shared, lanes: Mutex::default(), held: Mutex::default() });
        let weak = Arc::downgrade(&inner);
        let every = inner.shared.config.ack_wait / 3;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let held: Vec<Arc<Acker>> = inner.held().values().cloned().collect();
                drop(inner);
                for acker in held {
                    // A failed progress ack only risks a duplicate delivery (at least once).
                    let _ = acker.ack_with(AckKind::Progress).await;
                }
            }
        });
        JetStreamBacklog { inner }
    }
}

impl Inner {
    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lanes(&self) -> std::sync::MutexGuard<'_, Lanes> {
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The lane's messages, opening its consumers on first use.
    async fn messages(&self, lane: &Arc<str>) -> Result<Messages, String> {
        let shape = match self.lanes().get(lane) {
            Some((_, Some(messages))) => return Ok(messages.clone()),
            Some((shape, None)) => *shape,
            None => LaneShape { max_out: 1, partitions: 1 },
        };
        let token = lane_token(lane);
        let mut merged = SelectAll::new();
        for partition in partitions(shape) {
            merged.push(self.pull(lane, &token, partition, shape.max_out).await?);
        }
        let messages = Arc::new(tokio::sync::Mutex::new(merged));
        self.lanes().insert(lane.clone(), (shape, Some(messages.clone())));
        Ok(messages)
    }

    /// Opens (or finds) the consumer of one partition of a lane and pulls from it.
    async fn pull(
        &self,
        lane: &Arc<str>,
        token: &str,
        partition: Option<usize>,
        max_out: usize,
    ) -> Result<pull::Stream, String> {
        let name = consumer_name(&self.shared.config.prefix, token, partition);
        let config = pull::Config {
            durable_name: Some(name.clone()),
            description: Some(format!("lane {lane}")),
            filter_subject: self.shared.subject(token, partition),
            deliver_policy: DeliverPolicy::All,
            ack_policy: AckPolicy::Explicit,
            ack_wait: self.shared.config.ack_wait,
            max_ack_pending: i64::try_from(max_out).unwrap_or(i64::MAX),
            max_deliver: -1,
            ..Default::default()
        };
        let consumer = self
            .shared
            .stream
            .create_consumer(config)
            .await
            .map_err(|e| format!("cannot open the consumer {name}: {e}"))?;
        consumer
            .stream()
            .max_messages_per_batch(max_out.clamp(1, 256))
            .heartbeat(Duration::from_secs(10))
            .expires(Duration::from_secs(30))
            .messages()
            .await
            .map_err(|e| format!("cannot pull from the consumer {name}: {e}"))
    }

    /// Forgets `lane`'s pull stream: the next read opens another.
    fn reopen(&self, lane: &Arc<str>) {
        if let Some((_, messages)) = self.lanes().get_mut(lane) {
            *messages = None;
        }
    }

    /// Keeps `message` until its lane is done with it and returns it as a stored signal;
    /// a message that is not a signal is terminated (never delivered again) and skipped.
    fn take(&self, lane: &Arc<str>, message: async_nats::jetstream::Message) -> Option<StoredSignal> {
        let (seq, earlier) = match message.info() {
            Ok(info) => {
                (info.stream_sequence, u32::try_from(info.delivered.saturating_sub(1)).unwrap_or(u32::MAX))
            }
            Err(error) => {
                tracing::error!(%lane, "a JetStream message without metadata: {error}");
                return None;
            }
        };
        let (message, acker) = message.split();
        let parsed = std::str::from_utf8(&message.payload)
            .map_err(|e| e.to_string())
            .and_then(|text| Signal::from_json(text).map_err(|e| e.to_string()));
        match parsed {
            Ok(signal) => {
                self.held().insert((lane.clone(), seq), Arc::new(acker));
                Some(StoredSignal { seq, signal: Arc::new(signal), earlier })
            }
            Err(error) => {
                tracing::error!(%lane, seq, "dropping a JetStream message that is not a signal: {error}");
                tokio::spawn(async move {
                    let _ = acker.ack_with(AckKind::Term).await;
                });
                None
            }
        }
    }
}

impl Backlog for JetStreamBacklog {
    fn read(
        &self,
        lane: &Arc<str>,
        _from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredSignal>, String>> {
        let lane = lane.clone();
        Box::pin(async move {
            let messages = self.inner.messages(&lane).await?;
            let mut messages = messages.lock().await;
            let mut found = Vec::new();
            let first = match tokio::time::timeout(IDLE, messages.next()).await {
                Err(_) => return Ok(found),
                Ok(None) => Err("the consumer's message stream ended".to_owned()),
                Ok(Some(first)) => first.map_err(|e| e.to_string()),
            };
            let first = match first {
                Ok(first) => first,
                Err(error) => {
                    // A pull stream that failed (e.g. missed heartbeats while the server was
                    // busy) is not trusted again: the next read opens a fresh one. Messages
                    // the old one was sent go to a reader after `ack_wait`.
                    drop(messages);
                    self.inner.reopen(&lane);
                    return Err(error);
                }
            };
            found.extend(self.inner.take(&lane, first));
            while found.len() < limit {
                match messages.next().now_or_never() {
                    Some(Some(Ok(message))) => found.extend(self.inner.take(&lane, message)),
                    _ => break,
                }
            }
            Ok(found)
        })
    }

    fn done(&self, lane: &Arc<str>, seq: u64) {
        let Some(acker) = self.inner.held().remove(&(lane.clone(), seq)) else { return };
        tokio::spawn(async move {
            // A lost ack means one more delivery later (at least once), never a lost signal.
            if let Err(error) = acker.ack().await {
                tracing::warn!("cannot acknowledge a finished JetStream message: {error}");
            }
        });
    }

    fn reads_only(&self) -> bool {
        true
    }

    fn lane_started(&self, lane: &Arc<str>, shape: LaneShape) {
        self.inner.lanes().entry(lane.clone()).or_insert((shape, None)).0 = shape;
    }

    fn defers_retries(&self) -> bool {
        true
    }

    fn retry_later(&self, lane: &Arc<str>, seq: u64, wait: Duration) {
        let Some(acker) = self.inner.held().remove(&(lane.clone(), seq)) else { return };
        tokio::spawn(async move {
            // A lost nak means the redelivery comes after `ack_wait` instead: later, not lost.
            if let Err(error) = acker.ack_with(AckKind::Nak(Some(wait))).await {
                tracing::warn!("cannot hand a retry back to JetStream: {error}");
            }
        });
    }
}

/// A lane's partitions: `None` alone when it is not split.
fn partitions(shape: LaneShape) -> Vec<Option<usize>> {
    if shape.partitions <= 1 { vec![None] } else { (0..shape.partitions).map(Some).collect() }
}
