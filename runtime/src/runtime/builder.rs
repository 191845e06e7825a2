//! [`RuntimeBuilder`]: engine, compile cache, built-ins, stdio and HTTP settings.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::breakers::Breakers;
use super::buses::Buses;
use super::messaging::Messaging;
use super::registry::AdapterRegistry;
use super::transforms::TransformRegistry;
use super::{Inner, Runtime};
use crate::builtin;
use crate::dead_letter::{DeadLetterStore, MemoryStore};
use crate::host::{
    AdapterConfig, AdapterHost, ChannelBackend, ChannelGrants, CompileCache, EngineSettings, HostError,
    HttpGrant, Stdio,
};
use crate::outbound::{HttpSettings, IpNet};
use crate::target::AdapterProfile;
use crate::telemetry::Telemetry;

/// Builds a [`Runtime`].
#[derive(Clone)]
pub struct RuntimeBuilder {
    engine: EngineSettings,
    cache_dir: Option<PathBuf>,
    builtins: bool,
    console_stdio: Stdio,
    adapter_config: AdapterConfig,
    http: HttpSettings,
    dead_letters: Arc<dyn DeadLetterStore>,
    max_instances: HashMap<String, usize>,
    telemetry: Arc<Telemetry>,
}

impl std::fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("engine", &self.engine)
            .field("cache_dir", &self.cache_dir)
            .finish_non_exhaustive()
    }
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
            dead_letters: Arc::new(MemoryStore::default()),
            max_instances: HashMap::new(),
            telemetry: Arc::default(),
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

    /// Instances of built-in adapter `name` alive at once (default: its `profile.toml`'s
    /// `max_instances`, 512 for `http` and `webhook`, else 16). An instance is
    /// held for a whole delivery, its HTTP wait included; instances are shared fairly
    /// between the adapter's targets.
    pub fn builtin_max_instances(mut self, name: &str, count: usize) -> Self {
        self.max_instances.insert(name.to_owned(), count.max(1));
        self
    }

    /// Special address ranges (loopback, private, link-local) that http targets may reach;
    /// none by default. The equivalent of `[egress] allow_private`.
    pub fn allow_private(mut self, networks: Vec<IpNet>) -> Self {
        self.http.address_policy.allow_private = networks;
        self
    }

    /// Where final failures are recorded (default: in memory).
    pub fn dead_letter_store(mut self, store: Arc<dyn DeadLetterStore>) -> Self {
        self.dead_letters = store;
        self
    }

    /// The telemetry hub, e.g. [`Telemetry::with_otlp`] to export spans and metrics
    /// (default: events, metrics and trace propagation, nothing exported).
    pub fn telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = Arc::new(telemetry);
        self
    }

    /// All HTTP settings (address policy, body caps, timeouts).
    pub fn http(mut self, settings: HttpSettings) -> Self {
        self.http = settings;
        self
    }

    /// Starts the engine and registers the built-ins (compiled lazily, on first use), each
    /// with the limits its `profile.toml` asks for.
    pub fn build(self) -> Result<Runtime, HostError> {
        let host = AdapterHost::with_http(&self.engine, CompileCache::new(self.cache_dir), self.http)?;
        let adapters = AdapterRegistry::default();
        if self.builtins {
            for builtin in builtin::all() {
                let profile = AdapterProfile::from_toml(builtin.profile)
                    .map_err(|message| HostError::Profile { adapter: builtin.name.to_owned(), message })?;
                let mut config = self.adapter_config.clone();
                config.stdio = if profile.stdio { self.console_stdio.clone() } else { Stdio::Closed };
                // Built-ins reach what their (operator-written) options name.
                config.channels = ChannelGrants::everything();
                config.http = HttpGrant::FromOptions;
                // The operator's own adapters run at full speed however long a call takes,
                // and log as much as their targets ask (`logger` logs every signal).
                config.limits.throttle_long_calls = false;
                config.limits.log_lines_per_second = u32::MAX;
                if let Some(ms) = profile.call_timeout {
                    config.limits.call_timeout = config.limits.call_timeout.max(Duration::from_millis(ms));
                }
                if let Some(count) = profile.max_instances {
                    config.limits.max_instances = config.limits.max_instances.max(count);
                }
                if let Some(&count) = self.max_instances.get(builtin.name) {
                    config.limits.max_instances = count;
                }
                adapters.insert_builtin(builtin.name, builtin.component, config, profile);
            }
        }
        let transforms = TransformRegistry::default();
        if self.builtins {
            for builtin in builtin::transforms() {
                transforms.insert_builtin(builtin.name, builtin.component);
            }
        }
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| Inner {
            host: host.with_channel_backend(weak.clone() as Weak<dyn ChannelBackend>),
            adapters,
            transforms,
            buses: Buses::default(),
            breakers: Breakers::default(),
            dead_letters: self.dead_letters,
            telemetry: self.telemetry,
            messaging: Messaging::default(),
            detached: Arc::default(),
        });
        Ok(Runtime { inner })
    }
}

#[cfg(all(test, feature = "builtin-adapters"))]
mod tests {
    use crate::resilience::{LaneOrdering, RetryPolicy};
    use crate::target::TargetSettings;

    /// decisions.md: `http`/`webhook` retry 3 times behind a breaker, unordered; the
    /// in-process built-ins deliver in strict order without retries.
    #[test]
    fn builtin_profiles_give_the_decided_defaults() {
        let runtime = super::Runtime::builder().build().expect("runtime");
        for name in runtime.adapter_names() {
            let profile = runtime.adapter_profile(&name).expect("registered");
            let settings = TargetSettings::parse(&profile.target_defaults).expect("valid defaults");
            let http = matches!(name.as_str(), "http" | "webhook");
            assert_eq!(settings.retry == RetryPolicy::HTTP_DEFAULT, http, "{name}");
            assert_eq!(settings.breaker.is_some(), http, "{name}");
            assert_eq!(settings.lane.ordering == LaneOrdering::Strict, !http, "{name}");
            assert_eq!(profile.stdio, name == "console", "{name}");
            assert_eq!(
                profile.async_options.contains_key("await_ack"),
                matches!(name.as_str(), "pid" | "named")
            );
        }
    }
}
