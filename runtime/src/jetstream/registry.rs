//! [`SharedSubscriptions`]: the admin API's subscriptions in a JetStream KV bucket
//! (`PREFIX_subscriptions`), so one added or removed on any node reaches every node
//! without a restart. Values are the admin API's request JSON; keys are ids the adding
//! node chose.

use std::time::Duration;

use async_nats::jetstream::kv::{self, Operation};
use async_nats::jetstream::stream;
use futures::{Stream, StreamExt};

use super::{JetStreamError, WorkQueue};

/// A change to the shared subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Subscription `key` was added (its request JSON).
    Put {
        /// Its key.
        key: String,
        /// The admin API's request, as JSON text.
        request: String,
    },
    /// Subscription `key` was removed.
    Delete {
        /// Its key.
        key: String,
    },
}

/// The bucket of shared admin subscriptions.
#[derive(Debug, Clone)]
pub struct SharedSubscriptions {
    kv: kv::Store,
}

fn setup(error: impl std::fmt::Display, bucket: &str) -> JetStreamError {
    JetStreamError::Setup { stream: bucket.to_owned(), reason: error.to_string() }
}

impl SharedSubscriptions {
    /// Opens (or creates) the bucket of `queue`'s prefix, replicated like its stream.
    pub async fn open(queue: &WorkQueue) -> Result<SharedSubscriptions, JetStreamError> {
        let config = &queue.inner.config;
        let bucket = format!("{}_subscriptions", config.prefix);
        let js = &queue.inner.js;
        if let Ok(kv) = js.get_key_value(&bucket).await {
            return Ok(SharedSubscriptions { kv });
        }
        // The bucket's stream, made as `create_key_value` would: that call first reads the
        // account info, whose 2.9 form async-nats 0.51 no longer parses.
        let stream = stream::Config {
            name: format!("KV_{bucket}"),
            description: Some("jido-dispatch admin subscriptions".to_owned()),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            storage: stream::StorageType::File,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            num_replicas: config.replicas,
            discard: stream::DiscardPolicy::New,
            ..Default::default()
        };
        js.get_or_create_stream(stream).await.map_err(|e| setup(e, &bucket))?;
        let kv = js.get_key_value(&bucket).await.map_err(|e| setup(e, &bucket))?;
        Ok(SharedSubscriptions { kv })
    }

    /// Stores subscription `key`.
    pub async fn put(&self, key: &str, request: &str) -> Result<(), JetStreamError> {
        self.kv
            .put(key, request.to_owned().into())
            .await
            .map(drop)
            .map_err(|e| JetStreamError::Publish(format!("subscription {key}: {e}")))
    }

    /// Removes subscription `key`.
    pub async fn delete(&self, key: &str) -> Result<(), JetStreamError> {
        self.kv.delete(key).await.map_err(|e| JetStreamError::Publish(format!("subscription {key}: {e}")))
    }

    /// Every stored subscription now.
    pub async fn current(&self) -> Result<Vec<Change>, JetStreamError> {
        let read = |e: &dyn std::fmt::Display| setup(e, "subscriptions");
        let keys: Vec<String> =
            self.kv.keys().await.map_err(|e| read(&e))?.filter_map(|k| async { k.ok() }).collect().await;
        let mut current = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(value) = self.kv.get(&key).await.map_err(|e| read(&e))? {
                current.push(Change::Put { key, request: String::from_utf8_lossy(&value).into_owned() });
            }
        }
        Ok(current)
    }

    /// Every stored subscription, then every change after it, for as long as the
    /// connection lives (the watch resumes by itself after a reconnect).
    pub async fn watch(&self) -> Result<impl Stream<Item = Change> + Send + 'static, JetStreamError> {
        let watch = self.kv.watch_with_history(">").await.map_err(|e| setup(e, "subscriptions watch"))?;
        Ok(watch.filter_map(|entry| async move {
            match entry {
                Ok(entry) => Some(match entry.operation {
                    Operation::Put => Change::Put {
                        key: entry.key,
                        request: String::from_utf8_lossy(&entry.value).into_owned(),
                    },
                    Operation::Delete | Operation::Purge => Change::Delete { key: entry.key },
                }),
                Err(error) => {
                    tracing::warn!("the shared subscriptions watch failed: {error}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    None
                }
            }
        }))
    }
}
