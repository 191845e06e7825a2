//! The `noop` adapter: accepts every signal and does nothing with it.
//!
//! Useful in tests and for conditional routing. Its only option, `label`, is ignored: it
//! tells otherwise identical `noop` targets apart (identical targets matched by several
//! subscriptions are delivered once).

use jido_dispatch_sdk::{Adapter, DeliveryError, Incoming, Signal};
use serde::{Deserialize, Serialize};

/// `noop` options: only an optional, ignored `label`; any other key is an error.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Free text, ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

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

    /// The signal stays in the host: a no-op never reads it.
    fn deliver_incoming(&self, _signal: Incoming<'_>) -> Result<(), DeliveryError> {
        Ok(())
    }
}

jido_dispatch_sdk::export_adapter!(Noop);
