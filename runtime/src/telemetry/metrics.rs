//! Delivery counters and latency histograms per adapter and outcome, and counters of the
//! host's own failures (a component past a limit, a trap, a pool timeout) per adapter and
//! [`HostFailure`], in Prometheus text.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use std::sync::Arc;
use std::time::Duration;

use crate::adapter::DeliveryError;
use crate::host::HostFailure;

/// Histogram bucket bounds, in seconds.
const BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// The bounded outcome labels, in the order of each adapter's series.
const OUTCOMES: [&str; 3] = ["ok", "retryable", "permanent"];

/// Counters and histograms per adapter, one series per outcome.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<Arc<str>, [Series; 3]>>,
    /// Attempts that ended in a host failure, by adapter and failure (both bounded).
    host_failures: Mutex<BTreeMap<(Arc<str>, &'static str), u64>>,
    /// Signals a target's transform dropped, by adapter.
    filtered: Mutex<BTreeMap<Arc<str>, u64>>,
}

/// The index in [`OUTCOMES`] of an attempt's outcome.
fn outcome(result: &Result<(), DeliveryError>) -> usize {
    match result {
        Ok(()) => 0,
        Err(error) if error.is_retryable() => 1,
        Err(_) => 2,
    }
}

impl Metrics {
    /// Counts one attempt of `adapter` (no allocation once the adapter has been seen).
    pub(crate) fn observe(&self, adapter: &Arc<str>, duration: Duration, result: &Result<(), DeliveryError>) {
        let seconds = duration.as_secs_f64();
        if let Some(failure) = result.as_ref().err().and_then(|e| e.code()).and_then(HostFailure::from_code) {
            let mut counts = self.host_failures.lock().unwrap_or_else(PoisonError::into_inner);
            *counts.entry((adapter.clone(), failure.code())).or_default() += 1;
        }
        let mut series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        if !series.contains_key(&**adapter) {
            series.insert(adapter.clone(), Default::default());
        }
        let Some(all) = series.get_mut(&**adapter) else { return };
        let entry = &mut all[outcome(result)];
        entry.count += 1;
        entry.sum += seconds;
        for (bound, bucket) in BUCKETS.iter().zip(entry.buckets.iter_mut()) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
    }

    /// Counts one signal a transform dropped for a target of `adapter`.
    pub(crate) fn filtered(&self, adapter: &Arc<str>) {
        *self.filtered.lock().unwrap_or_else(PoisonError::into_inner).entry(adapter.clone()).or_default() +=
            1;
    }

    /// Signals transforms dropped for targets of `adapter`.
    pub fn filtered_count(&self, adapter: &str) -> u64 {
        self.filtered.lock().unwrap_or_else(PoisonError::into_inner).get(adapter).copied().unwrap_or(0)
    }

    /// Attempts counted for `adapter` with `outcome` (`ok`, `retryable`, `permanent`).
    pub fn count(&self, adapter: &str, outcome: &str) -> u64 {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        let index = OUTCOMES.iter().position(|o| *o == outcome);
        match (series.get(adapter), index) {
            (Some(all), Some(index)) => all[index].count,
            _ => 0,
        }
    }

    /// Attempts of `adapter` that ended in the host failure `failure`.
    pub fn host_failures(&self, adapter: &str, failure: HostFailure) -> u64 {
        let counts = self.host_failures.lock().unwrap_or_else(PoisonError::into_inner);
        counts.iter().find(|((a, f), _)| &**a == adapter && *f == failure.code()).map_or(0, |(_, n)| *n)
    }

    /// Every (adapter, outcome, attempts) counted so far.
    pub fn counts(&self) -> Vec<(Arc<str>, &'static str, u64)> {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        series
            .iter()
            .flat_map(|(adapter, all)| OUTCOMES.iter().zip(all).map(|(o, s)| (adapter.clone(), *o, s.count)))
            .collect()
    }

    /// Appends the counters and histograms in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let all = self.series.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let series: Vec<((Arc<str>, &str), Series)> = all
            .into_iter()
            .flat_map(|(adapter, per)| {
                OUTCOMES
                    .iter()
                    .zip(per)
                    .filter(|(_, s)| s.count > 0)
                    .map(move |(o, s)| ((adapter.clone(), *o), s))
            })
            .collect();
        out.push_str("# HELP jido_deliveries_total Delivery attempts by adapter and outcome.\n");
        out.push_str("# TYPE jido_deliveries_total counter\n");
        for ((adapter, outcome), s) in &series {
            let _ = writeln!(
                out,
                "jido_deliveries_total{{adapter=\"{}\",outcome=\"{outcome}\"}} {}",
                escape(adapter),
                s.count
            );
        }
        out.push_str(
            "# HELP jido_delivery_duration_seconds Delivery attempt latency by adapter and outcome.\n",
        );
        out.push_str("# TYPE jido_delivery_duration_seconds histogram\n");
        for ((adapter, outcome), s) in &series {
            let labels = format!("adapter=\"{}\",outcome=\"{outcome}\"", escape(adapter));
            for (bound, count) in BUCKETS.iter().zip(s.buckets) {
                let _ =
                    writeln!(out, "jido_delivery_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}");
            }
            let _ =
                writeln!(out, "jido_delivery_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "jido_delivery_duration_seconds_sum{{{labels}}} {}", s.sum);
            let _ = writeln!(out, "jido_delivery_duration_seconds_count{{{labels}}} {}", s.count);
        }
        let host_failures = self.host_failures.lock().unwrap_or_else(PoisonError::into_inner).clone();
        out.push_str(
            "# HELP jido_host_failures_total Attempts the host ended: a component past a limit, a trap, \
             a pool timeout.\n",
        );
        out.push_str("# TYPE jido_host_failures_total counter\n");
        for ((adapter, failure), count) in host_failures {
            let _ = writeln!(
                out,
                "jido_host_failures_total{{adapter=\"{}\",failure=\"{failure}\"}} {count}",
                escape(&adapter)
            );
        }
        let filtered = self.filtered.lock().unwrap_or_else(PoisonError::into_inner).clone();
        out.push_str("# HELP jido_transform_filtered_total Signals a target's transform dropped (delivered as filtered).\n");
        out.push_str("# TYPE jido_transform_filtered_total counter\n");
        for (adapter, count) in filtered {
            let _ =
                writeln!(out, "jido_transform_filtered_total{{adapter=\"{}\"}} {count}", escape(&adapter));
        }
    }
}

/// Escapes a Prometheus label value.
pub fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::Metrics;
    use crate::adapter::DeliveryError;
    use crate::host::HostFailure;

    #[test]
    fn host_failures_are_counted_apart_from_what_adapters_report() {
        let metrics = Metrics::default();
        let adapter: Arc<str> = Arc::from("tenant-a");
        let tick = Duration::from_millis(1);
        metrics.observe(&adapter, tick, &Err(HostFailure::FuelLimit.error("out of fuel")));
        metrics.observe(&adapter, tick, &Err(HostFailure::FuelLimit.error("out of fuel")));
        metrics.observe(&adapter, tick, &Err(HostFailure::TimeLimit.error("too slow")));
        metrics.observe(&adapter, tick, &Err(DeliveryError::retryable("http_503", "busy")));
        metrics.observe(&adapter, tick, &Ok(()));
        assert_eq!(metrics.host_failures("tenant-a", HostFailure::FuelLimit), 2);
        assert_eq!(metrics.host_failures("tenant-a", HostFailure::TimeLimit), 1);
        assert_eq!(metrics.host_failures("tenant-a", HostFailure::AdapterTrap), 0);
        assert_eq!(metrics.count("tenant-a", "retryable"), 2, "time_limit and http_503");
        let mut text = String::new();
        metrics.render(&mut text);
        assert!(
            text.contains("jido_host_failures_total{adapter=\"tenant-a\",failure=\"fuel_limit\"} 2"),
            "{text}"
        );
        assert!(!text.contains("failure=\"http_503\""), "an adapter's own code is not a host failure");
    }
}
