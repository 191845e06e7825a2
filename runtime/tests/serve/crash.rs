//! Durability: every signal that got a 202 is delivered, across SIGKILL and SIGTERM.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::SERVER;
use crate::receiver::{Receiver, Reply};
use crate::support::{Serve, temp_dir};

fn delivered_ids(receiver: &Receiver) -> BTreeSet<String> {
    receiver.requests().iter().filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect()
}

async fn wait_until_all(receiver: &Receiver, ids: &BTreeSet<String>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let missing: Vec<String> = ids.difference(&delivered_ids(receiver)).cloned().collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} accepted ids never arrived: {missing:?}",
            missing.len()
        );
        // Deliveries arrive on the daemon's schedule (retries); look again shortly.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigkill_and_restart_every_accepted_signal_arrives() {
    // A slowish receiver so that deliveries are still in flight when the daemon dies.
    let receiver =
        Receiver::start(|n, _| if n % 7 == 0 { Reply::status(503) } else { Reply::status(200) }).await;
    let config = format!(
        r#"{SERVER}
[[subscriptions]]
path = "**"
dispatch = {{ adapter = "webhook", url = "{}", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", retry_policy = {{ max_retries = 5, backoff = "constant", base_delay = 20, jitter = false }} }}
"#,
        receiver.url("/hook")
    );
    let mut serve = Serve::start(&temp_dir("crash"), &config);
    // A producer posts continuously to whichever daemon is current; the kill lands while
    // its requests and the daemon's deliveries are in flight. Like a real client, it posts a
    // signal again when the connection failed: once the next daemon is up (the test
    // announces its address), so every signal is accepted by one of the two daemons.
    let (base_tx, base_rx) = tokio::sync::watch::channel(serve.base.clone());
    let (count_tx, mut count_rx) = tokio::sync::watch::channel(0usize);
    let producer = tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut base_rx = base_rx;
        let mut accepted = BTreeSet::new();
        for i in 0..400 {
            let event = json!({"type": "tick", "source": "/c", "id": format!("s-{i}")});
            loop {
                let base = base_rx.borrow_and_update().clone();
                let sent = client
                    .post(format!("{base}/signals"))
                    .header("content-type", "application/cloudevents+json")
                    .body(event.to_string())
                    .send()
                    .await;
                match sent {
                    Ok(response) => {
                        if response.status() == StatusCode::ACCEPTED {
                            accepted.insert(format!("s-{i}"));
                            count_tx.send_replace(accepted.len());
                        }
                        break;
                    }
                    // The daemon died under the request: wait for the next one.
                    Err(_) => {
                        let next =
                            tokio::time::timeout(Duration::from_secs(60), base_rx.wait_for(|b| *b != base));
                        assert!(matches!(next.await, Ok(Ok(_))), "no daemon came back after {base} failed");
                    }
                }
            }
        }
        accepted
    });
    count_rx.wait_for(|n| *n >= 150).await.expect("producer running");
    serve.kill();
    serve = Serve::start_file(&serve_config(&serve));
    base_tx.send_replace(serve.base.clone());
    let accepted = producer.await.expect("producer");
    assert!(accepted.contains("s-399"), "the restarted daemon accepted the producer's last signal");
    assert!(
        accepted.len() >= 390,
        "nearly every signal was accepted by one daemon or the other: {}",
        accepted.len()
    );
    wait_until_all(&receiver, &accepted).await;
}

fn serve_config(serve: &Serve) -> std::path::PathBuf {
    serve.log.parent().expect("dir").join("config.toml")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_keeps_undelivered_signals_for_the_next_start() {
    // The receiver is down (503) until the restart.
    let up = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let gate = up.clone();
    let receiver = Receiver::start(move |_, _| {
        if gate.load(std::sync::atomic::Ordering::SeqCst) { Reply::status(200) } else { Reply::status(503) }
    })
    .await;
    let config = format!(
        r#"{SERVER}
[[subscriptions]]
path = "**"
dispatch = {{ adapter = "webhook", url = "{}", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", retry_policy = {{ max_retries = 100, backoff = "constant", base_delay = 50, jitter = false }}, circuit_breaker = false }}
"#,
        receiver.url("/hook")
    );
    let mut serve = Serve::start(&temp_dir("sigterm"), &config);
    let mut accepted = BTreeSet::new();
    for i in 0..10 {
        let (status, body) = serve.event(json!({"type": "t", "source": "/c", "id": format!("g-{i}")})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        accepted.insert(format!("g-{i}"));
    }
    receiver.wait_for(1, Duration::from_secs(30)).await;
    let status = serve.terminate();
    assert!(status.success(), "graceful exit: {status}");
    let log = std::fs::read_to_string(&serve.log).unwrap_or_default();
    assert!(log.contains("jido-dispatch stopped"), "{log}");
    up.store(true, std::sync::atomic::Ordering::SeqCst);
    let serve = Serve::start_file(&serve_config(&serve));
    wait_until_all(&receiver, &accepted).await;
    drop(serve);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_written_before_lanes_delivers_its_signals_after_the_upgrade() {
    let receiver = Receiver::start(|_, _| Reply::status(200)).await;
    let dir = temp_dir("upgrade");
    // The oldest store layout: accepted signals without lanes (they are routed at start).
    let old = rusqlite::Connection::open(dir.join("store.sqlite")).expect("old store");
    old.execute_batch(
        r#"CREATE TABLE accepted_signals (seq INTEGER PRIMARY KEY AUTOINCREMENT, bus TEXT NOT NULL, signal TEXT NOT NULL);
           INSERT INTO accepted_signals (bus, signal) VALUES
             ('default', '{"specversion":"1.0","id":"old-1","source":"/c","type":"t"}'),
             ('default', '{"specversion":"1.0","id":"old-2","source":"/c","type":"t"}');"#,
    )
    .expect("old rows");
    drop(old);
    let config = format!(
        r#"kind = "sqlite"
{SERVER}
[[subscriptions]]
path = "**"
dispatch = {{ adapter = "webhook", url = "{}", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }}
"#,
        receiver.url("/hook")
    );
    let serve = Serve::start(&dir, &config);
    let (status, body) = serve.event(json!({"type": "t", "source": "/c", "id": "new-1"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let expected: BTreeSet<String> = ["old-1", "old-2", "new-1"].into_iter().map(str::to_owned).collect();
    wait_until_all(&receiver, &expected).await;
    // The upgraded rows are the history too, done once their lane has finished them.
    serve
        .until("/admin/signals", |b| {
            b["signals"].as_array().is_some_and(|s| s.len() == 3 && s.iter().all(|s| s["pending"] == false))
        })
        .await;
}
