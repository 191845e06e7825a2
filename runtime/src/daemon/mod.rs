//! The daemon behind `jido-dispatch serve`: a runtime configured from TOML, fed over HTTP,
//! with accepted signals kept in a durable store, one backlog per lane, until every lane
//! has finished with them.
//!
//! ```text
//! POST /signals ─▶ parse (CloudEvents binding) ─▶ admission (store budget) ─▶ route
//!     ─▶ log (SQLite, group commit: signal + one item per lane) ─▶ 202 after commit
//!     ─▶ offer to each lane (never waits: a full lane spills and reads the store later)
//!     ─▶ lane workers ─▶ targets ──(each lane finished)──▶ item deleted, then the signal
//! ```
//!
//! A crash loses nothing that got a 202: each lane's items still in the store at start-up
//! are its backlog, read before anything newer (at least once; receivers dedupe on the
//! signal id). A slow or dead lane keeps its backlog on disk and delays nothing else.

/// Returns the refusal from an admin handler when the request lacks the admin token.
macro_rules! guard {
    ($state:expr, $headers:expr) => {
        if let Some(refused) = super::server::admin_guard(&$state, &$headers) {
            return refused;
        }
    };
}

mod admin;
mod admission;
mod backlog;
pub mod config;
mod console;
mod history;
mod history_api;
mod history_read;
pub mod ingress;
mod job_run;
mod jobs;
mod jobs_api;
#[cfg(test)]
mod jobs_tests;
mod log;
mod log_group;
mod log_schema;
#[cfg(test)]
mod log_schema_tests;
mod log_write;
#[cfg(test)]
mod manifest_tests;
mod queue;
mod server;
mod setup;
mod shared_pause;
mod subscriptions;
#[cfg(test)]
mod test_support;
mod trace;
mod wal_checkpoint;

pub use config::{Config, ConfigError};
pub use setup::check;
pub use subscriptions::SubscriptionRequest;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::bus::{DurableLanes, SubscribeOptions, SubscriptionId};
use crate::dead_letter::SqliteStore;
use crate::routing::Filter;
use crate::target::TargetSpec;
use crate::{Runtime, RuntimeBuilder};
use admission::Admission;
use backlog::StoreBacklog;
pub(crate) use log::Routed;
use log::{Committed, SignalLog};
use setup::{build_runtime, load_components};
use subscriptions::SubscriptionStore;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    /// The configuration is invalid (the message names the key).
    #[error("{0}")]
    Config(String),
    /// The store could not be opened.
    #[error("store {path}: {message}")]
    Store {
        /// The SQLite file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {error}")]
    Listen {
        /// The configured address.
        address: String,
        /// Why.
        error: std::io::Error,
    },
}

/// Where a live subscription came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// `[[subscriptions]]` in the config file.
    Config,
    /// The admin API (row id in the store).
    Api(i64),
    /// The admin API of any node, shared through JetStream (its key in the bucket).
    Shared(String),
}

/// What the HTTP handlers share.
#[derive(Debug)]
struct State {
    runtime: Runtime,
    log: SignalLog,
    backlog: StoreBacklog,
    history: history_read::HistoryReader,
    jobs: Arc<job_run::Jobs>,
    admission: Arc<Admission>,
    server: config::ServerConfig,
    stored: Arc<SubscriptionStore>,
    /// The shared work queue (`[store] kind = "jetstream"`), which then holds the lanes'
    /// backlogs instead of the SQLite file.
    queue: Option<queue::Queue>,
    /// Live subscriptions: id → (bus, origin).
    subscriptions: Mutex<HashMap<SubscriptionId, (String, Origin)>>,
    /// The configuration file, read again by reloads.
    source: Option<PathBuf>,
    /// Custom adapters loaded from `[[adapters]]`, by name.
    custom: Mutex<Vec<String>>,
    /// Custom transforms loaded from `[[transforms]]`, by name.
    custom_transforms: Mutex<Vec<String>>,
}

/// A running daemon.
#[derive(Debug)]
pub struct Daemon {
    address: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Daemon {
    /// The bound address (useful with `listen = "127.0.0.1:0"`).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Reads the configuration file again and loads its `[[adapters]]` and `[[transforms]]`:
    /// changed components replace the running ones under their live targets (nothing in
    /// flight is lost), new ones are registered, removed ones unloaded. Returns the adapters
    /// and transforms (re)loaded.
    pub async fn reload(&self) -> Result<Vec<String>, DaemonError> {
        self.state.reload_adapters().await
    }

    /// Stops accepting, drains deliveries until the configured deadline and keeps the rest
    /// in the store.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the daemon has stopped (after [`Daemon::shutdown`] from elsewhere or a
    /// fatal error).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    /// Starts the daemon: runtime, adapters, cluster, subscriptions, redelivery of what an
    /// earlier run left, then the listener. `stop` ends it gracefully when it resolves.
    pub async fn start(config: Config, builder: RuntimeBuilder) -> Result<Daemon, DaemonError> {
        let store_path = match &config.store.path {
            Some(path) => config.resolve(path),
            None => SqliteStore::default_path().ok_or_else(|| {
                DaemonError::Config("set [store] path (no data directory: HOME is not set)".to_owned())
            })?,
        };
        let store_error = |message: String| DaemonError::Store { path: store_path.clone(), message };
        let queue = match queue::settings(&config) {
            Some(settings) => Some(
                queue::Queue::connect(settings)
                    .await
                    .map_err(|e| DaemonError::Config(format!("[store]: {e}")))?,
            ),
            None => None,
        };
        // Dead letters live with the lanes' backlog: in the shared queue, or in the file.
        let dead_letters: Arc<dyn crate::dead_letter::DeadLetterStore> = match &queue {
            Some(queue) => Arc::new(queue.dead_letters().clone()),
            None => Arc::new(SqliteStore::open(&store_path).map_err(|e| store_error(e.to_string()))?),
        };
        let runtime = build_runtime(&config, builder, dead_letters).await?;
        if let Some(cluster) = &config.cluster {
            let settings = crate::cluster::ClusterConfig {
                nats_url: cluster.nats_url.clone(),
                node: cluster.node.clone(),
            };
            runtime
                .join_cluster(&settings)
                .await
                .map_err(|e| DaemonError::Config(format!("[cluster]: {e}")))?;
        }
        let budget = config.store.max_bytes.unwrap_or(config.server.max_pending_bytes);
        let admission = Arc::new(Admission::new(config.server.max_pending, budget));
        let (offers, own_log) = (runtime.clone(), Arc::new(std::sync::OnceLock::new()));
        let writer_log = own_log.clone();
        let retention = config.store.retention().map_err(DaemonError::Config)?;
        let (log, opened) = SignalLog::start(
            &store_path,
            admission.clone(),
            retention,
            Box::new(move |committed: Committed| offer(&offers, &writer_log, committed)),
        )
        .map_err(|e| store_error(e.0))?;
        let _ = own_log.set(log.clone());
        if queue.is_some() && opened.signals > 0 {
            return Err(store_error(format!(
                "it still holds {} undelivered signals accepted with kind = \"sqlite\"; deliver them \
                 first (start once with kind = \"sqlite\") or move the file away, then start with \
                 kind = \"jetstream\"",
                opened.signals
            )));
        }
        if retention.enabled && !runtime.telemetry().set_attempt_log(Arc::new(log.clone())) {
            tracing::warn!("the runtime already has an attempt log: the store keeps no attempts");
        }
        let history = history_read::HistoryReader::open(&store_path, retention.enabled)
            .map_err(|e| store_error(e.0))?;
        admission.force_admit(opened.signals, opened.bytes);
        let stored = Arc::new(SubscriptionStore::open(&store_path).map_err(|e| store_error(e.0))?);
        // Paused lanes (by an operator, or by themselves) start paused.
        let backlog = StoreBacklog::open(&store_path, log.clone(), stored.clone()).map_err(store_error)?;
        let job_store = jobs::JobStore::open(&store_path).map_err(|e| store_error(e.0))?;
        let jobs = job_run::Jobs::new(job_store, runtime.clone(), history.clone());
        let state = Arc::new(State {
            runtime: runtime.clone(),
            log,
            backlog,
            history,
            jobs,
            admission,
            server: config.server.clone(),
            stored,
            queue,
            subscriptions: Mutex::default(),
            source: config.source.clone(),
            custom: Mutex::new(config.adapters.iter().map(|a| a.name.clone()).collect()),
            custom_transforms: Mutex::new(config.transforms.iter().map(|t| t.name.clone()).collect()),
        });
        let unopened = subscribe_all(&state, &config).await?;
        if let Some(queue) = &state.queue {
            queue.follow(&state).await.map_err(|e| DaemonError::Config(format!("[store]: {e}")))?;
        }
        // Lanes of subscriptions that no longer exist lose their backlog; those of stored
        // subscriptions that could not be opened this time keep it.
        let mut lanes = state.lane_keys();
        lanes.extend(unopened.into_iter().map(|row| Arc::from(format!("{}#", api_key(row)))));
        state.log.forget(lanes, true).await.map_err(|e| store_error(e.0))?;
        if opened.signals > 0 {
            tracing::info!(signals = opened.signals, "delivering signals accepted before the last stop");
        }
        attach_unrouted(&state, opened.unrouted).await.map_err(|e| store_error(e.0))?;
        let resumed = state.jobs.resume().map_err(|e| store_error(e.0))?;
        if resumed > 0 {
            tracing::info!(jobs = resumed, "resuming jobs a stop interrupted");
        }
        let listener = tokio::net::TcpListener::bind(&config.server.listen)
            .await
            .map_err(|error| DaemonError::Listen { address: config.server.listen.clone(), error })?;
        let address = listener
            .local_addr()
            .map_err(|error| DaemonError::Listen { address: config.server.listen.clone(), error })?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(state.clone(), listener, stopped));
        tracing::info!(%address, store = %store_path.display(), "jido-dispatch serving");
        Ok(Daemon { address, state, stop: Some(stop), task })
    }
}

/// Offers a committed signal to its lanes (on the store's writer thread; never waits). A
/// lane removed since the signal was routed is done with it at once.
fn offer(runtime: &Runtime, log: &std::sync::OnceLock<SignalLog>, committed: Committed) {
    let bus = runtime.bus(&committed.bus);
    let gone = bus.offer_stored(committed.seq, committed.signal, &committed.lanes);
    if let Some(log) = log.get() {
        for lane in gone {
            log.done(lane, committed.seq);
        }
    }
}

/// Signals stored by a version without lanes: routed now and given their lane items,
/// before the listener opens.
async fn attach_unrouted(state: &State, unrouted: Vec<Committed>) -> Result<(), log::LogError> {
    for old in unrouted {
        let bus = state.runtime.bus(&old.bus);
        let lanes = bus.route(&old.signal);
        state.log.attach(old.seq, lanes.clone()).await?;
        bus.offer_stored(old.seq, old.signal, &lanes);
    }
    Ok(())
}

/// Subscribes the config file's subscriptions, then those the admin API stored; returns the
/// stored rows that could not be opened (logged).
async fn subscribe_all(state: &Arc<State>, config: &Config) -> Result<Vec<i64>, DaemonError> {
    state.runtime.bus("default");
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, section) in config.subscriptions.iter().enumerate() {
        let targets = section
            .targets()
            .map_err(|e| DaemonError::Config(format!("subscriptions[{i}].dispatch: {e}")))?;
        let nth = seen.entry((section.bus.clone(), section.path.clone())).or_default();
        let key = format!("config/{}/{}/{nth}", section.bus, section.path);
        *nth += 1;
        let wanted = Wanted {
            bus: &section.bus,
            path: &section.path,
            priority: section.priority,
            filters: &section.filters,
        };
        let id = subscribe(state, wanted, targets, key)
            .await
            .map_err(|e| DaemonError::Config(format!("subscriptions[{i}] ({}): {e}", section.path)))?;
        state.remember(id, &section.bus, Origin::Config);
    }
    let stored = state.stored.all().map_err(|e| DaemonError::Config(e.to_string()))?;
    let mut unopened = Vec::new();
    for (row, request) in stored {
        let targets = TargetSpec::list_from_value(request.dispatch.clone())
            .map_err(|e| DaemonError::Config(e.to_string()))?;
        match subscribe(state, Wanted::from(&request), targets, api_key(row)).await {
            Ok(id) => state.remember(id, &request.bus, Origin::Api(row)),
            Err(e) => {
                tracing::error!(row, path = %request.path, "stored subscription no longer opens (its backlog is kept): {e}");
                unopened.push(row);
            }
        }
    }
    Ok(unopened)
}

/// The store key of an admin-API subscription.
fn api_key(row: i64) -> String {
    format!("api/{row}")
}

/// What a subscription asks for besides its targets (from the config file or the API).
struct Wanted<'a> {
    bus: &'a str,
    path: &'a str,
    priority: i32,
    filters: &'a [Filter],
}

impl<'a> From<&'a SubscriptionRequest> for Wanted<'a> {
    fn from(request: &'a SubscriptionRequest) -> Self {
        Wanted {
            bus: &request.bus,
            path: &request.path,
            priority: request.priority,
            filters: &request.filters,
        }
    }
}

/// One subscription whose lanes keep their backlog in the store.
async fn subscribe(
    state: &State,
    wanted: Wanted<'_>,
    targets: Vec<TargetSpec>,
    key: String,
) -> Result<SubscriptionId, crate::bus::SubscribeError> {
    let backlog: Arc<dyn crate::bus::Backlog> = match &state.queue {
        Some(queue) => Arc::new(queue::QueueLanes::new(queue.backlog().clone(), queue.pauses().clone())),
        None => Arc::new(state.backlog.clone()),
    };
    let durable = DurableLanes { backlog, key };
    let options = SubscribeOptions {
        priority: wanted.priority,
        queue_capacity: READ_AHEAD,
        durable: Some(durable),
        filters: wanted.filters.to_vec(),
        ..SubscribeOptions::default()
    };
    state.runtime.bus(wanted.bus).subscribe(wanted.path, targets, options).await
}

/// Signals a durable lane holds in memory ahead of its deliveries.
const READ_AHEAD: usize = 256;

/// Unloads the components `loaded` names that `now` does not, and remembers `now`.
fn forget_gone(loaded: &Mutex<Vec<String>>, now: &[String], unload: impl Fn(&str) -> bool) {
    let mut loaded = loaded.lock().unwrap_or_else(PoisonError::into_inner);
    for gone in loaded.iter().filter(|name| !now.contains(name)) {
        unload(gone);
    }
    *loaded = now.to_vec();
}

impl State {
    async fn reload_adapters(&self) -> Result<Vec<String>, DaemonError> {
        let Some(source) = &self.source else {
            return Err(DaemonError::Config(
                "running on the embedded defaults: there is no file to reload".to_owned(),
            ));
        };
        let config = Config::load(source).map_err(|e| DaemonError::Config(e.to_string()))?;
        let (adapters, transforms) = load_components(&self.runtime, &config).await?;
        forget_gone(&self.custom, &adapters, |name| self.runtime.unload_adapter(name));
        forget_gone(&self.custom_transforms, &transforms, |name| self.runtime.unload_transform(name));
        tracing::info!(adapters = ?adapters, transforms = ?transforms, "custom adapters and transforms reloaded");
        Ok(adapters.into_iter().chain(transforms).collect())
    }

    fn remember(&self, id: SubscriptionId, bus: &str, origin: Origin) {
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, (bus.to_owned(), origin));
    }

    /// Unsubscribes `id` of `bus` and forgets where it came from.
    fn forget(&self, id: SubscriptionId, bus: &str) {
        self.runtime.bus(bus).unsubscribe(id);
        self.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }

    /// The bus of live subscription `id`.
    fn bus_of(&self, id: SubscriptionId) -> Option<String> {
        self.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).get(&id).map(|(bus, _)| bus.clone())
    }

    /// Buses that have subscriptions (or are the default).
    fn known_bus(&self, name: &str) -> bool {
        name == "default"
            || self
                .subscriptions
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .values()
                .any(|(bus, _)| bus == name)
    }
}

impl State {
    /// The store keys of every live subscription's lanes.
    fn lane_keys(&self) -> Vec<Arc<str>> {
        let subscriptions = self.subscriptions.lock().unwrap_or_else(PoisonError::into_inner).clone();
        subscriptions.into_iter().flat_map(|(id, (bus, _))| self.runtime.bus(&bus).lane_keys(id)).collect()
    }
}
