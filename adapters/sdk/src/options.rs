//! Typed option parsing with errors that name the offending option.

use serde::de::DeserializeOwned;

/// Parses a JSON object of options into `T`.
///
/// Errors read `options are not valid JSON: …`, `options must be a JSON object`, or
/// `<path>: <problem>` (e.g. `format: unknown variant `xml`, expected one of …`).
pub fn parse<T: DeserializeOwned>(opts: &str) -> Result<T, String> {
    let value: serde_json::Value =
        serde_json::from_str(opts).map_err(|e| format!("options are not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err("options must be a JSON object".to_owned());
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." { inner } else { format!("{path}: {inner}") }
    })
}

/// Fails with `<name>: must not be empty` when `value` is empty.
pub fn non_empty(name: &str, value: &str) -> Result<(), String> {
    if value.is_empty() { Err(format!("{name}: must not be empty")) } else { Ok(()) }
}
