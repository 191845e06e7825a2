//! Contract of `pubsub`: broadcasts to every local subscriber of a topic, per instance.

use super::{assert_refused, common, runtime};
use jido_dispatch::pubsub::DEFAULT_PUBSUB;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, sample_signal};
use serde_json::json;

fn topic(name: &str) -> TargetSpec {
    TargetSpec::new("pubsub").with("topic", json!(name))
}

pub async fn contract() {
    let captured = Captured::new();
    let runtime = runtime(&captured);
    // No subscribers: a broadcast reaches nobody and that is not an error.
    common(&runtime, topic("user_events")).await;

    let default = runtime.pubsub(DEFAULT_PUBSUB);
    let (mut a, mut b) = (default.subscribe("user_events"), default.subscribe("user_events"));
    let mut other_topic = default.subscribe("billing");
    let mut other_instance = runtime.pubsub("MyApp.PubSub").subscribe("user_events");
    let signal = sample_signal("user.created");
    let target = runtime.open_target(&topic("user_events")).await.expect("opens");
    runtime.dispatch(&signal, &target).await.expect("broadcast");
    assert_eq!(a.try_recv().expect("a got it").id, signal.id);
    assert_eq!(b.try_recv().expect("b got it").id, signal.id);
    assert!(other_topic.try_recv().is_none(), "other topics get nothing");
    assert!(other_instance.try_recv().is_none(), "other instances get nothing");

    // `pubsub` names the instance; `local?` (or `local`) is accepted.
    let custom = runtime
        .open_target(&topic("user_events").with("pubsub", json!("MyApp.PubSub")).with("local?", json!(true)))
        .await
        .expect("opens");
    runtime.dispatch(&signal, &custom).await.expect("broadcast");
    assert_eq!(other_instance.try_recv().expect("custom instance").id, signal.id);
    assert!(a.try_recv().is_none());
    let normalised: serde_json::Value = serde_json::from_str(custom.normalised_options()).expect("json");
    assert_eq!(normalised["local?"], json!(true));
    runtime.open_target(&topic("t").with("local", json!(true))).await.expect("alias");

    // A subscriber that is full misses the signal; the others get it; the failure is final
    // (a retry would repeat it to everyone else).
    let mut slow = default.subscribe_with_capacity("user_events", 1);
    runtime.dispatch(&sample_signal("first"), &target).await.expect("room for one");
    let err = runtime.dispatch(&signal, &target).await.expect_err("slow is full");
    assert_eq!(err.code(), Some("subscriber_full"), "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("1 of 3 subscribers of topic `user_events`"), "{err}");
    assert_eq!(slow.try_recv().expect("the first").ty, "first");
    assert_eq!(a.try_recv().expect("first").ty, "first");
    assert_eq!(a.try_recv().expect("a still got the second").id, signal.id);

    // Unsubscribing (drop) stops deliveries to that subscriber.
    drop(b);
    assert_eq!(default.subscriber_count("user_events"), 2);

    assert_refused(
        &runtime,
        "pubsub",
        &[
            (json!({}), "missing field `topic`"),
            (json!({"topic": ""}), "topic: must not be empty"),
            (json!({"topic": "t", "pubsub": ""}), "pubsub: must not be empty"),
            (json!({"topic": "t", "local?": "yes"}), "local?"),
        ],
    )
    .await;
}
