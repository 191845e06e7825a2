//! A custom adapter written from scratch with the Rust guest SDK: posts each signal to a
//! Slack-style incoming webhook (`{"text": "..."}` JSON) through the host's `http` import.
//!
//! Options: `webhook_url` (required), `text` (a template, default `$type from $source`;
//! `$id $type $source $subject` are replaced), `channel`, `username`, `icon_emoji`.

use jido_dispatch_sdk::http::{self as h, Method};
use jido_dispatch_sdk::{Adapter, DeliveryError, Signal, options};
use serde::{Deserialize, Serialize};

/// The adapter's options, as targets write them.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The incoming-webhook URL (http or https).
    pub webhook_url: String,
    /// Message template.
    #[serde(default = "default_text")]
    pub text: String,
    /// Channel override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Bot name override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Bot icon, e.g. `:rocket:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_emoji: Option<String>,
}

fn default_text() -> String {
    "$type from $source".to_owned()
}

/// An opened target: the checked URL and options.
#[derive(Debug)]
pub struct Slack {
    opts: Options,
}

/// Fills `$id`, `$type`, `$source` and `$subject` in `template`.
pub fn render(template: &str, signal: &Signal) -> String {
    template
        .replace("$subject", signal.subject.as_deref().unwrap_or(""))
        .replace("$source", &signal.source)
        .replace("$type", &signal.type_)
        .replace("$id", &signal.id)
}

impl Adapter for Slack {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        h::check_url("webhook_url", &opts.webhook_url)?;
        options::non_empty("text", &opts.text)
    }

    fn open(opts: Options) -> Result<Self, String> {
        Ok(Slack { opts })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        let mut body = serde_json::json!({ "text": render(&self.opts.text, signal) });
        for (key, value) in [
            ("channel", &self.opts.channel),
            ("username", &self.opts.username),
            ("icon_emoji", &self.opts.icon_emoji),
        ] {
            if let Some(value) = value {
                body[key] = serde_json::Value::String(value.clone());
            }
        }
        let request = h::Request {
            method: Method::Post,
            url: self.opts.webhook_url.clone(),
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: Some(body.to_string().into_bytes()),
            timeout_ms: Some(5000),
        };
        // 2xx is success; 429/5xx/timeouts are retryable; other 4xx permanent.
        h::classify(&self.opts.webhook_url, h::send(&request))
    }
}

jido_dispatch_sdk::export_adapter!(Slack);
