//! The bus: routing, per-subscription queues and order, isolation of slow targets,
//! backpressure policies, unsubscribe under traffic, and shutdown.

use std::sync::Arc;
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::bus::{PublishError, SubscribeError, SubscribeOptions, WhenFull};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, Recorder, builder};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(20);

fn setup() -> (Runtime, Recorder) {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime starts");
    let recorder = Recorder::new();
    runtime.register_adapter("recorder", Arc::new(recorder.clone()));
    (runtime, recorder)
}

/// A recorder target in strict order (native adapters deliver unordered by default).
fn rec(name: &str) -> TargetSpec {
    TargetSpec::new("recorder").with("name", json!(name)).with("ordering", json!("strict"))
}

fn gated(name: &str) -> TargetSpec {
    rec(name).with("gated", json!(true))
}

fn signal(ty: &str, subject: &str) -> Signal {
    Signal::builder(ty, "/test").subject(subject).build().expect("valid")
}

fn subjects(recorder: &Recorder, name: &str) -> Vec<String> {
    recorder.received(name).into_iter().filter_map(|s| s.subject).collect()
}

#[tokio::test]
async fn signals_reach_the_subscriptions_whose_patterns_match() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    bus.subscribe("user.*", vec![rec("one")], SubscribeOptions::default()).await.expect("ok");
    bus.subscribe("user.**", vec![rec("many")], SubscribeOptions::default()).await.expect("ok");
    bus.subscribe("order.created", vec![rec("orders")], SubscribeOptions::default()).await.expect("ok");
    let types = ["user", "user.created", "user.profile.updated", "other"];
    let reached = bus.publish(types.iter().map(|t| signal(t, "s")).collect()).await.expect("published");
    assert_eq!(reached, [1, 2, 1, 0]);
    assert!(bus.shutdown(LIMIT).await.is_complete());
    assert_eq!(recorder.types("one"), ["user.created"]);
    assert_eq!(recorder.types("many"), ["user", "user.created", "user.profile.updated"]);
    assert!(recorder.types("orders").is_empty());
}

#[tokio::test]
async fn a_target_matched_twice_is_delivered_once() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    bus.subscribe("user.*", vec![rec("shared")], SubscribeOptions::default()).await.expect("ok");
    bus.subscribe("user.**", vec![rec("shared"), rec("own")], SubscribeOptions::default()).await.expect("ok");
    bus.subscribe("user.created", vec![rec("shared")], SubscribeOptions::default()).await.expect("ok");
    bus.publish(vec![signal("user.created", "1"), signal("user.a.b", "2")]).await.expect("published");
    assert!(bus.shutdown(LIMIT).await.is_complete());
    // Once per signal; order is kept per subscription, and these two signals were
    // delivered to `shared` by different subscriptions.
    let mut shared = subjects(&recorder, "shared");
    shared.sort();
    assert_eq!(shared, ["1", "2"]);
    assert_eq!(subjects(&recorder, "own"), ["1", "2"]);
}

#[tokio::test]
async fn a_blocked_target_delays_neither_other_subscriptions_nor_the_publisher() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    bus.subscribe("job.*", vec![gated("slow")], SubscribeOptions::default()).await.expect("ok");
    bus.subscribe("job.*", vec![rec("fast")], SubscribeOptions::default()).await.expect("ok");
    let signals: Vec<Signal> = (0..50).map(|i| signal("job.done", &i.to_string())).collect();
    // The publisher returns although `slow` has not finished a single delivery.
    bus.publish(signals).await.expect("published without waiting");
    recorder.wait_for(LIMIT, |r| r.received("fast").len() == 50).await;
    assert_eq!(recorder.received("slow").len(), 0, "slow is still held at its gate");
    assert_eq!(recorder.entered("slow"), 1, "slow works on one signal at a time, in order");
    recorder.open_gate(50);
    assert!(bus.shutdown(LIMIT).await.is_complete());
    let expected: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    assert_eq!(subjects(&recorder, "slow"), expected);
}

#[tokio::test]
async fn a_blocked_target_does_not_hold_back_its_sibling_in_the_same_subscription() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    bus.subscribe("job.*", vec![gated("stuck"), rec("sibling")], SubscribeOptions::default())
        .await
        .expect("ok");
    bus.publish((0..20).map(|i| signal("job.done", &i.to_string())).collect()).await.expect("published");
    recorder.wait_for(LIMIT, |r| r.received("sibling").len() == 20).await;
    assert_eq!(recorder.received("stuck").len(), 0, "the stuck lane is still at its gate");
    recorder.open_gate(20);
    assert!(bus.shutdown(LIMIT).await.is_complete());
    let expected: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    assert_eq!(subjects(&recorder, "stuck"), expected, "each lane keeps the order");
    assert_eq!(subjects(&recorder, "sibling"), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_publishers_order_is_kept_per_subscription() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    bus.subscribe(
        "seq.*",
        vec![rec("all")],
        SubscribeOptions { queue_capacity: 64, when_full: WhenFull::Wait, ..Default::default() },
    )
    .await
    .expect("ok");
    let mut publishers = Vec::new();
    for p in 0..4 {
        let bus = bus.clone();
        publishers.push(tokio::spawn(async move {
            for i in 0..250 {
                bus.publish(vec![signal("seq.item", &format!("{p}:{i}"))]).await.expect("published");
            }
        }));
    }
    for publisher in publishers {
        publisher.await.expect("publisher finished");
    }
    assert!(bus.shutdown(LIMIT).await.is_complete());
    let got = subjects(&recorder, "all");
    assert_eq!(got.len(), 1000);
    for p in 0..4 {
        let mine: Vec<u32> = got
            .iter()
            .filter_map(|s| s.split_once(':'))
            .filter(|(who, _)| *who == p.to_string())
            .filter_map(|(_, i)| i.parse().ok())
            .collect();
        assert_eq!(mine, (0..250).collect::<Vec<u32>>(), "publisher {p} out of order");
    }
}

#[tokio::test]
async fn a_full_lane_dead_letters_the_signal_for_itself_alone() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    let small = SubscribeOptions { queue_capacity: 2, ..SubscribeOptions::default() };
    bus.subscribe("q.*", vec![gated("stuck")], small).await.expect("ok");
    bus.subscribe("q.*", vec![rec("free")], SubscribeOptions::default()).await.expect("ok");
    bus.publish(vec![signal("q.x", "0")]).await.expect("first is taken by the worker");
    recorder.wait_for(LIMIT, |r| r.entered("stuck") == 1).await;
    let reached = bus
        .publish(vec![signal("q.x", "1"), signal("q.x", "2"), signal("q.x", "3")])
        .await
        .expect("a full lane never fails the publish");
    assert_eq!(reached, [2, 2, 2]);
    let letters = runtime.dead_letters().list().expect("listed");
    assert_eq!(letters.len(), 1, "only the signal that did not fit is a dead letter");
    assert_eq!(letters[0].error.code(), Some("queue_full"));
    assert_eq!(letters[0].signal.subject.as_deref(), Some("3"));
    recorder.open_gate(10);
    assert!(bus.shutdown(LIMIT).await.is_complete());
    assert_eq!(subjects(&recorder, "stuck"), ["0", "1", "2"]);
    assert_eq!(subjects(&recorder, "free"), ["0", "1", "2", "3"], "the other lane got every signal");
}

#[tokio::test]
async fn with_wait_the_publisher_waits_for_room() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    let waiting =
        SubscribeOptions { queue_capacity: 1, when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    bus.subscribe("w.*", vec![gated("slow")], waiting).await.expect("ok");
    bus.publish(vec![signal("w.x", "0")]).await.expect("taken by the worker");
    recorder.wait_for(LIMIT, |r| r.entered("slow") == 1).await;
    bus.publish(vec![signal("w.x", "1")]).await.expect("fills the queue");
    let publisher = {
        let bus = bus.clone();
        tokio::spawn(async move { bus.publish(vec![signal("w.x", "2")]).await })
    };
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert!(!publisher.is_finished(), "the publish waits while the queue is full");
    recorder.open_gate(3);
    assert_eq!(publisher.await.expect("joined").expect("published"), [1]);
    assert!(bus.shutdown(LIMIT).await.is_complete());
    assert_eq!(subjects(&recorder, "slow"), ["0", "1", "2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_during_traffic_delivers_what_was_queued_and_nothing_after() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    let id = bus.subscribe("t.*", vec![rec("gone")], SubscribeOptions::default()).await.expect("ok");
    bus.subscribe("t.*", vec![rec("stays")], SubscribeOptions::default()).await.expect("ok");
    let publisher = {
        let bus = bus.clone();
        tokio::spawn(async move {
            for i in 0..2000 {
                bus.publish(vec![signal("t.x", &i.to_string())]).await.expect("published");
                tokio::task::yield_now().await;
            }
        })
    };
    recorder.wait_for(LIMIT, |r| r.received("gone").len() >= 100).await;
    assert!(bus.unsubscribe(id));
    assert!(!bus.unsubscribe(id), "already gone");
    publisher.await.expect("publisher finished");
    assert!(bus.shutdown(LIMIT).await.is_complete());
    let gone = subjects(&recorder, "gone");
    let expected: Vec<String> = (0..gone.len()).map(|i| i.to_string()).collect();
    assert_eq!(gone, expected, "a gap-free prefix: everything queued before unsubscribing arrived");
    assert!(gone.len() < 2000, "nothing arrives after unsubscribe");
    assert_eq!(subjects(&recorder, "stays").len(), 2000);
}

#[tokio::test]
async fn shutdown_reports_what_it_could_not_deliver_by_the_deadline() {
    let (runtime, recorder) = setup();
    let bus = runtime.bus("default");
    let id = bus.subscribe("s.*", vec![gated("held")], SubscribeOptions::default()).await.expect("ok");
    bus.publish((0..5).map(|i| signal("s.x", &i.to_string())).collect()).await.expect("published");
    recorder.wait_for(LIMIT, |r| r.entered("held") == 1).await;
    let report = bus.shutdown(Duration::from_millis(50)).await;
    assert_eq!(report.left, [(id, "s.*".to_owned(), 5)]);
    let err = bus.publish(vec![signal("s.x", "late")]).await.expect_err("closed");
    assert!(matches!(err, PublishError::Closed { accepted: 0, .. }), "{err}");
    let err = bus.subscribe("s.*", vec![rec("late")], SubscribeOptions::default()).await.expect_err("closed");
    assert_eq!(err, SubscribeError::Closed("default".to_owned()));
}

#[tokio::test]
async fn subscriptions_are_validated_and_listed() {
    let (runtime, _) = setup();
    let bus = runtime.bus("default");
    let err = bus.subscribe("a..b", vec![rec("x")], SubscribeOptions::default()).await.expect_err("bad path");
    assert_eq!(err.to_string(), "invalid path \"a..b\": Path cannot contain consecutive dots");
    for bad in [101, -101] {
        let options = SubscribeOptions { priority: bad, ..SubscribeOptions::default() };
        let err = bus.subscribe("a", vec![rec("x")], options).await.expect_err("out of range");
        assert_eq!(err.to_string(), format!("priority must be between -100 and 100, got {bad}"));
    }
    let err = bus.subscribe("a", vec![], SubscribeOptions::default()).await.expect_err("no targets");
    assert_eq!(err, SubscribeError::NoTargets);
    let bad_target = TargetSpec::new("console").with("format", json!("xml"));
    let err =
        bus.subscribe("a", vec![rec("x"), bad_target], SubscribeOptions::default()).await.expect_err("bad");
    assert!(err.to_string().starts_with("target 1: invalid options for adapter `console`: format"), "{err}");

    let low = SubscribeOptions { priority: -100, ..SubscribeOptions::default() };
    let high = SubscribeOptions { priority: 100, ..SubscribeOptions::default() };
    let a = bus.subscribe("a.*", vec![rec("x")], low).await.expect("ok");
    let b = bus.subscribe("b.**", vec![rec("y"), rec("z")], high).await.expect("ok");
    let listed: Vec<_> =
        bus.subscriptions().into_iter().map(|s| (s.id, s.path, s.priority, s.targets.len())).collect();
    assert_eq!(listed, [(a, "a.*".to_owned(), -100, 1), (b, "b.**".to_owned(), 100, 2)]);
}

#[tokio::test]
async fn a_wasm_target_on_a_bus_delivers_structured_json() {
    let captured = Captured::new();
    let runtime = builder(crate::CACHE_ROOT).console_stdio(captured.stdio()).build().expect("runtime starts");
    let bus = runtime.bus("events");
    let console = TargetSpec::new("console").with("format", json!("json"));
    bus.subscribe("user.**", vec![console], SubscribeOptions::default()).await.expect("ok");
    let signals = vec![signal("user.created", "1"), signal("order.placed", "2"), signal("user.deleted", "3")];
    let expected: String = [&signals[0], &signals[2]].iter().map(|s| format!("{}\n", s.to_json())).collect();
    bus.publish(signals).await.expect("published");
    assert!(bus.shutdown(LIMIT).await.is_complete());
    assert_eq!(captured.stdout_text(), expected);
}
