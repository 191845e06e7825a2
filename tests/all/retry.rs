//! `retry_policy`: exact schedules on a paused clock, jitter bounds, `Retry-After`, no retry
//! of permanent failures, defaults per adapter, and retries that hold back nothing else.

use std::sync::Arc;
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::bus::SubscribeOptions;
use jido_dispatch::resilience::RetryPolicy;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Recorder, Scripted, builder, sample_signal};
use serde_json::{Value, json};

fn setup() -> (Runtime, Scripted) {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let scripted = Scripted::default();
    runtime.register_adapter("scripted", Arc::new(scripted.clone()));
    (runtime, scripted)
}

fn scripted(name: &str, fail: usize, policy: Value) -> TargetSpec {
    TargetSpec::new("scripted")
        .with("name", json!(name))
        .with("fail", json!(fail))
        .with("retry_policy", policy)
}

fn ms(list: &[u64]) -> Vec<Duration> {
    list.iter().map(|m| Duration::from_millis(*m)).collect()
}

#[tokio::test(start_paused = true)]
async fn each_backoff_follows_its_schedule_with_jitter_off() {
    let (runtime, record) = setup();
    let cases = [
        (
            "exponential",
            json!({"max_retries": 5, "backoff": "exponential", "base_delay": 100, "max_delay": 1000, "jitter": false}),
            ms(&[100, 200, 400, 800, 1000]),
        ),
        (
            "linear",
            json!({"max_retries": 4, "backoff": "linear", "base_delay": 100, "max_delay": 350, "jitter": false}),
            ms(&[100, 200, 300, 350]),
        ),
        (
            "constant",
            json!({"max_retries": 3, "backoff": "constant", "base_delay": 250, "jitter": false}),
            ms(&[250, 250, 250]),
        ),
    ];
    for (name, policy, expected) in cases {
        let retries = expected.len();
        let target = runtime.open_target(&scripted(name, retries, policy)).await.expect("opens");
        runtime.dispatch(&sample_signal("a"), &target).await.expect("succeeds on the last attempt");
        assert_eq!(record.gaps(name), expected, "{name}");
    }
}

#[tokio::test(start_paused = true)]
async fn full_jitter_waits_between_zero_and_the_delay() {
    let (runtime, record) = setup();
    let policy = json!({"max_retries": 6, "backoff": "exponential", "base_delay": 1000, "max_delay": 8000, "jitter": true});
    let target = runtime.open_target(&scripted("j", 6, policy)).await.expect("opens");
    runtime.dispatch(&sample_signal("a"), &target).await.expect("succeeds");
    let caps = ms(&[1000, 2000, 4000, 8000, 8000, 8000]);
    let gaps = record.gaps("j");
    assert_eq!(gaps.len(), caps.len());
    for (gap, cap) in gaps.iter().zip(&caps) {
        assert!(gap <= cap, "{gap:?} > {cap:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_up_to_max_delay() {
    let (runtime, record) = setup();
    let policy = json!({"max_retries": 1, "base_delay": 10, "max_delay": 5000, "jitter": false});
    let honoured = scripted("ra", 1, policy.clone()).with("retry_after_ms", json!(700));
    let capped = scripted("cap", 1, json!({"max_retries": 1, "base_delay": 10, "max_delay": 500}))
        .with("retry_after_ms", json!(60_000));
    for spec in [&honoured, &capped] {
        let target = runtime.open_target(spec).await.expect("opens");
        runtime.dispatch(&sample_signal("a"), &target).await.expect("succeeds");
    }
    assert_eq!(record.gaps("ra"), ms(&[700]));
    assert_eq!(record.gaps("cap"), ms(&[500]));
}

#[tokio::test(start_paused = true)]
async fn permanent_failures_are_not_retried_and_retries_run_out() {
    let (runtime, record) = setup();
    let permanent = scripted("perm", 5, json!({"max_retries": 3})).with("permanent", json!(true));
    let target = runtime.open_target(&permanent).await.expect("opens");
    let err = runtime.dispatch(&sample_signal("a"), &target).await.expect_err("fails");
    assert!(!err.is_retryable());
    assert_eq!(record.attempts("perm").len(), 1);

    let exhausted = scripted("out", 10, json!({"max_retries": 2, "base_delay": 100, "jitter": false}));
    let target = runtime.open_target(&exhausted).await.expect("opens");
    let err = runtime.dispatch(&sample_signal("a"), &target).await.expect_err("fails after retries");
    assert_eq!(err.failure().message, "scripted failure 3");
    assert_eq!(record.attempts("out").len(), 3, "the first attempt and two retries");
}

#[tokio::test]
async fn defaults_depend_on_the_adapter_and_bad_policies_are_refused() {
    let (runtime, _) = setup();
    let http = runtime
        .open_target(&TargetSpec::new("http").with("url", json!("https://example.com/")))
        .await
        .expect("opens");
    assert_eq!(http.retry_policy(), &RetryPolicy::HTTP_DEFAULT);
    assert_eq!(http.retry_policy().max_retries, 3);
    let webhook = runtime
        .open_target(&TargetSpec::new("webhook").with("url", json!("https://example.com/")))
        .await
        .expect("opens");
    assert_eq!(webhook.retry_policy(), &RetryPolicy::HTTP_DEFAULT);
    let noop = runtime.open_target(&TargetSpec::new("noop")).await.expect("opens");
    assert_eq!(noop.retry_policy(), &RetryPolicy::NONE);
    let err = runtime
        .open_target(&TargetSpec::new("noop").with("retry_policy", json!({"backoff": "fibonacci"})))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("retry_policy.backoff: expected"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_retrying_target_holds_back_neither_its_sibling_nor_the_publisher() {
    let (runtime, record) = setup();
    let recorder = Recorder::new();
    runtime.register_adapter("recorder", Arc::new(recorder.clone()));
    let bus = runtime.bus("default");
    let flaky = scripted(
        "flaky",
        2,
        json!({"max_retries": 5, "base_delay": 60_000, "max_delay": 600_000, "jitter": false}),
    );
    let sibling = TargetSpec::new("recorder").with("name", json!("sibling"));
    bus.subscribe("job.*", vec![flaky, sibling], SubscribeOptions::default()).await.expect("ok");
    let started = tokio::time::Instant::now();
    bus.publish(vec![sample_signal("job.done")]).await.expect("published at once");
    recorder.wait_for(Duration::from_secs(1), |r| r.received("sibling").len() == 1).await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the sibling did not wait for the flaky target's backoff"
    );
    assert!(bus.shutdown(Duration::from_secs(600)).await.is_complete());
    assert_eq!(record.gaps("flaky"), ms(&[60_000, 120_000]));
}
