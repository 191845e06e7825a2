//! `retry_policy`: how many times, and after which delays, a retryable failure is retried.
//!
//! Delay before retry n (1-based): exponential `base_delay·2^(n−1)`, linear `base_delay·n`,
//! constant `base_delay`, capped at `max_delay`; `jitter = true` draws uniformly from
//! `[0, delay]` (full jitter). A receiver's `Retry-After` replaces the computed delay, capped
//! at `max_delay`. Only retryable failures are retried: the adapter classifies, the host
//! schedules.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};

/// How delays grow between retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backoff {
    /// `base_delay · 2^(n−1)`.
    Exponential,
    /// `base_delay · n`.
    Linear,
    /// `base_delay`.
    Constant,
}

/// A target's retry policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Growth of the delay.
    pub backoff: Backoff,
    /// The first delay.
    pub base_delay: Duration,
    /// The longest delay (also caps `Retry-After`).
    pub max_delay: Duration,
    /// Full jitter: each delay drawn uniformly from `[0, delay]`.
    pub jitter: bool,
}

/// The largest `max_retries` accepted.
pub const MAX_RETRIES: u64 = 100;
/// The largest delay accepted, in ms (one day).
pub const MAX_DELAY_MS: u64 = 86_400_000;

impl RetryPolicy {
    /// No retries (the default for adapters other than `http` and `webhook`).
    pub const NONE: RetryPolicy = RetryPolicy {
        max_retries: 0,
        backoff: Backoff::Exponential,
        base_delay: Duration::from_millis(1000),
        max_delay: Duration::from_millis(30_000),
        jitter: true,
    };

    /// The default for `http` and `webhook`: 3 retries, exponential, 1 s to 30 s, jitter;
    /// also the values a partly written `retry_policy` starts from.
    pub const HTTP_DEFAULT: RetryPolicy = RetryPolicy { max_retries: 3, ..RetryPolicy::NONE };

    /// Parses a `retry_policy` object; errors name the key (`retry_policy.backoff: …`).
    pub fn from_value(value: &Value) -> Result<RetryPolicy, String> {
        let Value::Object(map) = value else {
            return Err(format!("retry_policy: expected an object like {{\"max_retries\": 3}}, got {value}"));
        };
        let mut policy = RetryPolicy::HTTP_DEFAULT;
        for (key, value) in map {
            match key.as_str() {
                "max_retries" => policy.max_retries = number(map, key, 0, MAX_RETRIES)? as u32,
                "base_delay" => policy.base_delay = Duration::from_millis(number(map, key, 0, MAX_DELAY_MS)?),
                "max_delay" => policy.max_delay = Duration::from_millis(number(map, key, 0, MAX_DELAY_MS)?),
                "jitter" => {
                    policy.jitter = value
                        .as_bool()
                        .ok_or_else(|| format!("retry_policy.jitter: expected true or false, got {value}"))?;
                }
                "backoff" => {
                    policy.backoff = match value.as_str() {
                        Some("exponential") => Backoff::Exponential,
                        Some("linear") => Backoff::Linear,
                        Some("constant") => Backoff::Constant,
                        _ => {
                            return Err(format!(
                                "retry_policy.backoff: expected \"exponential\", \"linear\" or \"constant\", got {value}"
                            ));
                        }
                    };
                }
                other => {
                    return Err(format!(
                        "retry_policy.{other}: unknown key (known: max_retries, backoff, base_delay, max_delay, jitter)"
                    ));
                }
            }
        }
        if policy.max_delay < policy.base_delay {
            return Err("retry_policy.max_delay: must not be less than base_delay".to_owned());
        }
        Ok(policy)
    }

    /// The delay before retry `retry` (1-based), before jitter and `Retry-After`.
    pub fn delay(&self, retry: u32) -> Duration {
        let base = self.base_delay;
        let raw = match self.backoff {
            Backoff::Constant => base,
            Backoff::Linear => base.saturating_mul(retry),
            Backoff::Exponential => base.saturating_mul(2u32.saturating_pow(retry.saturating_sub(1))),
        };
        raw.min(self.max_delay)
    }

    /// The wait before retry `retry`: the receiver's `retry_after` if it gave one (capped
    /// at `max_delay`), else [`RetryPolicy::delay`] with full jitter when enabled. `draw(n)`
    /// returns a uniform integer in `[0, n]`.
    pub fn wait(&self, retry: u32, retry_after: Option<Duration>, draw: impl FnOnce(u64) -> u64) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.max_delay);
        }
        let delay = self.delay(retry);
        if self.jitter {
            let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            Duration::from_millis(draw(ms).min(ms))
        } else {
            delay
        }
    }
}

fn number(map: &Map<String, Value>, key: &str, min: u64, max: u64) -> Result<u64, String> {
    map.get(key)
        .and_then(Value::as_u64)
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("retry_policy.{key}: expected an integer {min}..={max}, got {}", map[key]))
}

/// A uniform draw in `[0, n]` from a process-wide splitmix64 sequence (jitter needs
/// spread, not cryptographic quality).
pub fn uniform(n: u64) -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    let mut z = seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    if n == u64::MAX { z } else { z % (n + 1) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|m| Duration::from_millis(*m)).collect()
    }

    fn policy(backoff: Backoff, base: u64, max: u64) -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            backoff,
            base_delay: Duration::from_millis(base),
            max_delay: Duration::from_millis(max),
            jitter: false,
        }
    }

    #[test]
    fn delays_follow_the_backoff_and_are_capped() {
        let delays = |p: RetryPolicy| (1..=5).map(|n| p.delay(n)).collect::<Vec<_>>();
        assert_eq!(delays(policy(Backoff::Exponential, 100, 1000)), ms(&[100, 200, 400, 800, 1000]));
        assert_eq!(delays(policy(Backoff::Linear, 100, 350)), ms(&[100, 200, 300, 350, 350]));
        assert_eq!(delays(policy(Backoff::Constant, 100, 1000)), ms(&[100, 100, 100, 100, 100]));
        assert_eq!(policy(Backoff::Exponential, 1000, 30_000).delay(64), Duration::from_millis(30_000));
    }

    #[test]
    fn retry_after_wins_but_is_capped() {
        let p = policy(Backoff::Exponential, 100, 2000);
        assert_eq!(p.wait(1, Some(Duration::from_millis(700)), |_| 0), Duration::from_millis(700));
        assert_eq!(p.wait(1, Some(Duration::from_secs(60)), |_| 0), Duration::from_millis(2000));
    }

    #[test]
    fn full_jitter_stays_within_zero_and_the_delay() {
        let p = RetryPolicy { jitter: true, ..policy(Backoff::Exponential, 100, 10_000) };
        for retry in 1..=5 {
            let cap = p.delay(retry);
            for _ in 0..200 {
                assert!(p.wait(retry, None, uniform) <= cap);
            }
        }
        assert_eq!(p.wait(3, None, |n| n), Duration::from_millis(400), "the top of the range is the delay");
        assert_eq!(p.wait(3, None, |_| 0), Duration::ZERO);
    }

    #[test]
    fn policies_parse_with_defaults_and_named_errors() {
        let parsed =
            RetryPolicy::from_value(&json!({"max_retries": 2, "backoff": "linear", "jitter": false}))
                .expect("valid");
        assert_eq!(
            parsed,
            RetryPolicy {
                max_retries: 2,
                backoff: Backoff::Linear,
                jitter: false,
                ..RetryPolicy::HTTP_DEFAULT
            }
        );
        let bad = [
            (json!({"backoff": "fibonacci"}), "retry_policy.backoff: expected"),
            (json!({"max_retries": -1}), "retry_policy.max_retries: expected an integer 0..=100"),
            (json!({"max_retries": 101}), "retry_policy.max_retries"),
            (json!({"base_delay": "1s"}), "retry_policy.base_delay"),
            (
                json!({"base_delay": 5000, "max_delay": 1000}),
                "retry_policy.max_delay: must not be less than base_delay",
            ),
            (json!({"jitter": "yes"}), "retry_policy.jitter"),
            (json!({"retries": 3}), "retry_policy.retries: unknown key"),
            (json!(3), "retry_policy: expected an object"),
        ];
        for (value, message) in bad {
            let err = RetryPolicy::from_value(&value).expect_err("refused");
            assert!(err.contains(message), "{value}: {err}");
        }
    }
}
