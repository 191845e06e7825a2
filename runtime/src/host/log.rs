//! The [`log`](../../../wit/log.wit) import: component log records into `tracing`.
//!
//! Records go to the `jido_dispatch::adapter` target with the adapter's name and the
//! component's fields rendered as `key=value` pairs.

use std::sync::Arc;

use super::bindings::log::{Host, Level};
use super::bindings::sync_calls::jido::dispatch::log::{Host as SyncHost, Level as SyncLevel};
use super::convert::cap_message;
use super::limits::LogBudget;
use super::state::HostState;

/// Emits one event at a runtime-chosen level (tracing's levels are static per call site).
macro_rules! event {
    ($level:expr, $($rest:tt)+) => {
        match $level {
            Level::Trace => tracing::trace!(target: "jido_dispatch::adapter", $($rest)+),
            Level::Debug => tracing::debug!(target: "jido_dispatch::adapter", $($rest)+),
            Level::Info => tracing::info!(target: "jido_dispatch::adapter", $($rest)+),
            Level::Warn => tracing::warn!(target: "jido_dispatch::adapter", $($rest)+),
            Level::Error => tracing::error!(target: "jido_dispatch::adapter", $($rest)+),
        }
    };
}

/// The `log` import's state in one instance: the adapter's budget (shared by its
/// instances) and the records the running call had dropped.
#[derive(Debug)]
pub struct LogCtx {
    budget: Arc<LogBudget>,
    dropped: u64,
}

/// A component logged past its budget: the record was dropped and the call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("log limit exceeded")]
pub struct LogLimitExceeded;

impl LogCtx {
    /// State drawing on `budget`.
    pub fn new(budget: Arc<LogBudget>) -> Self {
        LogCtx { budget, dropped: 0 }
    }

    /// Emits one record of `adapter`, or drops and counts it when the budget is spent.
    pub fn record(
        &mut self,
        adapter: &str,
        level: Level,
        message: String,
        fields: &[(String, String)],
    ) -> Result<(), LogLimitExceeded> {
        if !self.budget.take() {
            self.dropped += 1;
            return Err(LogLimitExceeded);
        }
        let message = cap_message(message);
        if fields.is_empty() {
            event!(level, adapter, "{message}");
        } else {
            let fields = cap_message(render_fields(fields));
            event!(level, adapter, fields, "{message}");
        }
        Ok(())
    }

    /// Records dropped so far (the pool reports a call that dropped any as `log_limit`).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl Host for HostState {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        // Over budget the call ends (reported as `log_limit`).
        self.log.record(&self.adapter, level, message, &fields).map_err(wasmtime::Error::new)
    }
}

/// The same import for synchronous calls (`host/sync_io.rs`).
impl SyncHost for HostState {
    fn log(
        &mut self,
        level: SyncLevel,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        let level = match level {
            SyncLevel::Trace => Level::Trace,
            SyncLevel::Debug => Level::Debug,
            SyncLevel::Info => Level::Info,
            SyncLevel::Warn => Level::Warn,
            SyncLevel::Error => Level::Error,
        };
        self.log.record(&self.adapter, level, message, &fields).map_err(wasmtime::Error::new)
    }
}

/// `k1=v1 k2=v2`, values quoted when they contain spaces or quotes.
fn render_fields(fields: &[(String, String)]) -> String {
    let mut out = String::new();
    for (key, value) in fields {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(key);
        out.push('=');
        if value.contains([' ', '"', '=']) || value.is_empty() {
            out.push_str(&format!("{value:?}"));
        } else {
            out.push_str(value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Level, LogBudget, LogCtx, LogLimitExceeded, render_fields};

    #[test]
    fn records_within_the_budget_pass_and_past_it_are_dropped_and_counted() {
        let mut open = LogCtx::new(Arc::new(LogBudget::new(u32::MAX)));
        for _ in 0..1000 {
            open.record("a", Level::Info, "hello".into(), &[]).expect("unlimited");
        }
        assert_eq!(open.dropped(), 0);
        let mut spent = LogCtx::new(Arc::new(LogBudget::spent_for_an_hour()));
        assert_eq!(spent.record("a", Level::Warn, "one".into(), &[]), Err(LogLimitExceeded));
        assert_eq!(spent.record("a", Level::Warn, "two".into(), &[]), Err(LogLimitExceeded));
        assert_eq!(spent.dropped(), 2);
    }

    #[test]
    fn fields_render_as_key_value_pairs_quoting_spaces() {
        let fields = vec![("a".to_owned(), "1".to_owned()), ("b".to_owned(), "x y".to_owned())];
        assert_eq!(render_fields(&fields), "a=1 b=\"x y\"");
    }
}
