//! `[store] kind = "jetstream"`: the daemon's lanes on a JetStream work queue shared by
//! every daemon of the same configuration (`crate::jetstream`), with the dead letters, the
//! admin subscriptions and the paused lanes (`shared_pause.rs`). The SQLite file stays for
//! what is node-local: the history, attempts and jobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use futures::StreamExt;
use tokio::task::JoinHandle;

use super::config::{Config, StoreKind};
use super::shared_pause::SharedPauses;
use super::subscriptions::SubscriptionRequest;
use super::{Origin, State, Wanted, subscribe};
use crate::adapter::BoxFuture;
use crate::bus::{Backlog, LaneShape, PauseReason, StoredSignal};
use crate::bus::{Bus, SubscriptionId};
use crate::cluster::server_list;
use crate::jetstream::{
    Change, JetStreamBacklog, JetStreamConfig, JetStreamDeadLetters, JetStreamError, SharedBucket, WorkQueue,
};
use crate::signal::Signal;
use crate::target::TargetSpec;

/// The daemon's side of the shared queue: where ingress publishes and lanes read.
#[derive(Debug)]
pub struct Queue {
    work: WorkQueue,
    backlog: JetStreamBacklog,
    shared: SharedBucket,
    dead_letters: JetStreamDeadLetters,
    pauses: SharedPauses,
    /// Shared subscriptions live on this node: KV key → local id.
    live: Mutex<HashMap<String, SubscriptionId>>,
    /// The tasks following the buckets (ended at shutdown).
    followers: Mutex<Vec<JoinHandle<()>>>,
}

impl Queue {
    /// Connects and sets up the stream and the subscriptions bucket.
    pub async fn connect(settings: JetStreamConfig) -> Result<Queue, JetStreamError> {
        let work = WorkQueue::connect(settings).await?;
        let backlog = work.backlog();
        let shared = SharedBucket::open(&work, "subscriptions").await?;
        let dead_letters = JetStreamDeadLetters::open(&work).await?;
        let pauses = SharedPauses::open(&work).await?;
        Ok(Queue {
            work,
            backlog,
            shared,
            dead_letters,
            pauses,
            live: Mutex::default(),
            followers: Mutex::default(),
        })
    }

    /// The paused lanes every daemon shares.
    pub fn pauses(&self) -> &SharedPauses {
        &self.pauses
    }

    /// The dead letters every daemon shares.
    pub fn dead_letters(&self) -> &JetStreamDeadLetters {
        &self.dead_letters
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, SubscriptionId>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds an admin subscription for every node: opened here first (a refusal is the
    /// caller's error, nothing is stored), then stored in the bucket, from which every other
    /// node opens it.
    pub async fn add(
        &self,
        state: &State,
        request: &SubscriptionRequest,
    ) -> Result<SubscriptionId, AddError> {
        let key = crate::signal::new_id();
        let id = self.open(state, &key, request).await.map_err(AddError::Invalid)?;
        let text = serde_json::to_string(request).map_err(|e| AddError::Store(e.to_string()))?;
        if let Err(e) = self.shared.put(&key, &text).await {
            self.live().remove(&key);
            state.forget(id, &request.bus);
            return Err(AddError::Store(e.to_string()));
        }
        Ok(id)
    }

    /// Removes shared subscription `key` from every node, with its lanes' undelivered work.
    pub async fn remove(
        &self,
        state: &State,
        key: &str,
        id: SubscriptionId,
        bus: &str,
    ) -> Result<(), JetStreamError> {
        self.shared.delete(key).await?;
        let lanes = state.runtime.bus(bus).lane_keys(id);
        self.live().remove(key);
        state.forget(id, bus);
        for lane in lanes {
            self.work.forget_lane(&lane).await?;
        }
        Ok(())
    }

    /// Opens the bucket's subscriptions on this node (before the listener opens, so a
    /// restarted daemon has them all at once) and follows its changes, and those of the
    /// paused lanes.
    pub async fn follow(&self, state: &Arc<State>) -> Result<(), JetStreamError> {
        for change in self.shared.current().await? {
            self.apply(state, change).await;
        }
        let mut changes = Box::pin(self.shared.watch().await?);
        let weak: Weak<State> = Arc::downgrade(state);
        let task = tokio::spawn(async move {
            while let Some(change) = changes.next().await {
                let Some(state) = weak.upgrade() else { return };
                if let Some(queue) = &state.queue {
                    queue.apply(&state, change).await;
                }
            }
        });
        let pauses = self.pauses.follow(Arc::downgrade(state)).await?;
        self.followers.lock().unwrap_or_else(PoisonError::into_inner).extend([task, pauses]);
        Ok(())
    }

    /// Stops following the buckets.
    pub fn stop(&self) {
        for task in self.followers.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            task.abort();
        }
    }

    /// Opens shared subscription `key` on this node.
    async fn open(
        &self,
        state: &State,
        key: &str,
        request: &SubscriptionRequest,
    ) -> Result<SubscriptionId, String> {
        let targets =
            TargetSpec::list_from_value(request.dispatch.clone()).map_err(|e| format!("dispatch: {e}"))?;
        let id = subscribe(state, Wanted::from(request), targets, shared_key(key))
            .await
            .map_err(|e| e.to_string())?;
        self.live().insert(key.to_owned(), id);
        state.remember(id, &request.bus, Origin::Shared(key.to_owned()));
        Ok(id)
    }

    async fn apply(&self, state: &State, change: Change) {
        match change {
            Change::Put { key, value: request } => {
                if self.live().contains_key(&key) {
                    return;
                }
                let request: SubscriptionRequest = match serde_json::from_str(&request) {
                    Ok(request) => request,
                    Err(e) => return tracing::error!(%key, "a shared subscription that does not parse: {e}"),
                };
                if let Err(e) = self.open(state, &key, &request).await {
                    tracing::error!(%key, "a shared subscription does not open on this node: {e}");
                }
            }
            Change::Delete { key } => {
                let Some(id) = self.live().remove(&key) else { return };
                let bus = state.bus_of(id);
                if let Some(bus) = bus {
                    state.forget(id, &bus);
                }
            }
        }
    }

    /// Publishes `signal` to its `lanes` of `bus` (each to its partition); returns once
    /// every publish is acknowledged.
    pub async fn publish(
        &self,
        bus: &Bus,
        signal: &Signal,
        lanes: &[Arc<str>],
    ) -> Result<(), JetStreamError> {
        let lanes = bus.partitioned(signal, lanes);
        self.work.publish(signal, &lanes).await
    }

    /// Lane messages the queue holds (what `jido_ingress_pending` reports in this mode).
    pub async fn pending(&self) -> Result<u64, JetStreamError> {
        self.work.pending().await
    }

    /// The lanes' backlog (one per daemon: it holds what this node pulled).
    pub fn backlog(&self) -> &JetStreamBacklog {
        &self.backlog
    }
}

/// The JetStream settings of `config`, when its store is JetStream.
pub fn settings(config: &Config) -> Option<JetStreamConfig> {
    if config.store.kind != Some(StoreKind::Jetstream) {
        return None;
    }
    let urls = config.cluster.as_ref().map(|c| server_list(&c.nats_url)).unwrap_or_default();
    let mut settings = JetStreamConfig::new(urls);
    if let Some(replicas) = config.store.replicas {
        settings.replicas = replicas;
    }
    if let Some(prefix) = &config.store.prefix {
        settings.prefix.clone_from(prefix);
    }
    // The store's budget is the stream's: past it, ingress answers 503.
    settings.max_messages = Some(config.server.max_pending);
    settings.max_bytes = Some(config.store.max_bytes.unwrap_or(config.server.max_pending_bytes));
    Some(settings)
}

/// Checks the store settings; the message names the key.
pub fn check(config: &Config) -> Result<(), String> {
    let Some(settings) = settings(config) else {
        if config.store.replicas.is_some() || config.store.prefix.is_some() {
            return Err("store.replicas and store.prefix apply to kind = \"jetstream\" only".to_owned());
        }
        return Ok(());
    };
    if config.cluster.is_none() {
        return Err("store.kind = \"jetstream\" needs [cluster] nats_url (the NATS servers)".to_owned());
    }
    settings.check().map_err(|e| format!("store.{e}").replace("store.nats_url", "cluster.nats_url"))
}

/// Why a shared subscription was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The request is invalid or its targets do not open (400).
    #[error("{0}")]
    Invalid(String),
    /// The bucket did not take it (503).
    #[error("{0}")]
    Store(String),
}

/// The lane-store key of shared subscription `key` (the same on every node).
fn shared_key(key: &str) -> String {
    format!("shared/{key}")
}

/// The lanes' [`Backlog`] in this mode: work from the shared queue; whether a lane starts
/// paused, and a lane that paused itself (`auto_pause_after`), through the shared pause
/// state, so every daemon's copy of a lane pauses and resumes together.
#[derive(Debug, Clone)]
pub struct QueueLanes {
    work: JetStreamBacklog,
    pauses: SharedPauses,
}

impl QueueLanes {
    /// The queue's lanes, with the shared pause state.
    pub fn new(work: JetStreamBacklog, pauses: SharedPauses) -> Self {
        QueueLanes { work, pauses }
    }
}

impl Backlog for QueueLanes {
    fn read(
        &self,
        lane: &Arc<str>,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredSignal>, String>> {
        self.work.read(lane, from, limit)
    }

    fn done(&self, lane: &Arc<str>, seq: u64) {
        self.work.done(lane, seq);
    }

    fn starts_paused(&self, lane: &Arc<str>) -> Option<PauseReason> {
        self.pauses.reason(lane)
    }

    fn paused_itself(&self, lane: &Arc<str>) {
        let (pauses, lane) = (self.pauses.clone(), lane.clone());
        tokio::spawn(async move {
            if let Err(e) = pauses.set(&lane, Some(PauseReason::NoSuccess)).await {
                tracing::error!(%lane, "cannot share that the lane paused itself: {e}");
            }
        });
    }

    fn reads_only(&self) -> bool {
        self.work.reads_only()
    }

    fn lane_started(&self, lane: &Arc<str>, shape: LaneShape) {
        self.work.lane_started(lane, shape);
    }

    fn defers_retries(&self) -> bool {
        self.work.defers_retries()
    }

    fn retry_later(&self, lane: &Arc<str>, seq: u64, wait: std::time::Duration) {
        self.work.retry_later(lane, seq, wait);
    }
}
