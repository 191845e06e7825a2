//! The embeddable runtime: the adapter registry, opening targets, buses, and dispatching.

mod builder;
mod channels;
#[cfg(feature = "cluster")]
mod cluster;
mod dead_letters;
mod dispatching;
mod observe;

pub use crate::target::{Health, HealthStatus, Target, TargetOpenError};
pub use builder::RuntimeBuilder;
pub use dead_letters::RedriveError;
use observe::{LabelledBreaker, destination};

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock, PoisonError, RwLock, Weak};

use crate::adapter::{Adapter, DeliveryError};
use crate::bus::Bus;
use crate::dead_letter::DeadLetterStore;
use crate::host::{AdapterConfig, AdapterHost, CacheOutcome, HttpGrant, LoadError};
use crate::resilience::RateLimiter;
use crate::signal::Signal;
use crate::target::{AdapterDefaults, TargetSettings, TargetSpec};
use crate::telemetry::Telemetry;

/// Time limit per call of the built-in http adapters: the longest request `timeout` (60 s)
/// plus a margin for signing and reading the response.
const HTTP_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(65);

/// Instances of the built-in `http` and `webhook` adapters by default. A delivery holds its
/// instance through the HTTP wait, so this is how many requests of all their targets may
/// be in flight at once: 32 targets at the default `max_in_flight` (16). Instances are
/// shared fairly between targets, and made only when needed (an idle one costs ~45 KiB).
pub const HTTP_MAX_INSTANCES: usize = 512;

/// A registered adapter: loaded, or a built-in compiled on first use.
enum Entry {
    Ready(Arc<dyn Adapter>, HttpGrant),
    Loaded(crate::host::WasmAdapter, HttpGrant),
    Builtin {
        component: &'static [u8],
        config: Box<AdapterConfig>,
        loaded: OnceLock<Result<Arc<dyn Adapter>, LoadError>>,
    },
}

pub(crate) struct Inner {
    host: AdapterHost,
    adapters: RwLock<BTreeMap<String, Arc<Entry>>>,
    buses: RwLock<HashMap<String, Bus>>,
    next_subscription: Arc<AtomicU64>,
    /// Circuit breakers by destination (adapter + URL origins, or target identity).
    breakers: std::sync::Mutex<HashMap<String, LabelledBreaker>>,
    /// Where final failures are recorded.
    dead_letters: Arc<dyn DeadLetterStore>,
    /// Delivery events and metrics.
    telemetry: Arc<Telemetry>,
    /// Mailboxes for `pid` and `named` targets.
    mailboxes: Arc<crate::mailbox::Mailboxes>,
    /// Pubsub instances for `pubsub` targets.
    pubsubs: Arc<crate::pubsub::PubSubs>,
    /// The cluster, once joined.
    #[cfg(feature = "cluster")]
    cluster: OnceLock<Arc<crate::cluster::Cluster>>,
    /// `async` deliveries the dispatch API started.
    detached: Arc<crate::dispatch::Detached>,
}

/// The dispatcher runtime; cheap to clone, shareable across tasks.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("adapters", &self.adapter_names()).finish()
    }
}

impl Runtime {
    /// A builder with the defaults.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The runtime behind a weak handle, if it is still alive.
    pub(crate) fn upgrade(inner: &Weak<Inner>) -> Option<Runtime> {
        inner.upgrade().map(|inner| Runtime { inner })
    }

    /// The bus called `name`, created on first use.
    pub fn bus(&self, name: &str) -> Bus {
        if let Some(bus) = self.inner.buses.read().unwrap_or_else(PoisonError::into_inner).get(name) {
            return bus.clone();
        }
        let mut buses = self.inner.buses.write().unwrap_or_else(PoisonError::into_inner);
        let next_id = self.inner.next_subscription.clone();
        buses
            .entry(name.to_owned())
            .or_insert_with(|| Bus::new(name, Arc::new(Opener(Arc::downgrade(&self.inner))), next_id))
            .clone()
    }

    /// Names of the buses created so far, sorted.
    pub fn bus_names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.inner.buses.read().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect();
        names.sort();
        names
    }

    pub(crate) fn detached(&self) -> Arc<crate::dispatch::Detached> {
        self.inner.detached.clone()
    }

    /// The adapter host (engine, cache).
    pub fn host(&self) -> &AdapterHost {
        &self.inner.host
    }

    /// Names of every registered adapter, sorted.
    pub fn adapter_names(&self) -> Vec<String> {
        self.inner.adapters.read().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect()
    }

    /// Registers (or replaces) a native adapter.
    pub fn register_adapter(&self, name: &str, adapter: Arc<dyn Adapter>) {
        let mut adapters = self.inner.adapters.write().unwrap_or_else(PoisonError::into_inner);
        adapters.insert(name.to_owned(), Arc::new(Entry::Ready(adapter, HttpGrant::Nothing)));
    }

    /// Loads a component as the adapter `name`. When a component of that name is already
    /// loaded, the new one replaces it *under its live targets* (see
    /// [`WasmAdapter::replace`](crate::host::WasmAdapter::replace)): deliveries in flight
    /// finish on the old code, later ones use the new, nothing is dropped. A replacement
    /// that refuses the options of a live target is refused as a whole.
    pub async fn load_adapter(
        &self,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
    ) -> Result<CacheOutcome, LoadError> {
        let grant = config.http.clone();
        let (adapter, outcome) = self.inner.host.load(name, bytes, config)?;
        let existing = self.inner.adapters.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned();
        if let Some(Entry::Loaded(live, _)) = existing.as_deref() {
            live.replace(adapter).await.map_err(|e| LoadError::Replacement(e.to_string()))?;
            let mut adapters = self.inner.adapters.write().unwrap_or_else(PoisonError::into_inner);
            adapters.insert(name.to_owned(), Arc::new(Entry::Loaded(live.clone(), grant)));
            return Ok(outcome);
        }
        let mut adapters = self.inner.adapters.write().unwrap_or_else(PoisonError::into_inner);
        adapters.insert(name.to_owned(), Arc::new(Entry::Loaded(adapter, grant)));
        Ok(outcome)
    }

    /// Unregisters the adapter `name`: no new targets can be opened on it, while targets
    /// already open keep delivering on the component they have. Returns whether it existed.
    pub fn unload_adapter(&self, name: &str) -> bool {
        self.inner.adapters.write().unwrap_or_else(PoisonError::into_inner).remove(name).is_some()
    }

    /// What the adapter brings to targets that leave a host key out: built-in
    /// `http`/`webhook` retry and have a breaker; the in-process built-ins deliver in
    /// strict order; custom and native adapters deliver unordered, 16 at once.
    fn adapter_defaults(&self, name: &str) -> AdapterDefaults {
        AdapterDefaults {
            http: self.is_builtin(name, &["http", "webhook"]),
            ordered: self.is_builtin(name, &["pid", "named", "pubsub", "bus", "console", "logger", "noop"]),
        }
    }

    /// Whether `name` is the built-in adapter of that name, and one of `names`.
    fn is_builtin(&self, name: &str, names: &[&str]) -> bool {
        let adapters = self.inner.adapters.read().unwrap_or_else(PoisonError::into_inner);
        names.contains(&name) && matches!(adapters.get(name).map(|e| &**e), Some(Entry::Builtin { .. }))
    }

    fn http_grant(&self, name: &str) -> HttpGrant {
        let adapters = self.inner.adapters.read().unwrap_or_else(PoisonError::into_inner);
        match adapters.get(name).map(|entry| &**entry) {
            Some(Entry::Ready(_, grant) | Entry::Loaded(_, grant)) => grant.clone(),
            Some(Entry::Builtin { config, .. }) => config.http.clone(),
            None => HttpGrant::Nothing,
        }
    }

    /// Compiles every registered built-in now rather than on first use.
    pub fn preload(&self) -> Result<(), LoadError> {
        for name in self.adapter_names() {
            self.adapter(&name).map_err(|e| match e {
                TargetOpenError::Load(load) => load,
                other => LoadError::WrongWorld(other.to_string()),
            })?;
        }
        Ok(())
    }

    /// The adapter called `name`, compiling a built-in on first use.
    pub fn adapter(&self, name: &str) -> Result<Arc<dyn Adapter>, TargetOpenError> {
        let entry = self.inner.adapters.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned();
        let Some(entry) = entry else {
            return Err(TargetOpenError::UnknownAdapter {
                name: name.to_owned(),
                known: self.adapter_names(),
            });
        };
        match &*entry {
            Entry::Ready(adapter, _) => Ok(adapter.clone()),
            Entry::Loaded(adapter, _) => Ok(Arc::new(adapter.clone())),
            Entry::Builtin { component, config, loaded } => loaded
                .get_or_init(|| {
                    let (adapter, _) = self.inner.host.load(name, component, (**config).clone())?;
                    Ok(Arc::new(adapter) as Arc<dyn Adapter>)
                })
                .clone()
                .map_err(TargetOpenError::Load),
        }
    }

    /// Validates a target's options through its adapter and opens it.
    pub async fn open_target(&self, spec: &TargetSpec) -> Result<Target, TargetOpenError> {
        let adapter = self.adapter(&spec.adapter)?;
        if let Some(key) = spec.unsupported_key() {
            return Err(TargetOpenError::HostKey(format!(
                "`{key}` is not supported yet by this version of jido-dispatch; remove it rather than \
                 have it ignored"
            )));
        }
        crate::target_http::pool_spec(spec).map_err(TargetOpenError::HostKey)?;
        let options = if self.is_builtin(&spec.adapter, &["pid", "named"]) {
            spec.options_json_with(&["async"])
        } else {
            spec.options_json()
        };
        let settings = TargetSettings::parse(&spec.host, self.adapter_defaults(&spec.adapter))
            .map_err(TargetOpenError::HostKey)?;
        let normalised = adapter.validate_opts(&options).await?;
        let endpoint = adapter.open(normalised.clone()).await?;
        let mut target = Target {
            spec: Arc::new(spec.clone()),
            normalised: Arc::from(normalised),
            endpoint,
            http: None,
            rate: settings.lane.rate_limit.map(|limit| Arc::new(RateLimiter::new(limit))),
            breaker: None,
            settings: Arc::new(settings),
            record: Arc::default(),
            telemetry: self.inner.telemetry.clone(),
            label: Arc::from(""),
            adapter: Arc::from(spec.adapter.as_str()),
        };
        let (key, label) = destination(&target);
        target.label = Arc::from(label);
        if let Some(config) = target.settings.breaker {
            target.breaker = Some(self.breaker_for(&key, &target.label, config));
        }
        let grant = self.http_grant(&spec.adapter);
        target.http = crate::target_http::resolve(
            &grant,
            spec,
            &target.normalised,
            &target.identity(),
            self.inner.host.http(),
        )
        .map_err(TargetOpenError::HostKey)?;
        Ok(target)
    }

    /// Delivers `signal` to one target: `Ok` or that target's error (also recorded as a
    /// dead letter).
    pub async fn dispatch(&self, signal: &Signal, target: &Target) -> Result<(), DeliveryError> {
        let (outcome, attempts) = target.deliver_counted(signal, 0).await;
        if let Err(error) = &outcome {
            // A store failure is logged by the sink; the caller has the error either way.
            let _ = self.dispatch_sink().record(target, signal, error, attempts);
        }
        outcome
    }
}

/// How a bus opens targets: through the runtime, while it lives (a bus holds no strong
/// reference to its runtime).
struct Opener(Weak<Inner>);

impl crate::bus::TargetOpener for Opener {
    fn open(
        &self,
        spec: TargetSpec,
    ) -> Option<crate::adapter::BoxFuture<'static, Result<Target, TargetOpenError>>> {
        let runtime = Runtime::upgrade(&self.0)?;
        Some(Box::pin(async move { runtime.open_target(&spec).await }))
    }

    fn failure_sink(&self, origin: String) -> Option<crate::dead_letter::FailureSink> {
        Runtime::upgrade(&self.0).map(|runtime| runtime.failure_sink(origin))
    }
}
