//! The integration tests: one binary, one module per concern.

mod batching;
mod breaker;
mod bus;
mod channels;
mod cluster;
mod conformance;
mod contract;
mod dead_letters;
mod delivery_path;
mod dispatch;
mod examples;
mod guest_sdks;
mod health;
mod hostile;
mod http;
mod isolation;
mod jetstream;
mod lanes;
mod loading;
mod reload;
mod retry;
mod telemetry;
mod transforms;

/// Where test runs keep their compile cache.
pub const CACHE_ROOT: &str = env!("CARGO_TARGET_TMPDIR");
