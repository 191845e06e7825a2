//! The conformance kit for transforms, behind `jido-dispatch transform test`:
//!
//! 1. `world`: a component of this host's `dispatch-transform` or `dispatch-view-transform`
//!    world, importing nothing of ours but `log` and `view`;
//! 2. `validate-opts`: accepts the given options as a JSON object; refuses non-JSON;
//! 3. `open`: a target of the `noop` adapter opens with it;
//! 4. `transform`: small, large (64 KiB) and binary signals each give a valid signal, a drop
//!    or the component's own error (a trap, an exceeded limit or an invalid signal fails);
//! 5. `pure`: the same signal twice gives the same answer.

use super::{Report, samples};
use crate::Runtime;
use crate::adapter::DeliveryError;
use crate::host::{AdapterConfig, HostFailure, OpenedTransform, TRANSFORM_FAILED};
use crate::signal::Signal;
use crate::target::TargetSpec;

/// The name the component is loaded under.
const NAME: &str = "transform-under-test";

/// Runs every check against `bytes` with the transform options `opts` (a JSON object).
pub async fn run(runtime: &Runtime, bytes: &[u8], opts: &str, wasi_stubs: bool) -> Report {
    let mut report = Report::default();
    let config = AdapterConfig { wasi_stubs, ..AdapterConfig::default() };
    let loaded = match runtime.load_transform(NAME, bytes, config).await {
        Ok(_) => match runtime.transform(NAME) {
            Ok(loaded) => {
                let world = loaded.pool().world();
                report.record("world", true, format!("implements jido:dispatch/{world}@0.1.0"))
            }
            Err(e) => report.record("world", false, e.to_string()),
        },
        Err(e) => report.record("world", false, e.to_string()),
    };
    let Ok(transform) = runtime.transform(NAME) else { return report };
    if !loaded {
        return report;
    }
    let normalised = match transform.validate_opts(opts).await {
        Ok(normalised) => {
            let object = serde_json::from_str::<serde_json::Value>(&normalised).is_ok_and(|v| v.is_object());
            report.record("validate-opts", object, format!("accepted {opts}, normalised to {normalised}"));
            normalised
        }
        Err(e) => {
            report.record("validate-opts", false, format!("refused {opts}: {e}"));
            return report;
        }
    };
    match transform.validate_opts("{not json").await {
        Ok(n) => report.record("rejects non-JSON", false, format!("accepted `{{not json` as {n}")),
        Err(e) => report.record("rejects non-JSON", true, e),
    };
    let options: serde_json::Value = serde_json::from_str(opts).unwrap_or_default();
    let spec = TargetSpec::new("noop").with("transform", NAME.into()).with("transform_options", options);
    match runtime.open_target(&spec).await {
        Ok(_) => report.record("open", true, "a noop target opened with it"),
        Err(e) => return fail(report, "open", e.to_string()),
    };
    let opened = match transform.open(normalised).await {
        Ok(opened) => opened,
        Err(e) => return fail(report, "open", e),
    };
    let Ok(samples) = samples() else { return report };
    for (check, signal) in &samples {
        let name = check.replace("deliver", "transform");
        let (passed, detail) = judge(&opened.apply(signal).await);
        report.record(&name, passed, detail);
    }
    let (_, small) = &samples[0];
    let (first, second) = (answer(&opened, small).await, answer(&opened, small).await);
    report.record("pure", first == second, format!("the same signal twice: {first} / {second}"));
    report
}

fn fail(mut report: Report, check: &str, detail: String) -> Report {
    report.record(check, false, detail);
    report
}

/// A transform's answer as text, for the purity check (the signal as JSON).
async fn answer(opened: &OpenedTransform, signal: &Signal) -> String {
    match opened.apply(signal).await {
        Ok(Some(out)) => out.to_json(),
        Ok(None) => "dropped".to_owned(),
        Err(e) => e.to_string(),
    }
}

fn judge(outcome: &Result<Option<Signal>, DeliveryError>) -> (bool, String) {
    match outcome {
        Ok(Some(out)) => {
            (true, format!("returned a signal of type {} ({} bytes as JSON)", out.ty, out.to_json().len()))
        }
        Ok(None) => (true, "dropped it".to_owned()),
        Err(e) if e.failure().message.contains("returned an invalid signal") => (false, e.to_string()),
        Err(e) if e.code() == Some(TRANSFORM_FAILED) => (true, format!("refused it: {e}")),
        Err(e) if e.code().and_then(HostFailure::from_code).is_some_and(HostFailure::is_the_component) => {
            (false, e.to_string())
        }
        Err(e) => (false, e.to_string()),
    }
}
