//! The [`channel`](../../../wit/channel.wit) import. Mailboxes, pubsub and buses are not
//! wired to components yet: every call is answered `denied` with the reason.

use super::bindings::channel::{Address, Error, Host};
use super::bindings::types::Signal;
use super::state::HostState;

const NOT_YET: &str = "channels are not available to components in this version of the host";

impl Host for HostState {
    async fn send(
        &mut self,
        _to: Address,
        _signal: Signal,
        _sync: bool,
        _timeout_ms: u32,
    ) -> Result<(), Error> {
        Err(Error::Denied(NOT_YET.to_owned()))
    }

    async fn publish(
        &mut self,
        _pubsub: Option<String>,
        _topic: String,
        _signal: Signal,
        _local_only: bool,
    ) -> Result<(), Error> {
        Err(Error::Denied(NOT_YET.to_owned()))
    }

    async fn publish_bus(&mut self, _bus: String, _signal: Signal) -> Result<(), Error> {
        Err(Error::Denied(NOT_YET.to_owned()))
    }
}
