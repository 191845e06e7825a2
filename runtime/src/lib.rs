//! # jido-dispatch
//!
//! A signal dispatcher whose delivery adapters are sandboxed WebAssembly components.
//!
//! Applications hand [`signal::Signal`]s (CloudEvents 1.0) to the [`Runtime`], which
//! delivers them to [`target::TargetSpec`]s: an adapter name plus options. Adapters are
//! Wasm components of the `jido:dispatch/dispatch-adapter` world (see `wit/`), run by the
//! [`host`] with memory and time limits; the host owns everything stateful.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use jido_dispatch::{Runtime, signal::Signal, target::TargetSpec};
//!
//! let runtime = Runtime::builder().build()?;
//! let target = runtime
//!     .open_target(&TargetSpec::new("console").with("format", "json".into()))
//!     .await?;
//! let signal = Signal::builder("user.created", "/demo").build()?;
//! runtime.dispatch(&signal, &target).await?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod adapter;
pub mod builtin;
pub mod bus;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod conformance;
#[cfg(feature = "daemon")]
pub mod daemon;
pub mod dead_letter;
pub mod dispatch;
pub mod host;
#[cfg(feature = "cluster")]
pub mod jetstream;
pub mod mailbox;
pub mod manifest;
pub mod outbound;
pub mod pubsub;
pub mod resilience;
pub mod routing;
mod runtime;
pub mod signal;
pub mod target;
mod target_http;
pub mod telemetry;

pub use runtime::{Health, HealthStatus, RedriveError, Runtime, RuntimeBuilder, Target, TargetOpenError};
