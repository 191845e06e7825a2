//! The `bus` adapter: publishes each signal into another named bus of the same runtime,
//! through the host's `channel.publish-bus`.
//!
//! The host counts the buses a signal crosses this way and refuses to go on past its
//! limit, so buses publishing into each other cannot loop forever.

use jido_dispatch_sdk::bindings::jido::dispatch::channel::{self, Error};
use jido_dispatch_sdk::{Adapter, DeliveryError, Signal, options, outcome};
use serde::{Deserialize, Serialize};

/// `bus` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The bus to publish into (required).
    pub bus: String,
}

/// The opened `bus` target.
#[derive(Debug)]
pub struct BusTarget {
    bus: String,
}

impl Adapter for BusTarget {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        options::non_empty("bus", &opts.bus)
    }

    fn open(opts: Options) -> Result<Self, String> {
        Ok(BusTarget { bus: opts.bus })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        channel::publish_bus(&self.bus, signal).map_err(|error| match error {
            Error::NotFound(m) => outcome::permanent("bus_not_found", m),
            Error::Full(m) => outcome::retryable("queue_full", m),
            Error::TooManyHops(hops) => outcome::permanent(
                "bus_loop",
                format!(
                    "signal {} already crossed {hops} buses; not publishing into `{}` again",
                    signal.id, self.bus
                ),
            ),
            Error::Denied(m) => outcome::permanent("denied", m),
            Error::Unavailable(m) => outcome::retryable("unavailable", m),
            Error::NotAlive(m) => outcome::permanent("not_alive", m),
            Error::Timeout => outcome::retryable("timeout", "publishing timed out"),
        })
    }
}

jido_dispatch_sdk::export_adapter!(BusTarget);
