//! The `console` adapter: prints signals to the process's stdout or stderr.
//!
//! It writes through WASI stdout/stderr, which the host grants to this adapter alone.
//! Formats: `pretty` (multi-line, for people), `json` (one line of CloudEvents JSON),
//! `compact` (one short line).

mod render;

use std::io::Write as _;

use jido_dispatch_sdk::{Adapter, DeliveryError, Incoming, Signal, outcome};
use serde::{Deserialize, Serialize};

/// Output format.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Multi-line, human-readable.
    #[default]
    Pretty,
    /// One line of CloudEvents structured-mode JSON.
    Json,
    /// One short line: time, type, source, id.
    Compact,
}

/// Where the output goes.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// Standard output.
    #[default]
    Stdio,
    /// Standard error.
    Stderr,
}

/// `console` options.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Output format (default `pretty`).
    #[serde(default)]
    pub format: Format,
    /// ANSI colours in `pretty` and `compact` output (default `true`).
    #[serde(default = "yes")]
    pub colors: bool,
    /// `stdio` (default) or `stderr`.
    #[serde(default)]
    pub device: Device,
}

fn yes() -> bool {
    true
}

/// The opened `console` target.
#[derive(Debug)]
pub struct Console {
    opts: Options,
}

impl Adapter for Console {
    type Options = Options;

    fn open(opts: Options) -> Result<Self, String> {
        Ok(Console { opts })
    }

    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        self.write(render::render(signal, self.opts.format, self.opts.colors))
    }

    /// The `json` format is the host's own CloudEvents encoding of the lent signal; the
    /// others render a copy of it.
    fn deliver_incoming(&self, signal: Incoming<'_>) -> Result<(), DeliveryError> {
        match self.opts.format {
            Format::Json => self.write(signal.to_json()),
            _ => self.deliver(&signal.signal()),
        }
    }
}

impl Console {
    fn write(&self, mut text: String) -> Result<(), DeliveryError> {
        text.push('\n');
        let written = match self.opts.device {
            Device::Stdio => std::io::stdout().lock().write_all(text.as_bytes()),
            Device::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
        };
        written.map_err(|e| outcome::retryable("io", format!("console write failed: {e}")))
    }
}

jido_dispatch_sdk::export_adapter!(Console);
