//! The `noop` adapter: accepts every signal and does nothing with it.
//!
//! Useful in tests and for conditional routing. It takes no options.

use jido_dispatch_sdk::{Adapter, DeliveryError, Signal};
use serde::{Deserialize, Serialize};

/// `noop` takes no options; any key is an error.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {}

/// The opened `noop` target.
#[derive(Debug)]
pub struct Noop;

impl Adapter for Noop {
    type Options = Options;

    fn open(_opts: Options) -> Result<Self, String> {
        Ok(Noop)
    }

    fn deliver(&self, _signal: &Signal) -> Result<(), DeliveryError> {
        Ok(())
    }
}

jido_dispatch_sdk::export_adapter!(Noop);
