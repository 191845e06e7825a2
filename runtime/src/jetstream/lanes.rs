//! [`JetStreamBacklog`]: durable lanes reading their work from shared JetStream consumers.
//!
//! Each lane has one durable pull consumer, created on its first read, that every node's
//! lane of the same key pulls from. A pulled message is *held* (its acker kept) until the
//! lane is done with it; then it is acknowledged and the work queue drops it. While held,
//! a ticker sends progress acks, so a long retry is not mistaken for a dead node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::message::Acker;
use futures::{FutureExt, StreamExt};

use super::{Shared, consumer_name, lane_token};
use crate::adapter::BoxFuture;
use crate::bus::{Backlog, StoredSignal};
use crate::signal::Signal;

/// How long a read waits for a lane's next message before it returns empty.
const IDLE: Duration = Duration::from_secs(1);

type Messages = Arc<tokio::sync::Mutex<pull::Stream>>;

/// Per lane: how many of its messages may be out cluster-wide, and its message stream once
/// opened.
type Lanes = HashMap<Arc<str>, (usize, Option<Messages>)>;

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

    /// The lane's message stream, opening its consumer on first use.
    async fn messages(&self, lane: &Arc<str>) -> Result<Messages, String> {
        let max_out = match self.lanes().get(lane) {
            Some((_, Some(messages))) => return Ok(messages.clone()),
            Some((max_out, None)) => *max_out,
            None => 1,
        };
        let token = lane_token(lane);
        let name = consumer_name(&self.shared.config.prefix, &token);
        let config = pull::Config {
            durable_name: Some(name.clone()),
            description: Some(format!("lane {lane}")),
            filter_subject: self.shared.subject(&token),
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
        let stream = consumer
            .stream()
            .max_messages_per_batch(max_out.clamp(1, 256))
            .heartbeat(Duration::from_secs(10))
            .expires(Duration::from_secs(30))
            .messages()
            .await
            .map_err(|e| format!("cannot pull from the consumer {name}: {e}"))?;
        let messages = Arc::new(tokio::sync::Mutex::new(stream));
        self.lanes().insert(lane.clone(), (max_out, Some(messages.clone())));
        Ok(messages)
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
        let seq = match message.info() {
            Ok(info) => info.stream_sequence,
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
                Some(StoredSignal { seq, signal: Arc::new(signal) })
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

    fn lane_started(&self, lane: &Arc<str>, max_out: usize) {
        self.inner.lanes().entry(lane.clone()).or_insert((max_out, None)).0 = max_out;
    }
}
