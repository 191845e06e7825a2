//! Durable lanes on NATS JetStream: several daemons share one replicated work queue.
//!
//! ```text
//! ingress (any node) ─▶ Bus::route ─▶ WorkQueue::publish: one message per lane
//!     to `PREFIX.work.<lane token>` of the stream `PREFIX_WORK` (work-queue retention,
//!     `Nats-Msg-Id` = `<signal id>:<lane token>`), 202 after every publish ack
//! each lane ─▶ one durable pull consumer `PREFIX_lane_<token>`, shared by every node
//!     (`max_ack_pending`: the lane's `max_in_flight`, 1 when `strict`) ─▶ the lane's
//!     worker on whichever node pulled it ─▶ ack when the lane is done with it, or nak
//!     with the retry policy's delay after a retryable failure
//! a lane ordered by key ─▶ `max_in_flight` partitions (≤ 64), by a hash of the key:
//!     subject `PREFIX.work.<token>.<p>`, consumer `PREFIX_lane_<token>_<p>`, one message
//!     out per partition
//! ```
//!
//! A lane's work spreads over the nodes that pull from its consumers; the server hands out
//! at most `max_ack_pending` of a consumer's messages at once, so a receiver never sees
//! more than the lane's `max_in_flight` requests from the whole cluster, a `strict` lane
//! has one message out at a time cluster-wide, and a key-ordered lane one per partition (a
//! key's order holds whichever node delivers; different keys go out at once). A retry is
//! the server's: a nak with delay keeps the message out (so order holds) and hands it out
//! again after the delay, to any node. A node keeps its unacknowledged messages alive with
//! progress acks during long calls; a node that dies stops sending them and its messages go
//! to the others after `ack_wait`. The lane token is a digest of the lane's store key, so a
//! subject never carries user text.
//!
//! The server features used (streams, durable pull consumers, `Nats-Msg-Id`
//! de-duplication, ack / nak / progress / term) are all in Debian's `nats-server` 2.9.10;
//! the client is built without async-nats' `server_2_10`+ features.

mod dead_letters;
mod lanes;
mod registry;

pub use dead_letters::JetStreamDeadLetters;
pub use lanes::JetStreamBacklog;
pub use registry::{Change, SharedBucket};

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::context::ConsumerInfoErrorKind;
use async_nats::jetstream::stream::ConsumerErrorKind;
use async_nats::jetstream::{self, ErrorCode, stream};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::signal::Signal;

/// How long a duplicate publish (same signal id, same lane) is recognised and dropped.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Where the shared queue lives.
#[derive(Debug, Clone)]
pub struct JetStreamConfig {
    /// NATS servers (any of them; the client fails over between them).
    pub urls: Vec<String>,
    /// Prefix of stream, consumer and subject names (`[A-Za-z0-9_-]`, e.g. `jido`).
    pub prefix: String,
    /// Servers each message is stored on before it is acknowledged (1 or 3).
    pub replicas: usize,
    /// How long a pulled message may go without an ack or a progress ack before the
    /// server hands it to another node (default 30 s).
    pub ack_wait: Duration,
    /// Lane messages the stream may hold (undelivered work of every lane); past it a
    /// publish is refused ([`JetStreamError::Full`]). `None`: no limit.
    pub max_messages: Option<usize>,
    /// Bytes the stream may hold; past it a publish is refused. `None`: no limit.
    pub max_bytes: Option<usize>,
}

impl JetStreamConfig {
    /// One server, prefix `jido`, one replica, `ack_wait` 30 s.
    pub fn new(urls: Vec<String>) -> Self {
        JetStreamConfig {
            urls,
            prefix: "jido".to_owned(),
            replicas: 1,
            ack_wait: Duration::from_secs(30),
            max_messages: None,
            max_bytes: None,
        }
    }

    /// Checks the prefix and the replica count; the error names the setting.
    pub fn check(&self) -> Result<(), JetStreamError> {
        let bad = |message: String| Err(JetStreamError::Config(message));
        if self.urls.is_empty() {
            return bad("nats_url: expected at least one server".to_owned());
        }
        let valid = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if self.prefix.is_empty() || !self.prefix.chars().all(valid) {
            return bad(format!("prefix: expected letters, digits, `_` or `-`, got {:?}", self.prefix));
        }
        if !matches!(self.replicas, 1 | 3) {
            return bad(format!("replicas: expected 1 or 3, got {}", self.replicas));
        }
        Ok(())
    }
}

/// Why the queue could not be set up or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JetStreamError {
    /// The configuration is invalid (the message names the setting).
    #[error("{0}")]
    Config(String),
    /// No server could be reached.
    #[error("cannot connect to NATS at {urls}: {reason}")]
    Connect {
        /// The configured servers.
        urls: String,
        /// Why.
        reason: String,
    },
    /// The stream could not be created or checked.
    #[error("cannot set up the JetStream stream {stream}: {reason}")]
    Setup {
        /// The stream's name.
        stream: String,
        /// Why.
        reason: String,
    },
    /// A publish was not acknowledged (the signal is not accepted).
    #[error("JetStream did not store the signal: {0}")]
    Publish(String),
    /// The stream is at its `max_messages` or `max_bytes`: nothing more is accepted until
    /// lanes deliver.
    #[error("the work queue is full: {0}")]
    Full(String),
}

/// The shared work queue: the stream every node publishes lanes' work to.
#[derive(Debug, Clone)]
pub struct WorkQueue {
    inner: Arc<Shared>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub js: jetstream::Context,
    pub config: JetStreamConfig,
    pub stream: stream::Stream,
}

impl Shared {
    /// `PREFIX.work.<token>` (or `.<partition>` after it): where a lane's work is
    /// published.
    pub fn subject(&self, token: &str, partition: Option<usize>) -> String {
        match partition {
            None => format!("{}.work.{token}", self.config.prefix),
            Some(p) => format!("{}.work.{token}.{p}", self.config.prefix),
        }
    }
}

/// A stream limit: `-1` (none) or the count.
fn limit(value: Option<usize>) -> i64 {
    value.map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX))
}

/// A lane's state on the server (its durable consumer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneInfo {
    /// How many of its signals may be out at once, cluster-wide (`max_ack_pending`).
    pub max_out: usize,
    /// Signals out now (pulled by a node, not yet acknowledged).
    pub out: usize,
    /// Signals stored and not yet pulled.
    pub waiting: u64,
    /// Signals handed out more than once (a retry, or a node that died or was too slow
    /// to acknowledge).
    pub redelivered: usize,
    /// Consumers the lane's work is split over (1 unless ordered by key).
    pub partitions: usize,
    /// Messages handed out so far, redeliveries (retries) included.
    pub handed_out: u64,
}

/// The durable consumer of the lane with `token` (or of one of its partitions).
pub(crate) fn consumer_name(prefix: &str, token: &str, partition: Option<usize>) -> String {
    match partition {
        None => format!("{prefix}_lane_{token}"),
        Some(p) => format!("{prefix}_lane_{token}_{p}"),
    }
}

/// A lane's token in subjects and consumer names: 16 hex digits of the digest of its key.
pub fn lane_token(lane: &str) -> String {
    let digest = Sha256::digest(lane.as_bytes());
    hex::encode(&digest[..8])
}

impl WorkQueue {
    /// Connects (failing at once when no server answers) and creates (or checks) the work
    /// stream. A fresh cluster elects its JetStream leader within seconds: creation is
    /// retried for up to 30 s.
    pub async fn connect(config: JetStreamConfig) -> Result<WorkQueue, JetStreamError> {
        config.check()?;
        let urls = config.urls.join(",");
        let client = async_nats::ConnectOptions::new()
            .name("jido-dispatch")
            .connection_timeout(Duration::from_secs(5))
            .connect(config.urls.as_slice())
            .await
            .map_err(|e| JetStreamError::Connect { urls: urls.clone(), reason: e.to_string() })?;
        let js = jetstream::new(client);
        let name = format!("{}_WORK", config.prefix);
        let stream_config = stream::Config {
            name: name.clone(),
            subjects: vec![format!("{}.work.>", config.prefix)],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            duplicate_window: DUPLICATE_WINDOW,
            max_messages: limit(config.max_messages),
            max_bytes: limit(config.max_bytes),
            discard: stream::DiscardPolicy::New,
            ..Default::default()
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let stream = loop {
            match js.get_or_create_stream(stream_config.clone()).await {
                Ok(stream) => break stream,
                Err(error) if Instant::now() < deadline => {
                    tracing::debug!("JetStream not ready ({error}); retrying");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => {
                    return Err(JetStreamError::Setup { stream: name, reason: error.to_string() });
                }
            }
        };
        // A stream made by an earlier start keeps its limits until updated to these.
        let limits = (stream.cached_info().config.max_messages, stream.cached_info().config.max_bytes);
        if limits != (stream_config.max_messages, stream_config.max_bytes) {
            js.update_stream(stream_config)
                .await
                .map_err(|e| JetStreamError::Setup { stream: name.clone(), reason: e.to_string() })?;
        }
        Ok(WorkQueue { inner: Arc::new(Shared { js, config, stream }) })
    }

    /// Publishes `signal` to each of `lanes` (store keys and partitions, from
    /// `Bus::route_partitioned`) and returns once the server acknowledged every publish
    /// (stored on `replicas` servers). A publish of the same signal id to the same lane
    /// within [`DUPLICATE_WINDOW`] is dropped by the server.
    pub async fn publish(
        &self,
        signal: &Signal,
        lanes: &[(Arc<str>, Option<usize>)],
    ) -> Result<(), JetStreamError> {
        let payload = bytes::Bytes::from(signal.to_json());
        let mut acks = Vec::with_capacity(lanes.len());
        for (lane, partition) in lanes {
            let token = lane_token(lane);
            let mut headers = HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("{}:{token}", signal.id).as_str());
            let subject = self.inner.subject(&token, *partition);
            let sent = self.inner.js.publish_with_headers(subject, headers, payload.clone());
            acks.push(sent.await.map_err(|e| JetStreamError::Publish(e.to_string()))?);
        }
        for ack in acks {
            ack.await.map_err(|e| {
                let message = e.to_string();
                if message.contains("maximum messages") || message.contains("maximum bytes") {
                    JetStreamError::Full(message)
                } else {
                    JetStreamError::Publish(message)
                }
            })?;
        }
        Ok(())
    }

    /// Lane messages the stream holds now (undelivered work of every lane, cluster-wide).
    pub async fn pending(&self) -> Result<u64, JetStreamError> {
        let info = self.inner.stream.get_info().await.map_err(|e| JetStreamError::Setup {
            stream: self.inner.stream.cached_info().config.name.clone(),
            reason: e.to_string(),
        })?;
        Ok(info.state.messages)
    }

    /// What the server holds for `lane` (a store key), summed over its partitions: `None`
    /// before any node opened the lane's consumers.
    pub async fn lane_info(&self, lane: &str) -> Result<Option<LaneInfo>, JetStreamError> {
        let mut total: Option<LaneInfo> = None;
        for name in self.lane_consumers(lane).await? {
            let info = match self.inner.stream.consumer_info(&name).await {
                Ok(info) => info,
                Err(error) if error.kind() == ConsumerInfoErrorKind::NotFound => continue,
                Err(error) => return Err(JetStreamError::Setup { stream: name, reason: error.to_string() }),
            };
            let sum = total.get_or_insert(LaneInfo {
                max_out: 0,
                out: 0,
                waiting: 0,
                redelivered: 0,
                partitions: 0,
                handed_out: 0,
            });
            sum.max_out += usize::try_from(info.config.max_ack_pending).unwrap_or(0);
            sum.out += info.num_ack_pending;
            sum.waiting += info.num_pending;
            sum.redelivered += info.num_redelivered;
            sum.partitions += 1;
            sum.handed_out += info.delivered.consumer_sequence;
        }
        Ok(total)
    }

    /// The names of `lane`'s consumers on the server (one, or one per partition).
    async fn lane_consumers(&self, lane: &str) -> Result<Vec<String>, JetStreamError> {
        let base = consumer_name(&self.inner.config.prefix, &lane_token(lane), None);
        let failed = |e: &dyn std::fmt::Display| JetStreamError::Setup {
            stream: self.inner.stream.cached_info().config.name.clone(),
            reason: e.to_string(),
        };
        let mut names = Vec::new();
        let mut listed = self.inner.stream.consumer_names();
        while let Some(name) = listed.next().await {
            let name = name.map_err(|e| failed(&e))?;
            let partition = name.strip_prefix(base.as_str()).and_then(|rest| rest.strip_prefix('_'));
            if name == base || partition.is_some_and(|p| p.chars().all(|c| c.is_ascii_digit())) {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// Drops `lane`'s work (a removed subscription's): deletes its consumers and purges what
    /// they had not delivered.
    pub async fn forget_lane(&self, lane: &str) -> Result<(), JetStreamError> {
        let token = lane_token(lane);
        for name in self.lane_consumers(lane).await? {
            if let Err(e) = self.inner.stream.delete_consumer(&name).await
                && !matches!(e.kind(), ConsumerErrorKind::JetStream(ref js) if js.error_code() == ErrorCode::CONSUMER_NOT_FOUND)
            {
                return Err(JetStreamError::Setup { stream: name, reason: e.to_string() });
            }
        }
        let failed = |e: &dyn std::fmt::Display| JetStreamError::Setup {
            stream: token.clone(),
            reason: e.to_string(),
        };
        let whole = self.inner.subject(&token, None);
        self.inner.stream.purge().filter(whole.as_str()).await.map_err(|e| failed(&e))?;
        self.inner.stream.purge().filter(format!("{whole}.>")).await.map_err(|e| failed(&e))?;
        Ok(())
    }

    /// The lanes' side: a [`Backlog`](crate::bus::Backlog) reading from each lane's shared
    /// consumer.
    pub fn backlog(&self) -> JetStreamBacklog {
        JetStreamBacklog::new(self.inner.clone())
    }
}
