//! `Target::health`: the adapter's probe, timed, combined with deliveries and the breaker.

use jido_dispatch::HealthStatus;
use jido_dispatch::resilience::BreakerState;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, Reply, loopback_builder, sample_signal};
use serde_json::json;

#[tokio::test]
async fn health_follows_probe_deliveries_and_breaker() {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    // Deliveries fail with 500 (the probe is a HEAD, answered 200 by this script).
    let receiver =
        Receiver::start(|_, r| if r.method == "HEAD" { Reply::status(200) } else { Reply::status(500) })
            .await;
    let spec = TargetSpec::new("http")
        .with("url", json!(receiver.url("/hook")))
        .with("retry_policy", json!({"max_retries": 0}))
        .with("circuit_breaker", json!({"failure_threshold": 2, "recovery_timeout": 60000}));
    let target = runtime.open_target(&spec).await.expect("opens");

    let fresh = target.health().await;
    assert_eq!(fresh.status, HealthStatus::Healthy);
    assert_eq!((fresh.last_success.as_ref(), fresh.last_failure.as_ref()), (None, None));
    assert_eq!(fresh.breaker, Some(BreakerState::Closed { failures: 0 }));

    runtime.dispatch(&sample_signal("a"), &target).await.expect_err("500");
    let degraded = target.health().await;
    assert_eq!(degraded.status, HealthStatus::Degraded, "the probe works but the last delivery failed");
    let (when, why) = degraded.last_failure.expect("recorded");
    assert!(when.ends_with('Z') && why.contains("http_500"), "{when} {why}");

    runtime.dispatch(&sample_signal("b"), &target).await.expect_err("500 again: the breaker opens");
    let open = target.health().await;
    assert_eq!(open.status, HealthStatus::Unhealthy);
    assert!(matches!(open.breaker, Some(BreakerState::Open { .. })));

    let down = Receiver::start(|_, _| Reply::status(503)).await;
    let probe_fails =
        runtime.open_target(&TargetSpec::new("http").with("url", json!(down.url("/")))).await.expect("opens");
    let health = probe_fails.health().await;
    assert_eq!(health.status, HealthStatus::Unhealthy);
    assert!(health.probe_error.is_some_and(|e| e.contains("503")));

    let up = Receiver::ok().await;
    let fine =
        runtime.open_target(&TargetSpec::new("http").with("url", json!(up.url("/")))).await.expect("opens");
    runtime.dispatch(&sample_signal("c"), &fine).await.expect("delivered");
    let health = fine.health().await;
    assert_eq!(health.status, HealthStatus::Healthy);
    assert!(health.last_success.is_some());
}
