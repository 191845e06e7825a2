//! The embeddable runtime: the adapter registry, opening targets, and dispatching.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock, PoisonError, RwLock, Weak};

use crate::adapter::{Adapter, BoxFuture, DeliveryContext, DeliveryError, Endpoint, OptionsError};
use crate::builtin;
use crate::bus::{Bus, PublishError};
use crate::host::http::{HttpSettings, HttpTarget, IpNet};
use crate::host::{
    AdapterConfig, AdapterHost, CacheOutcome, ChannelBackend, ChannelError, ChannelGrants, CompileCache,
    EngineSettings, Grant, HostError, HttpGrant, LoadError, Stdio,
};
use crate::signal::Signal;
use crate::target::TargetSpec;

/// Why a target could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetOpenError {
    /// No adapter by that name is registered.
    #[error("unknown adapter `{name}` (known: {})", known.join(", "))]
    UnknownAdapter {
        /// The requested name.
        name: String,
        /// Every registered adapter.
        known: Vec<String>,
    },
    /// The adapter refused the options.
    #[error(transparent)]
    Options(#[from] OptionsError),
    /// A built-in component could not be loaded.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A host-level key (`pool`, `pool_size`, …) is invalid.
    #[error("invalid target: {0}")]
    HostKey(String),
}

/// Time limit per call of the built-in http adapters: the longest request `timeout` (60 s)
/// plus a margin for signing and reading the response.
const HTTP_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(65);

/// A registered adapter: loaded, or a built-in compiled on first use.
enum Entry {
    Ready(Arc<dyn Adapter>, HttpGrant),
    Builtin {
        component: &'static [u8],
        config: AdapterConfig,
        loaded: OnceLock<Result<Arc<dyn Adapter>, LoadError>>,
    },
}

/// An opened target: its spec, normalised options, and the adapter's endpoint.
#[derive(Clone)]
pub struct Target {
    spec: Arc<TargetSpec>,
    normalised: Arc<str>,
    endpoint: Arc<dyn Endpoint>,
    http: Option<Arc<HttpTarget>>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("adapter", &self.spec.adapter)
            .field("options", &self.normalised)
            .finish()
    }
}

impl Target {
    /// The spec it was opened from.
    pub fn spec(&self) -> &TargetSpec {
        &self.spec
    }

    /// The adapter options as the adapter normalised them (defaults filled in).
    pub fn normalised_options(&self) -> &str {
        &self.normalised
    }

    /// The adapter's endpoint.
    pub fn endpoint(&self) -> &Arc<dyn Endpoint> {
        &self.endpoint
    }

    /// The context of a delivery to this target after `hops` bus crossings.
    pub fn context(&self, hops: u32) -> DeliveryContext {
        DeliveryContext { hops, http: self.http.clone() }
    }

    /// Delivers one signal to this target.
    pub async fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        self.endpoint.deliver(signal, self.context(0)).await
    }

    /// Delivers a batch to this target (the adapter's `deliver-batch`); one result each.
    pub async fn deliver_batch(&self, signals: &[Signal]) -> Vec<Result<(), DeliveryError>> {
        self.endpoint.deliver_batch(signals, self.context(0)).await
    }

    /// Probes this target through the adapter's `health-check`.
    pub async fn health_check(&self) -> Result<(), String> {
        self.endpoint.health_check(self.context(0)).await
    }

    /// What makes two targets the same destination: adapter, normalised options and
    /// host-level keys.
    pub fn identity(&self) -> Arc<str> {
        let host = serde_json::Value::Object(self.spec.host.clone());
        Arc::from(format!("{}\u{0}{}\u{0}{host}", self.spec.adapter, self.normalised))
    }
}

/// Builds a [`Runtime`].
#[derive(Debug, Clone)]
pub struct RuntimeBuilder {
    engine: EngineSettings,
    cache_dir: Option<PathBuf>,
    builtins: bool,
    console_stdio: Stdio,
    adapter_config: AdapterConfig,
    http: HttpSettings,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder {
            engine: EngineSettings::default(),
            cache_dir: CompileCache::default_dir(),
            builtins: true,
            console_stdio: Stdio::Inherit,
            adapter_config: AdapterConfig::default(),
            http: HttpSettings::default(),
        }
    }
}

impl RuntimeBuilder {
    /// Engine-wide settings (instance slots, largest memory).
    pub fn engine(mut self, settings: EngineSettings) -> Self {
        self.engine = settings;
        self
    }

    /// Where compiled components are cached (default: [`CompileCache::default_dir`]);
    /// `None` compiles on every start.
    pub fn compile_cache(mut self, dir: Option<PathBuf>) -> Self {
        self.cache_dir = dir;
        self
    }

    /// Whether the built-in adapters are registered (default `true`).
    pub fn builtins(mut self, enabled: bool) -> Self {
        self.builtins = enabled;
        self
    }

    /// Where the `console` adapter writes (default: this process's stdout/stderr).
    pub fn console_stdio(mut self, stdio: Stdio) -> Self {
        self.console_stdio = stdio;
        self
    }

    /// Limits and stdio for the built-in adapters (stdio is ignored for all but `console`).
    pub fn builtin_config(mut self, config: AdapterConfig) -> Self {
        self.adapter_config = config;
        self
    }

    /// Special address ranges (loopback, private, link-local) that http targets may reach;
    /// none by default. The equivalent of `[egress] allow_private`.
    pub fn allow_private(mut self, networks: Vec<IpNet>) -> Self {
        self.http.address_policy.allow_private = networks;
        self
    }

    /// All HTTP settings (address policy, body caps, timeouts).
    pub fn http(mut self, settings: HttpSettings) -> Self {
        self.http = settings;
        self
    }

    /// Starts the engine and registers the built-ins (compiled lazily, on first use).
    pub fn build(self) -> Result<Runtime, HostError> {
        let host = AdapterHost::with_http(&self.engine, CompileCache::new(self.cache_dir), self.http)?;
        let mut adapters = BTreeMap::new();
        if self.builtins {
            for builtin in builtin::all() {
                let mut config = self.adapter_config.clone();
                config.stdio =
                    if builtin.name == "console" { self.console_stdio.clone() } else { Stdio::Closed };
                // Built-ins reach what their (operator-written) options name.
                config.channels = ChannelGrants { buses: Grant::Everything };
                config.http = HttpGrant::FromOptions;
                if matches!(builtin.name, "http" | "webhook") {
                    // A delivery may wait for its request's `timeout` (up to 60 s).
                    config.limits.call_timeout = config.limits.call_timeout.max(HTTP_CALL_TIMEOUT);
                }
                let entry = Entry::Builtin { component: builtin.component, config, loaded: OnceLock::new() };
                adapters.insert(builtin.name.to_owned(), Arc::new(entry));
            }
        }
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| Inner {
            host: host.with_channel_backend(weak.clone() as Weak<dyn ChannelBackend>),
            adapters: RwLock::new(adapters),
            buses: RwLock::new(HashMap::new()),
            next_subscription: Arc::new(AtomicU64::new(1)),
        });
        Ok(Runtime { inner })
    }
}

pub(crate) struct Inner {
    host: AdapterHost,
    adapters: RwLock<BTreeMap<String, Arc<Entry>>>,
    buses: RwLock<HashMap<String, Bus>>,
    next_subscription: Arc<AtomicU64>,
}

impl ChannelBackend for Inner {
    fn publish_bus<'a>(
        &'a self,
        bus: &'a str,
        signal: Signal,
        hops: u32,
    ) -> BoxFuture<'a, Result<(), ChannelError>> {
        Box::pin(async move {
            let found = self.buses.read().unwrap_or_else(PoisonError::into_inner).get(bus).cloned();
            let bus = found.ok_or_else(|| ChannelError::NotFound(bus.to_owned()))?;
            match bus.publish_one(Arc::new(signal), hops, 0).await {
                Ok(_) => Ok(()),
                Err(error @ PublishError::QueueFull { .. }) => Err(ChannelError::Full(error.to_string())),
                Err(error @ PublishError::Closed { .. }) => Err(ChannelError::Unavailable(error.to_string())),
            }
        })
    }
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
            .or_insert_with(|| Bus::new(name, Arc::downgrade(&self.inner), next_id))
            .clone()
    }

    /// Names of the buses created so far, sorted.
    pub fn bus_names(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.inner.buses.read().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect();
        names.sort();
        names
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

    /// Loads a component as the adapter `name` (replacing any adapter of that name).
    pub fn load_adapter(
        &self,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
    ) -> Result<CacheOutcome, LoadError> {
        let grant = config.http.clone();
        let (adapter, outcome) = self.inner.host.load(name, bytes, config)?;
        let mut adapters = self.inner.adapters.write().unwrap_or_else(PoisonError::into_inner);
        adapters.insert(name.to_owned(), Arc::new(Entry::Ready(Arc::new(adapter), grant)));
        Ok(outcome)
    }

    fn http_grant(&self, name: &str) -> HttpGrant {
        let adapters = self.inner.adapters.read().unwrap_or_else(PoisonError::into_inner);
        match adapters.get(name).map(|entry| &**entry) {
            Some(Entry::Ready(_, grant)) => grant.clone(),
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
            Entry::Builtin { component, config, loaded } => loaded
                .get_or_init(|| {
                    let (adapter, _) = self.inner.host.load(name, component, config.clone())?;
                    Ok(Arc::new(adapter) as Arc<dyn Adapter>)
                })
                .clone()
                .map_err(TargetOpenError::Load),
        }
    }

    /// Validates a target's options through its adapter and opens it.
    pub async fn open_target(&self, spec: &TargetSpec) -> Result<Target, TargetOpenError> {
        let adapter = self.adapter(&spec.adapter)?;
        crate::target_http::pool_spec(spec).map_err(TargetOpenError::HostKey)?;
        let normalised = adapter.validate_opts(&spec.options_json()).await?;
        let endpoint = adapter.open(normalised.clone()).await?;
        let mut target =
            Target { spec: Arc::new(spec.clone()), normalised: Arc::from(normalised), endpoint, http: None };
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

    /// Delivers `signal` to one target: `Ok` or that target's error.
    pub async fn dispatch(&self, signal: &Signal, target: &Target) -> Result<(), DeliveryError> {
        target.deliver(signal).await
    }
}
