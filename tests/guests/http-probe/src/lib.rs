//! Test-only guest: GETs the URL in the signal's `subject` through the `http` import, so
//! tests can check which origins a component's grant lets through.

use jido_dispatch_sdk::http::{self as h, Method};
use jido_dispatch_sdk::{Adapter, DeliveryError, Signal, outcome};

/// Takes no options.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {}

/// The opened target.
#[derive(Debug)]
pub struct Probe;

impl Adapter for Probe {
    type Options = Options;

    fn open(_opts: Options) -> Result<Self, String> {
        Ok(Probe)
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        let Some(url) = &signal.subject else {
            return Err(outcome::permanent("no_url", "put the URL in subject"));
        };
        let request = h::Request {
            method: Method::Get,
            url: url.clone(),
            headers: Vec::new(),
            body: None,
            timeout_ms: Some(5000),
        };
        h::classify(url, h::send(&request))
    }
}

jido_dispatch_sdk::export_adapter!(Probe);
