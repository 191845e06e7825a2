//! Constructors for delivery errors.

use crate::{DeliveryError, Failure};

/// A transient failure the host may retry, with a machine-readable `code`.
pub fn retryable(code: &str, message: impl Into<String>) -> DeliveryError {
    DeliveryError::Retryable(failure(code, message, None))
}

/// A transient failure after which the receiver asked to wait `retry_after_ms`.
pub fn retry_after(code: &str, message: impl Into<String>, retry_after_ms: u64) -> DeliveryError {
    DeliveryError::Retryable(failure(code, message, Some(retry_after_ms)))
}

/// A final failure that retrying cannot fix.
pub fn permanent(code: &str, message: impl Into<String>) -> DeliveryError {
    DeliveryError::Permanent(failure(code, message, None))
}

fn failure(code: &str, message: impl Into<String>, retry_after_ms: Option<u64>) -> Failure {
    Failure { message: message.into(), code: Some(code.to_owned()), retry_after_ms }
}
