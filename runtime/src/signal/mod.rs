//! The signal model: CloudEvents 1.0 events as the dispatcher carries them.
//!
//! A [`Signal`] is always valid: it is built by [`SignalBuilder::build`] or parsed by
//! [`Signal::from_json`], both of which apply the rules of the semantics decisions
//! (required `type` and `source`, "given but empty" errors, a monotonic UUIDv7 `id` and
//! the current `time` by default, `specversion` `1.0`).

mod builder;
mod data;
mod error;
mod id;
mod json;
pub(crate) mod validate;

pub use builder::SignalBuilder;
pub use data::{Data, JsonText};
pub use error::SignalError;
pub use id::new_id;
pub(crate) use validate::now;

use std::collections::BTreeMap;

/// The CloudEvents spec version this dispatcher emits.
pub const SPEC_VERSION: &str = "1.0";

/// The value of an extension attribute: CloudEvents' JSON format carries booleans and
/// integers natively and every other attribute type as a string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionValue {
    /// A string (also URIs, timestamps, base64 binary).
    Text(String),
    /// A boolean.
    Boolean(bool),
    /// An integer.
    Integer(i64),
}

/// A validated CloudEvents 1.0 event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// Unique id within `source`; a UUIDv7 unless the producer chose one.
    pub id: String,
    /// URI-reference naming the producer context.
    pub source: String,
    /// Dotted event type (`user.created`); what subscription patterns match.
    pub ty: String,
    /// Always [`SPEC_VERSION`].
    pub specversion: String,
    /// Subject within the source.
    pub subject: Option<String>,
    /// RFC 3339 timestamp.
    pub time: Option<String>,
    /// Media type of `data`.
    pub datacontenttype: Option<String>,
    /// URI of the data's schema.
    pub dataschema: Option<String>,
    /// Payload.
    pub data: Option<Data>,
    /// Extension attributes by name (lower-case alphanumeric).
    pub extensions: BTreeMap<String, ExtensionValue>,
}

impl Signal {
    /// Bytes the signal holds, roughly (attributes, extensions and data), for memory bounds.
    pub fn approximate_size(&self) -> usize {
        let optional = [&self.subject, &self.time, &self.datacontenttype, &self.dataschema]
            .iter()
            .map(|o| o.as_ref().map_or(0, String::len))
            .sum::<usize>();
        let extensions: usize = self
            .extensions
            .iter()
            .map(|(name, value)| name.len() + if let ExtensionValue::Text(t) = value { t.len() } else { 8 })
            .sum();
        self.id.len()
            + self.source.len()
            + self.ty.len()
            + optional
            + extensions
            + self.data.as_ref().map_or(0, Data::len)
    }

    /// Starts a signal of type `ty` from `source`; see [`SignalBuilder`].
    pub fn builder(ty: impl Into<String>, source: impl Into<String>) -> SignalBuilder {
        SignalBuilder::new(ty, source)
    }

    /// Parses one event in CloudEvents structured-mode JSON, filling defaults.
    pub fn from_json(text: &str) -> Result<Signal, SignalError> {
        json::parse(text, None)
    }

    /// Parses like [`Signal::from_json`], using `default_source` when `source` is absent.
    pub fn from_json_with_source(text: &str, default_source: &str) -> Result<Signal, SignalError> {
        json::parse(text, Some(default_source))
    }

    /// Parses a JSON value holding one structured-mode event.
    pub fn from_value(value: serde_json::Value, default_source: Option<&str>) -> Result<Signal, SignalError> {
        json::from_value(value, default_source)
    }

    /// Encodes the signal as one line of CloudEvents structured-mode JSON: extensions
    /// flattened, JSON data embedded, other data as `data_base64`.
    pub fn to_json(&self) -> String {
        json::encode(self)
    }
}

#[cfg(test)]
mod tests;
