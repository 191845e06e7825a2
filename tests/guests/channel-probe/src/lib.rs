//! Test-only guest: a custom component that sends each signal through the `channel` import
//! to the mailbox or topic its `subject` names (`pid:ID`, `named:NAME`, `global:NAME`,
//! `topic:NAME`), so tests can check what a component's channel grants let through.

use jido_dispatch_sdk::bindings::jido::dispatch::channel::{self, Address};
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
        let subject = signal.subject.clone().unwrap_or_default();
        let Some((kind, name)) = subject.split_once(':') else {
            return Err(outcome::permanent("bad_subject", "subject must be KIND:NAME"));
        };
        let to = match kind {
            "pid" => Address::Pid(name.to_owned()),
            "named" => Address::Named(name.to_owned()),
            "global" => Address::Global(name.to_owned()),
            "topic" => {
                return channel::publish(None, name, signal, true)
                    .map_err(|e| jido_dispatch_sdk::channel::send_error(e, name, 0));
            }
            _ => return Err(outcome::permanent("bad_subject", format!("unknown kind `{kind}`"))),
        };
        jido_dispatch_sdk::channel::send(&to, name, signal, true, 1000)
    }
}

jido_dispatch_sdk::export_adapter!(Probe);
