//! The one delivery path, and the bugs it fixed: batches emit per-signal telemetry and
//! retry as batches, webhook `urls` retries re-send only to the URLs that failed, permanent
//! failures leave the breaker alone, `async` primaries feed `on_failure` in the dispatch
//! API, a failed dead-letter write keeps a stored signal, webhook health probes, and
//! `pubsub` targets naming an unknown instance.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jido_dispatch::adapter::BoxFuture;
use jido_dispatch::bus::{Backlog, DurableLanes, StoredSignal, SubscribeOptions};
use jido_dispatch::dead_letter::{DeadLetter, DeadLetterStore, StoreError};
use jido_dispatch::resilience::BreakerState;
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch::{HealthStatus, Runtime};
use jido_dispatch_tests::{Receiver, Recorder, Reply, Scripted, builder, loopback_builder, sample_signal};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(30);

fn quick_retries(max: u32) -> serde_json::Value {
    json!({"max_retries": max, "backoff": "constant", "base_delay": 1, "jitter": false})
}

#[tokio::test]
async fn a_batch_wide_failure_is_retried_as_a_batch_with_telemetry_per_signal() {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let mut events = runtime.telemetry().subscribe();
    let receiver = Receiver::start(|n, _| Reply::status(if n == 0 { 503 } else { 200 })).await;
    let http = TargetSpec::new("http")
        .with("url", json!(receiver.url("/bulk")))
        .with("batch_size", json!(3))
        .with("retry_policy", quick_retries(2));
    let bus = runtime.bus("default");
    bus.subscribe("m.*", vec![http], SubscribeOptions::default()).await.expect("ok");
    let sent: Vec<Signal> =
        (0..3).map(|i| Signal::builder("m.x", "/t").subject(i.to_string()).build().expect("valid")).collect();
    bus.publish(sent.clone()).await.expect("published");
    assert!(bus.shutdown(LIMIT).await.is_complete());
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "one batch, then its retry");
    for request in &requests {
        let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
        assert_eq!(body.as_array().map(Vec::len), Some(3), "the retry is a batch again");
    }
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        seen.push((event.signal.to_string(), event.attempt, event.success));
    }
    seen.sort();
    let mut expected: Vec<(String, u32, bool)> =
        sent.iter().flat_map(|s| [(s.id.clone(), 1, false), (s.id.clone(), 2, true)]).collect();
    expected.sort();
    assert_eq!(seen, expected, "one event per signal per attempt");
    assert!(runtime.dead_letters().list().expect("list").is_empty());
}

#[tokio::test]
async fn a_webhook_retry_goes_only_to_the_urls_that_failed() {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let fine = Receiver::ok().await;
    let flaky = Receiver::start(|n, _| Reply::status(if n < 2 { 503 } else { 200 })).await;
    let gone = Receiver::start(|_, _| Reply::status(410)).await;
    let spec = TargetSpec::new("webhook")
        .with("urls", json!([fine.url("/a"), flaky.url("/b")]))
        .with("secret", json!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        .with("retry_policy", quick_retries(3));
    let target = runtime.open_target(&spec).await.expect("opens");
    runtime.dispatch(&sample_signal("once"), &target).await.expect("delivered after retries");
    assert_eq!(fine.requests().len(), 1, "the URL that answered 200 is not sent again");
    assert_eq!(flaky.requests().len(), 3);
    // A permanently failed URL is not sent again either; the delivery fails permanently.
    let spec = spec.with("urls", json!([gone.url("/c"), flaky.url("/d")]));
    let target = runtime.open_target(&spec).await.expect("opens");
    let err = runtime.dispatch(&sample_signal("twice"), &target).await.expect_err("410");
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(gone.requests().len(), 1);
}

#[tokio::test]
async fn permanent_failures_do_not_count_toward_the_breaker() {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let missing = Receiver::start(|_, _| Reply::status(404)).await;
    let breaker = json!({"failure_threshold": 2, "recovery_timeout": 60000});
    let spec = TargetSpec::new("http")
        .with("url", json!(missing.url("/")))
        .with("retry_policy", json!({"max_retries": 0}))
        .with("circuit_breaker", breaker.clone());
    let target = runtime.open_target(&spec).await.expect("opens");
    for i in 0..5 {
        let err = runtime.dispatch(&sample_signal(&i.to_string()), &target).await.expect_err("404");
        assert_eq!(err.code(), Some("http_404"));
    }
    assert_eq!(target.breaker_state(), Some(BreakerState::Closed { failures: 0 }));
    let down = Receiver::start(|_, _| Reply::status(503)).await;
    let spec = spec.with("url", json!(down.url("/")));
    let target = runtime.open_target(&spec).await.expect("opens");
    for i in 0..2 {
        runtime.dispatch(&sample_signal(&i.to_string()), &target).await.expect_err("503");
    }
    assert!(matches!(target.breaker_state(), Some(BreakerState::Open { .. })), "retryable ones do");
}

#[tokio::test]
async fn an_async_primarys_final_failure_feeds_on_failure_in_the_dispatch_api() {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let (scripted, recorder) = (Scripted::default(), Recorder::new());
    runtime.register_adapter("scripted", Arc::new(scripted));
    runtime.register_adapter("recorder", Arc::new(recorder.clone()));
    let primary = TargetSpec::new("scripted")
        .with("name", json!("p"))
        .with("fail", json!(1))
        .with("permanent", json!(true))
        .with("async", json!(true));
    let fallback = TargetSpec::new("recorder").with("name", json!("fb")).with("on_failure", json!(true));
    let targets = vec![
        runtime.open_target(&primary).await.expect("opens"),
        runtime.open_target(&fallback).await.expect("opens"),
    ];
    let outcomes = runtime.dispatch_each(&sample_signal("x"), &targets, 8).await;
    assert_eq!(outcomes[0], None, "async: not waited for");
    runtime.wait_detached().await;
    let got = recorder.received("fb");
    assert_eq!(got.len(), 1, "the fallback got the failed signal");
    assert!(got[0].extensions.contains_key("failurecode"));
    assert_eq!(runtime.dead_letters().list().expect("list").len(), 1);
}

/// A dead-letter store that refuses every write.
#[derive(Debug, Default)]
struct BrokenStore;

impl DeadLetterStore for BrokenStore {
    fn record(&self, _letter: DeadLetter) -> Result<u64, StoreError> {
        Err(StoreError("disk full".to_owned()))
    }
    fn list(&self) -> Result<Vec<DeadLetter>, StoreError> {
        Ok(Vec::new())
    }
    fn get(&self, _id: u64) -> Result<Option<DeadLetter>, StoreError> {
        Ok(None)
    }
    fn remove(&self, _id: u64) -> Result<bool, StoreError> {
        Ok(false)
    }
    fn purge(&self) -> Result<usize, StoreError> {
        Ok(0)
    }
}

/// One lane's stored signals by seq.
type Lane = BTreeMap<u64, Arc<Signal>>;

/// An in-memory backlog: stored signals per lane, and how many lanes reported each done.
#[derive(Debug, Default)]
struct MemoryBacklog {
    stored: Mutex<HashMap<Arc<str>, Lane>>,
    done: Mutex<HashMap<u64, usize>>,
    changed: tokio::sync::Notify,
}

impl MemoryBacklog {
    fn store(&self, lanes: &[Arc<str>], seq: u64, signal: &Arc<Signal>) {
        let mut stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
        for lane in lanes {
            stored.entry(lane.clone()).or_default().insert(seq, signal.clone());
        }
    }
}

impl Backlog for MemoryBacklog {
    fn read(
        &self,
        lane: &Arc<str>,
        from: u64,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<StoredSignal>, String>> {
        let stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
        let rows = stored
            .get(lane)
            .map(|items| {
                items
                    .range(from..)
                    .take(limit)
                    .map(|(seq, s)| StoredSignal { seq: *seq, signal: s.clone(), earlier: 0 })
                    .collect()
            })
            .unwrap_or_default();
        Box::pin(async move { Ok(rows) })
    }
    fn done(&self, lane: &Arc<str>, seq: u64) {
        if let Some(items) = self.stored.lock().unwrap_or_else(PoisonError::into_inner).get_mut(lane) {
            items.remove(&seq);
        }
        *self.done.lock().unwrap_or_else(PoisonError::into_inner).entry(seq).or_default() += 1;
        self.changed.notify_waiters();
    }
}

#[tokio::test]
async fn a_failed_dead_letter_write_keeps_the_signal_stored() {
    let runtime =
        builder(crate::CACHE_ROOT).dead_letter_store(Arc::new(BrokenStore)).build().expect("runtime");
    let (scripted, recorder) = (Scripted::default(), Recorder::new());
    runtime.register_adapter("scripted", Arc::new(scripted));
    runtime.register_adapter("recorder", Arc::new(recorder.clone()));
    let backlog = Arc::new(MemoryBacklog::default());
    let durable = DurableLanes { backlog: backlog.clone(), key: "test".to_owned() };
    let options = SubscribeOptions { durable: Some(durable), ..SubscribeOptions::default() };
    let failing = TargetSpec::new("scripted")
        .with("name", json!("f"))
        .with("fail", json!(1))
        .with("permanent", json!(true));
    let fine = TargetSpec::new("recorder").with("name", json!("ok"));
    let bus = runtime.bus("default");
    bus.subscribe("**", vec![failing, fine], options).await.expect("ok");
    let signal = Arc::new(sample_signal("kept"));
    let lanes = bus.route(&signal);
    assert_eq!(lanes.len(), 2);
    backlog.store(&lanes, 7, &signal);
    assert!(bus.offer_stored(7, signal, &lanes).is_empty());
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let changed = backlog.changed.notified();
        if backlog.done.lock().unwrap_or_else(PoisonError::into_inner).get(&7) == Some(&1) {
            break;
        }
        assert!(tokio::time::timeout_at(deadline, changed).await.is_ok(), "the delivered lane reports done");
    }
    assert!(bus.shutdown(LIMIT).await.is_complete());
    assert_eq!(recorder.received("ok").len(), 1);
    assert_eq!(
        backlog.done.lock().unwrap_or_else(PoisonError::into_inner).get(&7),
        Some(&1),
        "the lane whose dead letter could not be written keeps the signal"
    );
}

#[tokio::test]
async fn webhook_health_probes_every_url() {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let up = Receiver::start(|_, r| Reply::status(if r.method == "HEAD" { 405 } else { 200 })).await;
    let broken = Receiver::start(|_, _| Reply::status(502)).await;
    let webhook = |urls: serde_json::Value| {
        TargetSpec::new("webhook")
            .with("urls", urls)
            .with("secret", json!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    };
    let healthy = runtime.open_target(&webhook(json!([up.url("/a")]))).await.expect("opens");
    assert_eq!(healthy.health().await.status, HealthStatus::Healthy, "405 to HEAD: the receiver is up");
    let sick = runtime.open_target(&webhook(json!([up.url("/a"), broken.url("/b")]))).await.expect("opens");
    assert_eq!(sick.health().await.status, HealthStatus::Unhealthy);
    assert!(broken.requests().iter().all(|r| r.method == "HEAD"));
}

#[tokio::test]
async fn a_pubsub_target_naming_an_unknown_instance_fails_clearly() {
    let runtime: Runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let spec = TargetSpec::new("pubsub").with("topic", json!("t")).with("pubsub", json!("nope"));
    let target = runtime.open_target(&spec).await.expect("opens");
    let err = runtime.dispatch(&sample_signal("x"), &target).await.expect_err("unknown instance");
    assert_eq!(err.code(), Some("pubsub_not_found"), "{err}");
    assert!(err.to_string().contains("no pubsub instance named `nope`"), "{err}");
    let default = TargetSpec::new("pubsub").with("topic", json!("t"));
    let target = runtime.open_target(&default).await.expect("opens");
    runtime.dispatch(&sample_signal("y"), &target).await.expect("the default instance always exists");
}
