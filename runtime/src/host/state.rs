//! What a store holds: WASI context, resource table, limiter and the caller's identity.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::channel::ChannelCtx;
use super::http::HttpService;
use super::limits::MemoryLimiter;
use crate::adapter::DeliveryContext;

/// Where a component's WASI stdout and stderr go.
#[derive(Debug, Clone, Default)]
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
    /// HTTP clients, pools and policy.
    pub http: Arc<HttpService>,
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
        memory_bytes: usize,
        channels: ChannelCtx,
        http: Arc<HttpService>,
    ) -> Self {
        let mut wasi = WasiCtxBuilder::new();
        match stdio {
            Stdio::Closed => {}
            Stdio::Inherit => {
                wasi.inherit_stdout().inherit_stderr();
            }
            Stdio::Capture { stdout, stderr } => {
                wasi.stdout(stdout.clone()).stderr(stderr.clone());
            }
        }
        HostState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(memory_bytes),
            adapter,
            channels,
            call: DeliveryContext::default(),
            http,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}
