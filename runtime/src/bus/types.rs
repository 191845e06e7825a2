//! What the bus API returns: errors, subscription listings and shutdown reports.

use super::SubscriptionId;
use crate::routing::{Filter, FilterError, PatternError};
use crate::target::TargetOpenError;
use crate::target::TargetSpec;

/// Why a subscription was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    /// The pattern is invalid.
    #[error("invalid path {path:?}: {error}")]
    Pattern {
        /// The path as given.
        path: String,
        /// Why.
        error: PatternError,
    },
    /// Priority out of range.
    #[error("priority must be between -100 and 100, got {0}")]
    Priority(i32),
    /// No targets.
    #[error("a subscription needs at least one target")]
    NoTargets,
    /// A target could not be opened.
    #[error("target {index}: {error}")]
    Target {
        /// Its position.
        index: usize,
        /// Why.
        error: TargetOpenError,
    },
    /// The bus is shut down (or its runtime is gone).
    #[error("bus `{0}` is closed")]
    Closed(String),
    /// A filter is invalid.
    #[error("filter {index}: {error}")]
    Filter {
        /// Its position in `filters`.
        index: usize,
        /// Why.
        error: FilterError,
    },
}

/// Why a publish stopped.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The bus is shut down.
    #[error("bus `{bus}` is closed; {accepted} signal(s) accepted before it closed")]
    Closed {
        /// The bus.
        bus: String,
        /// Signals of this publish enqueued before.
        accepted: usize,
    },
}

/// A subscription as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionInfo {
    /// Its id.
    pub id: SubscriptionId,
    /// Its pattern.
    pub path: String,
    /// Its priority.
    pub priority: i32,
    /// Its targets as configured.
    pub targets: Vec<TargetSpec>,
    /// Its filters (ANDed with the pattern).
    pub filters: Vec<Filter>,
    /// Deliveries waiting or in progress, over all of its targets' lanes.
    pub pending: usize,
    /// Per target, in order: why its lane is paused (`None`: running).
    pub paused: Vec<Option<super::PauseReason>>,
}

/// What a shutdown left undelivered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Subscriptions that still had deliveries when the deadline passed: (id, path, count
    /// of undelivered (signal, target) pairs).
    pub left: Vec<(SubscriptionId, String, usize)>,
}

impl ShutdownReport {
    /// Whether every queued signal was delivered.
    pub fn is_complete(&self) -> bool {
        self.left.is_empty()
    }
}

/// What a bus needs from the runtime that owns it: opening its subscriptions' targets and
/// their dead-letter sinks. Given to the bus when it is made, so the bus never reaches back
/// into the runtime; each answers `None` once the runtime is gone.
pub(crate) trait TargetOpener: Send + Sync {
    /// Opens the target `spec` describes.
    fn open(
        &self,
        spec: TargetSpec,
    ) -> Option<crate::adapter::BoxFuture<'static, Result<crate::target::Target, TargetOpenError>>>;

    /// The sink for final failures of deliveries made under `origin`.
    fn failure_sink(&self, origin: String) -> Option<crate::dead_letter::FailureSink>;
}
