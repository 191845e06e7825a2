//! Adapter manifests: how a custom component is described in the daemon's `[[adapters]]`
//! (or by an embedder): its name, file, tenant, limits and grants. Everything not granted
//! is denied; limits not given take the host's defaults.
//!
//! ```toml
//! [[adapters]]
//! name = "slack"
//! component = "adapters/slack.wasm"
//! tenant = "acme"
//! limits = { memory_bytes = 16777216, call_timeout = 5000, max_instances = 4 }
//! grants = { http = ["https://hooks.slack.com"], topics = ["alerts"], stdio = false }
//! # host keys its targets get when they leave them out (its profile, like a built-in's)
//! target_defaults = { retry_policy = { max_retries = 5 }, ordering = { key = "subject" } }
//! ```

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::host::{
    AdapterConfig, ChannelGrants, DEFAULT_TENANT_CONCURRENCY, Grant, HttpGrant, Limits, Stdio, TenantSpec,
};
use crate::outbound::OriginPattern;
use crate::target::AdapterProfile;

/// One custom adapter component and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdapterManifest {
    /// The adapter name targets use (`adapter = "…"`).
    pub name: String,
    /// Path of the component file (`.wasm`), relative to the config file's directory.
    pub component: PathBuf,
    /// The tenant that owns it (for operators; shown in listings and logs).
    #[serde(default)]
    pub tenant: Option<String>,
    /// Resource limits.
    #[serde(default)]
    pub limits: LimitsManifest,
    /// What it may reach.
    #[serde(default)]
    pub grants: GrantsManifest,
    /// Host keys (`retry_policy`, `circuit_breaker`, `ordering`, …) its targets get when
    /// they leave them out; see [`AdapterProfile`].
    #[serde(default)]
    pub target_defaults: serde_json::Map<String, serde_json::Value>,
    /// Options of its targets whose values are secret (shown as fingerprints), besides the
    /// common ones (`secret`, `token`, `password`, …).
    #[serde(default)]
    pub secret_options: Vec<String>,
}

/// `limits = { … }`; every key optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsManifest {
    /// Linear memory of one instance, in bytes.
    pub memory_bytes: Option<usize>,
    /// Wall time per call, in milliseconds.
    pub call_timeout: Option<u64>,
    /// Instances alive at once (deliveries in flight).
    pub max_instances: Option<usize>,
    /// Fuel per call (needs fuel metering in the engine; the daemon turns it on when any
    /// adapter sets this).
    pub fuel: Option<u64>,
    /// Log records per second.
    pub log_lines_per_second: Option<u32>,
    /// Largest `http` request body, in bytes.
    pub max_request_bytes: Option<usize>,
    /// Largest `http` response body, in bytes.
    pub max_response_bytes: Option<usize>,
    /// Calls in flight over all adapters of this adapter's tenant (the first adapter loaded
    /// for a tenant sets it; default 8).
    pub tenant_concurrency: Option<usize>,
}

/// `grants = { … }`; nothing is granted unless listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantsManifest {
    /// Origins (`https://host[:port]`, `https://*.example.com`) its `http` requests may reach.
    #[serde(default)]
    pub http: Vec<String>,
    /// Mailboxes it may send to (`pid-7`, `name`, `global:name`, `via:registry`).
    #[serde(default)]
    pub mailboxes: Vec<String>,
    /// Pubsub topics it may publish on.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Buses it may publish into.
    #[serde(default)]
    pub buses: Vec<String>,
    /// Whether its stdout/stderr reach the host's.
    #[serde(default)]
    pub stdio: bool,
    /// Whether it may import `wasi:filesystem` and `wasi:sockets` (an empty filesystem and no
    /// network; for toolchains that always import them).
    #[serde(default)]
    pub wasi_stubs: bool,
}

/// A manifest value is out of range or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("adapter `{adapter}`: {message}")]
pub struct ManifestError {
    /// The adapter's name.
    pub adapter: String,
    /// What is wrong, naming the key.
    pub message: String,
}

fn grant(names: &[String]) -> Grant {
    if names.is_empty() {
        Grant::Nothing
    } else {
        Grant::Only(names.iter().cloned().collect::<BTreeSet<_>>())
    }
}

impl crate::Runtime {
    /// Loads (or replaces, see [`Runtime::load_adapter`](crate::Runtime::load_adapter)) the
    /// component a manifest names, with its limits and grants; a relative `component` path is
    /// resolved against `base_dir` (the daemon passes its config file's directory).
    pub async fn load_manifest(
        &self,
        manifest: &AdapterManifest,
        base_dir: &std::path::Path,
    ) -> Result<crate::host::CacheOutcome, crate::host::LoadError> {
        let bytes = manifest.read_component(base_dir)?;
        let config = manifest.to_config().map_err(|e| crate::host::LoadError::Limits(e.message))?;
        let profile = manifest.profile().map_err(|e| crate::host::LoadError::Profile(e.message))?;
        self.load_adapter_with(&manifest.name, &bytes, config, profile).await
    }

    /// Loads (or replaces under its live targets, see
    /// [`Runtime::load_transform`](crate::Runtime::load_transform)) the transform a
    /// `[[transforms]]` manifest names: the same keys as an adapter's, of which a transform
    /// uses the limits, tenant and `stdio`/`wasi_stubs` grants
    /// ([`AdapterManifest::check_transform`] refuses the rest).
    pub async fn load_transform_manifest(
        &self,
        manifest: &AdapterManifest,
        base_dir: &std::path::Path,
    ) -> Result<crate::host::CacheOutcome, crate::host::LoadError> {
        manifest.check_transform().map_err(|e| crate::host::LoadError::Limits(e.message))?;
        let bytes = manifest.read_component(base_dir)?;
        let config = manifest.to_config().map_err(|e| crate::host::LoadError::Limits(e.message))?;
        self.load_transform(&manifest.name, &bytes, config).await
    }
}

impl AdapterManifest {
    /// The component's bytes; a relative path is resolved against `base_dir`.
    fn read_component(&self, base_dir: &std::path::Path) -> Result<Vec<u8>, crate::host::LoadError> {
        let path = if self.component.is_absolute() {
            self.component.clone()
        } else {
            base_dir.join(&self.component)
        };
        std::fs::read(&path)
            .map_err(|e| crate::host::LoadError::Read { path: path.clone(), message: e.to_string() })
    }

    /// Checks a `[[transforms]]` entry: transforms import neither `http` nor `channel` and
    /// have no targets of their own, so those grants and `target_defaults` are refused
    /// rather than ignored.
    pub fn check_transform(&self) -> Result<(), ManifestError> {
        let error =
            |message: &str| Err(ManifestError { adapter: self.name.clone(), message: message.to_owned() });
        let g = &self.grants;
        if !(g.http.is_empty() && g.mailboxes.is_empty() && g.topics.is_empty() && g.buses.is_empty()) {
            return error(
                "grants: a transform imports neither http nor channel; grant only stdio or wasi_stubs",
            );
        }
        if !self.target_defaults.is_empty() || !self.secret_options.is_empty() {
            return error("target_defaults, secret_options: belong to adapters, not transforms");
        }
        self.to_config().map(|_| ())
    }

    /// Its host profile (the `target_defaults`), checked.
    pub fn profile(&self) -> Result<AdapterProfile, ManifestError> {
        AdapterProfile::custom(self.target_defaults.clone(), self.secret_options.clone())
            .map_err(|message| ManifestError { adapter: self.name.clone(), message })
    }

    /// The runtime form: limits over the defaults, grants as listed.
    pub fn to_config(&self) -> Result<AdapterConfig, ManifestError> {
        let error = |message: String| ManifestError { adapter: self.name.clone(), message };
        let mut limits = Limits::default();
        if let Some(bytes) = self.limits.memory_bytes {
            if bytes < 1 << 16 {
                return Err(error(format!("limits.memory_bytes: must be at least 65536, got {bytes}")));
            }
            limits.memory_bytes = bytes;
        }
        if let Some(ms) = self.limits.call_timeout {
            if !(1..=300_000).contains(&ms) {
                return Err(error(format!("limits.call_timeout: must be 1..=300000 ms, got {ms}")));
            }
            limits.call_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = self.limits.max_instances {
            if !(1..=1024).contains(&n) {
                return Err(error(format!("limits.max_instances: must be 1..=1024, got {n}")));
            }
            limits.max_instances = n;
        }
        if let Some(fuel) = self.limits.fuel {
            if fuel == 0 {
                return Err(error("limits.fuel: must be at least 1".to_owned()));
            }
            limits.fuel = Some(fuel);
        }
        if let Some(rate) = self.limits.log_lines_per_second {
            limits.log_lines_per_second = rate;
        }
        limits.max_request_bytes = self.limits.max_request_bytes;
        limits.max_response_bytes = self.limits.max_response_bytes;
        let tenant = self.tenant.as_ref().map(|name| TenantSpec {
            name: name.clone(),
            max_concurrency: self.limits.tenant_concurrency.unwrap_or(DEFAULT_TENANT_CONCURRENCY),
        });
        let origins = self
            .grants
            .http
            .iter()
            .map(|o| OriginPattern::parse(o).map_err(|e| error(format!("grants.http: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AdapterConfig {
            limits,
            stdio: if self.grants.stdio { Stdio::Inherit } else { Stdio::Closed },
            channels: ChannelGrants {
                buses: grant(&self.grants.buses),
                mailboxes: grant(&self.grants.mailboxes),
                topics: grant(&self.grants.topics),
            },
            http: if origins.is_empty() { HttpGrant::Nothing } else { HttpGrant::Origins(origins) },
            tenant,
            wasi_stubs: self.grants.wasi_stubs,
        })
    }
}
