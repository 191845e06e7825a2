//! What can go wrong when the runtime takes a signal for a mailbox, a pubsub topic or a bus
//! on a component's behalf (the `channel` import's errors, before they become WIT values).

/// Why the runtime could not take a signal from the `channel` import.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// No such bus, mailbox, name or registry.
    #[error("{0}")]
    NotFound(String),
    /// The mailbox's receiver is gone.
    #[error("{0}")]
    NotAlive(String),
    /// The receiver did not acknowledge in time.
    #[error("{0}")]
    Timeout(String),
    /// A subscription queue of the bus is full.
    #[error("{0}")]
    Full(String),
    /// The runtime is shutting down.
    #[error("{0}")]
    Unavailable(String),
}
