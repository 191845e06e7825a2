//! How one lane (one target of one subscription) schedules its deliveries:
//! `max_in_flight`, `ordering` and `rate_limit`, parsed with errors that name the key.
//!
//! Defaults follow the decisions: `http`, `webhook` and custom adapters deliver unordered,
//! 16 at once; the in-process adapters (`pid`, `named`, `pubsub`, `bus`, `console`,
//! `logger`, `noop`) deliver in strict order, one at a time.

use std::time::Duration;

use serde_json::{Map, Value};

/// In what order a lane delivers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LaneOrdering {
    /// Any order, up to `max_in_flight` at once.
    None,
    /// First in, first out, one in flight.
    Strict,
    /// First in, first out per value of this attribute or extension; different values in
    /// parallel. Signals without it share one key.
    Key(String),
}

/// `rate_limit = { per_second, burst }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second.
    pub per_second: f64,
    /// Largest number of tokens saved up (deliveries that may start at once after a pause).
    pub burst: u32,
}

/// A lane's scheduling settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneSettings {
    /// Deliveries in flight at once (1 under `strict`).
    pub max_in_flight: usize,
    /// Order guarantee.
    pub ordering: LaneOrdering,
    /// Token bucket, if any.
    pub rate_limit: Option<RateLimit>,
    /// `auto_pause_after`: the lane pauses itself after this long without a success.
    pub auto_pause_after: Option<Duration>,
}

/// Largest `max_in_flight` a target may ask for.
pub const MAX_IN_FLIGHT: u64 = 1024;

/// Default `max_in_flight` of unordered adapters.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 16;

/// Attribute names a key may not use (they are unique per signal, so a key on them is
/// the same as `"none"` but slower).
const CONTEXT_NAMES: &[&str] = &["id", "source", "type", "subject", "time", "dataschema", "datacontenttype"];

impl LaneSettings {
    /// Reads `max_in_flight`, `ordering` and `rate_limit` from a target's host keys (over
    /// its adapter's defaults, merged by the caller); absent: unordered, 16 in flight.
    pub fn parse(host: &Map<String, Value>) -> Result<Self, String> {
        let mut settings = LaneSettings {
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            ordering: LaneOrdering::None,
            rate_limit: None,
            auto_pause_after: None,
        };
        if let Some(value) = host.get("ordering") {
            settings.ordering = parse_ordering(value)?;
        }
        if let Some(value) = host.get("max_in_flight") {
            let n = value.as_u64().filter(|n| (1..=MAX_IN_FLIGHT).contains(n)).ok_or_else(|| {
                format!("max_in_flight: expected an integer 1..={MAX_IN_FLIGHT}, got {value}")
            })?;
            settings.max_in_flight = n as usize;
        }
        if settings.ordering == LaneOrdering::Strict {
            if settings.max_in_flight > 1 && host.contains_key("max_in_flight") {
                return Err(format!(
                    "max_in_flight: ordering \"strict\" delivers one at a time, got {}; use \
                     ordering = {{ key = \"…\" }} for ordered parallel delivery",
                    settings.max_in_flight
                ));
            }
            settings.max_in_flight = 1;
        }
        if let Some(value) = host.get("rate_limit") {
            settings.rate_limit = Some(parse_rate(value)?);
        }
        if let Some(value) = host.get("auto_pause_after") {
            settings.auto_pause_after = Some(super::parse_duration_key("auto_pause_after", value)?);
        }
        Ok(settings)
    }
}

fn parse_ordering(value: &Value) -> Result<LaneOrdering, String> {
    match value {
        Value::String(s) if s == "none" => Ok(LaneOrdering::None),
        Value::String(s) if s == "strict" => Ok(LaneOrdering::Strict),
        Value::Object(map) => {
            if let Some(other) = map.keys().find(|k| *k != "key") {
                return Err(format!("ordering.{other}: unknown key (known: key)"));
            }
            match map.get("key") {
                Some(Value::String(key)) if is_attribute_name(key) => {
                    if CONTEXT_NAMES.contains(&key.as_str()) && key != "subject" && key != "source" {
                        return Err(format!(
                            "ordering.key: {key:?} differs for every signal; use \"none\" instead"
                        ));
                    }
                    Ok(LaneOrdering::Key(key.clone()))
                }
                Some(other) => Err(format!(
                    "ordering.key: expected an attribute or extension name (lower-case letters and \
                     digits), got {other}"
                )),
                None => Err("ordering.key: required, e.g. { key = \"subject\" }".to_owned()),
            }
        }
        other => Err(format!(
            "ordering: expected \"none\", \"strict\" or {{ key = \"<attribute>\" }}, got {other}"
        )),
    }
}

fn is_attribute_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn parse_rate(value: &Value) -> Result<RateLimit, String> {
    let Value::Object(map) = value else {
        return Err(format!("rate_limit: expected {{ per_second, burst }}, got {value}"));
    };
    if let Some(other) = map.keys().find(|k| !matches!(k.as_str(), "per_second" | "burst")) {
        return Err(format!("rate_limit.{other}: unknown key (known: per_second, burst)"));
    }
    let per_second = match map.get("per_second") {
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite() && *n > 0.0 && *n <= 1e9)
            .ok_or_else(|| format!("rate_limit.per_second: expected a number > 0, got {v}"))?,
        None => return Err("rate_limit.per_second: required".to_owned()),
    };
    let burst = match map.get("burst") {
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| format!("rate_limit.burst: expected an integer 1..=1000000, got {v}"))?
            as u32,
        None => per_second.ceil().max(1.0) as u32,
    };
    Ok(RateLimit { per_second, burst })
}

impl RateLimit {
    /// The time one token takes to refill.
    pub fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: Value) -> Result<LaneSettings, String> {
        LaneSettings::parse(value.as_object().expect("object"))
    }

    #[test]
    fn defaults_and_strict_order() {
        let plain = parse(json!({})).expect("valid");
        assert_eq!((plain.ordering, plain.max_in_flight), (LaneOrdering::None, DEFAULT_MAX_IN_FLIGHT));
        let keyed = parse(json!({"ordering": {"key": "subject"}})).expect("valid");
        assert_eq!(keyed.ordering, LaneOrdering::Key("subject".to_owned()));
        assert_eq!(keyed.max_in_flight, DEFAULT_MAX_IN_FLIGHT);
        let strict = parse(json!({"ordering": "strict"})).expect("valid");
        assert_eq!(strict.max_in_flight, 1);
    }

    #[test]
    fn auto_pause_after_takes_a_span_or_milliseconds() {
        let s = parse(json!({"auto_pause_after": "24h"})).expect("valid");
        assert_eq!(s.auto_pause_after, Some(Duration::from_secs(86_400)));
        let s = parse(json!({"auto_pause_after": 0})).expect("valid");
        assert_eq!(s.auto_pause_after, Some(Duration::ZERO));
    }

    #[test]
    fn rate_limits_parse() {
        let s = parse(json!({"rate_limit": {"per_second": 10}})).expect("valid");
        assert_eq!(s.rate_limit, Some(RateLimit { per_second: 10.0, burst: 10 }));
        let s = parse(json!({"rate_limit": {"per_second": 0.5, "burst": 3}})).expect("valid");
        assert_eq!(s.rate_limit.map(|r| r.interval()), Some(Duration::from_secs(2)));
    }

    #[test]
    fn bad_values_name_the_key() {
        for (value, message) in [
            (json!({"max_in_flight": 0}), "max_in_flight: expected an integer 1..=1024, got 0"),
            (json!({"auto_pause_after": "soon"}), "auto_pause_after: expected a span like"),
            (json!({"auto_pause_after": -1}), "auto_pause_after: expected milliseconds"),
            (json!({"max_in_flight": "4"}), "max_in_flight: expected an integer"),
            (json!({"ordering": "fifo"}), "ordering: expected \"none\", \"strict\""),
            (json!({"ordering": {"key": "Subject"}}), "ordering.key: expected an attribute"),
            (json!({"ordering": {"key": "id"}}), "ordering.key: \"id\" differs for every signal"),
            (json!({"ordering": {"field": "x"}}), "ordering.field: unknown key"),
            (json!({"ordering": "strict", "max_in_flight": 4}), "max_in_flight: ordering \"strict\""),
            (json!({"rate_limit": 5}), "rate_limit: expected { per_second, burst }"),
            (json!({"rate_limit": {"per_second": 0}}), "rate_limit.per_second: expected a number > 0"),
            (json!({"rate_limit": {"per_second": 1, "burst": 0}}), "rate_limit.burst"),
            (json!({"rate_limit": {"burst": 2}}), "rate_limit.per_second: required"),
            (json!({"rate_limit": {"per_second": 1, "every": 2}}), "rate_limit.every: unknown key"),
        ] {
            let err = parse(value.clone()).expect_err("refused");
            assert!(err.contains(message), "{value}: {err}");
        }
    }
}
