//! The [`log`](../../../wit/log.wit) import: component log records into `tracing`.
//!
//! Records go to the `jido_dispatch::adapter` target with the adapter's name and the
//! component's fields rendered as `key=value` pairs.

use super::bindings::log::{Host, Level};
use super::convert::cap_message;
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

impl Host for HostState {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        if !self.log_budget.take() {
            // Over budget: the record is dropped and the call ends (reported as `log_limit`).
            self.logs_dropped += 1;
            return Err(wasmtime::Error::msg("log limit exceeded"));
        }
        let adapter = &*self.adapter;
        let message = cap_message(message);
        if fields.is_empty() {
            event!(level, adapter, "{message}");
        } else {
            let fields = cap_message(render_fields(&fields));
            event!(level, adapter, fields, "{message}");
        }
        Ok(())
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
    use super::render_fields;

    #[test]
    fn fields_render_as_key_value_pairs_quoting_spaces() {
        let fields = vec![("a".to_owned(), "1".to_owned()), ("b".to_owned(), "x y".to_owned())];
        assert_eq!(render_fields(&fields), "a=1 b=\"x y\"");
    }
}
