//! Host-level delivery guarantees around an adapter's endpoint. Pure policy logic lives in
//! its own file, free of wasmtime and tokio, and is unit-tested there.
//!
//! [`RetryPolicy`] (`retry_policy`), [`Breaker`] (`circuit_breaker`) and [`batching`]
//! (`batch_size`, `batch_timeout`/`flush_interval`). Dead letters live in `dead_letter`.

mod batch;
mod breaker;
mod retry;

pub use batch::{DEFAULT_BATCH_TIMEOUT, batching};
pub use breaker::{Admission, Breaker, BreakerConfig, BreakerState};
pub(crate) use retry::uniform as retry_uniform;
pub use retry::{Backoff, RetryPolicy};
