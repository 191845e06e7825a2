//! Contract of `bus`: publishes into another bus; missing buses and loops fail clearly.

use std::time::Duration;

use super::{common, runtime};
use jido_dispatch::bus::SubscribeOptions;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, sample_signal};
use serde_json::json;

fn console_json() -> TargetSpec {
    TargetSpec::new("console").with("format", json!("json"))
}

pub async fn contract() {
    let captured = Captured::new();
    let runtime = runtime(&captured);
    runtime
        .bus("sink")
        .subscribe("**", vec![TargetSpec::new("noop")], SubscribeOptions::default())
        .await
        .expect("ok");
    common(&runtime, TargetSpec::new("bus").with("bus", json!("sink"))).await;

    let err = runtime.open_target(&TargetSpec::new("bus")).await.expect_err("bus is required");
    assert!(err.to_string().contains("missing field `bus`"), "{err}");
    let err =
        runtime.open_target(&TargetSpec::new("bus").with("bus", json!(""))).await.expect_err("non-empty");
    assert!(err.to_string().contains("bus: must not be empty"), "{err}");

    let nowhere =
        runtime.open_target(&TargetSpec::new("bus").with("bus", json!("nowhere"))).await.expect("opens");
    let err = runtime.dispatch(&sample_signal("x"), &nowhere).await.expect_err("no such bus");
    assert_eq!(err.code(), Some("bus_not_found"), "{err}");
    assert!(!err.is_retryable());

    // A signal published into `audit` through a bus target arrives there.
    let audit = runtime.bus("audit");
    audit.subscribe("user.*", vec![console_json()], SubscribeOptions::default()).await.expect("ok");
    let to_audit =
        runtime.open_target(&TargetSpec::new("bus").with("bus", json!("audit"))).await.expect("opens");
    let signal = sample_signal("user.created");
    runtime.dispatch(&signal, &to_audit).await.expect("published");
    assert!(audit.shutdown(Duration::from_secs(10)).await.is_complete());
    assert_eq!(captured.stdout_text(), format!("{}\n", signal.to_json()));
}

/// Buses `ping` and `pong` publish into each other: the host's hop count stops the loop.
#[tokio::test]
async fn buses_publishing_into_each_other_stop_at_the_hop_limit() {
    let captured = Captured::new();
    let runtime = runtime(&captured);
    let (ping, pong) = (runtime.bus("ping"), runtime.bus("pong"));
    let to = |bus: &str| TargetSpec::new("bus").with("bus", json!(bus));
    ping.subscribe("**", vec![console_json(), to("pong")], SubscribeOptions::default()).await.expect("ok");
    pong.subscribe("**", vec![to("ping")], SubscribeOptions::default()).await.expect("ok");
    ping.publish(vec![sample_signal("loop.test")]).await.expect("published");

    // The loop ends once nothing is pending on either bus.
    let pending = |runtime: &jido_dispatch::Runtime| -> usize {
        ["ping", "pong"].iter().flat_map(|b| runtime.bus(b).subscriptions()).map(|s| s.pending).sum()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while pending(&runtime) > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the loop did not stop");
        tokio::task::yield_now().await;
    }
    // Arrivals at `ping` carry hop counts 0, 2, 4, 6 and 8; at 8 the next publish is refused.
    assert_eq!(captured.stdout_text().lines().count(), 5, "{}", captured.stdout_text());
}
