//! The `http` adapter: sends each signal as an HTTP request through the host's `http`
//! import. CloudEvents structured mode by default, binary mode (`ce-*` headers, raw data)
//! on request; batches go out as one `application/cloudevents-batch+json` request.

use std::collections::BTreeMap;

use jido_dispatch_sdk::http::{self as h, DeliveryMethod, Method};
use jido_dispatch_sdk::{Adapter, DeliveryError, Incoming, Signal, json};
use serde::{Deserialize, Serialize};

/// How the signal is put on the wire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The whole event as `application/cloudevents+json` (default).
    #[default]
    Structured,
    /// Attributes as `ce-*` headers, data as the body.
    Binary,
}

/// `http` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Target URL (required; http or https, no userinfo).
    pub url: String,
    /// `post` (default), `put` or `patch`.
    #[serde(default)]
    pub method: DeliveryMethod,
    /// Extra headers; they override the defaults of the same name.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request timeout in ms, 1..=60000 (default 5000).
    #[serde(default = "default_timeout")]
    pub timeout: u32,
    /// `structured` (default) or `binary`.
    #[serde(default)]
    pub mode: Mode,
}

fn default_timeout() -> u32 {
    5000
}

/// The opened `http` target.
#[derive(Debug)]
pub struct Http {
    opts: Options,
}

impl Adapter for Http {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        h::check_url("url", &opts.url)?;
        h::check_timeout_and_headers(opts.timeout, &opts.headers)
    }

    fn open(opts: Options) -> Result<Self, String> {
        Ok(Http { opts })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        self.deliver_incoming(Incoming::from(signal))
    }

    /// Structured mode reads only the host's JSON encoding of the signal; binary mode needs
    /// every attribute.
    fn deliver_incoming(&self, signal: Incoming<'_>) -> Result<(), DeliveryError> {
        let (headers, body) = match self.opts.mode {
            Mode::Structured => h::structured_incoming(signal),
            Mode::Binary => h::binary(&signal.signal()),
        };
        self.send(headers, body)
    }

    fn deliver_batch(&self, signals: &[Signal]) -> Vec<Result<(), DeliveryError>> {
        if self.opts.mode == Mode::Binary {
            return signals.iter().map(|s| self.deliver(s)).collect();
        }
        let mut body = String::from("[");
        for (i, signal) in signals.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            json::write_json(&mut body, signal);
        }
        body.push(']');
        let headers =
            vec![("content-type".to_owned(), "application/cloudevents-batch+json; charset=utf-8".to_owned())];
        let outcome = self.send(headers, body.into_bytes());
        signals.iter().map(|_| outcome.clone()).collect()
    }

    fn health_check(&self) -> Result<(), String> {
        let request = h::Request {
            method: Method::Head,
            url: self.opts.url.clone(),
            headers: Vec::new(),
            body: None,
            timeout_ms: Some(self.opts.timeout),
        };
        match h::send(&request) {
            Ok(response) if response.status < 500 => Ok(()),
            Ok(response) => Err(format!("{} answered {}", self.opts.url, response.status)),
            Err(error) => Err(format!("{}: {error:?}", self.opts.url)),
        }
    }
}

impl Http {
    fn send(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> Result<(), DeliveryError> {
        let headers = h::merge_headers(headers, &self.opts.headers);
        let request = h::request(self.opts.method.wit(), &self.opts.url, headers, body, self.opts.timeout);
        h::classify(&self.opts.url, h::send(&request))
    }
}

jido_dispatch_sdk::export_adapter!(Http);
