//! The `webhook` adapter: signed HTTP delivery to one or more URLs.
//!
//! Standard Webhooks v1 by default (`webhook-id`, `webhook-timestamp`, `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one signature per secret for
//! rotation, `whsec_` secrets base64-decoded); `scheme = "jido"` reproduces the original
//! (`x-webhook-signature`: lowercase hex HMAC-SHA256 of `"{timestamp}.{body}"`, with
//! `x-webhook-timestamp` and `x-webhook-event`). The signature covers exactly the bytes
//! sent.

mod sign;

use std::collections::BTreeMap;

use jido_dispatch_sdk::http::{self as h, DeliveryMethod, Method};
use jido_dispatch_sdk::{Adapter, DeliveryError, Failure, Incoming, Signal, outcome};
use serde::{Deserialize, Serialize};
use sign::{Key, Scheme};

/// `webhook` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The endpoint (this or `urls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Several endpoints (this or `url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    /// Send to all `urls` at once rather than one after another.
    #[serde(default)]
    pub parallel: bool,
    /// Signing secret (`whsec_…` means base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Several secrets: one signature each (rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<String>>,
    /// `standard` (Standard Webhooks v1, default) or `jido`.
    #[serde(default)]
    pub scheme: Scheme,
    /// Renames the signature header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_header: Option<String>,
    /// Signal type → event name for the `x-webhook-event` header (`jido` scheme).
    #[serde(default)]
    pub event_type_map: BTreeMap<String, String>,
    /// `post` (default), `put` or `patch`.
    #[serde(default)]
    pub method: DeliveryMethod,
    /// Extra headers (they override defaults, never the signature headers).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Request timeout in ms, 1..=60000 (default 5000).
    #[serde(default = "default_timeout")]
    pub timeout: u32,
}

fn default_timeout() -> u32 {
    5000
}

/// The opened `webhook` target.
#[derive(Debug)]
pub struct Webhook {
    urls: Vec<String>,
    parallel: bool,
    keys: Vec<Key>,
    scheme: Scheme,
    signature_header: String,
    event_type_map: BTreeMap<String, String>,
    method: Method,
    headers: BTreeMap<String, String>,
    timeout: u32,
}

impl Adapter for Webhook {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        let urls = match (&opts.url, &opts.urls) {
            (Some(_), Some(_)) => return Err("url, urls: give one of them, not both".to_owned()),
            (None, None) => return Err("url: required (or urls)".to_owned()),
            (Some(url), None) => vec![url.clone()],
            (None, Some(urls)) if urls.is_empty() => return Err("urls: must not be empty".to_owned()),
            (None, Some(urls)) => urls.clone(),
        };
        for url in &urls {
            h::check_url(if opts.url.is_some() { "url" } else { "urls" }, url)?;
        }
        if opts.secret.is_some() && opts.secrets.is_some() {
            return Err("secret, secrets: give one of them, not both".to_owned());
        }
        if opts.secrets.as_ref().is_some_and(Vec::is_empty) {
            return Err("secrets: must not be empty".to_owned());
        }
        for secret in opts.secret.iter().chain(opts.secrets.iter().flatten()) {
            Key::parse(secret)?;
        }
        if let Some(name) = &opts.signature_header
            && !h::is_token(name)
        {
            return Err(format!("signature_header: {name:?} is not a valid header name"));
        }
        if let Some((ty, event)) = opts
            .event_type_map
            .iter()
            .find(|(_, event)| event.is_empty() || event.bytes().any(|b| b.is_ascii_control()))
        {
            return Err(format!(
                "event_type_map: the event for {ty:?} must be non-empty, without control characters, got {event:?}"
            ));
        }
        h::check_timeout_and_headers(opts.timeout, &opts.headers)
    }

    fn open(opts: Options) -> Result<Self, String> {
        let urls = opts.urls.unwrap_or_default().into_iter().chain(opts.url).collect();
        let keys = opts
            .secrets
            .unwrap_or_default()
            .iter()
            .chain(opts.secret.iter())
            .map(|s| Key::parse(s))
            .collect::<Result<_, _>>()?;
        let method = opts.method.wit();
        let signature_header = opts
            .signature_header
            .map(|h| h.to_ascii_lowercase())
            .unwrap_or_else(|| opts.scheme.default_header().to_owned());
        Ok(Webhook {
            urls,
            parallel: opts.parallel,
            keys,
            scheme: opts.scheme,
            signature_header,
            event_type_map: opts.event_type_map,
            method,
            headers: opts.headers,
            timeout: opts.timeout,
        })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        self.deliver_incoming(Incoming::from(signal))
    }

    /// Reads only the signal's id, its type and the host's JSON encoding of it.
    fn deliver_incoming(&self, signal: Incoming<'_>) -> Result<(), DeliveryError> {
        let (mut headers, body) = h::structured_incoming(signal);
        headers = h::merge_headers(headers, &self.headers);
        let timestamp = sign::now_seconds();
        let ty = signal.type_();
        let event = self.event_type_map.get(&ty).unwrap_or(&ty);
        let signed = sign::headers(
            self.scheme,
            &self.keys,
            &self.signature_header,
            &signal.id(),
            timestamp,
            event,
            &body,
        );
        headers.retain(|(name, _)| !signed.iter().any(|(s, _)| s.eq_ignore_ascii_case(name)));
        headers.extend(signed);
        let requests: Vec<h::Request> = self
            .urls
            .iter()
            .map(|url| h::request(self.method, url, headers.clone(), body.clone(), self.timeout))
            .collect();
        let results =
            if self.parallel { h::send_all(&requests) } else { requests.iter().map(h::send).collect() };
        let failures: Vec<DeliveryError> = self
            .urls
            .iter()
            .zip(results)
            .filter_map(|(url, result)| h::classify(url, result).err())
            .collect();
        combine(failures)
    }

    /// Probes every URL with `HEAD`: healthy when each answers below 500 (a receiver that
    /// only accepts `POST` still answers 405, which shows it is up).
    fn health_check(&self) -> Result<(), String> {
        let problems: Vec<String> = self
            .urls
            .iter()
            .filter_map(|url| {
                let request = h::Request {
                    method: Method::Head,
                    url: url.clone(),
                    headers: Vec::new(),
                    body: None,
                    timeout_ms: Some(self.timeout),
                };
                match h::send(&request) {
                    Ok(response) if response.status < 500 => None,
                    Ok(response) => Some(format!("{url} answered {}", response.status)),
                    Err(error) => Some(format!("{url}: {error:?}")),
                }
            })
            .collect();
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }
}

/// One error for the URLs that failed: retryable if any failure is, naming each URL.
fn combine(failures: Vec<DeliveryError>) -> Result<(), DeliveryError> {
    let Some(first) = failures.first() else { return Ok(()) };
    if failures.len() == 1 {
        return Err(first.clone());
    }
    let parts = |e: &DeliveryError| match e {
        DeliveryError::Retryable(f) | DeliveryError::Permanent(f) => f.clone(),
    };
    let all: Vec<Failure> = failures.iter().map(parts).collect();
    let message = all.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; ");
    let retry_after = all.iter().filter_map(|f| f.retry_after_ms).max();
    let code = parts(first).code.unwrap_or_else(|| "webhook".to_owned());
    let message = format!("{} of the URLs failed: {message}", failures.len());
    if failures.iter().any(|e| matches!(e, DeliveryError::Retryable(_))) {
        Err(match retry_after {
            Some(ms) => outcome::retry_after(&code, message, ms),
            None => outcome::retryable(&code, message),
        })
    } else {
        Err(outcome::permanent(&code, message))
    }
}

jido_dispatch_sdk::export_adapter!(Webhook);
