//! The conformance kit behind `jido-dispatch adapter test`: a fixed set of checks any
//! adapter component must pass, whatever its language.
//!
//! 1. `world`: it is a component of this host's `dispatch-adapter` (or
//!    `dispatch-view-adapter`) world and version, and
//!    imports nothing the host does not offer;
//! 2. `validate-opts`: accepts the given options and returns a JSON object; refuses non-JSON;
//! 3. `deliver`: small, large (64 KiB) and binary signals each come back as a value, success
//!    or a classified error (a trap or an exceeded limit fails the check);
//! 4. `deliver-batch`: one result per signal;
//! 5. `health-check`: answers (healthy or a reason) without trapping.
//!
//! Everything runs under the default limits, so "stays within default limits" is part of
//! every call. [`transform::run`] is the kit for transforms (`jido-dispatch transform test`).

pub mod transform;

use std::fmt;

use crate::Runtime;
use crate::adapter::DeliveryError;
use crate::host::{AdapterConfig, ChannelGrants, HostFailure, HttpGrant};
use crate::signal::{Data, Signal};
use crate::target::TargetSpec;

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Short name, e.g. `deliver binary`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was seen.
    pub detail: String,
}

/// Every check, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The checks run (later checks are skipped when the component cannot load or open).
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.passed)
    }

    pub(crate) fn record(&mut self, name: &str, passed: bool, detail: impl Into<String>) -> bool {
        self.checks.push(Check { name: name.to_owned(), passed, detail: detail.into() });
        passed
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            let mark = if check.passed { "PASS" } else { "FAIL" };
            writeln!(f, "{mark}  {:<22} {}", check.name, check.detail)?;
        }
        let failed = self.checks.iter().filter(|c| !c.passed).count();
        if failed == 0 {
            write!(f, "all {} checks passed", self.checks.len())
        } else {
            write!(f, "{failed} of {} checks failed", self.checks.len())
        }
    }
}

fn judge(outcome: &Result<(), DeliveryError>) -> (bool, String) {
    match outcome {
        Ok(()) => (true, "delivered".to_owned()),
        // The component broke (a host failure of its own), not its destination refusing.
        Err(e) if e.code().and_then(HostFailure::from_code).is_some_and(HostFailure::is_the_component) => {
            (false, e.to_string())
        }
        Err(e) => (true, format!("returned a classified error: {e}")),
    }
}

pub(crate) fn samples() -> Result<[(&'static str, Signal); 3], String> {
    let build = |ty: &str, data: Data| Signal::builder(ty, "/conformance").data(data).build();
    let small = build("conformance.small", Data::json(&serde_json::json!({"n": 1})));
    let large = build("conformance.large", Data::json(&serde_json::json!({"blob": "x".repeat(64 * 1024)})));
    let binary =
        build("conformance.binary", Data::binary((0..=255u8).cycle().take(4096).collect::<Vec<u8>>()));
    match (small, large, binary) {
        (Ok(s), Ok(l), Ok(b)) => Ok([("deliver small", s), ("deliver large", l), ("deliver binary", b)]),
        _ => Err("cannot build the sample signals".to_owned()),
    }
}

/// Runs every check against `bytes` with the target options `opts` (a JSON object). The
/// component gets the grants a built-in would: its options' URLs, every channel, and the
/// WASI stubs (empty filesystem, no network) when `wasi_stubs` is set.
pub async fn run(runtime: &Runtime, bytes: &[u8], opts: &str, wasi_stubs: bool) -> Report {
    let mut report = Report::default();
    let config = AdapterConfig {
        http: HttpGrant::FromOptions,
        channels: ChannelGrants::everything(),
        wasi_stubs,
        ..AdapterConfig::default()
    };
    let name = "adapter-under-test";
    if !match runtime.load_adapter(name, bytes, config).await {
        Ok(_) => match runtime.loaded_adapter(name) {
            Some(loaded) => {
                let world = loaded.pool().world();
                report.record("world", true, format!("implements jido:dispatch/{world}@0.1.0"))
            }
            None => report.record("world", false, "the adapter did not stay loaded"),
        },
        Err(e) => report.record("world", false, e.to_string()),
    } {
        return report;
    }
    let Ok(adapter) = runtime.adapter(name) else { return report };
    match adapter.validate_opts(opts).await {
        Ok(normalised) => {
            let object = serde_json::from_str::<serde_json::Value>(&normalised).is_ok_and(|v| v.is_object());
            report.record("validate-opts", object, format!("accepted {opts}, normalised to {normalised}"));
        }
        Err(e) => {
            report.record("validate-opts", false, format!("refused {opts}: {}", e.message));
        }
    }
    match adapter.validate_opts("{not json").await {
        Ok(normalised) => {
            report.record("rejects non-JSON", false, format!("accepted `{{not json` as {normalised}"))
        }
        Err(e) => report.record("rejects non-JSON", true, e.message),
    };
    let spec = match serde_json::from_str::<serde_json::Value>(opts) {
        Ok(serde_json::Value::Object(map)) => {
            map.into_iter().fold(TargetSpec::new(name), |spec, (key, value)| spec.with(&key, value))
        }
        _ => TargetSpec::new(name),
    };
    let target = match runtime.open_target(&spec).await {
        Ok(target) => {
            report.record("open", true, "target opened");
            target
        }
        Err(e) => {
            report.record("open", false, e.to_string());
            return report;
        }
    };
    let Ok(samples) = samples() else { return report };
    for (check, signal) in &samples {
        let (passed, detail) = judge(&target.deliver(signal).await);
        report.record(check, passed, detail);
    }
    let batch: Vec<Signal> = samples.iter().map(|(_, s)| s.clone()).collect();
    let results = target.endpoint().deliver_batch(&batch, target.context(0)).await;
    let broken = results.iter().find_map(|r| match judge(r) {
        (false, why) => Some(why),
        _ => None,
    });
    match broken {
        Some(why) => report.record("deliver-batch", false, why),
        None => report.record(
            "deliver-batch",
            true,
            format!("{} results for {} signals", results.len(), batch.len()),
        ),
    };
    match target.health_check().await {
        Ok(()) => report.record("health-check", true, "healthy"),
        Err(why) if why.contains("trapped") || why.contains("exceeded its") => {
            report.record("health-check", false, why)
        }
        Err(why) => report.record("health-check", true, format!("answered unhealthy: {why}")),
    };
    report
}
