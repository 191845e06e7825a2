//! Per-adapter resource limits and the store's memory limiter.

use std::time::Duration;

/// Limits applied to every instance of one adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory of one instance, all memories together, in bytes.
    pub memory_bytes: usize,
    /// Wall time allowed for one call into the component (enforced by epoch deadline and
    /// a host-side timeout).
    pub call_timeout: Duration,
    /// Instances of this adapter alive at once (and so deliveries in flight).
    pub max_instances: usize,
}

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
