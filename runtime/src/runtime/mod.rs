//! The embeddable runtime: the adapter registry, opening targets, buses, and dispatching.

mod breakers;
mod builder;
mod buses;
mod channels;
#[cfg(feature = "cluster")]
mod cluster;
mod dead_letters;
mod dispatching;
mod messaging;
mod observe;
mod opening;
mod registry;
mod transforms;

pub use crate::target::{Health, HealthStatus, Target, TargetOpenError};
pub use builder::RuntimeBuilder;
pub use dead_letters::RedriveError;

use std::sync::{Arc, Weak};

use crate::adapter::Adapter;
use crate::bus::Bus;
use crate::dead_letter::DeadLetterStore;
use crate::host::{AdapterConfig, AdapterHost, CacheOutcome, LoadError};
use crate::target::{AdapterProfile, TargetSpec};
use crate::telemetry::Telemetry;

/// The parts a runtime owns; each lives in its own file and the [`Runtime`] methods are thin
/// calls into them.
pub(crate) struct Inner {
    /// The Wasm engine, compile cache and http service.
    host: AdapterHost,
    /// Every adapter a target can name.
    adapters: registry::AdapterRegistry,
    /// Every transform a target can name.
    transforms: transforms::TransformRegistry,
    /// The named buses.
    buses: buses::Buses,
    /// Circuit breakers by destination (adapter + URL origins, or target identity).
    breakers: breakers::Breakers,
    /// Where final failures are recorded.
    dead_letters: Arc<dyn DeadLetterStore>,
    /// Delivery events and metrics.
    telemetry: Arc<Telemetry>,
    /// Mailboxes, pubsub instances and the cluster.
    messaging: messaging::Messaging,
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
        self.inner.buses.get_or_create(name, || Arc::new(Opener(Arc::downgrade(&self.inner))))
    }

    /// Names of the buses created so far, sorted.
    pub fn bus_names(&self) -> Vec<String> {
        self.inner.buses.names()
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
        self.inner.adapters.names()
    }

    /// Registers (or replaces) a native adapter; its targets deliver unordered, 16 at once,
    /// without retries unless they say otherwise.
    pub fn register_adapter(&self, name: &str, adapter: Arc<dyn Adapter>) {
        self.register_adapter_with(name, adapter, AdapterProfile::default());
    }

    /// Registers (or replaces) a native adapter with a host profile (its targets' defaults).
    pub fn register_adapter_with(&self, name: &str, adapter: Arc<dyn Adapter>, profile: AdapterProfile) {
        self.inner.adapters.insert_native(name, adapter, profile);
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
        self.load_adapter_with(name, bytes, config, AdapterProfile::default()).await
    }

    /// [`load_adapter`](Self::load_adapter) with a host profile (a manifest's
    /// `target_defaults`).
    pub async fn load_adapter_with(
        &self,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
        profile: AdapterProfile,
    ) -> Result<CacheOutcome, LoadError> {
        self.inner.adapters.load(&self.inner.host, name, bytes, config, profile).await
    }

    /// Unregisters the adapter `name`: no new targets can be opened on it, while targets
    /// already open keep delivering on the component they have. Returns whether it existed.
    pub fn unload_adapter(&self, name: &str) -> bool {
        self.inner.adapters.remove(name)
    }

    /// The host profile of adapter `name` (built-ins: their `profile.toml`).
    pub fn adapter_profile(&self, name: &str) -> Option<AdapterProfile> {
        self.inner.adapters.profile(name).map(|profile| (*profile).clone())
    }

    /// The target as admin responses show it: secrets (common option names, its adapter's
    /// `secret_options`, credential-like headers) replaced by fingerprints.
    pub fn redacted_target(&self, spec: &TargetSpec) -> serde_json::Value {
        let declared = self.inner.adapters.profile(&spec.adapter).map(|p| p.secret_options.clone());
        spec.to_redacted_value(&declared.unwrap_or_default())
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
        self.inner.adapters.resolve(&self.inner.host, name).map(|resolved| resolved.adapter)
    }

    /// The adapter `name` if it was loaded with [`load_adapter`](Self::load_adapter) (its
    /// instance pool, e.g. for the world it was loaded for).
    pub fn loaded_adapter(&self, name: &str) -> Option<crate::host::WasmAdapter> {
        self.inner.adapters.loaded(name)
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
