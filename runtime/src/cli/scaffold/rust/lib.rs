//! {{name}}: a jido-dispatch adapter in Rust, on the guest SDK (`sdk/`).

use jido_dispatch_sdk::log::{self, Level};
use jido_dispatch_sdk::{Adapter, DeliveryError, Signal};
use serde::{Deserialize, Serialize};

/// The options targets give this adapter (unknown keys are refused).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// `debug`, `info`, `warn` or `error`.
    #[serde(default = "default_level")]
    pub level: String,
}

fn default_level() -> String {
    "info".to_owned()
}

/// An opened target.
pub struct Logger {
    level: Level,
}

impl Adapter for Logger {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        match opts.level.as_str() {
            "debug" | "info" | "warn" | "error" => Ok(()),
            other => Err(format!("level: expected one of debug, info, warn, error, got {other:?}")),
        }
    }

    fn open(opts: Options) -> Result<Self, String> {
        let level = match opts.level.as_str() {
            "debug" => Level::Debug,
            "warn" => Level::Warn,
            "error" => Level::Error,
            _ => Level::Info,
        };
        Ok(Logger { level })
    }

    /// Return `Err(jido_dispatch_sdk::outcome::retryable(code, message))` or `permanent` to fail.
    fn deliver(&self, signal: &Signal) -> Result<(), DeliveryError> {
        log::log(self.level, &format!("{} from {}", signal.type_, signal.source), &[]);
        Ok(())
    }
}

jido_dispatch_sdk::export_adapter!(Logger);
