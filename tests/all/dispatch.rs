//! The dispatch API: many targets, batches, async targets, error aggregation.

use std::sync::Arc;
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::host::AdapterConfig;
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Recorder, builder, guest};
use serde_json::json;

async fn setup() -> (Runtime, Recorder) {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime starts");
    runtime.load_adapter("trap", guest("hostile"), AdapterConfig::default()).await.expect("loads");
    let recorder = Recorder::new();
    runtime.register_adapter("recorder", Arc::new(recorder.clone()));
    (runtime, recorder)
}

fn nowhere() -> TargetSpec {
    TargetSpec::new("bus").with("bus", json!("no-such-bus"))
}

#[tokio::test]
async fn every_failure_is_reported_in_configuration_order() {
    let (runtime, recorder) = setup().await;
    let specs = [
        nowhere(),
        TargetSpec::new("noop"),
        TargetSpec::new("recorder").with("name", json!("r")),
        TargetSpec::new("trap"),
        nowhere().with("pool", json!("p")),
    ];
    let mut targets = Vec::new();
    for spec in &specs {
        targets.push(runtime.open_target(spec).await.expect("opens"));
    }
    let err = runtime
        .dispatch_to(&Signal::builder("trap", "/t").build().expect("valid"), &targets)
        .await
        .expect_err("fails");
    let failed: Vec<(usize, &str, Option<&str>)> =
        err.failures.iter().map(|f| (f.index, f.adapter.as_str(), f.error.code())).collect();
    assert_eq!(
        failed,
        [
            (0, "bus", Some("bus_not_found")),
            (3, "trap", Some("adapter_trap")),
            (4, "bus", Some("bus_not_found"))
        ]
    );
    assert_eq!(recorder.received("r").len(), 1, "healthy targets still got the signal");
    assert!(err.to_string().starts_with("3 target(s) failed: [0] bus: bus_not_found"), "{err}");
}

#[tokio::test]
async fn a_single_target_returns_its_own_error() {
    let (runtime, _) = setup().await;
    let target = runtime.open_target(&nowhere()).await.expect("opens");
    let err = runtime
        .dispatch(&Signal::builder("a", "/t").build().expect("valid"), &target)
        .await
        .expect_err("fails");
    assert_eq!(err.code(), Some("bus_not_found"));
}

#[tokio::test]
async fn batch_errors_carry_the_signal_index_ascending() {
    let (runtime, recorder) = setup().await;
    let targets = vec![
        runtime.open_target(&TargetSpec::new("trap")).await.expect("opens"),
        runtime.open_target(&TargetSpec::new("recorder").with("name", json!("all"))).await.expect("opens"),
    ];
    let types = ["ok", "trap", "ok", "ok", "trap", "ok", "trap"];
    let signals: Vec<Signal> =
        types.iter().map(|t| Signal::builder(*t, "/t").build().expect("valid")).collect();
    let err = runtime.dispatch_batch(&signals, &targets, 3).await.expect_err("some fail");
    let indices: Vec<usize> = err.failures.iter().map(|(i, _)| *i).collect();
    assert_eq!(indices, [1, 4, 6]);
    assert!(err.failures.iter().all(|(_, e)| e.failures.len() == 1 && e.failures[0].index == 0));
    assert_eq!(recorder.received("all").len(), types.len());
    assert!(runtime.dispatch_batch(&signals[..1], &targets, 5).await.is_ok());
}

#[tokio::test]
async fn an_async_target_is_not_waited_for() {
    let (runtime, recorder) = setup().await;
    let spec = TargetSpec::new("recorder")
        .with("name", json!("later"))
        .with("gated", json!(true))
        .with("async", json!(true));
    let targets = vec![
        runtime.open_target(&spec).await.expect("opens"),
        runtime.open_target(&TargetSpec::new("noop")).await.expect("opens"),
    ];
    let signal = Signal::builder("a", "/t").build().expect("valid");
    runtime.dispatch_to(&signal, &targets).await.expect("returns while the async target is held");
    assert_eq!(recorder.received("later").len(), 0);
    let outcomes = runtime.dispatch_each(&signal, &targets, 8).await;
    assert!(outcomes[0].is_none() && matches!(outcomes[1], Some(Ok(()))));
    recorder.open_gate(2);
    recorder.wait_for(Duration::from_secs(20), |r| r.received("later").len() == 2).await;
}

#[tokio::test]
async fn dispatch_async_returns_a_handle() {
    let (runtime, recorder) = setup().await;
    let target =
        runtime.open_target(&TargetSpec::new("recorder").with("name", json!("h"))).await.expect("opens");
    let handle = runtime.dispatch_async(Signal::builder("a", "/t").build().expect("valid"), vec![target]);
    handle.await.expect("joined").expect("delivered");
    assert_eq!(recorder.received("h").len(), 1);
}
