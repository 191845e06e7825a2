//! What a store holds: WASI context, resource table, limiter and the caller's identity.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::channel::ChannelCtx;
use super::http::{HttpCtx, HttpService};
use super::limits::MemoryLimiter;
use super::stderr::{Forward, StderrTail};
use crate::adapter::DeliveryContext;

/// Where a component's WASI stdout and stderr go.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Stdio {
    /// Closed: writes are discarded (the default for every adapter but `console`).
    #[default]
    Closed,
    /// The host process's stdout and stderr.
    Inherit,
    /// In-memory pipes, for tests and benchmarks.
    Capture {
        /// Receives stdout.
        stdout: MemoryOutputPipe,
        /// Receives stderr.
        stderr: MemoryOutputPipe,
    },
}

/// The data of one store (one component instance).
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    /// Memory limiter of this instance.
    pub limiter: MemoryLimiter,
    /// Name of the adapter this instance runs; tags log records.
    pub adapter: Arc<str>,
    /// The channel backend and this adapter's grants.
    pub channels: ChannelCtx,
    /// The delivery being made, set before each call.
    pub call: DeliveryContext,
    /// The `http` import's clients, policy and this adapter's body caps.
    pub http: HttpCtx,
    /// The running call's clock and the limits the epoch callback enforces.
    pub guard: CallGuard,
    /// The `log` import's budget and dropped records.
    pub log: super::log::LogCtx,
    /// What the running call wrote to stderr last.
    pub stderr: StderrTail,
    /// The signal lent to the running call through `view` (`host/view.rs`).
    pub(super) lent: super::view::LentSignal,
}

/// When the running call started and how long it may run; read by the epoch callback.
#[derive(Debug, Clone, Copy)]
pub struct CallGuard {
    /// The first epoch tick of the running call: unset until that tick, so that a call
    /// reads no clock to start (most calls end before any tick). The limit is measured from
    /// there, so a call may overrun it by up to one `EPOCH_TICK`, never be cut short.
    pub started: Option<std::time::Instant>,
    /// Its time limit.
    pub timeout: std::time::Duration,
    /// Whether to throttle it past the grace period.
    pub throttle: bool,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState").field("adapter", &self.adapter).finish_non_exhaustive()
    }
}

impl HostState {
    /// State for a new instance of `adapter`.
    pub fn new(
        adapter: Arc<str>,
        stdio: &Stdio,
        limits: &super::limits::Limits,
        channels: ChannelCtx,
        http: Arc<HttpService>,
        log_budget: Arc<super::limits::LogBudget>,
    ) -> Self {
        let mut wasi = WasiCtxBuilder::new();
        // stderr always goes through the tail (what a trap's error quotes), and on to its
        // grant if there is one.
        let stderr = match stdio {
            Stdio::Closed => StderrTail::new(None),
            Stdio::Inherit => {
                wasi.inherit_stdout();
                StderrTail::new(Some(Forward::Terminal))
            }
            Stdio::Capture { stdout, stderr } => {
                wasi.stdout(stdout.clone());
                StderrTail::new(Some(Forward::Pipe(stderr.clone())))
            }
        };
        wasi.stderr(stderr.clone());
        HostState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(limits.memory_bytes),
            http: HttpCtx::new(adapter.clone(), http, (limits.max_request_bytes, limits.max_response_bytes)),
            adapter,
            channels,
            call: DeliveryContext::default(),
            lent: super::view::LentSignal::default(),
            guard: CallGuard {
                started: None,
                timeout: limits.call_timeout,
                throttle: limits.throttle_long_calls,
            },
            log: super::log::LogCtx::new(log_budget),
            stderr,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
