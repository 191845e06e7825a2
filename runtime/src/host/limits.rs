//! Per-adapter resource limits and the store's memory limiter.

use std::time::Duration;

/// Limits applied to every instance of one adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory of one instance, all memories together, in bytes.
    pub memory_bytes: usize,
    /// Wall time allowed for one call into the component (enforced by epoch deadline and
    /// a host-side timeout). The epoch side measures it from the call's first 5 ms tick,
    /// so a call may overrun it by up to one tick, never be stopped before it.
    pub call_timeout: Duration,
    /// Instances of this adapter alive at once (and so deliveries in flight).
    pub max_instances: usize,
    /// Fuel (roughly, Wasm instructions) per call; needs an engine built with
    /// [`EngineSettings::fuel`](super::EngineSettings::fuel). `None`: unmetered.
    pub fuel: Option<u64>,
    /// Log records per second the adapter may emit (all its instances together); a call
    /// that goes over fails with `log_limit` and the excess records are dropped.
    pub log_lines_per_second: u32,
    /// Largest request body the adapter may send through `http` (the host's cap when larger).
    pub max_request_bytes: Option<usize>,
    /// Largest response body it may receive through `http` (the host's cap when larger).
    pub max_response_bytes: Option<usize>,
    /// Whether a call still running after the grace period (20 ms) is throttled to a tenth of a
    /// core (it sleeps nine epoch ticks for each tick it runs), so a looping tenant cannot take
    /// the CPU from the others before its time limit ends it. On for custom components;
    /// the built-ins, which the operator trusts, run unthrottled. An unthrottled component
    /// that cannot wait in the host (no `http`, `channel`, WASI filesystem or sockets) is
    /// called synchronously, without a fiber; a WASI wait in such a call (a sleep, a read
    /// from stdin) fails it rather than blocking the thread.
    pub throttle_long_calls: bool,
}

/// CPU time a call may use at full speed before it is throttled (when
/// [`Limits::throttle_long_calls`] is set).
pub const LONG_CALL_GRACE: Duration = Duration::from_millis(20);

/// Log records per second by default.
pub const DEFAULT_LOG_LINES_PER_SECOND: u32 = 1000;

/// Memory per instance by default: enough for Rust, JavaScript (QuickJS) and small Python
/// guests handling 1 MiB payloads.
pub const DEFAULT_MEMORY_BYTES: usize = 64 << 20;

/// Time per call by default.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Instances per adapter by default.
pub const DEFAULT_MAX_INSTANCES: usize = 16;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: DEFAULT_MEMORY_BYTES,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            max_instances: DEFAULT_MAX_INSTANCES,
            fuel: None,
            log_lines_per_second: DEFAULT_LOG_LINES_PER_SECOND,
            max_request_bytes: None,
            max_response_bytes: None,
            throttle_long_calls: true,
        }
    }
}

/// A [`wasmtime::ResourceLimiter`] that caps total linear memory and remembers whether
/// the cap was hit, so an out-of-memory trap can be reported as the memory limit.
#[derive(Debug)]
pub struct MemoryLimiter {
    max_bytes: usize,
    used_bytes: usize,
    hit: bool,
}

impl MemoryLimiter {
    /// A limiter allowing `max_bytes` of linear memory in total.
    pub fn new(max_bytes: usize) -> Self {
        MemoryLimiter { max_bytes, used_bytes: 0, hit: false }
    }

    /// Whether a growth was refused since the instance was created.
    pub fn hit(&self) -> bool {
        self.hit
    }

    /// Linear memory in use, in bytes.
    pub fn used(&self) -> usize {
        self.used_bytes
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let grown = self.used_bytes - current.min(self.used_bytes) + desired;
        if grown > self.max_bytes {
            self.hit = true;
            return Ok(false);
        }
        self.used_bytes = grown;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// A token bucket shared by an adapter's instances: `rate` records per second, bursts up
/// to one second's worth.
#[derive(Debug)]
pub struct LogBudget {
    rate: f64,
    state: std::sync::Mutex<(f64, std::time::Instant)>,
}

impl LogBudget {
    /// A full bucket for `rate` records per second.
    pub fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        LogBudget { rate, state: std::sync::Mutex::new((rate, std::time::Instant::now())) }
    }

    /// An empty bucket of one record per second that starts refilling in an hour (tests).
    #[cfg(test)]
    pub(super) fn spent_for_an_hour() -> Self {
        let later = std::time::Instant::now() + Duration::from_secs(3600);
        LogBudget { rate: 1.0, state: std::sync::Mutex::new((0.0, later)) }
    }

    /// Takes one record's token; `false` when the bucket is empty.
    pub fn take(&self) -> bool {
        if self.rate >= f64::from(u32::MAX) {
            return true; // unlimited (the built-ins)
        }
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        let (tokens, last) = *state;
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * self.rate).min(self.rate);
        let (tokens, ok) = if tokens >= 1.0 { (tokens - 1.0, true) } else { (tokens, false) };
        *state = (tokens, now);
        ok
    }
}
