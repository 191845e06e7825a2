//! A target's host-level keys parsed once, into a typed struct, before its adapter is
//! called: every later step (lane scheduling, breaker, retries, batching, dead letters)
//! reads this struct instead of the raw JSON. Errors name the key and the value given
//! (`on_failure: expected a boolean, got "true"`).

use std::time::Duration;

use serde_json::{Map, Value};

use crate::resilience::{BreakerConfig, LaneSettings, RetryPolicy, batching};

/// The host-level settings of one target.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSettings {
    /// `on_failure`: receives only signals whose primary delivery finally failed.
    pub on_failure: bool,
    /// `async`: the dispatch API does not wait for this target.
    pub is_async: bool,
    /// `retry_policy` (no retries when absent everywhere).
    pub retry: RetryPolicy,
    /// `circuit_breaker` (`None`: no breaker).
    pub breaker: Option<BreakerConfig>,
    /// `batch_size` and `batch_timeout` (alias `flush_interval`).
    pub batching: Option<(usize, Duration)>,
    /// `max_in_flight`, `ordering`, `rate_limit`.
    pub lane: LaneSettings,
}

impl TargetSettings {
    /// Parses `host`: a target's keys over its adapter's
    /// [`target_defaults`](super::AdapterProfile::target_defaults).
    pub fn parse(host: &Map<String, Value>) -> Result<Self, String> {
        let retry = match host.get("retry_policy") {
            Some(value) => RetryPolicy::from_value(value)?,
            None => RetryPolicy::NONE,
        };
        let breaker = match host.get("circuit_breaker") {
            Some(value) => BreakerConfig::from_value(value)?,
            None => None,
        };
        Ok(TargetSettings {
            on_failure: boolean(host, "on_failure")?,
            is_async: boolean(host, "async")?,
            retry,
            breaker,
            batching: batching(host)?,
            lane: LaneSettings::parse(host)?,
        })
    }
}

/// A boolean host key; absent is `false`, anything but a boolean is an error.
pub fn boolean(host: &Map<String, Value>, key: &str) -> Result<bool, String> {
    match host.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!("{key}: expected a boolean, got {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<TargetSettings, String> {
        TargetSettings::parse(value.as_object().expect("object"))
    }

    #[test]
    fn keys_are_typed_and_absent_ones_mean_none() {
        let s =
            parse(json!({"on_failure": true, "retry_policy": {}, "circuit_breaker": true})).expect("valid");
        assert!(s.on_failure && !s.is_async);
        assert_eq!(s.retry, RetryPolicy::HTTP_DEFAULT);
        assert_eq!(s.breaker, Some(BreakerConfig::DEFAULT));
        let plain = parse(json!({})).expect("valid");
        assert_eq!((plain.retry, plain.breaker), (RetryPolicy::NONE, None));
    }

    #[test]
    fn a_string_where_a_boolean_belongs_is_refused_by_name() {
        for key in ["on_failure", "async"] {
            let err = parse(json!({ key: "true" })).expect_err("refused");
            assert_eq!(err, format!("{key}: expected a boolean, got \"true\""));
        }
    }
}
