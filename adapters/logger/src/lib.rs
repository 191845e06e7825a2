//! The `logger` adapter: writes one structured log record per signal through the host's
//! `log` import (which feeds the host's `tracing` subscriber).
//!
//! `format` is a template with `$id $type $source $subject $time $data`; `metadata` names
//! extra fields to attach: signal attributes, extension attributes or top-level keys of
//! JSON data.

mod template;

use jido_dispatch_sdk::log::{self, Level};
use jido_dispatch_sdk::{Adapter, Data, DeliveryError, ExtensionValue, Signal};
use serde::{Deserialize, Serialize};
use template::Template;

/// Log level of the records.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Debug.
    Debug,
    /// Info (default).
    #[default]
    Info,
    /// Warning.
    #[serde(alias = "warning")]
    Warn,
    /// Error.
    Error,
}

/// The template used when `format` is not given.
pub const DEFAULT_FORMAT: &str = "Signal dispatched: $type from $source";

/// `logger` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Level of each record (default `info`).
    #[serde(default)]
    pub level: LogLevel,
    /// Message template (default `Signal dispatched: $type from $source`).
    #[serde(default = "default_format")]
    pub format: String,
    /// Extra fields to attach to each record.
    #[serde(default)]
    pub metadata: Vec<String>,
}

fn default_format() -> String {
    DEFAULT_FORMAT.to_owned()
}

/// The opened `logger` target.
#[derive(Debug)]
pub struct Logger {
    level: Level,
    template: Template,
    metadata: Vec<String>,
}

impl Adapter for Logger {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        Template::parse(&opts.format).map(drop).map_err(|e| format!("format: {e}"))?;
        if let Some(bad) = opts.metadata.iter().find(|m| m.is_empty()) {
            return Err(format!("metadata: field names must not be empty, got {bad:?}"));
        }
        Ok(())
    }

    fn open(opts: Options) -> Result<Self, String> {
        let level = match opts.level {
            LogLevel::Debug => Level::Debug,
            LogLevel::Info => Level::Info,
            LogLevel::Warn => Level::Warn,
            LogLevel::Error => Level::Error,
        };
        let template = Template::parse(&opts.format)?;
        Ok(Logger { level, template, metadata: opts.metadata })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        let message = self.template.render(signal);
        let fields = if self.metadata.is_empty() { Vec::new() } else { self.fields(signal) };
        log::log(self.level, &message, &fields);
        Ok(())
    }
}

impl Logger {
    /// The `metadata` fields present on `signal`, as (name, value).
    fn fields(&self, signal: &Signal) -> Vec<(String, String)> {
        let data: Option<serde_json::Value> = match &signal.data {
            Some(Data::Json(text)) => serde_json::from_str(text).ok(),
            _ => None,
        };
        self.metadata
            .iter()
            .filter_map(|name| {
                let value = attribute(signal, name).or_else(|| {
                    let member = data.as_ref()?.get(name)?;
                    Some(match member {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                })?;
                Some((name.clone(), value))
            })
            .collect()
    }
}

/// A context or extension attribute of `signal` by name, as text.
fn attribute(signal: &Signal, name: &str) -> Option<String> {
    let value = match name {
        "id" => Some(&signal.id),
        "type" => Some(&signal.type_),
        "source" => Some(&signal.source),
        "specversion" => Some(&signal.specversion),
        "subject" => signal.subject.as_ref(),
        "time" => signal.time.as_ref(),
        "datacontenttype" => signal.datacontenttype.as_ref(),
        "dataschema" => signal.dataschema.as_ref(),
        _ => None,
    };
    if let Some(value) = value {
        return Some(value.clone());
    }
    signal.extensions.iter().find(|(n, _)| n == name).map(|(_, v)| match v {
        ExtensionValue::Text(t) => t.clone(),
        ExtensionValue::Boolean(b) => b.to_string(),
        ExtensionValue::Integer(i) => i.to_string(),
    })
}

jido_dispatch_sdk::export_adapter!(Logger);
