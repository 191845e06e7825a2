//! Building the daemon's runtime from a configuration: egress, fuel, the dead-letter store
//! and the `[[adapters]]` components; and `config check`, which does the same without serving.

use std::sync::Arc;

use super::{Config, DaemonError};
use crate::outbound::IpNet;
use crate::{Runtime, RuntimeBuilder};

/// Checks a configuration without serving: loads its adapters and opens every target of
/// every subscription through its adapter's `validate-opts`. Returns (subscriptions, targets).
pub async fn check(config: &Config) -> Result<(usize, usize), DaemonError> {
    let runtime =
        build_runtime(config, Runtime::builder(), Arc::new(crate::dead_letter::MemoryStore::default()))
            .await?;
    let mut targets = 0;
    for (i, section) in config.subscriptions.iter().enumerate() {
        let specs = section
            .targets()
            .map_err(|e| DaemonError::Config(format!("subscriptions[{i}].dispatch: {e}")))?;
        crate::routing::Pattern::parse(&section.path)
            .map_err(|e| DaemonError::Config(format!("subscriptions[{i}].path: {e}")))?;
        for (j, spec) in specs.iter().enumerate() {
            runtime
                .open_target(spec)
                .await
                .map_err(|e| DaemonError::Config(format!("subscriptions[{i}].dispatch[{j}]: {e}")))?;
            targets += 1;
        }
    }
    Ok((config.subscriptions.len(), targets))
}

pub(super) async fn build_runtime(
    config: &Config,
    builder: RuntimeBuilder,
    dead_letters: Arc<dyn crate::dead_letter::DeadLetterStore>,
) -> Result<Runtime, DaemonError> {
    let allow = config
        .egress
        .allow_private
        .iter()
        .map(|net| IpNet::parse(net).map_err(|e| DaemonError::Config(format!("[egress] allow_private: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let builder = if config.adapters.iter().any(|a| a.limits.fuel.is_some()) {
        builder.engine(crate::host::EngineSettings { fuel: true, ..crate::host::EngineSettings::default() })
    } else {
        builder
    };
    let mut builder = builder;
    if let Some(endpoint) = &config.telemetry.otlp_endpoint {
        let telemetry = crate::telemetry::Telemetry::with_otlp(endpoint)
            .map_err(|e| DaemonError::Config(format!("[telemetry] otlp_endpoint: {e}")))?;
        builder = builder.telemetry(telemetry);
    }
    for (name, section) in &config.builtins {
        if !crate::builtin::all().iter().any(|b| b.name == name) {
            return Err(DaemonError::Config(format!("[builtins.{name}]: no built-in adapter of that name")));
        }
        if let Some(n) = section.max_instances {
            if !(1..=4096).contains(&n) {
                return Err(DaemonError::Config(format!(
                    "[builtins.{name}] max_instances: must be 1..=4096, got {n}"
                )));
            }
            builder = builder.builtin_max_instances(name, n);
        }
    }
    let runtime = builder
        .allow_private(allow)
        .dead_letter_store(dead_letters)
        .build()
        .map_err(|e| DaemonError::Config(e.to_string()))?;
    load_components(&runtime, config).await?;
    Ok(runtime)
}

/// Loads (or replaces under their live targets) the `[[adapters]]` and `[[transforms]]`
/// components; returns their names. An entry that cannot be loaded is an error naming it.
pub(super) async fn load_components(
    runtime: &Runtime,
    config: &Config,
) -> Result<(Vec<String>, Vec<String>), DaemonError> {
    let base = &config.base_dir;
    let named = |table: &str, i: usize, name: &str, error: crate::host::LoadError| {
        DaemonError::Config(format!("{table}[{i}] ({name}): {error}"))
    };
    for (i, manifest) in config.adapters.iter().enumerate() {
        let loaded = runtime.load_manifest(manifest, base).await;
        loaded.map_err(|e| named("adapters", i, &manifest.name, e))?;
    }
    for (i, manifest) in config.transforms.iter().enumerate() {
        let loaded = runtime.load_transform_manifest(manifest, base).await;
        loaded.map_err(|e| named("transforms", i, &manifest.name, e))?;
    }
    let names = |all: &[crate::manifest::AdapterManifest]| all.iter().map(|m| m.name.clone()).collect();
    Ok((names(&config.adapters), names(&config.transforms)))
}
