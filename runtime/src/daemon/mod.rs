//! The daemon behind `jido-dispatch serve`: a runtime configured from TOML, fed over HTTP,
//! with accepted signals kept in a durable log until every target has finished with them.
//!
//! ```text
//! POST /signals ─▶ parse (CloudEvents binding) ─▶ admission ─▶ log (SQLite, group commit)
//!                                                            │  202 after commit
//!                              pump (commit order) ◀─────────┘
//!                                │ publish_tracked (subscriptions wait for room)
//!                                ▼
//!                   bus ─▶ lanes ─▶ targets ──(all finished)──▶ log row deleted
//! ```
//!
//! A crash loses nothing that got a 202: rows still in the log at start-up are published
//! again before the listener opens (at least once; receivers dedupe on the signal id).

mod admin;
mod admission;
pub mod config;
pub mod ingress;
mod log;
mod server;
mod setup;
mod subscriptions;

pub use config::{Config, ConfigError};
pub use setup::check;
pub use subscriptions::SubscriptionRequest;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::bus::{SubscribeOptions, SubscriptionId, WhenFull};
use crate::dead_letter::SqliteStore;
use crate::target::TargetSpec;
use crate::{Runtime, RuntimeBuilder};
use admission::Admission;
use log::{Pending, SignalLog};
use setup::{build_runtime, load_manifest};
use subscriptions::SubscriptionStore;

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// `[[subscriptions]]` in the config file.
    Config,
    /// The admin API (row id in the store).
    Api(i64),
}

/// What the HTTP handlers share.
#[derive(Debug)]
struct State {
    runtime: Runtime,
    log: SignalLog,
    admission: Arc<Admission>,
    server: config::ServerConfig,
    stored: SubscriptionStore,
    /// Live subscriptions: id → (bus, origin).
    subscriptions: Mutex<HashMap<SubscriptionId, (String, Origin)>>,
    /// The configuration file, read again by reloads.
    source: Option<PathBuf>,
    /// Custom adapters loaded from `[[adapters]]`, by name.
    custom: Mutex<Vec<String>>,
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

    /// Reads the configuration file again and loads its `[[adapters]]`: changed components
    /// replace the running ones under their live targets (nothing in flight is lost), new
    /// ones are registered, removed ones unloaded. Returns the adapters (re)loaded.
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
        let dead_letters = SqliteStore::open(&store_path).map_err(|e| store_error(e.to_string()))?;
        let runtime = build_runtime(&config, builder, Arc::new(dead_letters)).await?;
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
        let (pump_tx, pump_rx) = mpsc::unbounded_channel();
        let (log, leftover) = SignalLog::start(&store_path, pump_tx.clone()).map_err(|e| store_error(e.0))?;
        let stored = SubscriptionStore::open(&store_path).map_err(|e| store_error(e.0))?;
        let state = Arc::new(State {
            runtime: runtime.clone(),
            log,
            admission: Arc::new(Admission::new(config.server.max_pending, config.server.max_pending_bytes)),
            server: config.server.clone(),
            stored,
            subscriptions: Mutex::default(),
            source: config.source.clone(),
            custom: Mutex::new(config.adapters.iter().map(|a| a.name.clone()).collect()),
        });
        subscribe_all(&state, &config).await?;
        if !leftover.is_empty() {
            tracing::info!(signals = leftover.len(), "delivering signals accepted before the last stop");
        }
        for pending in leftover {
            state.admission.force_admit(1, pending.signal.approximate_size());
            let _ = pump_tx.send(pending);
        }
        drop(pump_tx);
        let pump = tokio::spawn(pump(state.clone(), pump_rx));
        let listener = tokio::net::TcpListener::bind(&config.server.listen)
            .await
            .map_err(|error| DaemonError::Listen { address: config.server.listen.clone(), error })?;
        let address = listener
            .local_addr()
            .map_err(|error| DaemonError::Listen { address: config.server.listen.clone(), error })?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(state.clone(), listener, stopped, pump));
        tracing::info!(%address, store = %store_path.display(), "jido-dispatch serving");
        Ok(Daemon { address, state, stop: Some(stop), task })
    }
}

/// Subscribes the config file's subscriptions, then those the admin API stored.
async fn subscribe_all(state: &Arc<State>, config: &Config) -> Result<(), DaemonError> {
    state.runtime.bus("default");
    for (i, section) in config.subscriptions.iter().enumerate() {
        let targets = section
            .targets()
            .map_err(|e| DaemonError::Config(format!("subscriptions[{i}].dispatch: {e}")))?;
        let id = subscribe(state, &section.bus, &section.path, section.priority, targets)
            .await
            .map_err(|e| DaemonError::Config(format!("subscriptions[{i}] ({}): {e}", section.path)))?;
        state.remember(id, &section.bus, Origin::Config);
    }
    let stored = state.stored.all().map_err(|e| DaemonError::Config(e.to_string()))?;
    for (row, request) in stored {
        let targets = TargetSpec::list_from_value(request.dispatch.clone())
            .map_err(|e| DaemonError::Config(e.to_string()))?;
        match subscribe(state, &request.bus, &request.path, request.priority, targets).await {
            Ok(id) => state.remember(id, &request.bus, Origin::Api(row)),
            Err(e) => tracing::error!(row, path = %request.path, "stored subscription no longer opens: {e}"),
        }
    }
    Ok(())
}

/// One subscription, waiting for room rather than refusing (the log holds the backlog).
async fn subscribe(
    state: &State,
    bus: &str,
    path: &str,
    priority: i32,
    targets: Vec<TargetSpec>,
) -> Result<SubscriptionId, crate::bus::SubscribeError> {
    let options = SubscribeOptions { priority, when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    state.runtime.bus(bus).subscribe(path, targets, options).await
}

impl State {
    async fn reload_adapters(&self) -> Result<Vec<String>, DaemonError> {
        let Some(source) = &self.source else {
            return Err(DaemonError::Config(
                "running on the embedded defaults: there is no file to reload".to_owned(),
            ));
        };
        let config = Config::load(source).map_err(|e| DaemonError::Config(e.to_string()))?;
        let mut loaded = Vec::new();
        for (i, manifest) in config.adapters.iter().enumerate() {
            load_manifest(&self.runtime, &config, i, manifest).await?;
            loaded.push(manifest.name.clone());
        }
        let mut custom = self.custom.lock().unwrap_or_else(PoisonError::into_inner);
        for gone in custom.iter().filter(|name| !loaded.contains(name)) {
            self.runtime.unload_adapter(gone);
        }
        custom.clone_from(&loaded);
        tracing::info!(adapters = ?loaded, "custom adapters reloaded");
        Ok(loaded)
    }

    fn remember(&self, id: SubscriptionId, bus: &str, origin: Origin) {
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, (bus.to_owned(), origin));
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

/// Publishes accepted signals in commit order; each row is deleted once every target has
/// finished with it.
async fn pump(state: Arc<State>, mut input: mpsc::UnboundedReceiver<Pending>) {
    while let Some(pending) = input.recv().await {
        let bytes = pending.signal.approximate_size();
        let (log, admission) = (state.log.clone(), state.admission.clone());
        let done: crate::bus::OnDone = Arc::new(move |seq| {
            log.done(seq);
            admission.release(1, bytes);
        });
        let bus = state.runtime.bus(&pending.bus);
        loop {
            match bus.publish_tracked(pending.signal.clone(), pending.seq, done.clone()).await {
                Ok(_) => break,
                // Shutting down: the row stays and is delivered at the next start.
                Err(crate::bus::PublishError::Closed { .. }) => return,
                Err(crate::bus::PublishError::QueueFull { .. }) => {
                    tokio::time::sleep(Duration::from_millis(5)).await
                }
            }
        }
    }
}
