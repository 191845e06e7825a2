//! The daemon's TOML configuration: `[server]`, `[store]`, `[egress]`, `[cluster]`,
//! `[[adapters]]` and `[[subscriptions]]`. Unknown keys are errors naming the key and its
//! line; targets are written exactly as the spec writes them and checked by their adapters
//! when the daemon (or `config check`) opens them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::manifest::AdapterManifest;
use crate::routing::Filter;
use crate::target::{TargetError, TargetSpec};

/// The configuration used when `serve` is given no file: loopback, a SQLite store in the
/// data directory, the built-in adapters, and a console subscription for every signal.
pub const EMBEDDED_DEFAULT: &str = r#"
[server]
listen = "127.0.0.1:4000"

[[subscriptions]]
path = "**"
dispatch = { adapter = "console", format = "pretty" }
"#;

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// Not valid TOML, a wrong type, or an unknown key (the message names it and its line).
    #[error("{origin}: {message}")]
    Parse {
        /// The file (or "embedded defaults").
        origin: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("{origin}: {message}")]
    Invalid {
        /// The file.
        origin: String,
        /// What is wrong and where.
        message: String,
    },
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`.
    #[serde(default)]
    pub server: ServerConfig,
    /// `[store]`.
    #[serde(default)]
    pub store: StoreConfig,
    /// `[egress]`.
    #[serde(default)]
    pub egress: EgressConfig,
    /// `[cluster]`.
    #[serde(default)]
    pub cluster: Option<ClusterSection>,
    /// `[[adapters]]`: custom components.
    #[serde(default)]
    pub adapters: Vec<AdapterManifest>,
    /// `[[transforms]]`: custom transform components (same keys as `[[adapters]]`; only
    /// limits, tenant and the `stdio`/`wasi_stubs` grants apply).
    #[serde(default)]
    pub transforms: Vec<AdapterManifest>,
    /// `[[subscriptions]]`.
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionSection>,
    /// `[telemetry]`.
    #[serde(default)]
    pub telemetry: TelemetrySection,
    /// `[builtins.<name>]`: limits of the built-in adapters.
    #[serde(default)]
    pub builtins: std::collections::BTreeMap<String, BuiltinSection>,
    /// Directory that relative paths are resolved against (the config file's).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file it was read from (reloads read it again).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// `[telemetry]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySection {
    /// OTLP/HTTP collector base URL (e.g. `http://127.0.0.1:4318`): spans and metrics are
    /// exported there; none by default.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Listen address.
    pub listen: String,
    /// Bearer token required on `POST /signals` when set.
    pub ingress_token: Option<String>,
    /// Bearer token of the admin API; without one the admin API is off.
    pub admin_token: Option<String>,
    /// Largest request body, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Undelivered signals the store may hold before ingress answers 503.
    pub max_pending: usize,
    /// Bytes of undelivered signals the store may hold before ingress answers 503 (the
    /// same budget as `[store] max_bytes`, which wins when both are given).
    pub max_pending_bytes: usize,
    /// `source` given to signals that carry none (none by default: `source` is required).
    pub default_source: Option<String>,
    /// How long a graceful shutdown drains deliveries, in milliseconds.
    pub shutdown_timeout: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:4000".to_owned(),
            ingress_token: None,
            admin_token: None,
            max_body_bytes: 1 << 20,
            max_pending: 10_000_000,
            max_pending_bytes: 1 << 30,
            default_source: None,
            shutdown_timeout: 10_000,
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The SQLite file (default: `jido-dispatch.sqlite` in the data directory).
    pub path: Option<PathBuf>,
    /// Bytes of undelivered signals the store may hold before ingress answers 503
    /// (default: `[server] max_pending_bytes`, 1 GiB). Lanes keep their backlog here, not
    /// in memory, so this bounds disk, not RSS.
    pub max_bytes: Option<usize>,
    /// Keep every accepted signal and delivery attempt for the admin API (default true).
    pub attempt_log: Option<bool>,
    /// How long the history keeps signals and attempts: `"7d"` (default), `"24h"`, `"30m"`,
    /// `"90s"`.
    pub retention: Option<String>,
    /// Bytes the history may hold; the oldest rows go first (default 256 MiB).
    pub retention_bytes: Option<usize>,
    /// Where lanes keep their backlog: `"sqlite"` (the default: the file above) or
    /// `"jetstream"` (a work queue on the NATS servers of `[cluster] nats_url`, shared by
    /// every daemon with the same configuration; see `docs/scaling.md`).
    pub kind: Option<StoreKind>,
    /// JetStream: servers each signal is stored on before ingress answers 202 (1 or 3,
    /// default 1).
    pub replicas: Option<usize>,
    /// JetStream: prefix of the stream, consumer and subject names (default `jido`).
    pub prefix: Option<String>,
}

/// `[store] kind`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// One SQLite file per daemon.
    #[default]
    Sqlite,
    /// A NATS JetStream work queue shared by several daemons.
    Jetstream,
}

impl StoreConfig {
    /// The history's retention; errors name the key.
    pub fn retention(&self) -> Result<super::history::Retention, String> {
        let mut retention = super::history::Retention::default();
        if let Some(enabled) = self.attempt_log {
            retention.enabled = enabled;
        }
        if let Some(text) = &self.retention {
            retention.window = parse_span(text).map_err(|e| format!("[store] retention: {e}"))?;
        }
        if let Some(bytes) = self.retention_bytes {
            retention.max_bytes = bytes;
        }
        Ok(retention)
    }
}

pub use crate::resilience::parse_span;

/// `[builtins.<name>]`, e.g. `[builtins.webhook] max_instances = 256`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuiltinSection {
    /// Instances of the built-in alive at once (deliveries of all its targets in flight),
    /// 1..=4096 (defaults: `http`/`webhook` 512, others 16).
    pub max_instances: Option<usize>,
}

/// `[egress]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EgressConfig {
    /// Special ranges (loopback, private, link-local) http targets may reach.
    #[serde(default)]
    pub allow_private: Vec<String>,
}

/// `[cluster]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSection {
    /// NATS URL, or several separated by commas (the client fails over between them).
    pub nats_url: String,
    /// This node's name.
    #[serde(default)]
    pub node: Option<String>,
}

/// One `[[subscriptions]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionSection {
    /// The bus (default `"default"`).
    #[serde(default = "default_bus")]
    pub bus: String,
    /// The pattern, e.g. `user.*`.
    pub path: String,
    /// −100..100, default 0.
    #[serde(default)]
    pub priority: i32,
    /// Filters after the pattern (ANDed): `[{ exact = { source = "/orders" } }, { sql = "…" }]`.
    #[serde(default)]
    pub filters: Vec<Filter>,
    /// One target table or an array of them.
    pub dispatch: toml::Value,
}

fn default_bus() -> String {
    "default".to_owned()
}

impl SubscriptionSection {
    /// The targets, parsed (adapters check their options when opened).
    pub fn targets(&self) -> Result<Vec<TargetSpec>, TargetError> {
        let json = serde_json::to_value(&self.dispatch).map_err(|e| TargetError::Json(e.to_string()))?;
        TargetSpec::list_from_value(json)
    }
}

impl Config {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| ConfigError::Read { path: path.to_owned(), error })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut config = Config::parse(&text, &path.display().to_string(), base)?;
        config.source = Some(path.to_owned());
        Ok(config)
    }

    /// The embedded defaults.
    pub fn embedded() -> Config {
        Config::parse(EMBEDDED_DEFAULT, "embedded defaults", PathBuf::new())
            .unwrap_or_else(|e| unreachable!("the embedded defaults parse: {e}"))
    }

    /// Parses `text`; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, base_dir: PathBuf) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { origin: origin.to_owned(), message: e.to_string() })?;
        config.base_dir = base_dir;
        let invalid = |message: String| ConfigError::Invalid { origin: origin.to_owned(), message };
        for (i, sub) in config.subscriptions.iter().enumerate() {
            sub.targets().map_err(|e| invalid(format!("subscriptions[{i}].dispatch: {e}")))?;
        }
        for (i, adapter) in config.adapters.iter().enumerate() {
            adapter.to_config().map_err(|e| invalid(format!("adapters[{i}]: {e}")))?;
            adapter.profile().map_err(|e| invalid(format!("adapters[{i}]: {e}")))?;
        }
        for (i, transform) in config.transforms.iter().enumerate() {
            transform.check_transform().map_err(|e| invalid(format!("transforms[{i}]: {e}")))?;
        }
        super::queue::check(&config).map_err(invalid)?;
        if config.server.max_body_bytes == 0 {
            return Err(invalid("server.max_body_bytes: must be at least 1".to_owned()));
        }
        Ok(config)
    }

    /// A path from the file, resolved against the file's directory.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() { path.to_owned() } else { self.base_dir.join(path) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_example_and_the_embedded_defaults_parse() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml\n").expect("a toml block") + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("closed");
        let config =
            Config::parse(&readme[start..end], "README", PathBuf::new()).expect("the README example parses");
        assert_eq!(config.adapters[0].name, "slack");
        assert_eq!(config.subscriptions[0].targets().expect("targets").len(), 2);
        assert_eq!(Config::embedded().subscriptions.len(), 1);
    }

    #[test]
    fn retention_spans_parse_and_bad_ones_are_named() {
        let store = |text: &str| Config::parse(text, "t", PathBuf::new()).expect("parses").store.retention();
        let retention = store("[store]\nretention = \"24h\"\nretention_bytes = 1000\n").expect("valid");
        assert_eq!((retention.window, retention.max_bytes), (std::time::Duration::from_secs(86_400), 1000));
        assert!(retention.enabled, "on by default");
        assert!(!store("[store]\nattempt_log = false\n").expect("valid").enabled);
        for bad in ["soon", "7 weeks", "-1d", "d"] {
            let err = store(&format!("[store]\nretention = {bad:?}\n")).expect_err(bad);
            assert!(err.starts_with("[store] retention: expected a span like"), "{err}");
        }
        assert_eq!(parse_span("500ms"), Ok(std::time::Duration::from_millis(500)));
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        for (text, needle) in [
            ("[server]\nlisen = 1\n", "unknown field `lisen`"),
            ("[stor]\n", "unknown field `stor`"),
            (
                "[[subscriptions]]\npath = \"a\"\ndispatch = {adapter = \"noop\"}\ncolour = 1\n",
                "unknown field `colour`",
            ),
            (
                "[[adapters]]\nname = \"x\"\ncomponent = \"x.wasm\"\ngrants = { files = [] }\n",
                "unknown field `files`",
            ),
        ] {
            let err = Config::parse(text, "t.toml", PathBuf::new()).expect_err("refused").to_string();
            assert!(err.contains(needle) && err.contains("line"), "{err}");
        }
        let err = Config::parse("[[subscriptions]]\npath = \"a\"\ndispatch = [1]\n", "t", PathBuf::new());
        assert!(err.expect_err("refused").to_string().contains("subscriptions[0].dispatch"));
    }
}
