//! Spans of time as configured: `"7d"`, `"24h"`, `"30m"`, `"90s"`, `"500ms"`.

use std::time::Duration;

/// Parses a span such as `"7d"`, `"24h"`, `"30m"`, `"90s"` or `"500ms"`.
pub fn parse_span(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let expected = || format!("expected a span like \"7d\", \"24h\", \"30m\" or \"90s\", got {text:?}");
    let number: u64 = number.parse().map_err(|_| expected())?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(number)),
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(expected()),
    };
    number.checked_mul(seconds).map(Duration::from_secs).ok_or_else(expected)
}

/// A duration host key: milliseconds as a number, or a span string; errors name `key`.
pub(crate) fn parse_duration_key(key: &str, value: &serde_json::Value) -> Result<Duration, String> {
    match value {
        serde_json::Value::String(text) => parse_span(text).map_err(|e| format!("{key}: {e}")),
        other => other
            .as_u64()
            .map(Duration::from_millis)
            .ok_or_else(|| format!("{key}: expected milliseconds or a span like \"24h\", got {other}")),
    }
}
