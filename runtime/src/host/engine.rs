//! The wasmtime engine: component model, pooling allocator, epoch interruption, and the
//! thread that advances the epoch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::HostError;

/// How often the epoch advances: the granularity of per-call time limits.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Engine-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineSettings {
    /// Component instances alive at once across every adapter (pooling allocator slots).
    pub max_total_instances: u32,
    /// Largest linear memory any one instance may have, in bytes.
    pub max_memory_bytes: usize,
    /// Whether fuel metering is compiled in, so adapters may have a [`Limits::fuel`]
    /// (costs some speed on every call of every adapter; off by default).
    ///
    /// [`Limits::fuel`]: super::Limits::fuel
    pub fuel: bool,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings { max_total_instances: 1024, max_memory_bytes: 256 << 20, fuel: false }
    }
}

/// Builds the engine every adapter of a runtime shares.
pub fn build_engine(settings: &EngineSettings) -> Result<Engine, HostError> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(settings.max_total_instances)
        .total_core_instances(settings.max_total_instances.saturating_mul(4))
        .total_memories(settings.max_total_instances.saturating_mul(2))
        .total_tables(settings.max_total_instances.saturating_mul(4))
        .max_memory_size(settings.max_memory_bytes);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .consume_fuel(settings.fuel)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(|e| HostError::Engine(e.to_string()))
}

/// Advances an engine's epoch every [`EPOCH_TICK`] on a dedicated thread (not a tokio
/// task: a paused test clock must not stop guest time limits). Stops when dropped.
#[derive(Debug)]
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts ticking `engine`.
    pub fn start(engine: Engine) -> Result<Self, HostError> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("jido-epoch".to_owned())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .map_err(|e| HostError::Engine(format!("cannot start the epoch thread: {e}")))?;
        Ok(EpochTicker { stop, thread: Some(thread) })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
