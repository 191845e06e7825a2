//! [`SharedBucket`]: state every node shares, in a JetStream KV bucket followed live: the
//! admin API's subscriptions (`PREFIX_subscriptions`: values are the admin API's request
//! JSON, keys ids the adding node chose) and paused lanes (`PREFIX_paused`), so a change
//! made on any node reaches every node without a restart.

use std::time::Duration;

use async_nats::jetstream::kv::{self, Operation};
use async_nats::jetstream::stream;
use futures::{Stream, StreamExt};

use super::{JetStreamError, WorkQueue};

/// A change to a shared bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Entry `key` was stored (its JSON text).
    Put {
        /// Its key.
        key: String,
        /// Its value, as JSON text.
        value: String,
    },
    /// Entry `key` was removed.
    Delete {
        /// Its key.
        key: String,
    },
}

/// A KV bucket shared by every node of a prefix.
#[derive(Debug, Clone)]
pub struct SharedBucket {
    kv: kv::Store,
    name: String,
}

fn setup(error: impl std::fmt::Display, bucket: &str) -> JetStreamError {
    JetStreamError::Setup { stream: bucket.to_owned(), reason: error.to_string() }
}

impl SharedBucket {
    /// Opens (or creates) bucket `PREFIX_<name>` of `queue`'s prefix, replicated like its
    /// stream.
    pub async fn open(queue: &WorkQueue, name: &str) -> Result<SharedBucket, JetStreamError> {
        let config = &queue.inner.config;
        let bucket = format!("{}_{name}", config.prefix);
        let js = &queue.inner.js;
        if let Ok(kv) = js.get_key_value(&bucket).await {
            return Ok(SharedBucket { kv, name: name.to_owned() });
        }
        // The bucket's stream, made as `create_key_value` would: that call first reads the
        // account info, whose 2.9 form async-nats 0.51 no longer parses.
        let stream = stream::Config {
            name: format!("KV_{bucket}"),
            description: Some(format!("jido-dispatch shared {name}")),
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
        Ok(SharedBucket { kv, name: name.to_owned() })
    }

    /// Stores `value` (JSON text) under `key`.
    pub async fn put(&self, key: &str, value: &str) -> Result<(), JetStreamError> {
        self.kv
            .put(key, value.to_owned().into())
            .await
            .map(drop)
            .map_err(|e| JetStreamError::Publish(format!("{} {key}: {e}", self.name)))
    }

    /// Removes `key`.
    pub async fn delete(&self, key: &str) -> Result<(), JetStreamError> {
        self.kv.delete(key).await.map_err(|e| JetStreamError::Publish(format!("{} {key}: {e}", self.name)))
    }

    /// Every entry now.
    pub async fn current(&self) -> Result<Vec<Change>, JetStreamError> {
        let read = |e: &dyn std::fmt::Display| setup(e, &self.name);
        let keys: Vec<String> =
            self.kv.keys().await.map_err(|e| read(&e))?.filter_map(|k| async { k.ok() }).collect().await;
        let mut current = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(value) = self.kv.get(&key).await.map_err(|e| read(&e))? {
                current.push(Change::Put { key, value: String::from_utf8_lossy(&value).into_owned() });
            }
        }
        Ok(current)
    }

    /// Every entry, then every change after it, for as long as the connection lives (the
    /// watch resumes by itself after a reconnect).
    pub async fn watch(&self) -> Result<impl Stream<Item = Change> + Send + 'static, JetStreamError> {
        let watch = self.kv.watch_with_history(">").await.map_err(|e| setup(e, &self.name))?;
        let name = self.name.clone();
        Ok(watch.filter_map(move |entry| {
            let name = name.clone();
            async move {
                match entry {
                    Ok(entry) => Some(match entry.operation {
                        Operation::Put => Change::Put {
                            key: entry.key,
                            value: String::from_utf8_lossy(&entry.value).into_owned(),
                        },
                        Operation::Delete | Operation::Purge => Change::Delete { key: entry.key },
                    }),
                    Err(error) => {
                        tracing::warn!("the shared {name} watch failed: {error}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        None
                    }
                }
            }
        }))
    }
}
