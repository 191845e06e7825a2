//! `circuit_breaker`: transitions, fail-fast refusals, half-open trial limits, refusals
//! waiting for their retry, one breaker per destination, defaults.

use std::sync::Arc;
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::resilience::BreakerState;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, Reply, Scripted, loopback_builder, sample_signal};
use serde_json::json;

fn setup() -> (Runtime, Scripted) {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let scripted = Scripted::default();
    runtime.register_adapter("scripted", Arc::new(scripted.clone()));
    (runtime, scripted)
}

fn flaky(name: &str, fail: usize, breaker: serde_json::Value) -> TargetSpec {
    TargetSpec::new("scripted")
        .with("name", json!(name))
        .with("fail", json!(fail))
        .with("circuit_breaker", breaker)
}

#[tokio::test(start_paused = true)]
async fn opens_fails_fast_then_trials_reopen_or_close() {
    let (runtime, record) = setup();
    let breaker = json!({"failure_threshold": 3, "recovery_timeout": 1000, "half_open_max_calls": 1});
    let target = runtime.open_target(&flaky("b", 4, breaker)).await.expect("opens");
    let signal = sample_signal("a");
    for _ in 0..3 {
        let err = runtime.dispatch(&signal, &target).await.expect_err("fails");
        assert_eq!(err.code(), Some("scripted"));
    }
    assert!(matches!(target.breaker_state(), Some(BreakerState::Open { .. })));
    let err = runtime.dispatch(&signal, &target).await.expect_err("refused");
    assert_eq!(err.code(), Some("circuit_open"));
    assert!(err.is_retryable(), "a refusal waits for its retry like any failure");
    assert_eq!(record.attempts("b").len(), 3, "no attempt while open");

    tokio::time::sleep(Duration::from_millis(1000)).await;
    let err = runtime.dispatch(&signal, &target).await.expect_err("the trial fails (4th scripted failure)");
    assert_eq!(err.code(), Some("scripted"));
    assert!(matches!(target.breaker_state(), Some(BreakerState::Open { .. })), "a failed trial reopens");

    tokio::time::sleep(Duration::from_millis(1000)).await;
    runtime.dispatch(&signal, &target).await.expect("the trial succeeds");
    assert_eq!(target.breaker_state(), Some(BreakerState::Closed { failures: 0 }));
    runtime.dispatch(&signal, &target).await.expect("closed again");
    assert_eq!(record.attempts("b").len(), 6);
}

#[tokio::test(start_paused = true)]
async fn half_open_lets_through_only_its_trial_calls() {
    let (runtime, record) = setup();
    let breaker = json!({"failure_threshold": 1, "recovery_timeout": 1000, "half_open_max_calls": 1});
    let target =
        runtime.open_target(&flaky("h", 1, breaker).with("hold_ms", json!(500))).await.expect("opens");
    let signal = sample_signal("a");
    runtime.dispatch(&signal, &target).await.expect_err("opens the breaker");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (trial, second) =
        tokio::join!(runtime.dispatch(&signal, &target), runtime.dispatch(&signal, &target));
    trial.expect("the one trial goes through and succeeds");
    assert_eq!(second.expect_err("no second trial").code(), Some("circuit_open"));
    assert_eq!(record.attempts("h").len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_refused_delivery_waits_for_its_next_retry() {
    let (runtime, record) = setup();
    let spec = flaky("r", 3, json!({"failure_threshold": 1, "recovery_timeout": 1000})).with(
        "retry_policy",
        json!({"max_retries": 2, "backoff": "constant", "base_delay": 600, "jitter": false}),
    );
    let target = runtime.open_target(&spec).await.expect("opens");
    let start = tokio::time::Instant::now();
    // Delivery 1: attempts at 0, 600 and 1200 ms all fail: a final failure opens the breaker
    // until 2200 ms.
    runtime.dispatch(&sample_signal("a"), &target).await.expect_err("retries exhausted");
    assert!(matches!(target.breaker_state(), Some(BreakerState::Open { .. })));
    // Delivery 2, at 1200 ms: refused, retried at 1800 (refused again, no attempt), then at
    // 2400 ms the breaker is half-open and the trial attempt succeeds.
    runtime.dispatch(&sample_signal("b"), &target).await.expect("delivered by a later retry");
    let at: Vec<Duration> = record.attempts("r").iter().map(|t| *t - start).collect();
    let ms = |v: u64| Duration::from_millis(v);
    assert_eq!(at, [ms(0), ms(600), ms(1200), ms(2400)], "refused retries made no attempt");
    assert_eq!(target.breaker_state(), Some(BreakerState::Closed { failures: 0 }));
}

#[tokio::test]
async fn targets_of_one_origin_share_a_breaker() {
    let (runtime, _) = setup();
    let (down, other) = (Receiver::start(|_, _| Reply::status(503)).await, Receiver::ok().await);
    let http = |url: String| {
        TargetSpec::new("http")
            .with("url", json!(url))
            .with("retry_policy", json!({"max_retries": 0}))
            .with("circuit_breaker", json!({"failure_threshold": 2}))
    };
    let first = runtime.open_target(&http(down.url("/a"))).await.expect("opens");
    let same_origin = runtime.open_target(&http(down.url("/b"))).await.expect("opens");
    let elsewhere = runtime.open_target(&http(other.url("/a"))).await.expect("opens");
    for _ in 0..2 {
        runtime.dispatch(&sample_signal("a"), &first).await.expect_err("503");
    }
    assert!(
        matches!(same_origin.breaker_state(), Some(BreakerState::Open { .. })),
        "same origin, same breaker"
    );
    let err = runtime.dispatch(&sample_signal("a"), &same_origin).await.expect_err("refused");
    assert_eq!(err.code(), Some("circuit_open"));
    assert_eq!(down.requests().len(), 2, "the refused delivery sent nothing");
    assert_eq!(elsewhere.breaker_state(), Some(BreakerState::Closed { failures: 0 }));
    runtime.dispatch(&sample_signal("a"), &elsewhere).await.expect("another origin is unaffected");
}

#[tokio::test]
async fn defaults_and_turning_it_off() {
    let (runtime, _) = setup();
    let http = runtime
        .open_target(&TargetSpec::new("http").with("url", json!("https://example.com/")))
        .await
        .expect("opens");
    assert_eq!(http.breaker_state(), Some(BreakerState::Closed { failures: 0 }), "on by default for http");
    let off = TargetSpec::new("http")
        .with("url", json!("https://example.org/"))
        .with("circuit_breaker", json!(false));
    assert_eq!(runtime.open_target(&off).await.expect("opens").breaker_state(), None);
    let noop = runtime.open_target(&TargetSpec::new("noop")).await.expect("opens");
    assert_eq!(noop.breaker_state(), None, "off by default elsewhere");
    let err = runtime
        .open_target(&TargetSpec::new("noop").with("circuit_breaker", json!({"threshold": 1})))
        .await
        .expect_err("bad");
    assert!(err.to_string().contains("circuit_breaker.threshold: unknown key"), "{err}");
}
