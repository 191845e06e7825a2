//! `batch_size` with `batch_timeout` (alias `flush_interval`): how a target's lane groups
//! signals into `deliver-batch` calls.

use std::time::Duration;

use serde_json::{Map, Value};

/// How long a partial batch waits for more signals when `batch_timeout` is not given.
pub const DEFAULT_BATCH_TIMEOUT: Duration = Duration::from_millis(1000);

/// Reads the batching keys of a target's host keys: `None` when the target does not batch.
pub fn batching(host: &Map<String, Value>) -> Result<Option<(usize, Duration)>, String> {
    let timeout = match (host.get("batch_timeout"), host.get("flush_interval")) {
        (Some(a), Some(b)) if a != b => {
            return Err(
                "batch_timeout, flush_interval: they are the same setting; give one (or equal values)"
                    .to_owned(),
            );
        }
        (Some(v), _) => Some(millis("batch_timeout", v)?),
        (None, Some(v)) => Some(millis("flush_interval", v)?),
        (None, None) => None,
    };
    let Some(size) = host.get("batch_size") else {
        return match timeout {
            Some(_) => Err("batch_timeout: needs batch_size".to_owned()),
            None => Ok(None),
        };
    };
    let size = size
        .as_u64()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| format!("batch_size: expected an integer 1..=10000, got {size}"))?;
    Ok(Some((size as usize, timeout.unwrap_or(DEFAULT_BATCH_TIMEOUT))))
}

fn millis(key: &str, value: &Value) -> Result<Duration, String> {
    value
        .as_u64()
        .filter(|n| (1..=3_600_000).contains(n))
        .map(Duration::from_millis)
        .ok_or_else(|| format!("{key}: expected milliseconds 1..=3600000, got {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn host(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn batching_keys_parse_and_check() {
        assert_eq!(batching(&host(json!({}))), Ok(None));
        assert_eq!(batching(&host(json!({"batch_size": 100}))), Ok(Some((100, DEFAULT_BATCH_TIMEOUT))));
        let with_timeout = Ok(Some((10, Duration::from_millis(250))));
        assert_eq!(batching(&host(json!({"batch_size": 10, "batch_timeout": 250}))), with_timeout);
        assert_eq!(batching(&host(json!({"batch_size": 10, "flush_interval": 250}))), with_timeout);
        for (value, message) in [
            (json!({"batch_size": 0}), "batch_size: expected an integer 1..=10000"),
            (json!({"batch_timeout": 100}), "batch_timeout: needs batch_size"),
            (json!({"batch_size": 5, "batch_timeout": 1, "flush_interval": 2}), "same setting"),
            (json!({"batch_size": 5, "flush_interval": "1s"}), "flush_interval: expected milliseconds"),
        ] {
            let err = batching(&host(value.clone())).expect_err("refused");
            assert!(err.contains(message), "{value}: {err}");
        }
    }
}
