//! A dead letter as text, shared by the stores that keep letters outside the process: the
//! error as JSON, and the whole letter (target with its secrets, for redrive) as one JSON
//! document.

use std::time::Duration;

use serde_json::{Value, json};

use super::{DeadLetter, StoreError};
use crate::adapter::{DeliveryError, Failure};
use crate::signal::Signal;
use crate::target::TargetSpec;

fn store_error(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// The error as JSON text: `retryable`, `code`, `message`, `retry_after_ms`.
#[cfg(feature = "sqlite")]
pub(crate) fn error_to_json(error: &DeliveryError) -> String {
    error_value(error).to_string()
}

fn error_value(error: &DeliveryError) -> Value {
    let f = error.failure();
    json!({
        "retryable": error.is_retryable(),
        "code": f.code,
        "message": f.message,
        "retry_after_ms": f.retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    })
}

/// The error back from [`error_to_json`]'s text.
#[cfg(feature = "sqlite")]
pub(crate) fn error_from_json(text: &str) -> Result<DeliveryError, StoreError> {
    error_from_value(&serde_json::from_str(text).map_err(store_error)?)
}

fn error_from_value(v: &Value) -> Result<DeliveryError, StoreError> {
    let failure = Failure {
        message: v["message"].as_str().unwrap_or_default().to_owned(),
        code: v["code"].as_str().map(str::to_owned),
        retry_after: v["retry_after_ms"].as_u64().map(Duration::from_millis),
    };
    Ok(if v["retryable"].as_bool().unwrap_or(false) {
        DeliveryError::Retryable(failure)
    } else {
        DeliveryError::Permanent(failure)
    })
}

/// The whole letter (its id aside) as one JSON document.
#[cfg(feature = "cluster")]
pub(crate) fn letter_to_json(letter: &DeadLetter) -> String {
    json!({
        "origin": letter.origin,
        "target": letter.target.to_value(),
        "error": error_value(&letter.error),
        "attempts": letter.attempts,
        "failed_at": letter.failed_at,
        "signal": letter.signal.to_json(),
    })
    .to_string()
}

/// The letter `id` back from [`letter_to_json`]'s text.
#[cfg(feature = "cluster")]
pub(crate) fn letter_from_json(id: u64, text: &[u8]) -> Result<DeadLetter, StoreError> {
    let v: Value = serde_json::from_slice(text).map_err(store_error)?;
    Ok(DeadLetter {
        id,
        origin: v["origin"].as_str().unwrap_or_default().to_owned(),
        target: TargetSpec::from_value(v["target"].clone()).map_err(store_error)?,
        error: error_from_value(&v["error"])?,
        attempts: u32::try_from(v["attempts"].as_u64().unwrap_or(0)).unwrap_or(u32::MAX),
        failed_at: v["failed_at"].as_str().unwrap_or_default().to_owned(),
        signal: Signal::from_json(v["signal"].as_str().unwrap_or_default()).map_err(store_error)?,
    })
}
