//! Test-only guest: an adapter that breaks the contract, for the conformance kit. It skips
//! the SDK's option parsing, so `validate-opts` accepts anything (even non-JSON), and its
//! `flaw` option picks one more defect:
//! - `batch`: `deliver-batch` returns no results;
//! - `binary`: `deliver` traps on binary data;
//! - `health`: `health-check` traps;
//! - `memory`: `deliver` of large data allocates until the memory limit stops it;
//! - anything else (or none): only the lenient `validate-opts`.

use jido_dispatch_sdk::__adapter::{Guest, GuestTarget, Target};
use jido_dispatch_sdk::bindings::jido::dispatch::view::SignalView;
use jido_dispatch_sdk::{Data, DeliveryError, Signal};

/// The component.
#[derive(Debug)]
pub struct Broken;

/// An opened target: which flaw it has.
#[derive(Debug)]
pub struct Flawed {
    flaw: String,
}

fn flaw_of(opts: &str) -> String {
    serde_json::from_str::<serde_json::Value>(opts)
        .ok()
        .and_then(|v| v.get("flaw").and_then(|f| f.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

impl Guest for Broken {
    type Target = Flawed;

    fn validate_opts(opts: String) -> Result<String, String> {
        // The defect every run shows: no parsing, so non-JSON passes.
        Ok(if opts.trim_start().starts_with('{') { opts } else { "{}".to_owned() })
    }
}

impl GuestTarget for Flawed {
    fn open(opts: String) -> Result<Target, String> {
        Ok(Target::new(Flawed { flaw: flaw_of(&opts) }))
    }

    fn deliver(&self, signal: &SignalView) -> Result<(), DeliveryError> {
        self.deliver_one(signal.get())
    }

    fn deliver_batch(&self, signals: Vec<Signal>) -> Vec<Result<(), DeliveryError>> {
        if self.flaw == "batch" {
            return Vec::new();
        }
        signals.into_iter().map(|s| self.deliver_one(s)).collect()
    }

    fn health_check(&self) -> Result<(), String> {
        if self.flaw == "health" {
            panic!("health check crashes");
        }
        Ok(())
    }
}

impl Flawed {
    fn deliver_one(&self, signal: Signal) -> Result<(), DeliveryError> {
        match (self.flaw.as_str(), &signal.data) {
            ("binary", Some(Data::Binary(_))) => panic!("cannot handle binary data"),
            ("memory", Some(Data::Json(text))) if text.len() > 10_000 => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![0u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            _ => Ok(()),
        }
    }
}

#[cfg(target_arch = "wasm32")]
jido_dispatch_sdk::bindings::__export_world!(Broken with_types_in jido_dispatch_sdk::bindings);
