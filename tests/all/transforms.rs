//! Transforms: a target's payload reshaped or dropped by a sandboxed component before its
//! adapter sees it, with real receivers on loopback and real components (the built-in
//! `template` and `select`, the Rust example, and the `transform-probe` test guest).

use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::bus::{SubscribeOptions, WhenFull};
use jido_dispatch::host::{AdapterConfig, Limits};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, guest, loopback_builder, verify};
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn runtime() -> Runtime {
    loopback_builder(crate::CACHE_ROOT).build().expect("runtime")
}

fn order(i: u64, amount: u64) -> Signal {
    Signal::builder("order.paid", "/shop")
        .id(format!("o-{i}"))
        .subject(format!("order/{i}"))
        .data_json(&json!({"id": i, "amount": amount, "card": "4111"}))
        .build()
        .expect("valid")
}

fn webhook(url: &str) -> TargetSpec {
    TargetSpec::new("webhook").with("url", json!(url)).with("secret", json!(SECRET))
}

fn body(request: &jido_dispatch_tests::Recorded) -> Value {
    serde_json::from_slice(&request.body).expect("json body")
}

#[tokio::test]
async fn a_template_reshapes_a_webhook_body_and_the_signature_covers_the_new_body() {
    let runtime = runtime();
    let receiver = Receiver::ok().await;
    let spec = webhook(&receiver.url("/hook")).with("transform", json!("template")).with(
        "transform_options",
        json!({"template": {"text": "Order $data.id paid: ${data.amount} EUR", "total": "$data.amount"}}),
    );
    let target = runtime.open_target(&spec).await.expect("opens");
    runtime.dispatch(&order(7, 120), &target).await.expect("delivered");

    let request = receiver.requests().pop().expect("received");
    let sent = body(&request);
    assert_eq!(sent["data"], json!({"text": "Order 7 paid: 120 EUR", "total": 120}));
    assert_eq!(sent["id"], json!("o-7"), "attributes are kept");
    assert!(verify::standard(
        SECRET,
        request.header("webhook-id").expect("id"),
        request.header("webhook-timestamp").expect("timestamp"),
        &request.body,
        request.header("webhook-signature").expect("signature"),
    ));
}

#[tokio::test]
async fn bad_transform_keys_are_refused_when_the_target_opens_naming_the_key() {
    let runtime = runtime();
    let url = "http://127.0.0.1:9/hook";
    let cases = [
        (
            webhook(url).with("transform", json!("nope")),
            "transform: no transform named `nope` (known: select, template)",
        ),
        (webhook(url).with("transform", json!(3)), "transform: expected a transform name, got 3"),
        (webhook(url).with("transform_options", json!({})), "transform_options: given without `transform`"),
        (
            webhook(url)
                .with("transform", json!("select"))
                .with("transform_options", json!({"when": ["data.x > y"]})),
            "transform_options: when:",
        ),
        (
            webhook(url)
                .with("transform", json!("template"))
                .with("transform_options", json!({"template": "${x"})),
            "transform_options: template:",
        ),
    ];
    for (spec, expected) in cases {
        let err = runtime.open_target(&spec).await.expect_err("refused").to_string();
        assert!(err.contains(expected), "{err}\n  expected: {expected}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transform_drops_signals_for_one_target_while_another_target_gets_them_all() {
    let runtime = runtime();
    let (big, all) = (Receiver::ok().await, Receiver::ok().await);
    let filtered = webhook(&big.url("/big")).with("transform", json!("select")).with(
        "transform_options",
        json!({"when": [".data.amount > 100"], "keep": ["data.id", "data.amount"]}),
    );
    let bus = runtime.bus("orders");
    let options = SubscribeOptions { when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    bus.subscribe("order.*", vec![filtered, webhook(&all.url("/all"))], options).await.expect("subscribed");
    let signals: Vec<Signal> = (0..40).map(|i| order(i, i * 5)).collect();
    bus.publish(signals).await.expect("published");
    assert!(bus.shutdown(Duration::from_secs(30)).await.is_complete());

    assert_eq!(all.requests().len(), 40);
    let mut kept: Vec<Value> = big.requests().iter().map(|r| body(r)["data"].clone()).collect();
    kept.sort_by_key(|d| d["id"].as_u64());
    let expected: Vec<Value> = (21..40).map(|i| json!({"id": i, "amount": i * 5})).collect();
    assert_eq!(kept, expected, "amounts over 100 only, the card number left out");
    assert_eq!(runtime.telemetry().metrics().filtered_count("webhook"), 21);
    assert!(runtime.metrics_text().contains("jido_transform_filtered_total{adapter=\"webhook\"} 21"));
    assert!(runtime.dead_letters().list().expect("list").is_empty(), "a drop is not a failure");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_transform_fails_only_its_own_deliveries_each_dead_lettered_once() {
    hostile_transform_fails_only_its_own_deliveries(true).await;
}

/// The same, for a transform the operator trusts: unthrottled, it is called synchronously
/// (no fiber), and its limits hold all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_synchronous_transform_fails_only_its_own_deliveries_each_dead_lettered_once() {
    hostile_transform_fails_only_its_own_deliveries(false).await;
}

async fn hostile_transform_fails_only_its_own_deliveries(throttle_long_calls: bool) {
    let runtime = runtime();
    let limits = Limits {
        memory_bytes: 8 << 20,
        call_timeout: Duration::from_millis(300),
        throttle_long_calls,
        ..Limits::default()
    };
    let config = AdapterConfig { limits, ..AdapterConfig::default() };
    runtime.load_transform("probe", guest("transform-probe"), config).await.expect("loads");
    let (shaped, plain) = (Receiver::ok().await, Receiver::ok().await);
    let probed = webhook(&shaped.url("/shaped"))
        .with("transform", json!("probe"))
        .with("retry_policy", json!({"max_retries": 3, "base_delay": 1, "jitter": false}));
    let bus = runtime.bus("hostile");
    let options = SubscribeOptions { when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    bus.subscribe("t.*", vec![probed, webhook(&plain.url("/plain"))], options).await.expect("subscribed");
    let kinds = [
        "t.loop",
        "t.oom",
        "t.trap",
        "t.error",
        "t.invalid",
        "t.badjson",
        "t.drop",
        "t.ok",
        "t.ok",
        "t.shape",
    ];
    let signals: Vec<Signal> = kinds
        .iter()
        .enumerate()
        .map(|(i, ty)| Signal::builder(*ty, "/test").id(format!("h-{i}")).build().expect("valid"))
        .collect();
    bus.publish(signals).await.expect("published");
    assert!(bus.shutdown(Duration::from_secs(60)).await.is_complete());

    assert_eq!(plain.requests().len(), kinds.len(), "the other target gets every signal");
    let shaped_ids: Vec<Value> = shaped.requests().iter().map(|r| body(r)["id"].clone()).collect();
    assert_eq!(shaped_ids.len(), 3, "only the well-behaved signals reach the transformed target");
    for request in shaped.requests() {
        assert_eq!(body(&request)["data"]["mark"], json!("probe"));
    }
    let mut letters: Vec<(String, String, u32)> = runtime
        .dead_letters()
        .list()
        .expect("list")
        .into_iter()
        .map(|l| (l.signal.ty.clone(), l.error.code().unwrap_or_default().to_owned(), l.attempts))
        .collect();
    letters.sort();
    let expected = [
        ("t.badjson", "transform_failed"),
        ("t.error", "transform_failed"),
        ("t.invalid", "transform_failed"),
        ("t.loop", "time_limit"),
        ("t.oom", "memory_limit"),
        ("t.trap", "adapter_trap"),
    ];
    let expected: Vec<(String, String, u32)> =
        expected.iter().map(|(t, c)| ((*t).to_owned(), (*c).to_owned(), 1)).collect();
    assert_eq!(letters, expected, "one attempt each: a transform failure is never retried");
    let error = runtime.dead_letters().list().expect("list");
    let trap = error.iter().find(|l| l.signal.ty == "t.trap").expect("trap letter");
    assert!(trap.error.to_string().contains("transform `probe` trapped"), "{}", trap.error);
    let bad = error.iter().find(|l| l.signal.ty == "t.badjson").expect("bad payload letter");
    let said = bad.error.to_string();
    assert!(said.contains("returned an invalid payload") && said.contains("data:"), "{said}");
}

#[tokio::test]
async fn a_transform_called_synchronously_that_would_wait_fails_saying_so() {
    let runtime = runtime();
    let receiver = Receiver::ok().await;
    let sleepy = Signal::builder("t.sleep", "/test").id("s-1").build().expect("valid");
    for throttle_long_calls in [true, false] {
        let limits = Limits { throttle_long_calls, ..Limits::default() };
        let config = AdapterConfig { limits, ..AdapterConfig::default() };
        runtime.load_transform("probe", guest("transform-probe"), config).await.expect("loads");
        let spec = webhook(&receiver.url("/hook")).with("transform", json!("probe"));
        let target = runtime.open_target(&spec).await.expect("opens");
        let outcome = runtime.dispatch(&sleepy, &target).await;
        if throttle_long_calls {
            outcome.expect("called async, the transform may wait");
        } else {
            let error = outcome.expect_err("called synchronously, it may not");
            assert!(error.to_string().contains("would wait"), "{error}");
        }
    }
    assert_eq!(receiver.requests().len(), 1, "only the async call delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_a_transform_under_traffic_loses_nothing_and_the_new_one_takes_over() {
    let runtime = runtime();
    runtime
        .load_transform("shaper", guest("rust-slack-transform"), AdapterConfig::default())
        .await
        .expect("loads");
    let receiver = Receiver::ok().await;
    let target = webhook(&receiver.url("/slack")).with("transform", json!("shaper"));
    let bus = runtime.bus("reload");
    let options = SubscribeOptions { when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    bus.subscribe("order.*", vec![target], options).await.expect("subscribed");
    let publisher = {
        let bus = bus.clone();
        tokio::spawn(async move {
            for chunk in (0..1000).collect::<Vec<u64>>().chunks(50) {
                bus.publish(chunk.iter().map(|&i| order(i, i)).collect()).await.expect("published");
                tokio::task::yield_now().await;
            }
        })
    };
    for round in 0..4 {
        let next = if round % 2 == 0 { "transform-probe" } else { "rust-slack-transform" };
        runtime
            .load_transform("shaper", guest(next), AdapterConfig::default())
            .await
            .expect("replaced mid-flow");
    }
    publisher.await.expect("publisher");
    runtime
        .load_transform("shaper", guest("transform-probe"), AdapterConfig::default())
        .await
        .expect("replaced");
    bus.publish(vec![order(5000, 1)]).await.expect("published");
    assert!(bus.shutdown(Duration::from_secs(60)).await.is_complete());

    let bodies: Vec<Value> = receiver.requests().iter().map(body).collect();
    let mut ids: Vec<u64> =
        bodies.iter().filter_map(|b| b["id"].as_str()?.strip_prefix("o-")?.parse().ok()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1001, "every signal delivered once it was transformed by one of the two");
    for b in &bodies {
        assert!(b["data"]["text"].is_string() || b["data"]["mark"] == json!("probe"), "{b}");
    }
    let last = bodies.iter().find(|b| b["id"] == json!("o-5000")).expect("last signal");
    assert_eq!(last["data"]["mark"], json!("probe"), "the replacement took over");
    assert!(runtime.dead_letters().list().expect("list").is_empty());
}

#[tokio::test]
async fn a_replacement_that_refuses_options_in_use_changes_nothing() {
    let runtime = runtime();
    runtime
        .load_transform("shaper", guest("transform-probe"), AdapterConfig::default())
        .await
        .expect("loads");
    let receiver = Receiver::ok().await;
    let spec = webhook(&receiver.url("/x")).with("transform", json!("shaper"));
    let target = runtime.open_target(&spec).await.expect("opens");
    // The Slack example refuses the probe's `mark` option, which the live target uses.
    let err = runtime.load_transform("shaper", guest("rust-slack-transform"), AdapterConfig::default()).await;
    assert!(err.expect_err("refused").to_string().contains("mark"));
    runtime.dispatch(&order(1, 1), &target).await.expect("delivered");
    assert_eq!(body(&receiver.requests()[0])["data"]["mark"], json!("probe"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batching_target_sends_the_transformed_signals_and_only_those() {
    let runtime = runtime();
    runtime.load_transform("probe", guest("transform-probe"), AdapterConfig::default()).await.expect("loads");
    let receiver = Receiver::ok().await;
    let target = webhook(&receiver.url("/batch"))
        .with("transform", json!("probe"))
        .with("transform_options", json!({"mark": "batched"}))
        .with("batch_size", json!(6))
        .with("batch_timeout", json!(50));
    let bus = runtime.bus("batches");
    bus.subscribe("t.*", vec![target], SubscribeOptions::default()).await.expect("subscribed");
    let kinds = ["t.ok", "t.drop", "t.ok", "t.error", "t.drop", "t.ok"];
    let signals: Vec<Signal> = kinds
        .iter()
        .enumerate()
        .map(|(i, ty)| Signal::builder(*ty, "/test").id(format!("b-{i}")).build().expect("valid"))
        .collect();
    bus.publish(signals).await.expect("published");
    assert!(bus.shutdown(Duration::from_secs(30)).await.is_complete());

    let mut ids: Vec<String> =
        receiver.requests().iter().map(|r| body(r)["id"].as_str().unwrap_or("").to_owned()).collect();
    ids.sort();
    assert_eq!(ids, ["b-0", "b-2", "b-5"]);
    assert!(receiver.requests().iter().all(|r| body(r)["data"]["mark"] == json!("batched")));
    assert_eq!(runtime.telemetry().metrics().filtered_count("webhook"), 2);
    let letters = runtime.dead_letters().list().expect("list");
    assert_eq!(letters.len(), 1);
    assert_eq!((letters[0].signal.id.as_str(), letters[0].error.code()), ("b-3", Some("transform_failed")));
    assert!(letters[0].signal.data.is_none(), "the letter keeps the original signal");
}
