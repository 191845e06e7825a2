//! The adapter host: a wasmtime engine that runs adapter components.
//!
//! Implements the host side of the `jido:dispatch@0.1.0` WIT package:
//! - [`log`](../../wit/log.wit) in `log.rs` (into `tracing`),
//! - [`http`](../../wit/http.wit) in `http/` (reqwest pools, egress policy),
//! - [`channel`](../../wit/channel.wit) in `channel.rs` (`send` to mailboxes, `publish` on
//!   pubsub topics, `publish-bus`; each only where the adapter holds a grant, `denied`
//!   otherwise),
//! - [`crypto`](../../wit/crypto.wit) in `crypto.rs` (native HMAC-SHA256),
//! - WASI p2 for stdio, clocks and random (stdout/stderr only when granted).
//!
//! Transforms (the `dispatch-view-transform` and `dispatch-transform` worlds,
//! `transform.rs`; a view-transform is lent the signal through `view.rs`) run on the same
//! pools and limits; their worlds import `log` (and `view`) only.
//!
//! [`AdapterHost::load`] compiles a component once (through the on-disk [`CompileCache`]),
//! checks it against the world, pre-instantiates it and wraps it in an [`InstancePool`].
//! A component that cannot wait in the host and is not throttled (`sync_io.rs`) is
//! pre-instantiated from a second, synchronous linker and called without a fiber
//! (`exports.rs` hides which).

mod bindings;
mod cache;
mod call;
mod channel;
mod convert;
mod crypto;
mod engine;
mod exports;
mod failure;
mod fair;
pub mod http;
mod instance;
mod limits;
mod log;
mod lowered;
mod pool;
mod state;
mod stderr;
mod sync_io;
mod tenant;
mod transform;
mod view;
mod wasm;
mod world;

use std::path::PathBuf;
use std::sync::{Arc, Weak};

/// Re-exported from [`mailbox`](crate::mailbox), where it lives.
pub use crate::mailbox::ChannelError;
pub use cache::{CacheOutcome, CompileCache};
pub use channel::{ChannelBackend, ChannelGrants, Grant, MAX_SEND_TIMEOUT_MS};
pub use engine::{EPOCH_TICK, EngineSettings};
pub use failure::HostFailure;
pub use limits::{DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_INSTANCES, DEFAULT_MEMORY_BYTES, Limits};
pub use pool::{InstancePool, PoolStats};
pub use state::Stdio;
pub use tenant::{DEFAULT_TENANT_CONCURRENCY, Tenant, TenantSpec};
pub use transform::{OpenedTransform, TRANSFORM_FAILED, WasmTransform};
pub use wasm::{WasmAdapter, WasmEndpoint};
pub use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
pub use world::{
    ADAPTER_EXPORT, ComponentInfo, ImportInfo, TRANSFORM_EXPORT, VIEW_ADAPTER_EXPORT, VIEW_TRANSFORM_EXPORT,
    WORLD_VERSION,
};

use bindings::DispatchAdapterPre;
use bindings::sync_calls::DispatchAdapterPre as SyncAdapterPre;
use bindings::sync_calls::transform_world::DispatchTransformPre as SyncTransformPre;
use bindings::sync_calls::view_adapter_world::DispatchViewAdapterPre as SyncViewAdapterPre;
use bindings::sync_calls::view_transform_world::DispatchViewTransformPre as SyncViewTransformPre;
use bindings::transform_world::DispatchTransformPre;
use bindings::view_adapter_world::DispatchViewAdapterPre;
use bindings::view_transform_world::DispatchViewTransformPre;
use exports::Pre;
use state::HostState;
use wasmtime::Engine;
use wasmtime::component::{HasSelf, Linker};

/// The host could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The engine or linker could not be configured.
    #[error("cannot start the Wasm engine: {0}")]
    Engine(String),
    /// A built-in adapter's embedded `profile.toml` is invalid.
    #[error("built-in adapter `{adapter}` has an invalid profile.toml: {message}")]
    Profile {
        /// The adapter.
        adapter: String,
        /// What is wrong.
        message: String,
    },
}

/// A component could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The bytes are not a WebAssembly component (a core module, or not Wasm at all).
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// A component, but not of the `dispatch-adapter` world this host implements.
    #[error("not a jido:dispatch adapter: {0}")]
    WrongWorld(String),
    /// The limits cannot be applied.
    #[error("invalid limits: {0}")]
    Limits(String),
    /// The adapter's profile (a manifest's `target_defaults`) is invalid.
    #[error("invalid profile: {0}")]
    Profile(String),
    /// The replacement for a loaded component refuses options its live targets use.
    #[error("replacement refused: {0}")]
    Replacement(String),
    /// The component file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

/// How one adapter runs: its limits and where its stdio goes.
#[derive(Debug, Clone, Default)]
pub struct AdapterConfig {
    /// Resource limits.
    pub limits: Limits,
    /// WASI stdout/stderr (closed unless granted).
    pub stdio: Stdio,
    /// What the adapter may reach through the `channel` import (nothing by default).
    pub channels: ChannelGrants,
    /// Which origins its targets may reach through the `http` import (none by default).
    pub http: HttpGrant,
    /// The tenant that owns it (calls in flight are capped per tenant); none for the
    /// operator's own adapters.
    pub tenant: Option<TenantSpec>,
    /// Whether the component may import `wasi:filesystem` and `wasi:sockets`, which some
    /// toolchains (componentize-py, componentize-js) import unconditionally. It then gets an
    /// empty filesystem (nothing preopened) and no network (every socket refused). Refused
    /// at load otherwise.
    pub wasi_stubs: bool,
}

/// How a target of an adapter is granted http origins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpGrant {
    /// No http access.
    #[default]
    Nothing,
    /// Exactly the origins of the URLs in the target's own `url` / `urls` options (the
    /// built-in `http` and `webhook` adapters).
    FromOptions,
    /// These origins, for every target of the adapter.
    Origins(Vec<http::OriginPattern>),
}

/// The engine, linker and compile cache shared by every adapter of a runtime.
pub struct AdapterHost {
    engine: Engine,
    linker: Linker<HostState>,
    /// For components called synchronously (`sync_io.rs`).
    sync_linker: Linker<HostState>,
    cache: CompileCache,
    http: Arc<http::HttpService>,
    backend: Option<Weak<dyn ChannelBackend>>,
    tenants: tenant::Tenants,
    fuel: bool,
    _ticker: engine::EpochTicker,
}

impl std::fmt::Debug for AdapterHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdapterHost").field("cache", &self.cache).finish_non_exhaustive()
    }
}

impl AdapterHost {
    /// Starts an engine with `settings` and the given compile cache.
    pub fn new(settings: &EngineSettings, cache: CompileCache) -> Result<Self, HostError> {
        Self::with_http(settings, cache, http::HttpSettings::default())
    }

    /// Starts an engine whose `http` import uses `http_settings`.
    pub fn with_http(
        settings: &EngineSettings,
        cache: CompileCache,
        http_settings: http::HttpSettings,
    ) -> Result<Self, HostError> {
        let engine = engine::build_engine(settings)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| HostError::Engine(e.to_string()))?;
        bindings::DispatchAdapter::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(|e| HostError::Engine(e.to_string()))?;
        view::add_to_linker(&mut linker).map_err(|e| HostError::Engine(e.to_string()))?;
        let mut sync_linker = Linker::new(&engine);
        sync_io::sync_linker(&mut sync_linker).map_err(|e| HostError::Engine(e.to_string()))?;
        let ticker = engine::EpochTicker::start(engine.clone())?;
        let http = Arc::new(http::HttpService::new(http_settings));
        let fuel = settings.fuel;
        Ok(AdapterHost {
            engine,
            linker,
            sync_linker,
            cache,
            http,
            backend: None,
            tenants: Default::default(),
            fuel,
            _ticker: ticker,
        })
    }

    /// Connects the `channel` import to the runtime (set once, before adapters load).
    pub fn with_channel_backend(mut self, backend: Weak<dyn ChannelBackend>) -> Self {
        self.backend = Some(backend);
        self
    }

    /// The compile cache.
    pub fn cache(&self) -> &CompileCache {
        &self.cache
    }

    /// The HTTP clients, pools and policy.
    pub fn http(&self) -> &Arc<http::HttpService> {
        &self.http
    }

    /// Compiles (or loads from cache) `bytes` and describes the component's imports and
    /// exports, without checking them.
    pub fn inspect(&self, bytes: &[u8]) -> Result<(ComponentInfo, CacheOutcome), LoadError> {
        let (component, outcome) = self.compile(bytes)?;
        Ok((world::describe(&self.engine, &component), outcome))
    }

    /// Loads `bytes` as the adapter `name`: compiles (or loads from cache), checks the
    /// world, pre-instantiates, and returns the adapter with its instance pool.
    pub fn load(
        &self,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
    ) -> Result<(WasmAdapter, CacheOutcome), LoadError> {
        let (pool, outcome) = self.pool(name, bytes, config, world::Kind::Adapter)?;
        Ok((WasmAdapter::new(pool), outcome))
    }

    /// Loads `bytes` as the transform `name` (the `dispatch-view-transform` or
    /// `dispatch-transform` world, whichever it exports), with the
    /// same limits, tenant and stdio rules as an adapter; grants for `http` and `channel`
    /// mean nothing to a transform, whose world imports neither.
    pub fn load_transform(
        &self,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
    ) -> Result<(WasmTransform, CacheOutcome), LoadError> {
        let (pool, outcome) = self.pool(name, bytes, config, world::Kind::Transform)?;
        Ok((WasmTransform::new(pool), outcome))
    }

    fn pool(
        &self,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
        kind: world::Kind,
    ) -> Result<(InstancePool, CacheOutcome), LoadError> {
        let (component, outcome) = self.compile(bytes)?;
        let info = world::describe(&self.engine, &component);
        let kind = world::check(&info, config.wasi_stubs, kind)?;
        if config.limits.fuel.is_some() && !self.fuel {
            return Err(LoadError::Limits(
                "a fuel limit needs an engine with fuel metering (EngineSettings { fuel: true, .. })"
                    .to_owned(),
            ));
        }
        let waits_on_host = info.imports.iter().any(|i| i.waits_on_host());
        let synchronous = sync_io::runs_synchronously(&info.imports, config.limits.throttle_long_calls);
        let linker = if synchronous { &self.sync_linker } else { &self.linker };
        let wrong = |e: wasmtime::Error| LoadError::WrongWorld(e.to_string());
        let pre = linker.instantiate_pre(&component).map_err(wrong)?;
        let pre = match (kind, synchronous) {
            (world::Kind::Adapter, false) => Pre::Adapter(DispatchAdapterPre::new(pre).map_err(wrong)?),
            (world::Kind::Transform, false) => Pre::Transform(DispatchTransformPre::new(pre).map_err(wrong)?),
            (world::Kind::Adapter, true) => Pre::SyncAdapter(SyncAdapterPre::new(pre).map_err(wrong)?),
            (world::Kind::Transform, true) => Pre::SyncTransform(SyncTransformPre::new(pre).map_err(wrong)?),
            (world::Kind::ViewAdapter, false) => {
                Pre::ViewAdapter(DispatchViewAdapterPre::new(pre).map_err(wrong)?)
            }
            (world::Kind::ViewAdapter, true) => {
                Pre::SyncViewAdapter(SyncViewAdapterPre::new(pre).map_err(wrong)?)
            }
            (world::Kind::ViewTransform, false) => {
                Pre::ViewTransform(DispatchViewTransformPre::new(pre).map_err(wrong)?)
            }
            (world::Kind::ViewTransform, true) => {
                Pre::SyncViewTransform(SyncViewTransformPre::new(pre).map_err(wrong)?)
            }
        };
        let setup = pool::InstanceSetup {
            name: Arc::from(name),
            limits: config.limits,
            stdio: config.stdio,
            channels: channel::ChannelCtx { backend: self.backend.clone(), grants: config.channels },
            http: self.http.clone(),
            waits_on_host,
            tenant: config.tenant.as_ref().map(|spec| self.tenants.get(spec)),
            fuel: self.fuel,
        };
        Ok((InstancePool::new(self.engine.clone(), pre, setup), outcome))
    }

    fn compile(&self, bytes: &[u8]) -> Result<(wasmtime::component::Component, CacheOutcome), LoadError> {
        if !is_component(bytes) {
            let what = if bytes.starts_with(b"\0asm") {
                "it is a core Wasm module (componentize it first, e.g. `wasm-tools component new`)"
            } else {
                "it does not start with the Wasm magic number"
            };
            return Err(LoadError::NotAComponent(what.to_owned()));
        }
        self.cache.load(&self.engine, bytes).map_err(|e| LoadError::NotAComponent(format!("{e:#}")))
    }
}

/// Whether `bytes` carry the component binary header (magic, then layer 1).
fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes.starts_with(b"\0asm") && bytes[6..8] == [1, 0]
}

impl bindings::types::Host for HostState {}
