//! Helpers over the `channel` import: mailbox sends with the error codes of the built-in
//! `pid` and `named` adapters, and the options they share.

use crate::DeliveryError;
use crate::bindings::jido::dispatch::channel::{self, Address, Error};
use crate::outcome;

/// Default `timeout` of a sync send, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 5000;

/// [`DEFAULT_TIMEOUT_MS`], for `#[serde(default = "jido_dispatch_sdk::channel::default_timeout")]`.
pub fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MS
}

/// Longest `timeout` the host accepts, in milliseconds.
pub const MAX_TIMEOUT_MS: u32 = 60_000;

/// The `timeout` option's range check.
pub fn check_timeout(timeout: u32) -> Result<(), String> {
    if (1..=MAX_TIMEOUT_MS).contains(&timeout) {
        Ok(())
    } else {
        Err(format!("timeout: must be 1..={MAX_TIMEOUT_MS} milliseconds, got {timeout}"))
    }
}

/// Maps a `channel` error to a delivery error with the spec's codes: `process_not_found`
/// and `process_not_alive` are permanent; `timeout`, `mailbox_full` and `unavailable` are
/// retryable; `denied` is permanent. `who` names the destination in messages.
pub fn send_error(error: Error, who: &str, timeout_ms: u32) -> DeliveryError {
    match error {
        Error::NotFound(m) => outcome::permanent("process_not_found", m),
        Error::NotAlive(m) => outcome::permanent("process_not_alive", m),
        Error::Timeout => {
            outcome::retryable("timeout", format!("{who} did not acknowledge within {timeout_ms} ms"))
        }
        Error::Full(m) => outcome::retryable("mailbox_full", m),
        Error::Unavailable(m) => outcome::retryable("unavailable", m),
        Error::Denied(m) => outcome::permanent("denied", m),
        Error::TooManyHops(hops) => outcome::permanent("bus_loop", format!("signal crossed {hops} buses")),
    }
}

/// Sends `signal` to `to`; with `await_ack` it waits for the receiver's ack up to
/// `timeout_ms`, otherwise it returns once the signal is in the mailbox.
pub fn send(
    to: &Address,
    who: &str,
    signal: &crate::Signal,
    await_ack: bool,
    timeout_ms: u32,
) -> Result<(), DeliveryError> {
    channel::send(to, signal, await_ack, timeout_ms).map_err(|e| send_error(e, who, timeout_ms))
}
