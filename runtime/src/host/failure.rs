//! The failures the host itself decides, as opposed to what an adapter reports: a component
//! that trapped or ran past a limit, a call that found no instance or pool slot in time, an
//! adapter unloaded under its targets. One enum for their codes and retryability, used by
//! the instance pool that raises them and by the conformance kit that judges them.

use crate::adapter::DeliveryError;

/// A failure the host decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostFailure {
    /// The component trapped (`adapter_trap`).
    AdapterTrap,
    /// The call failed without a trap, e.g. a bad value crossing the boundary (`adapter_error`).
    AdapterError,
    /// The component grew past its memory limit (`memory_limit`).
    MemoryLimit,
    /// The call ran past its time limit (`time_limit`, retryable: the next call may be quick).
    TimeLimit,
    /// The call used its fuel (`fuel_limit`).
    FuelLimit,
    /// The component exhausted its call stack (`stack_limit`).
    StackLimit,
    /// The component logged past its budget (`log_limit`).
    LogLimit,
    /// No connection-pool slot and instance were free within `pool_timeout` (`pool_timeout`,
    /// retryable).
    PoolTimeout,
    /// The adapter (or its tenant's adapters) was unloaded under the target (`adapter_closed`).
    AdapterClosed,
}

impl HostFailure {
    /// Every host failure.
    pub const ALL: [HostFailure; 9] = [
        HostFailure::AdapterTrap,
        HostFailure::AdapterError,
        HostFailure::MemoryLimit,
        HostFailure::TimeLimit,
        HostFailure::FuelLimit,
        HostFailure::StackLimit,
        HostFailure::LogLimit,
        HostFailure::PoolTimeout,
        HostFailure::AdapterClosed,
    ];

    /// Its failure code, as dead letters, telemetry and the `failure` event show it.
    pub fn code(self) -> &'static str {
        match self {
            HostFailure::AdapterTrap => "adapter_trap",
            HostFailure::AdapterError => "adapter_error",
            HostFailure::MemoryLimit => "memory_limit",
            HostFailure::TimeLimit => "time_limit",
            HostFailure::FuelLimit => "fuel_limit",
            HostFailure::StackLimit => "stack_limit",
            HostFailure::LogLimit => "log_limit",
            HostFailure::PoolTimeout => "pool_timeout",
            HostFailure::AdapterClosed => "adapter_closed",
        }
    }

    /// The host failure with `code`, if it is one.
    pub fn from_code(code: &str) -> Option<HostFailure> {
        HostFailure::ALL.into_iter().find(|failure| failure.code() == code)
    }

    /// Whether a retry may succeed.
    pub fn retryable(self) -> bool {
        matches!(self, HostFailure::TimeLimit | HostFailure::PoolTimeout)
    }

    /// Whether it means the component misbehaved (trapped, failed at the boundary, or ran
    /// past one of its limits), rather than the host being busy or the adapter unloaded.
    pub fn is_the_component(self) -> bool {
        !matches!(self, HostFailure::PoolTimeout | HostFailure::AdapterClosed)
    }

    /// The delivery error saying so.
    pub fn error(self, message: impl Into<String>) -> DeliveryError {
        if self.retryable() {
            DeliveryError::retryable(self.code(), message)
        } else {
            DeliveryError::permanent(self.code(), message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HostFailure;

    #[test]
    fn codes_read_back_and_carry_their_retryability() {
        for failure in HostFailure::ALL {
            assert_eq!(HostFailure::from_code(failure.code()), Some(failure));
            let error = failure.error("why");
            assert_eq!(error.code(), Some(failure.code()));
            assert_eq!(error.is_retryable(), failure.retryable(), "{failure:?}");
        }
        assert_eq!(HostFailure::from_code("http_503"), None);
        assert!(HostFailure::MemoryLimit.is_the_component() && !HostFailure::PoolTimeout.is_the_component());
    }
}
