//! The adapter registry: every adapter a target can name (a built-in, a loaded component, a
//! native adapter), each with its host profile and HTTP grant. Built-ins compile on first use.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use crate::adapter::Adapter;
use crate::host::{AdapterConfig, AdapterHost, CacheOutcome, HttpGrant, LoadError, WasmAdapter};
use crate::target::{AdapterProfile, TargetOpenError};

/// An adapter's code: ready, or a built-in compiled on first use.
enum Code {
    Native(Arc<dyn Adapter>),
    Loaded(WasmAdapter),
    Builtin {
        component: &'static [u8],
        config: Box<AdapterConfig>,
        compiled: OnceLock<Result<Arc<dyn Adapter>, LoadError>>,
    },
}

/// One registered adapter.
struct Registered {
    code: Code,
    grant: HttpGrant,
    profile: Arc<AdapterProfile>,
}

/// What opening a target needs of its adapter.
pub(super) struct Resolved {
    /// The adapter (compiled now if it is a built-in's first use).
    pub adapter: Arc<dyn Adapter>,
    /// What its targets may reach over `http`.
    pub grant: HttpGrant,
    /// Its host profile.
    pub profile: Arc<AdapterProfile>,
}

/// The adapters by name.
#[derive(Default)]
pub(super) struct AdapterRegistry {
    entries: RwLock<BTreeMap<String, Arc<Registered>>>,
}

impl AdapterRegistry {
    fn insert(&self, name: &str, registered: Registered) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries.insert(name.to_owned(), Arc::new(registered));
    }

    fn entry(&self, name: &str) -> Option<Arc<Registered>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }

    /// Every name, sorted.
    pub fn names(&self) -> Vec<String> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect()
    }

    /// Registers a built-in, compiled on first use.
    pub fn insert_builtin(
        &self,
        name: &str,
        component: &'static [u8],
        config: AdapterConfig,
        profile: AdapterProfile,
    ) {
        let grant = config.http.clone();
        let code = Code::Builtin { component, config: Box::new(config), compiled: OnceLock::new() };
        self.insert(name, Registered { code, grant, profile: Arc::new(profile) });
    }

    /// Registers (or replaces) a native adapter.
    pub fn insert_native(&self, name: &str, adapter: Arc<dyn Adapter>, profile: AdapterProfile) {
        let code = Code::Native(adapter);
        self.insert(name, Registered { code, grant: HttpGrant::Nothing, profile: Arc::new(profile) });
    }

    /// Loads a component as `name`, replacing a loaded one of that name under its live
    /// targets.
    pub async fn load(
        &self,
        host: &AdapterHost,
        name: &str,
        bytes: &[u8],
        config: AdapterConfig,
        profile: AdapterProfile,
    ) -> Result<CacheOutcome, LoadError> {
        let grant = config.http.clone();
        let (adapter, outcome) = host.load(name, bytes, config)?;
        let profile = Arc::new(profile);
        let code = match self.entry(name).as_deref() {
            Some(Registered { code: Code::Loaded(live), .. }) => {
                live.replace(adapter).await.map_err(|e| LoadError::Replacement(e.to_string()))?;
                Code::Loaded(live.clone())
            }
            _ => Code::Loaded(adapter),
        };
        self.insert(name, Registered { code, grant, profile });
        Ok(outcome)
    }

    /// The component `name` was loaded from at run time (not a built-in or native one).
    pub fn loaded(&self, name: &str) -> Option<WasmAdapter> {
        match &self.entry(name)?.code {
            Code::Loaded(adapter) => Some(adapter.clone()),
            _ => None,
        }
    }

    /// Unregisters `name`; returns whether it existed.
    pub fn remove(&self, name: &str) -> bool {
        self.entries.write().unwrap_or_else(PoisonError::into_inner).remove(name).is_some()
    }

    /// The host profile of `name`.
    pub fn profile(&self, name: &str) -> Option<Arc<AdapterProfile>> {
        self.entry(name).map(|entry| entry.profile.clone())
    }

    /// The adapter `name` with its grant and profile, compiling a built-in on first use.
    pub fn resolve(&self, host: &AdapterHost, name: &str) -> Result<Resolved, TargetOpenError> {
        let Some(entry) = self.entry(name) else {
            return Err(TargetOpenError::UnknownAdapter { name: name.to_owned(), known: self.names() });
        };
        let adapter = match &entry.code {
            Code::Native(adapter) => adapter.clone(),
            Code::Loaded(adapter) => Arc::new(adapter.clone()),
            Code::Builtin { component, config, compiled } => compiled
                .get_or_init(|| {
                    let (adapter, _) = host.load(name, component, (**config).clone())?;
                    Ok(Arc::new(adapter) as Arc<dyn Adapter>)
                })
                .clone()
                .map_err(TargetOpenError::Load)?,
        };
        Ok(Resolved { adapter, grant: entry.grant.clone(), profile: entry.profile.clone() })
    }
}
