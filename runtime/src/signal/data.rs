//! Signal payloads: JSON kept as JSON text, anything else as bytes.

use std::sync::Arc;

/// Validated JSON text, shared cheaply between deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(Arc<str>);

impl JsonText {
    /// Checks that `text` is one JSON value and keeps it as it is.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let raw: &serde_json::value::RawValue = serde_json::from_str(text)?;
        Ok(JsonText(Arc::from(raw.get())))
    }

    /// Serialises `value` compactly.
    pub fn from_value(value: &serde_json::Value) -> Self {
        JsonText(Arc::from(value.to_string()))
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Parses the text into a [`serde_json::Value`].
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

/// A signal's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data {
    /// JSON data; structured mode embeds it as `data`.
    Json(JsonText),
    /// Binary data; structured mode carries it as `data_base64`.
    Binary(Arc<[u8]>),
}

impl Data {
    /// JSON data from a value.
    pub fn json(value: &serde_json::Value) -> Self {
        Data::Json(JsonText::from_value(value))
    }

    /// Binary data from bytes.
    pub fn binary(bytes: impl Into<Arc<[u8]>>) -> Self {
        Data::Binary(bytes.into())
    }

    /// Size of the payload in bytes (JSON text length or byte count).
    pub fn len(&self) -> usize {
        match self {
            Data::Json(text) => text.as_str().len(),
            Data::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
