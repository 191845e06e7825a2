//! Signals posted in all three modes reach webhook and http receivers: routing,
//! signatures, batching, retries and dead letters.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::receiver::{Receiver, Reply};
use crate::support::{Serve, temp_dir};
use crate::{SERVER, verify};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_three_modes_are_routed_signed_and_batched() {
    let (hooks, batches) = (Receiver::ok().await, Receiver::ok().await);
    let config = format!(
        r#"{SERVER}
[[subscriptions]]
path = "user.*"
dispatch = {{ adapter = "webhook", url = "{hook}", secret = "{SECRET}" }}

[[subscriptions]]
path = "order.**"
dispatch = [{{ adapter = "http", url = "{batch}", batch_size = 3, batch_timeout = 60000 }}]
"#,
        hook = hooks.url("/hook"),
        batch = batches.url("/batch"),
    );
    let serve = Serve::start(&temp_dir("modes"), &config);

    let (status, body) = serve.event(json!({"type": "user.created", "source": "/shop", "id": "u-1"})).await;
    assert_eq!((status, body["ids"].clone()), (StatusCode::ACCEPTED, json!(["u-1"])));
    let binary =
        [("ce-specversion", "1.0"), ("ce-id", "u-2"), ("ce-source", "/shop"), ("ce-type", "user.deleted")];
    let (status, body, _) = serve.post("/signals", "application/json", r#"{"why":"asked"}"#, &binary).await;
    assert_eq!((status, body["accepted"].clone()), (StatusCode::ACCEPTED, json!(1)));
    let batch: Vec<Value> = (1..=3)
        .map(|i| json!({"type": "order.placed.eu", "source": "/shop", "id": format!("o-{i}")}))
        .collect();
    let (status, body, _) =
        serve.post("/signals", "application/cloudevents-batch+json", json!(batch).to_string(), &[]).await;
    assert_eq!((status, body["ids"].clone()), (StatusCode::ACCEPTED, json!(["o-1", "o-2", "o-3"])));
    // `system.boot` matches nothing: accepted, delivered nowhere.
    assert_eq!(serve.event(json!({"type": "system.boot", "source": "/os"})).await.0, StatusCode::ACCEPTED);

    hooks.wait_for(2, Duration::from_secs(30)).await;
    let requests = hooks.requests();
    // A webhook lane is unordered by default (up to 16 in flight), so the two may arrive
    // either way round: one request each is what holds.
    let mut ids: Vec<&str> = requests.iter().filter_map(|r| r.header("webhook-id")).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["u-1", "u-2"], "one request each");
    for request in &requests {
        let (id, ts, sig) = (
            request.header("webhook-id"),
            request.header("webhook-timestamp"),
            request.header("webhook-signature"),
        );
        assert!(verify::standard(
            SECRET,
            id.unwrap_or(""),
            ts.unwrap_or(""),
            &request.body,
            sig.unwrap_or("")
        ));
    }
    let deleted = requests.iter().find(|r| r.header("webhook-id") == Some("u-2")).expect("u-2 arrived");
    let deleted: Value = serde_json::from_slice(&deleted.body).expect("json");
    assert_eq!(deleted["data"], json!({"why": "asked"}), "binary-mode body became the data");

    batches.wait_for(1, Duration::from_secs(30)).await;
    let batch = &batches.requests()[0];
    assert!(
        batch.header("content-type").is_some_and(|t| t.starts_with("application/cloudevents-batch+json"))
    );
    let events: Vec<Value> = serde_json::from_slice(&batch.body).expect("a JSON array");
    assert_eq!(
        events.iter().map(|e| e["id"].clone()).collect::<Vec<_>>(),
        [json!("o-1"), json!("o-2"), json!("o-3")]
    );
}

async fn dead_letters_now(serve: &Serve) -> Vec<Value> {
    let (status, body) = serve.admin(Method::GET, "/admin/dead-letters", None).await;
    assert_eq!(status, StatusCode::OK);
    body["dead_letters"].as_array().cloned().unwrap_or_default()
}

/// The dead letters once there is at least one (recorded after the final attempt returns).
async fn dead_letters(serve: &Serve) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let letters = dead_letters_now(serve).await;
        if !letters.is_empty() {
            return letters;
        }
        assert!(tokio::time::Instant::now() < deadline, "no dead letter within 30 s");
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_then_dead_letters_that_can_be_listed_redriven_and_purged() {
    // Flaky: 503 twice, then 200. Broken: 400, except for the redrive (its second request).
    let flaky = Receiver::start(|n, _| if n < 2 { Reply::status(503) } else { Reply::status(200) }).await;
    let broken = Receiver::start(|n, _| if n == 1 { Reply::status(200) } else { Reply::status(400) }).await;
    let retry =
        r#"retry_policy = { max_retries = 3, backoff = "constant", base_delay = 10, jitter = false }"#;
    let config = format!(
        r#"{SERVER}
[[subscriptions]]
path = "pay.*"
dispatch = [
  {{ adapter = "http", url = "{flaky}", {retry} }},
  {{ adapter = "http", url = "{broken}", {retry} }},
]
"#,
        flaky = flaky.url("/f"),
        broken = broken.url("/b"),
    );
    let serve = Serve::start(&temp_dir("retries"), &config);
    assert_eq!(
        serve.event(json!({"type": "pay.done", "source": "/p", "id": "p-1"})).await.0,
        StatusCode::ACCEPTED
    );
    flaky.wait_for(3, Duration::from_secs(30)).await;
    broken.wait_for(1, Duration::from_secs(30)).await;

    // The 400 is permanent: one attempt, then a dead letter.
    let letters = dead_letters(&serve).await;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["error"]["code"], json!("http_400"));
    assert_eq!(letters[0]["signal"]["id"], json!("p-1"));
    assert_eq!(flaky.requests().len(), 3, "two 503s retried, then delivered");

    let id = letters[0]["id"].as_u64().expect("id");
    let (status, _) = serve.admin(Method::POST, &format!("/admin/dead-letters/{id}/redrive"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(broken.requests().len(), 2);
    let (status, _) = serve.admin(Method::DELETE, &format!("/admin/dead-letters/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a redriven letter is gone");
    let (status, body) = serve.admin(Method::POST, "/admin/dead-letters/999/redrive", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Another final failure, then a purge of everything.
    assert_eq!(
        serve.event(json!({"type": "pay.done", "source": "/p", "id": "p-2"})).await.0,
        StatusCode::ACCEPTED
    );
    broken.wait_for(3, Duration::from_secs(30)).await;
    assert_eq!(dead_letters(&serve).await[0]["signal"]["id"], json!("p-2"));
    let purged = serve.admin(Method::DELETE, "/admin/dead-letters", None).await;
    assert_eq!(purged, (StatusCode::OK, json!({"purged": 1})));
    assert!(dead_letters_now(&serve).await.is_empty());

    // Health of every target, and metrics.
    let (status, health) = serve.admin(Method::GET, "/admin/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(health["targets"].as_array().map(Vec::len), Some(2), "{health}");
    assert!(health["targets"][0]["status"].is_string(), "{health}");
    let (status, metrics) = serve.get_text("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.contains("jido_ingress_pending 0"), "{metrics}");
    assert!(metrics.contains("jido_dead_letters"), "{metrics}");
    assert_eq!(serve.get_text("/healthz").await.0, StatusCode::OK);
}
