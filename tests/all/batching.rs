//! Batching: `batch_size` with `batch_timeout`/`flush_interval` group a lane's signals into
//! `deliver-batch` calls; per-signal results let one bad signal fail alone.

use std::sync::Arc;
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::bus::SubscribeOptions;
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, Recorder, builder, loopback_builder};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(600);

fn setup() -> (Runtime, Recorder) {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let recorder = Recorder::new();
    runtime.register_adapter("recorder", Arc::new(recorder.clone()));
    (runtime, recorder)
}

fn signals(n: usize) -> Vec<Signal> {
    (0..n).map(|i| Signal::builder("m.x", "/t").subject(i.to_string()).build().expect("valid")).collect()
}

fn batched(name: &str, size: u64, timeout_key: &str, timeout: u64) -> TargetSpec {
    TargetSpec::new("recorder")
        .with("name", json!(name))
        .with("batch_size", json!(size))
        .with(timeout_key, json!(timeout))
}

#[tokio::test(start_paused = true)]
async fn full_batches_go_at_once_and_the_rest_after_the_timeout() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    bus.subscribe("m.*", vec![batched("b", 3, "batch_timeout", 60_000)], SubscribeOptions::default())
        .await
        .expect("ok");
    let started = tokio::time::Instant::now();
    bus.publish(signals(7)).await.expect("published");
    recorder.wait_for(LIMIT, |r| r.batches("b").len() == 2).await;
    assert_eq!(recorder.batches("b"), [3, 3]);
    assert!(started.elapsed() < Duration::from_secs(60), "full batches did not wait");
    recorder.wait_for(LIMIT, |r| r.batches("b").len() == 3).await;
    assert_eq!(recorder.batches("b"), [3, 3, 1]);
    assert!(started.elapsed() >= Duration::from_secs(60), "the partial batch went out after batch_timeout");
    assert!(bus.shutdown(LIMIT).await.is_complete());
    let subjects: Vec<String> = recorder.received("b").into_iter().filter_map(|s| s.subject).collect();
    assert_eq!(subjects, (0..7).map(|i| i.to_string()).collect::<Vec<_>>(), "order kept");
}

#[tokio::test(start_paused = true)]
async fn shutdown_flushes_a_partial_batch_without_waiting() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    bus.subscribe("m.*", vec![batched("s", 10, "batch_timeout", 60_000)], SubscribeOptions::default())
        .await
        .expect("ok");
    let started = tokio::time::Instant::now();
    bus.publish(signals(2)).await.expect("published");
    assert!(bus.shutdown(LIMIT).await.is_complete());
    assert_eq!(recorder.batches("s"), [2]);
    assert!(started.elapsed() < Duration::from_secs(60), "closing the lane flushes at once");
}

#[tokio::test(start_paused = true)]
async fn flush_interval_is_the_same_setting() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    bus.subscribe("m.*", vec![batched("f", 100, "flush_interval", 500)], SubscribeOptions::default())
        .await
        .expect("ok");
    bus.publish(signals(5)).await.expect("published");
    assert!(bus.shutdown(LIMIT).await.is_complete());
    assert_eq!(recorder.batches("f"), [5]);
}

#[tokio::test(start_paused = true)]
async fn one_bad_signal_in_a_batch_is_dead_lettered_alone() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    let target = batched("picky", 4, "batch_timeout", 100).with("reject", json!("1"));
    let fallback =
        TargetSpec::new("recorder").with("name", json!("fallback")).with("on_failure", json!(true));
    bus.subscribe("m.*", vec![target, fallback], SubscribeOptions::default()).await.expect("ok");
    bus.publish(signals(4)).await.expect("published");
    assert!(bus.shutdown(LIMIT).await.is_complete());
    assert_eq!(recorder.batches("picky"), [4], "one batch call");
    let delivered: Vec<String> = recorder.received("picky").into_iter().filter_map(|s| s.subject).collect();
    assert_eq!(delivered, ["0", "2", "3"]);
    let letters = runtime.dead_letters().list().expect("list");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].signal.subject.as_deref(), Some("1"));
    assert_eq!(letters[0].error.code(), Some("rejected"));
    assert_eq!(recorder.received("fallback").len(), 1);
}

#[tokio::test]
async fn a_batched_http_target_sends_one_cloudevents_batch_request() {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let receiver = Receiver::ok().await;
    let bus = runtime.bus("default");
    let http =
        TargetSpec::new("http").with("url", json!(receiver.url("/bulk"))).with("batch_size", json!(10));
    bus.subscribe("m.*", vec![http], SubscribeOptions::default()).await.expect("ok");
    let sent = signals(10);
    bus.publish(sent.clone()).await.expect("published");
    assert!(bus.shutdown(Duration::from_secs(20)).await.is_complete());
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("content-type"), Some("application/cloudevents-batch+json; charset=utf-8"));
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("JSON array");
    let ids: Vec<&str> = body.as_array().expect("array").iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids, sent.iter().map(|s| s.id.as_str()).collect::<Vec<_>>());
}

#[tokio::test]
async fn bad_batching_keys_are_refused() {
    let (runtime, _) = setup();
    let spec = TargetSpec::new("noop").with("batch_timeout", json!(100));
    let err = runtime.open_target(&spec).await.expect_err("refused");
    assert!(err.to_string().contains("batch_timeout: needs batch_size"), "{err}");
}
