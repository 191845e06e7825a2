//! Adapter profiles: what an adapter brings to the host besides its code. Each built-in
//! declares its profile in `adapters/<name>/profile.toml` beside its code (embedded by the
//! build script); a custom adapter declares the target part in its manifest
//! (`target_defaults`), and its limits and grants there as before.
//!
//! ```toml
//! # adapters/webhook/profile.toml
//! call_timeout = 65000        # a delivery may wait for a 60 s request
//! max_instances = 512
//! [target_defaults]           # host keys a target gets when it leaves them out
//! retry_policy = { max_retries = 3 }
//! circuit_breaker = true
//! ```
//!
//! The profile never overrides a key a target sets: a target's own `retry_policy` replaces
//! the default one whole.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{HOST_KEYS, TargetSettings, TargetSpec};

/// An adapter's host profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AdapterProfile {
    /// The component's stdout and stderr reach the process's own (`console`); otherwise
    /// they are closed.
    #[serde(default)]
    pub stdio: bool,
    /// The least wall time per call, in milliseconds, for adapters whose delivery waits for
    /// a request or an acknowledgement (the host's default applies when larger).
    #[serde(default)]
    pub call_timeout: Option<u64>,
    /// The least number of instances alive at once (deliveries in flight over all targets).
    #[serde(default)]
    pub max_instances: Option<usize>,
    /// Host keys (`retry_policy`, `circuit_breaker`, `ordering`, …) a target of this adapter
    /// gets when it leaves them out.
    #[serde(default)]
    pub target_defaults: Map<String, Value>,
    /// Adapter options a target's host key `async = true` implies when the target leaves
    /// them out (`pid`, `named`: `await_ack = false`, as the spec's `async: true` means).
    #[serde(default)]
    pub async_options: Map<String, Value>,
    /// Options whose values are secret besides the common ones
    /// ([`SECRET_OPTIONS`](super::SECRET_OPTIONS)): admin responses, the CLI and dead-letter
    /// listings show a fingerprint instead.
    #[serde(default)]
    pub secret_options: Vec<String>,
}

impl AdapterProfile {
    /// A profile with these target defaults and nothing else (for custom and native
    /// adapters).
    pub fn with_target_defaults(target_defaults: Map<String, Value>) -> Result<Self, String> {
        AdapterProfile::custom(target_defaults, Vec::new())
    }

    /// A custom adapter's profile: its targets' defaults and its secret options.
    pub fn custom(target_defaults: Map<String, Value>, secret_options: Vec<String>) -> Result<Self, String> {
        let profile = AdapterProfile { target_defaults, secret_options, ..AdapterProfile::default() };
        profile.check()?;
        Ok(profile)
    }

    /// Parses a `profile.toml` and checks it.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let profile: AdapterProfile = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        profile.check()?;
        Ok(profile)
    }

    /// Every target default is a host key with a valid value.
    pub fn check(&self) -> Result<(), String> {
        if let Some(key) = self.target_defaults.keys().find(|k| !HOST_KEYS.contains(&k.as_str())) {
            return Err(format!("target_defaults.{key}: not a host key (known: {})", HOST_KEYS.join(", ")));
        }
        TargetSettings::parse(&self.target_defaults).map(drop).map_err(|e| format!("target_defaults.{e}"))
    }

    /// The target's host keys over this profile's defaults.
    pub fn host_keys(&self, spec: &TargetSpec) -> Map<String, Value> {
        let mut host = self.target_defaults.clone();
        host.extend(spec.host.clone());
        host
    }

    /// The target's adapter options as JSON text, with [`async_options`](Self::async_options)
    /// filled in when the target is `async` and leaves them out.
    pub fn options_json(&self, spec: &TargetSpec) -> String {
        let mut options = spec.options.clone();
        if spec.is_async() {
            for (key, value) in &self.async_options {
                options.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        Value::Object(options).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::{LaneOrdering, RetryPolicy};
    use serde_json::json;

    #[test]
    fn target_keys_win_over_the_profile_defaults() {
        let profile = AdapterProfile::from_toml(
            "[target_defaults]\nretry_policy = { max_retries = 3 }\nordering = \"strict\"\n",
        )
        .expect("valid");
        let spec = TargetSpec::new("x").with("ordering", json!("none"));
        let settings = TargetSettings::parse(&profile.host_keys(&spec)).expect("valid");
        assert_eq!(settings.retry, RetryPolicy::HTTP_DEFAULT);
        assert_eq!(settings.lane.ordering, LaneOrdering::None);
    }

    #[test]
    fn bad_profiles_are_refused_with_the_key() {
        let err = AdapterProfile::from_toml("[target_defaults]\nurl = \"http://x\"\n").expect_err("refused");
        assert!(err.starts_with("target_defaults.url: not a host key"), "{err}");
        let err =
            AdapterProfile::from_toml("[target_defaults]\nordering = \"sorted\"\n").expect_err("refused");
        assert!(err.starts_with("target_defaults.ordering: expected"), "{err}");
        let err = AdapterProfile::from_toml("stdoi = true\n").expect_err("refused");
        assert!(err.contains("stdoi"), "{err}");
    }

    #[test]
    fn async_implies_the_profiles_options_unless_the_target_sets_them() {
        let profile = AdapterProfile {
            async_options: Map::from_iter([("await_ack".to_owned(), json!(false))]),
            ..AdapterProfile::default()
        };
        let sync = TargetSpec::new("pid").with("target", json!("pid-1"));
        assert_eq!(profile.options_json(&sync), r#"{"target":"pid-1"}"#);
        let fire = sync.clone().with("async", json!(true));
        assert_eq!(profile.options_json(&fire), r#"{"await_ack":false,"target":"pid-1"}"#);
        let explicit = fire.with("await_ack", json!(true));
        assert_eq!(profile.options_json(&explicit), r#"{"await_ack":true,"target":"pid-1"}"#);
    }
}
