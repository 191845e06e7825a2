//! The `pid` adapter: delivers each signal to a mailbox of the embedding application,
//! named by its id, through the host's `channel.send`.
//!
//! Sync (the default) waits until the receiver acknowledges, up to `timeout`; with
//! `await_ack = false` (implied by the host key `async = true`) it returns once the signal
//! is in the mailbox.

use jido_dispatch_sdk::bindings::jido::dispatch::channel::Address;
use jido_dispatch_sdk::channel;
use jido_dispatch_sdk::{Adapter, DeliveryError, Signal, options};
use serde::{Deserialize, Serialize};

fn wait_for_ack() -> bool {
    true
}

/// `pid` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The mailbox id, e.g. `pid-7` (required).
    pub target: String,
    /// Wait for the receiver's ack (`true`, the default), or return once the signal is in
    /// the mailbox (`false`; a target's `async = true` implies it, see `profile.toml`).
    #[serde(default = "wait_for_ack")]
    pub await_ack: bool,
    /// How long a sync delivery waits for the ack, in milliseconds.
    #[serde(default = "jido_dispatch_sdk::channel::default_timeout")]
    pub timeout: u32,
}

/// The opened `pid` target.
#[derive(Debug)]
pub struct PidTarget {
    to: Address,
    who: String,
    opts: Options,
}

impl Adapter for PidTarget {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        options::non_empty("target", &opts.target)?;
        channel::check_timeout(opts.timeout)
    }

    fn open(opts: Options) -> Result<Self, String> {
        let who = format!("process {}", opts.target);
        Ok(PidTarget { to: Address::Pid(opts.target.clone()), who, opts })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        channel::send(&self.to, &self.who, signal, self.opts.await_ack, self.opts.timeout)
    }
}

jido_dispatch_sdk::export_adapter!(PidTarget);
