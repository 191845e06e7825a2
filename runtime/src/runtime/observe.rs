//! Telemetry access and the Prometheus rendering of every metric the runtime keeps.

use super::Runtime;
use crate::resilience::BreakerState;
use crate::telemetry::Telemetry;
use crate::telemetry::metrics_escape as escape;

impl Runtime {
    /// The telemetry hub: `subscribe()` for the event stream, `metrics()` for counters.
    pub fn telemetry(&self) -> &Telemetry {
        &self.inner.telemetry
    }

    /// Every metric in Prometheus text format: delivery counters and latency histograms,
    /// circuit-breaker states, queue depths and the dead-letter count.
    pub fn metrics_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        self.inner.telemetry.metrics().render(&mut out);
        out.push_str("# HELP jido_breaker_state Circuit breaker state: 0 closed, 1 half-open, 2 open.\n");
        out.push_str("# TYPE jido_breaker_state gauge\n");
        for (label, breaker) in self.inner.breakers.labelled() {
            let state = match breaker.state() {
                BreakerState::Closed { .. } => 0,
                BreakerState::HalfOpen { .. } => 1,
                BreakerState::Open { .. } => 2,
            };
            let _ = writeln!(out, "jido_breaker_state{{target=\"{}\"}} {state}", escape(&label));
        }
        out.push_str("# HELP jido_queue_depth Deliveries queued or in progress per subscription.\n");
        out.push_str("# TYPE jido_queue_depth gauge\n");
        for name in self.bus_names() {
            for sub in self.bus(&name).subscriptions() {
                let _ = writeln!(
                    out,
                    "jido_queue_depth{{bus=\"{}\",subscription=\"{}\"}} {}",
                    escape(&name),
                    sub.id,
                    sub.pending
                );
            }
        }
        out.push_str("# HELP jido_lane_paused Whether a target's lane is paused: 1 by an operator, 2 after no success for auto_pause_after.\n");
        out.push_str("# TYPE jido_lane_paused gauge\n");
        for name in self.bus_names() {
            for sub in self.bus(&name).subscriptions() {
                for (index, paused) in sub.paused.iter().enumerate() {
                    let value = match paused {
                        None => 0,
                        Some(crate::bus::PauseReason::NoSuccess) => 2,
                        Some(_) => 1,
                    };
                    let _ = writeln!(
                        out,
                        "jido_lane_paused{{bus=\"{}\",subscription=\"{}\",target=\"{index}\"}} {value}",
                        escape(&name),
                        sub.id
                    );
                }
            }
        }
        out.push_str("# HELP jido_dead_letters Dead letters in the store.\n");
        out.push_str("# TYPE jido_dead_letters gauge\n");
        match self.inner.dead_letters.count() {
            Ok(count) => {
                let _ = writeln!(out, "jido_dead_letters {count}");
            }
            Err(error) => tracing::warn!("cannot count dead letters: {error}"),
        }
        out
    }
}
