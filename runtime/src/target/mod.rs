//! Dispatch targets as data: an adapter name, the adapter's own options, and the
//! host-level keys of the spec (`retry_policy`, `on_failure`, `batch_size`, …) side by
//! side in one JSON/TOML table, exactly as users write them. [`TargetSettings`] is the
//! typed form of the host keys.

pub(crate) mod delivery;
mod health;
mod opened;
mod profile;
mod redact;
mod settings;
mod transformed;

pub(crate) use health::DeliveryRecord;
pub use health::{Health, HealthStatus};
pub use opened::Target;
pub use profile::AdapterProfile;
pub use redact::{SECRET_OPTIONS, fingerprint, is_credential_header};
pub(crate) use redact::{scrub, secret_values};
pub use settings::TargetSettings;

use serde_json::{Map, Value};

use crate::adapter::OptionsError;
use crate::host::LoadError;

/// Keys the host interprets itself; they are never passed to the adapter.
pub const HOST_KEYS: &[&str] = &[
    "retry_policy",
    "circuit_breaker",
    "on_failure",
    "batch_size",
    "batch_timeout",
    "flush_interval",
    "pool",
    "pool_size",
    "pool_timeout",
    "async",
    "max_in_flight",
    "ordering",
    "rate_limit",
    "auto_pause_after",
    "on_pause",
    "transform",
    "transform_options",
];

/// Host-level keys of the spec that this version does not act on yet. A target that uses
/// one is refused rather than silently delivered without the guarantee it asked for.
pub const NOT_YET_SUPPORTED: &[&str] = &[];

/// A target description could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Not JSON.
    #[error("target is not valid JSON: {0}")]
    Json(String),
    /// Not an object (or an array of objects where several are allowed).
    #[error("a target must be a JSON object like {{\"adapter\": \"console\"}}{0}")]
    NotAnObject(&'static str),
    /// No usable `adapter` key.
    #[error("a target needs an `adapter` key naming the adapter, e.g. {{\"adapter\": \"console\"}}")]
    MissingAdapter,
}

/// One dispatch target: `{ "adapter": "webhook", "url": "…", "retry_policy": {…} }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    /// The adapter's name.
    pub adapter: String,
    /// The adapter's own options.
    pub options: Map<String, Value>,
    /// Host-level keys (see [`HOST_KEYS`]).
    pub host: Map<String, Value>,
}

impl TargetSpec {
    /// A target of `adapter` with no options.
    pub fn new(adapter: impl Into<String>) -> Self {
        TargetSpec { adapter: adapter.into(), options: Map::new(), host: Map::new() }
    }

    /// Adds an option (host-level keys go to [`TargetSpec::host`]).
    pub fn with(mut self, key: &str, value: Value) -> Self {
        if HOST_KEYS.contains(&key) {
            self.host.insert(key.to_owned(), value);
        } else {
            self.options.insert(key.to_owned(), value);
        }
        self
    }

    /// Parses one target object.
    pub fn from_value(value: Value) -> Result<Self, TargetError> {
        let Value::Object(mut obj) = value else {
            return Err(TargetError::NotAnObject(""));
        };
        let adapter = match obj.remove("adapter") {
            Some(Value::String(name)) if !name.is_empty() => name,
            _ => return Err(TargetError::MissingAdapter),
        };
        let mut spec = TargetSpec::new(adapter);
        for (key, value) in obj {
            spec = spec.with(&key, value);
        }
        Ok(spec)
    }

    /// Parses one target object, or an array of them.
    pub fn list_from_json(text: &str) -> Result<Vec<Self>, TargetError> {
        let value: Value = serde_json::from_str(text).map_err(|e| TargetError::Json(e.to_string()))?;
        Self::list_from_value(value)
    }

    /// One target object, or an array of them, as a JSON value.
    pub fn list_from_value(value: Value) -> Result<Vec<Self>, TargetError> {
        match value {
            Value::Array(items) if items.is_empty() => Err(TargetError::NotAnObject(" (the list is empty)")),
            Value::Array(items) => items.into_iter().map(Self::from_value).collect(),
            other => Ok(vec![Self::from_value(other)?]),
        }
    }

    /// The whole target as one JSON object (`adapter`, options and host keys side by side),
    /// the form [`TargetSpec::from_value`] reads.
    pub fn to_value(&self) -> Value {
        let mut all = self.options.clone();
        all.extend(self.host.clone());
        all.insert("adapter".to_owned(), Value::String(self.adapter.clone()));
        Value::Object(all)
    }

    /// The adapter options as a JSON object text.
    pub fn options_json(&self) -> String {
        Value::Object(self.options.clone()).to_string()
    }

    /// The first host-level key this version cannot honour yet, if any.
    pub fn unsupported_key(&self) -> Option<&'static str> {
        NOT_YET_SUPPORTED.iter().copied().find(|key| self.host.contains_key(*key))
    }

    /// Whether this target only receives signals whose primary delivery finally failed
    /// (`on_failure = true`). A non-boolean value counts as `false` here; opening the
    /// target refuses it ([`TargetSettings`]).
    pub fn is_on_failure(&self) -> bool {
        settings::boolean(&self.host, "on_failure").unwrap_or(false)
    }

    /// Whether the caller should not wait for this target (`async = true`); see
    /// [`TargetSpec::is_on_failure`] for non-boolean values.
    pub fn is_async(&self) -> bool {
        settings::boolean(&self.host, "async").unwrap_or(false)
    }
}

/// Why a target could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn host_keys_are_split_from_adapter_options() {
        let spec = TargetSpec::from_value(json!({
            "adapter": "webhook", "url": "http://x", "retry_policy": {"max_retries": 1}, "async": true
        }))
        .expect("valid target");
        assert_eq!(spec.adapter, "webhook");
        assert_eq!(spec.options_json(), r#"{"url":"http://x"}"#);
        assert!(spec.host.contains_key("retry_policy"));
        assert!(spec.is_async());
    }

    #[test]
    fn a_target_without_adapter_is_refused() {
        assert_eq!(TargetSpec::from_value(json!({"url": "x"})), Err(TargetError::MissingAdapter));
        assert_eq!(TargetSpec::from_value(json!({"adapter": ""})), Err(TargetError::MissingAdapter));
    }

    #[test]
    fn a_list_of_targets_parses_in_order() {
        let list =
            TargetSpec::list_from_json(r#"[{"adapter":"noop"},{"adapter":"console"}]"#).expect("valid");
        let names: Vec<_> = list.iter().map(|t| t.adapter.as_str()).collect();
        assert_eq!(names, ["noop", "console"]);
        assert!(TargetSpec::list_from_json("[]").is_err());
        assert!(matches!(TargetSpec::list_from_json("{"), Err(TargetError::Json(_))));
    }
}
