//! The transform registry: every transform a target can name with `transform = "…"` (a
//! built-in compiled on first use, or a loaded component replaceable under live targets),
//! and opening one target's transformer from its `transform_options`.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde_json::Value;

use super::{Runtime, TargetOpenError};
use crate::host::{AdapterConfig, AdapterHost, CacheOutcome, LoadError, OpenedTransform, WasmTransform};
use crate::target::TargetSpec;

/// A transform's code: loaded, or a built-in compiled on first use.
enum Code {
    Loaded(WasmTransform),
    Builtin { component: &'static [u8], compiled: OnceLock<Result<WasmTransform, LoadError>> },
}

/// The transforms by name.
#[derive(Default)]
pub(super) struct TransformRegistry {
    entries: RwLock<BTreeMap<String, Arc<Code>>>,
}

impl TransformRegistry {
    fn entry(&self, name: &str) -> Option<Arc<Code>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }

    fn insert(&self, name: &str, code: Code) {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).insert(name.to_owned(), Arc::new(code));
    }

    /// Every name, sorted.
    pub fn names(&self) -> Vec<String> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect()
    }

    /// Registers a built-in, compiled on first use with the default limits (not throttled).
    pub fn insert_builtin(&self, name: &str, component: &'static [u8]) {
        self.insert(name, Code::Builtin { component, compiled: OnceLock::new() });
    }

    /// Loads a component as `name`, replacing a loaded one of that name under its live
    /// targets (after it accepted every option set in use).
    pub async fn load(
        &self,
        host: &AdapterHost,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
    ) -> Result<CacheOutcome, LoadError> {
        let (transform, outcome) = host.load_transform(name, bytes, config)?;
        let code = match self.entry(name).as_deref() {
            Some(Code::Loaded(live)) => {
                live.replace(transform).await.map_err(LoadError::Replacement)?;
                Code::Loaded(live.clone())
            }
            _ => Code::Loaded(transform),
        };
        self.insert(name, code);
        Ok(outcome)
    }

    /// Unregisters `name`; live targets keep their transformer.
    pub fn remove(&self, name: &str) -> bool {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).remove(name).is_some()
    }

    fn resolve(&self, host: &AdapterHost, name: &str) -> Result<WasmTransform, TargetOpenError> {
        let Some(entry) = self.entry(name) else {
            return Err(TargetOpenError::HostKey(format!(
                "transform: no transform named `{name}` (known: {})",
                self.names().join(", ")
            )));
        };
        match &*entry {
            Code::Loaded(transform) => Ok(transform.clone()),
            Code::Builtin { component, compiled } => compiled
                .get_or_init(|| {
                    // The operator's own code, like the built-in adapters: never throttled.
                    let mut config = AdapterConfig::default();
                    config.limits.throttle_long_calls = false;
                    host.load_transform(name, component, config).map(|(t, _)| t)
                })
                .clone()
                .map_err(TargetOpenError::Load),
        }
    }
}

impl Runtime {
    /// Loads a transform component (the `dispatch-view-transform` or `dispatch-transform`
    /// world) as `name`, with the limits, tenant and stdio of `config`. Loading a name
    /// already loaded replaces the component under its live targets once the new one
    /// accepts their options; calls already running finish on the old one.
    pub async fn load_transform(
        &self,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
    ) -> Result<CacheOutcome, LoadError> {
        self.inner.transforms.load(&self.inner.host, name, bytes, config).await
    }

    /// Unregisters a transform; returns whether it existed. Live targets keep it.
    pub fn unload_transform(&self, name: &str) -> bool {
        self.inner.transforms.remove(name)
    }

    /// The transform called `name` (a built-in is compiled on first use).
    pub fn transform(&self, name: &str) -> Result<WasmTransform, TargetOpenError> {
        self.inner.transforms.resolve(&self.inner.host, name)
    }

    /// Names of the transforms targets can use, sorted.
    pub fn transform_names(&self) -> Vec<String> {
        self.inner.transforms.names()
    }

    /// The target's transformer, from its `transform` and `transform_options` host keys.
    pub(super) async fn open_transform(
        &self,
        spec: &TargetSpec,
    ) -> Result<Option<Arc<OpenedTransform>>, TargetOpenError> {
        let bad = |message: String| TargetOpenError::HostKey(message);
        let name = match spec.host.get("transform") {
            None => {
                if spec.host.contains_key("transform_options") {
                    return Err(bad(
                        "transform_options: given without `transform` naming a transform".to_owned()
                    ));
                }
                return Ok(None);
            }
            Some(Value::String(name)) if !name.is_empty() => name,
            Some(other) => return Err(bad(format!("transform: expected a transform name, got {other}"))),
        };
        let options = match spec.host.get("transform_options") {
            None => Value::Object(serde_json::Map::new()),
            Some(Value::Object(options)) => Value::Object(options.clone()),
            Some(other) => return Err(bad(format!("transform_options: expected a table, got {other}"))),
        };
        let transform = self.inner.transforms.resolve(&self.inner.host, name)?;
        let normalised = transform
            .validate_opts(&options.to_string())
            .await
            .map_err(|e| bad(format!("transform_options: {e}")))?;
        let opened = transform.open(normalised).await.map_err(|e| bad(format!("transform_options: {e}")))?;
        Ok(Some(Arc::new(opened)))
    }
}
