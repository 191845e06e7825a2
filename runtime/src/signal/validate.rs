//! The attribute rules shared by the builder and the JSON parser.

use super::{SPEC_VERSION, SignalError};

/// Accepts `1.0` and Jido's `1.0.2`; either way the signal carries `1.0`.
pub fn specversion(value: &str) -> Result<String, SignalError> {
    match value {
        "1.0" | "1.0.2" => Ok(SPEC_VERSION.to_owned()),
        other => Err(SignalError::SpecVersion(other.to_owned())),
    }
}

/// A required attribute: present and non-empty.
pub fn required(name: &'static str, value: Option<String>) -> Result<String, SignalError> {
    match value {
        None => Err(SignalError::Missing(name)),
        Some(v) if v.is_empty() => Err(SignalError::Empty(name.to_owned())),
        Some(v) => Ok(v),
    }
}

/// An optional attribute: absent, or non-empty.
pub fn optional(name: &str, value: Option<String>) -> Result<Option<String>, SignalError> {
    match value {
        Some(v) if v.is_empty() => Err(SignalError::Empty(name.to_owned())),
        other => Ok(other),
    }
}

/// `time`: an RFC 3339 timestamp, or now (UTC) when absent.
pub fn time(value: Option<String>) -> Result<String, SignalError> {
    use time::format_description::well_known::Rfc3339;
    match optional("time", value)? {
        Some(t) => match time::OffsetDateTime::parse(&t, &Rfc3339) {
            Ok(_) => Ok(t),
            Err(_) => Err(SignalError::Time(t)),
        },
        None => Ok(now()),
    }
}

/// The current time in RFC 3339 (UTC).
pub fn now() -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Extension names are lower-case ASCII letters and digits, and not a context attribute.
pub fn extension_name(name: &str) -> Result<(), SignalError> {
    let valid = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !matches!(name, "data" | "data_base64");
    if valid { Ok(()) } else { Err(SignalError::ExtensionName(name.to_owned())) }
}
