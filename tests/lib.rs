//! Shared helpers for the integration tests, and the test-only guest components built
//! from `tests/guests/` by `build.rs`.

use std::path::PathBuf;

use jido_dispatch::host::{MemoryOutputPipe, Stdio};
use jido_dispatch::signal::Signal;
use jido_dispatch::{Runtime, RuntimeBuilder};

mod nats;
mod nats_cluster;
mod probe;
mod receiver;
mod recorder;
mod scripted;
pub mod verify;

pub use nats::NatsServer;
pub use nats_cluster::NatsCluster;
pub use probe::Probe;
pub use receiver::{Receiver, Recorded, Reply};
pub use recorder::Recorder;
pub use scripted::Scripted;

/// A test adapter's options, parsed (errors as an [`OptionsError`] of `adapter`).
///
/// [`OptionsError`]: jido_dispatch::adapter::OptionsError
pub(crate) fn test_options<T: serde::de::DeserializeOwned>(
    adapter: &str,
    opts: &str,
) -> Result<T, jido_dispatch::adapter::OptionsError> {
    serde_json::from_str(opts).map_err(|e| jido_dispatch::adapter::OptionsError {
        adapter: adapter.to_owned(),
        message: e.to_string(),
    })
}

mod generated {
    include!(concat!(env!("OUT_DIR"), "/test_guests.rs"));
}

/// The component bytes of the test guest `name` (a directory of `tests/guests/`).
pub fn guest(name: &str) -> &'static [u8] {
    generated::TEST_GUESTS
        .iter()
        .find(|(n, ..)| *n == name)
        .map(|(_, bytes, ..)| *bytes)
        .unwrap_or_else(|| panic!("no test guest called {name}"))
}

/// A builder like [`builder`] whose http targets may reach loopback (as `[egress]
/// allow_private = ["127.0.0.0/8", "::1/128"]` does), for tests against local receivers.
pub fn loopback_builder(cache_root: &str) -> RuntimeBuilder {
    let loopback = ["127.0.0.0/8", "::1/128"]
        .iter()
        .map(|net| jido_dispatch::host::http::IpNet::parse(net).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    builder(cache_root).allow_private(loopback)
}

/// A builder whose compile cache lives under `cache_root` (tests pass
/// `env!("CARGO_TARGET_TMPDIR")`), so test runs after the first skip Cranelift.
pub fn builder(cache_root: &str) -> RuntimeBuilder {
    Runtime::builder().compile_cache(Some(PathBuf::from(cache_root).join("compile-cache")))
}

/// Captured console output.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The console adapter's stdout.
    pub stdout: MemoryOutputPipe,
    /// The console adapter's stderr.
    pub stderr: MemoryOutputPipe,
}

impl Captured {
    /// New empty pipes (up to 16 MiB each).
    pub fn new() -> Self {
        Captured { stdout: MemoryOutputPipe::new(16 << 20), stderr: MemoryOutputPipe::new(16 << 20) }
    }

    /// The stdio setting that writes into these pipes.
    pub fn stdio(&self) -> Stdio {
        Stdio::Capture { stdout: self.stdout.clone(), stderr: self.stderr.clone() }
    }

    /// What was written to stdout so far, as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout.contents()).into_owned()
    }

    /// What was written to stderr so far, as text.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents()).into_owned()
    }
}

impl Default for Captured {
    fn default() -> Self {
        Self::new()
    }
}

/// A signal with fixed id and time, so outputs can be compared exactly.
pub fn sample_signal(ty: &str) -> Signal {
    Signal::builder(ty, "/test")
        .id("0001")
        .time("2026-01-02T03:04:05Z")
        .subject("user-1")
        .data_json(&serde_json::json!({"id": 1, "name": "Ada"}))
        .build()
        .unwrap_or_else(|e| panic!("sample signal is valid: {e}"))
}
