//! Delivery lanes in the daemon: a lane's backlog lives in the store, so a dead or slow
//! target delays no other subscription, busy http targets leave instances for the others,
//! and a SIGKILL with backlogs and deliveries in flight loses nothing.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::SERVER;
use crate::receiver::{Receiver, Reply};
use crate::support::{Serve, temp_dir};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Posts `count` events of `ty` in batches of 500; returns their ids.
async fn post_batches(serve: &Serve, ty: &str, prefix: &str, count: usize) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for start in (0..count).step_by(500) {
        let batch: Vec<Value> = (start..(start + 500).min(count))
            .map(|i| json!({"type": ty, "source": "/lanes", "id": format!("{prefix}-{i}")}))
            .collect();
        let (status, body, _) = serve
            .post("/signals", "application/cloudevents-batch+json", Value::Array(batch).to_string(), &[])
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        ids.extend((start..(start + 500).min(count)).map(|i| format!("{prefix}-{i}")));
    }
    ids
}

fn ids_at(receiver: &Receiver) -> BTreeSet<String> {
    receiver.requests().iter().filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_targets_backlog_holds_back_no_other_subscription() {
    let healthy = Receiver::ok().await;
    // Nothing listens on the dead target's port: every attempt fails and is retried later.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let config = format!(
        r#"{SERVER}
[[subscriptions]]
path = "slow.*"
dispatch = {{ adapter = "webhook", url = "http://127.0.0.1:{dead}/hook", secret = "{SECRET}", retry_policy = {{ max_retries = 100, backoff = "constant", base_delay = 60000, max_delay = 60000, jitter = false }} }}

[[subscriptions]]
path = "fast.*"
dispatch = {{ adapter = "webhook", url = "{}", secret = "{SECRET}" }}
"#,
        healthy.url("/hook")
    );
    let serve = Serve::start(&temp_dir("lanes-dead"), &config);
    post_batches(&serve, "slow.x", "slow", 10_000).await;
    let fast = post_batches(&serve, "fast.x", "fast", 5).await;
    healthy.wait_for(5, Duration::from_secs(30)).await;
    assert_eq!(ids_at(&healthy), fast);
    // The backlog is in the store, and ingress still accepts.
    let (status, body) = serve.event(json!({"type": "fast.y", "source": "/lanes", "id": "late"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    healthy.wait_for(6, Duration::from_secs(30)).await;
    let (_, metrics) = serve.get_text("/metrics").await;
    let pending = metrics
        .lines()
        .find_map(|l| l.strip_prefix("jido_ingress_pending "))
        .and_then(|v| v.trim().parse::<usize>().ok());
    // The dead lane's 10,000 are still stored (a fast one may not be released yet).
    assert!(pending.is_some_and(|n| (10_000..=10_006).contains(&n)), "{pending:?}:\n{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_four_busy_http_targets_leave_instances_for_a_twenty_fifth() {
    // Receivers that never answer keep every delivery of their targets in flight.
    let hanging = Receiver::start(|_, _| Reply::Hang).await;
    let fast = Receiver::ok().await;
    let mut config = SERVER.to_owned();
    for i in 0..24 {
        config.push_str(&format!(
            "\n[[subscriptions]]\npath = \"busy.*\"\ndispatch = {{ adapter = \"http\", url = \"{}\", timeout = 60000, retry_policy = {{ max_retries = 0 }} }}\n",
            hanging.url(&format!("/t{i}"))
        ));
    }
    config.push_str(&format!(
        "\n[[subscriptions]]\npath = \"quick.*\"\ndispatch = {{ adapter = \"webhook\", url = \"{}\", secret = \"{SECRET}\" }}\n",
        fast.url("/hook")
    ));
    let serve = Serve::start(&temp_dir("lanes-busy"), &config);
    post_batches(&serve, "busy.x", "busy", 40).await;
    // Every busy target has its 16 deliveries in flight.
    hanging.wait_for(24 * 16, Duration::from_secs(60)).await;
    let quick = post_batches(&serve, "quick.x", "quick", 5).await;
    fast.wait_for(5, Duration::from_secs(30)).await;
    assert_eq!(ids_at(&fast), quick);
    assert_eq!(hanging.requests().len(), 24 * 16, "each busy lane holds max_in_flight, no more");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_backlogs_and_deliveries_in_flight_loses_nothing() {
    // The receiver fails most requests until the restart, so lanes retry and spill.
    let up = Arc::new(AtomicBool::new(false));
    let gate = up.clone();
    let receiver = Receiver::start(move |n, _| {
        if gate.load(Ordering::SeqCst) || n % 5 == 0 { Reply::status(200) } else { Reply::status(503) }
    })
    .await;
    let other = Receiver::ok().await;
    let config = format!(
        r#"{SERVER}
[[subscriptions]]
path = "**"
dispatch = [
  {{ adapter = "webhook", url = "{}", secret = "{SECRET}", circuit_breaker = false, retry_policy = {{ max_retries = 100, backoff = "constant", base_delay = 10, jitter = false }} }},
  {{ adapter = "webhook", url = "{}", secret = "{SECRET}", ordering = "strict" }},
]
"#,
        receiver.url("/a"),
        other.url("/b")
    );
    let mut serve = Serve::start(&temp_dir("lanes-kill"), &config);
    let accepted = post_batches(&serve, "tick", "k", 3000).await;
    receiver.wait_for(100, Duration::from_secs(30)).await;
    serve.kill();
    up.store(true, Ordering::SeqCst);
    serve.restart();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    for (name, at) in [("a", &receiver), ("b", &other)] {
        loop {
            // Count first: a request arriving after this count ends the wait below at once.
            let seen = at.requests().len();
            let missing = accepted.difference(&ids_at(at)).count();
            if missing == 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "lane {name}: {missing} accepted signals never arrived"
            );
            at.wait_for(seen + 1, Duration::from_secs(60)).await;
        }
    }
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_subscription_that_cannot_open_keeps_its_backlog() {
    // An admin-API subscription on a custom adapter whose receiver is down (its signals wait
    // in the backlog); a restart without the adapter (the subscription cannot open); then one
    // with it again and the receiver up: the backlog arrives.
    let up = Arc::new(AtomicBool::new(false));
    let gate = up.clone();
    let receiver =
        Receiver::start(
            move |_, _| {
                if gate.load(Ordering::SeqCst) { Reply::status(200) } else { Reply::status(503) }
            },
        )
        .await;
    let dir = temp_dir("lanes-unopened");
    let component = jido_dispatch::builtin::get("http").expect("http").component;
    std::fs::write(dir.join("relay.wasm"), component).expect("component");
    let adapter = format!(
        "[[adapters]]\nname = \"relay\"\ncomponent = \"relay.wasm\"\ngrants = {{ http = [\"{}\"] }}\n",
        receiver.url("").trim_end_matches('/')
    );
    let store = dir.join("store.sqlite").display().to_string();
    let config = |with_adapter: bool| {
        let adapter = if with_adapter { adapter.as_str() } else { "" };
        format!("[store]\npath = {store:?}\n{SERVER}\n{adapter}")
    };
    let file = dir.join("config.toml");
    std::fs::write(&file, config(true)).expect("config");
    let mut serve = Serve::start_file(&file);
    let retry = json!({"max_retries": 100, "backoff": "constant", "base_delay": 60000, "max_delay": 60000, "jitter": false});
    let dispatch = json!({"adapter": "relay", "url": receiver.url("/r"), "retry_policy": retry, "circuit_breaker": false});
    let (status, body) = serve
        .admin(
            reqwest::Method::POST,
            "/admin/subscriptions",
            Some(json!({"path": "**", "dispatch": dispatch})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let accepted = post_batches(&serve, "tick", "u", 20).await;
    receiver.wait_for(1, Duration::from_secs(30)).await;
    serve.kill();
    std::fs::write(&file, config(false)).expect("config");
    serve = Serve::start_file(&file);
    let log = std::fs::read_to_string(&serve.log).unwrap_or_default();
    assert!(log.contains("its backlog is kept"), "{log}");
    serve.kill();
    up.store(true, Ordering::SeqCst);
    let before = receiver.requests().len();
    std::fs::write(&file, config(true)).expect("config");
    serve = Serve::start_file(&file);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let requests = receiver.requests();
        let delivered: BTreeSet<String> = requests[before..]
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .filter_map(|v| v["id"].as_str().map(str::to_owned))
            .collect();
        let missing = accepted.difference(&delivered).count();
        if missing == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{missing} signals of the kept backlog never arrived"
        );
        receiver.wait_for(requests.len() + 1, Duration::from_secs(30)).await;
    }
    drop(serve);
}
