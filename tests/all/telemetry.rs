//! Telemetry: an event per attempt (and per refusal), Prometheus metrics, no secrets.

use std::sync::Arc;

use jido_dispatch::Runtime;
use jido_dispatch::bus::SubscribeOptions;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, Reply, Scripted, loopback_builder, sample_signal};
use serde_json::json;

fn setup() -> (Runtime, Scripted) {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let scripted = Scripted::default();
    runtime.register_adapter("scripted", Arc::new(scripted.clone()));
    (runtime, scripted)
}

#[tokio::test(start_paused = true)]
async fn every_attempt_is_an_event() {
    let (runtime, _) = setup();
    let mut events = runtime.telemetry().subscribe();
    let spec = TargetSpec::new("scripted")
        .with("name", json!("t"))
        .with("fail", json!(1))
        .with("retry_policy", json!({"max_retries": 1, "base_delay": 10, "jitter": false}));
    let target = runtime.open_target(&spec).await.expect("opens");
    let signal = sample_signal("a");
    runtime.dispatch(&signal, &target).await.expect("the retry succeeds");
    let first = events.try_recv().expect("first attempt");
    let second = events.try_recv().expect("second attempt");
    assert!(events.try_recv().is_err(), "exactly two");
    assert_eq!((first.attempt, first.success, second.attempt, second.success), (1, false, 2, true));
    assert_eq!(first.error.as_ref().and_then(|e| e.code()), Some("scripted"));
    assert_eq!(&*first.adapter, "scripted");
    assert_eq!(first.signal, signal.id);
    assert!(first.target.starts_with("scripted#") && first.target == second.target, "{}", first.target);
    assert_eq!(runtime.telemetry().metrics().count("scripted", "retryable"), 1);
    assert_eq!(runtime.telemetry().metrics().count("scripted", "ok"), 1);
}

#[tokio::test]
async fn metrics_cover_attempts_breakers_queues_and_dead_letters_without_secrets() {
    let (runtime, _) = setup();
    let receiver = Receiver::start(|_, _| Reply::status(500)).await;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let webhook = TargetSpec::new("webhook")
        .with("url", json!(receiver.url("/hook")))
        .with("secret", json!(secret))
        .with("retry_policy", json!({"max_retries": 0}));
    let bus = runtime.bus("orders");
    bus.subscribe("order.*", vec![webhook.clone()], SubscribeOptions::default()).await.expect("ok");
    bus.publish(vec![sample_signal("order.placed")]).await.expect("published");
    assert!(bus.shutdown(std::time::Duration::from_secs(20)).await.is_complete());
    let plain = runtime
        .open_target(&TargetSpec::new("noop").with("label", json!("s3cr3t-label")))
        .await
        .expect("opens");
    runtime.dispatch(&sample_signal("x"), &plain).await.expect("delivered");

    let text = runtime.metrics_text();
    for needle in [
        "# TYPE jido_deliveries_total counter",
        "jido_deliveries_total{adapter=\"webhook\",outcome=\"retryable\"} 1",
        "jido_deliveries_total{adapter=\"noop\",outcome=\"ok\"} 1",
        "# TYPE jido_delivery_duration_seconds histogram",
        "jido_delivery_duration_seconds_count{adapter=\"webhook\",outcome=\"retryable\"} 1",
        "jido_delivery_duration_seconds_bucket{adapter=\"noop\",outcome=\"ok\",le=\"+Inf\"} 1",
        &format!("jido_breaker_state{{target=\"http://127.0.0.1:{}\"}} 0", receiver.port()),
        "# TYPE jido_queue_depth gauge",
        "jido_dead_letters 1",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert!(!text.contains(secret) && !text.contains("s3cr3t-label"), "options never reach metrics");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().expect("a value");
        assert!(value.parse::<f64>().is_ok(), "not a sample line: {line}");
    }
}
