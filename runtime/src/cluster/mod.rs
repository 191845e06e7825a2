//! Clustering over NATS: pubsub broadcasts and global names reach the other nodes.
//!
//! No home-made protocol: every node holds one NATS connection.
//! - Pubsub: a broadcast is published on the subject `jido.pubsub` with headers naming the
//!   pubsub instance, the topic and the sending node; every node relays what other nodes
//!   sent to its local subscribers (its own broadcasts were already delivered locally).
//! - Global names: the node that registers a global name subscribes to
//!   `jido.global.<hex of the name>` and answers requests there; a sender uses NATS
//!   request/reply, so a sync send sees the remote receiver's ack, or `timeout`, and a name
//!   nobody serves answers `process_not_found` (NATS "no responders").
//!
//! When the connection is down, cluster operations fail at once with `unavailable` naming
//! the server; the client reconnects by itself and they succeed again afterwards.

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use async_nats::{HeaderMap, connection::State};
use futures::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::mailbox::Mailboxes;
use crate::signal::Signal;

const PUBSUB_SUBJECT: &str = "jido.pubsub";
const H_NODE: &str = "jido-node";
const H_PUBSUB: &str = "jido-pubsub";
const H_TOPIC: &str = "jido-topic";
const H_SYNC: &str = "jido-sync";
const H_TIMEOUT: &str = "jido-timeout-ms";

/// The `[cluster]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// NATS server URL, e.g. `nats://127.0.0.1:4222`, or several separated by commas.
    pub nats_url: String,
    /// This node's name (default: a fresh UUID).
    pub node: Option<String>,
}

/// Why joining the cluster failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The NATS server could not be reached or refused the connection.
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect {
        /// The configured URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The runtime has already joined a cluster.
    #[error("this runtime has already joined a cluster")]
    AlreadyJoined,
}

pub(crate) use crate::pubsub::PubSubs;

mod global;
mod responder;

use responder::Responders;

/// A runtime's membership in a cluster.
pub(crate) struct Cluster {
    client: async_nats::Client,
    node: String,
    url: String,
    connected: watch::Receiver<bool>,
    mailboxes: Arc<Mailboxes>,
    responders: Responders,
    relay: JoinHandle<()>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.relay.abort();
        for (_, responder) in self.responders.lock().unwrap_or_else(PoisonError::into_inner).drain() {
            responder.task.abort();
        }
    }
}

/// The servers of a `nats_url` that may list several, separated by commas.
pub fn server_list(nats_url: &str) -> Vec<String> {
    nats_url.split(',').map(str::trim).filter(|url| !url.is_empty()).map(str::to_owned).collect()
}

fn header(headers: Option<&HeaderMap>, name: &str) -> Option<String> {
    headers.and_then(|h| h.get(name)).map(|v| v.as_str().to_owned())
}

impl Cluster {
    /// Connects and starts relaying other nodes' pubsub broadcasts to `pubsubs`.
    pub(crate) async fn join(
        config: &ClusterConfig,
        mailboxes: Arc<Mailboxes>,
        pubsubs: Arc<PubSubs>,
    ) -> Result<Cluster, ClusterError> {
        let node = config.node.clone().unwrap_or_else(crate::signal::new_id);
        let (state_tx, connected) = watch::channel(false);
        let state_tx = Arc::new(state_tx);
        let events = state_tx.clone();
        let client = async_nats::ConnectOptions::new()
            .name(format!("jido-dispatch {node}"))
            .connection_timeout(Duration::from_secs(5))
            .reconnect_delay_callback(|attempts| Duration::from_millis((100 * attempts as u64).min(1000)))
            .event_callback(move |event| {
                let events = events.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => events.send_replace(true),
                        async_nats::Event::Disconnected => events.send_replace(false),
                        _ => false,
                    };
                }
            })
            .connect(server_list(&config.nats_url).as_slice())
            .await
            .map_err(|e| ClusterError::Connect { url: config.nats_url.clone(), reason: e.to_string() })?;
        state_tx.send_replace(true);
        let connect_err = |e: async_nats::SubscribeError| ClusterError::Connect {
            url: config.nats_url.clone(),
            reason: e.to_string(),
        };
        let mut relay_sub = client.subscribe(PUBSUB_SUBJECT).await.map_err(connect_err)?;
        let me = node.clone();
        let relay = tokio::spawn(async move {
            while let Some(message) = relay_sub.next().await {
                let headers = message.headers.as_ref();
                if header(headers, H_NODE).as_deref() == Some(me.as_str()) {
                    continue;
                }
                let (Some(instance), Some(topic)) = (header(headers, H_PUBSUB), header(headers, H_TOPIC))
                else {
                    continue;
                };
                let Ok(text) = std::str::from_utf8(&message.payload) else { continue };
                let Ok(signal) = Signal::from_json(text) else { continue };
                let pubsub = pubsubs.read().unwrap_or_else(PoisonError::into_inner).get(&instance).cloned();
                if let Some(pubsub) = pubsub
                    && let Err(missed) = pubsub.broadcast_local(&topic, Arc::new(signal))
                {
                    tracing::warn!(%instance, %missed, "relayed broadcast missed local subscribers");
                }
            }
        });
        let cluster = Cluster {
            client,
            node,
            url: config.nats_url.clone(),
            connected,
            mailboxes,
            responders: Responders::default(),
            relay,
        };
        // Make sure the relay subscription is registered with the server before we return.
        cluster
            .client
            .flush()
            .await
            .map_err(|e| ClusterError::Connect { url: config.nats_url.clone(), reason: e.to_string() })?;
        Ok(cluster)
    }

    /// This node's name.
    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// Whether the NATS connection is up, as a watch (for tests and health).
    pub(crate) fn connection(&self) -> watch::Receiver<bool> {
        self.connected.clone()
    }

    fn check_connected(&self) -> Result<(), String> {
        match self.client.connection_state() {
            State::Connected => Ok(()),
            state => Err(format!("the cluster connection to NATS at {} is down ({state:?})", self.url)),
        }
    }

    /// Relays a broadcast to the other nodes.
    pub(crate) async fn publish(&self, pubsub: &str, topic: &str, signal: &Signal) -> Result<(), String> {
        self.check_connected()?;
        let mut headers = HeaderMap::new();
        headers.insert(H_NODE, self.node.as_str());
        headers.insert(H_PUBSUB, pubsub);
        headers.insert(H_TOPIC, topic);
        self.client
            .publish_with_headers(PUBSUB_SUBJECT, headers, signal.to_json().into())
            .await
            .map_err(|e| format!("publishing to NATS at {} failed: {e}", self.url))
    }
}
