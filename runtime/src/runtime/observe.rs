//! Circuit breakers by destination, target labels, and the Prometheus rendering of every
//! metric the runtime keeps.

use std::sync::{Arc, PoisonError};

use super::{Runtime, Target};
use crate::resilience::{Breaker, BreakerConfig, BreakerState};
use crate::telemetry::Telemetry;
use crate::telemetry::metrics_escape as escape;

/// A breaker and the label telemetry shows for it.
pub(super) type LabelledBreaker = (Arc<str>, Arc<Breaker>);

/// What a breaker protects, and how telemetry names it: the adapter and the origins of
/// the target's `url`/`urls` (so every target of one endpoint shares a breaker), or else the
/// whole target, labelled `adapter#hash` so options (which may hold secrets) never show.
pub(super) fn destination(target: &Target) -> (String, String) {
    let options: serde_json::Value = serde_json::from_str(target.normalised_options()).unwrap_or_default();
    let mut origins: Vec<String> = options
        .get("url")
        .into_iter()
        .chain(options.get("urls").and_then(serde_json::Value::as_array).into_iter().flatten())
        .filter_map(serde_json::Value::as_str)
        .filter_map(|url| reqwest::Url::parse(url).ok())
        .map(|url| url.origin().ascii_serialization())
        .collect();
    let adapter = &target.spec().adapter;
    if origins.is_empty() {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(target.identity().as_bytes());
        return (format!("target:{}", target.identity()), format!("{adapter}#{}", hex::encode(&digest[..6])));
    }
    origins.sort();
    origins.dedup();
    let origins = origins.join(" ");
    (format!("{adapter}|{origins}"), origins)
}

impl Runtime {
    /// The breaker of `destination`, created with `config` on first use (later targets
    /// naming the same destination share it, whatever their config).
    pub(super) fn breaker_for(
        &self,
        destination: &str,
        label: &Arc<str>,
        config: BreakerConfig,
    ) -> Arc<Breaker> {
        let mut breakers = self.inner.breakers.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = breakers
            .entry(destination.to_owned())
            .or_insert_with(|| (label.clone(), Arc::new(Breaker::new(config))));
        entry.1.clone()
    }

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
        let breakers: Vec<LabelledBreaker> =
            self.inner.breakers.lock().unwrap_or_else(PoisonError::into_inner).values().cloned().collect();
        for (label, breaker) in breakers {
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
