//! Host-level delivery guarantees around an adapter's endpoint. Pure policy logic lives in
//! its own file, free of wasmtime, and is unit-tested there.
//!
//! [`RetryPolicy`] (`retry_policy`), [`Breaker`] (`circuit_breaker`), [`batching`]
//! (`batch_size`, `batch_timeout`/`flush_interval`), [`LaneSettings`] (`max_in_flight`,
//! `ordering`, `rate_limit`) and the [`RateLimiter`]. Dead letters live in `dead_letter`.

mod batch;
mod breaker;
mod lane;
mod rate;
mod retry;
mod span;

pub use batch::{DEFAULT_BATCH_TIMEOUT, batching};
pub use breaker::{Admission, Breaker, BreakerConfig, BreakerState, TrialGuard};
pub use lane::{DEFAULT_MAX_IN_FLIGHT, LaneOrdering, LaneSettings, MAX_IN_FLIGHT, RateLimit};
pub use rate::RateLimiter;
pub(crate) use retry::uniform as retry_uniform;
pub use retry::{Backoff, RetryPolicy};
pub(crate) use span::parse_duration_key;
pub use span::parse_span;
