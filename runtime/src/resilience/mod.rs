//! Host-level delivery guarantees around an adapter's endpoint. Pure policy logic lives in
//! its own file, free of wasmtime and tokio, and is unit-tested there.
//!
//! Built so far: [`RetryPolicy`] (`retry_policy`) and [`Breaker`] (`circuit_breaker`).
//! Dead letters and batching are still to come (see `target::NOT_YET_SUPPORTED`).

mod breaker;
mod retry;

pub use breaker::{Admission, Breaker, BreakerConfig, BreakerState};
pub(crate) use retry::uniform as retry_uniform;
pub use retry::{Backoff, RetryPolicy};
