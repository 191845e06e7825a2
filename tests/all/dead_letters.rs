//! Dead letters: every final failure is recorded, nothing is lost, `on_failure` targets get
//! the failed signal with the failure attached, letters can be redriven and purged.

use std::sync::Arc;
use std::time::Duration;

use jido_dispatch::bus::{SubscribeOptions, WhenFull};
use jido_dispatch::signal::ExtensionValue;
use jido_dispatch::target::TargetSpec;
use jido_dispatch::{RedriveError, Runtime};
use jido_dispatch_tests::{Recorder, Scripted, builder, sample_signal};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(60);

fn setup() -> (Runtime, Scripted, Recorder) {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let (scripted, recorder) = (Scripted::default(), Recorder::new());
    runtime.register_adapter("scripted", Arc::new(scripted.clone()));
    runtime.register_adapter("recorder", Arc::new(recorder.clone()));
    (runtime, scripted, recorder)
}

fn always_failing(name: &str) -> TargetSpec {
    TargetSpec::new("scripted")
        .with("name", json!(name))
        .with("fail", json!(usize::MAX))
        .with("permanent", json!(true))
}

fn rec(name: &str) -> TargetSpec {
    TargetSpec::new("recorder").with("name", json!(name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_failures_are_all_dead_lettered_and_the_healthy_target_gets_everything() {
    let (runtime, _, recorder) = setup();
    let bus = runtime.bus("default");
    let options = SubscribeOptions { when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    let id =
        bus.subscribe("order.*", vec![always_failing("down"), rec("healthy")], options).await.expect("ok");
    let signals: Vec<_> = (0..1000)
        .map(|i| {
            jido_dispatch::signal::Signal::builder("order.placed", "/t")
                .subject(i.to_string())
                .build()
                .expect("valid")
        })
        .collect();
    let ids: Vec<String> = signals.iter().map(|s| s.id.clone()).collect();
    bus.publish(signals).await.expect("published");
    assert!(bus.shutdown(LIMIT).await.is_complete());

    assert_eq!(recorder.received("healthy").len(), 1000, "the healthy target got all 1,000");
    let letters = runtime.dead_letters().list().expect("list");
    assert_eq!(letters.len(), 1000, "every failure is a dead letter");
    let mut lettered: Vec<String> = letters.iter().map(|l| l.signal.id.clone()).collect();
    lettered.sort();
    let mut expected = ids;
    expected.sort();
    assert_eq!(lettered, expected, "none lost, none twice");
    let letter = &letters[0];
    assert_eq!(letter.origin, format!("bus/default/{id}"));
    assert_eq!(letter.target.adapter, "scripted");
    assert_eq!(letter.error.code(), Some("scripted"));
    assert_eq!(letter.attempts, 1);
}

#[tokio::test]
async fn on_failure_targets_get_the_failed_signal_with_the_failure_attached() {
    let (runtime, _, recorder) = setup();
    let bus = runtime.bus("default");
    let fallback = rec("fallback").with("on_failure", json!(true));
    bus.subscribe("pay.*", vec![always_failing("processor"), fallback], SubscribeOptions::default())
        .await
        .expect("ok");
    bus.subscribe(
        "ok.*",
        vec![rec("fine"), rec("unused").with("on_failure", json!(true))],
        SubscribeOptions::default(),
    )
    .await
    .expect("ok");
    let failed = sample_signal("pay.settled");
    bus.publish(vec![failed.clone(), sample_signal("ok.done")]).await.expect("published");
    assert!(bus.shutdown(LIMIT).await.is_complete());

    let got = recorder.received("fallback");
    assert_eq!(got.len(), 1, "only the failed signal, once");
    assert_eq!(got[0].id, failed.id);
    let ext = &got[0].extensions;
    assert_eq!(ext.get("failureadapter"), Some(&ExtensionValue::Text("scripted".into())));
    assert_eq!(ext.get("failurecode"), Some(&ExtensionValue::Text("scripted".into())));
    assert_eq!(ext.get("failuremessage"), Some(&ExtensionValue::Text("scripted failure 1".into())));
    assert_eq!(ext.get("failureattempts"), Some(&ExtensionValue::Integer(1)));
    assert_eq!(recorder.received("fine").len(), 1);
    assert!(recorder.received("unused").is_empty(), "no failure, nothing for on_failure");
    assert!(recorder.received("processor").is_empty());
}

#[tokio::test(start_paused = true)]
async fn letters_record_the_attempts_and_redrive_removes_them() {
    let (runtime, scripted, _) = setup();
    let spec = TargetSpec::new("scripted")
        .with("name", json!("flaky"))
        .with("fail", json!(3))
        .with("retry_policy", json!({"max_retries": 2, "base_delay": 10, "jitter": false}));
    let target = runtime.open_target(&spec).await.expect("opens");
    let signal = sample_signal("a");
    runtime.dispatch(&signal, &target).await.expect_err("fails three times");
    let letters = runtime.dead_letters().list().expect("list");
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(
        (letter.origin.as_str(), letter.attempts, letter.signal.id.as_str()),
        ("dispatch", 3, signal.id.as_str())
    );
    assert!(letter.failed_at.ends_with('Z'), "{}", letter.failed_at);

    runtime.redrive(letter.id).await.expect("the fourth attempt succeeds");
    assert_eq!(scripted.attempts("flaky").len(), 4);
    assert!(runtime.dead_letters().list().expect("list").is_empty(), "a redriven letter is removed");
    assert!(matches!(runtime.redrive(letter.id).await, Err(RedriveError::NotFound(_))));
}

#[tokio::test]
async fn a_failed_redrive_keeps_the_letter_and_purge_clears_all() {
    let (runtime, _, recorder) = setup();
    let targets = vec![
        runtime.open_target(&always_failing("never")).await.expect("opens"),
        runtime.open_target(&rec("dispatch-fallback").with("on_failure", json!(true))).await.expect("opens"),
    ];
    for _ in 0..3 {
        runtime.dispatch_to(&sample_signal("a"), &targets).await.expect_err("fails");
    }
    assert_eq!(recorder.received("dispatch-fallback").len(), 3, "on_failure works for the dispatch API too");
    let letters = runtime.dead_letters().list().expect("list");
    assert_eq!(letters.len(), 3);
    let err = runtime.redrive(letters[0].id).await.expect_err("still failing");
    assert!(matches!(err, RedriveError::Delivery(_)), "{err}");
    assert_eq!(
        runtime.dead_letters().list().expect("list").len(),
        3,
        "the letter stays (the failed redrive is not a new letter)"
    );
    assert_eq!(runtime.dead_letters().purge().expect("purge"), 3);
    assert!(runtime.dead_letters().list().expect("list").is_empty());
}

#[tokio::test]
async fn the_sqlite_store_keeps_letters_across_restarts() {
    use jido_dispatch::dead_letter::{DeadLetterStore, SqliteStore};
    let path = std::path::PathBuf::from(crate::CACHE_ROOT).join(format!("dlq-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let signal = sample_signal("audit.failed");
    {
        let store: Arc<dyn DeadLetterStore> = Arc::new(SqliteStore::open(&path).expect("opens"));
        let runtime = builder(crate::CACHE_ROOT).dead_letter_store(store).build().expect("runtime");
        let spec = TargetSpec::new("bus")
            .with("bus", json!("nowhere"))
            .with("retry_policy", json!({"max_retries": 0}));
        let target = runtime.open_target(&spec).await.expect("opens");
        runtime.dispatch(&signal, &target).await.expect_err("no such bus");
    }
    let reopened = SqliteStore::open(&path).expect("reopens");
    let letters = reopened.list().expect("list");
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.signal, signal, "the signal comes back exactly");
    assert_eq!(
        letter.target.to_value(),
        json!({"adapter": "bus", "bus": "nowhere", "retry_policy": {"max_retries": 0}})
    );
    assert_eq!(letter.error.code(), Some("bus_not_found"));
    assert!(!letter.error.is_retryable());
    assert_eq!((letter.attempts, letter.origin.as_str()), (1, "dispatch"));
    assert_eq!(reopened.get(letter.id).expect("get").as_ref(), Some(letter));
    assert!(reopened.remove(letter.id).expect("remove"));
    assert!(reopened.get(letter.id).expect("get").is_none());
}
