//! Bad input gets a clear JSON error and nothing of it is accepted; overload is a 503 with
//! `Retry-After`, and the pending count stays within the bound.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::receiver::{Receiver, Reply};
use crate::support::{Serve, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversize_and_unauthorised_requests_are_refused_whole() {
    let receiver = Receiver::ok().await;
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
ingress_token = "in-secret"
admin_token = "admin-secret"
max_body_bytes = 2048

[egress]
allow_private = ["127.0.0.0/8"]

[[subscriptions]]
path = "**"
dispatch = {{ adapter = "http", url = "{}" }}
"#,
        receiver.url("/all")
    );
    let serve = Serve::start(&temp_dir("bad-input"), &config);
    let auth = [("authorization", "Bearer in-secret")];
    let structured = "application/cloudevents+json";
    let cases: Vec<(&str, String, StatusCode, &str)> = vec![
        (structured, "{not json".into(), StatusCode::BAD_REQUEST, "invalid JSON"),
        (structured, json!({"source": "/s"}).to_string(), StatusCode::BAD_REQUEST, "type"),
        (structured, json!({"type": "a.b"}).to_string(), StatusCode::BAD_REQUEST, "source"),
        (structured, json!({"type": "", "source": "/s"}).to_string(), StatusCode::BAD_REQUEST, "type"),
        (structured, "[1]".into(), StatusCode::BAD_REQUEST, "must be a JSON object"),
        (
            "text/plain",
            "hello".into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content type `text/plain`",
        ),
        (
            structured,
            format!(r#"{{"type":"a","source":"/s","data":"{}"}}"#, "x".repeat(4096)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "exceeds 2048 bytes",
        ),
        (
            "application/cloudevents-batch+json",
            json!([{"type": "ok.one", "source": "/s"}, {"type": "bad"}]).to_string(),
            StatusCode::BAD_REQUEST,
            "event 1:",
        ),
    ];
    for (content_type, body, status, message) in cases {
        let (got, answer, _) = serve.post("/signals", content_type, body.clone(), &auth).await;
        assert_eq!(got, status, "{body}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(message), "{body}: {error}");
    }
    // Tokens: missing or wrong ingress token; an ingress token is not an admin token.
    let ok_event = json!({"type": "a.b", "source": "/s"}).to_string();
    for headers in [&[][..], &[("authorization", "Bearer wrong")][..], &[("authorization", "in-secret")][..]]
    {
        let (status, _, response) = serve.post("/signals", structured, ok_event.clone(), headers).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(response.get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    }
    let admin =
        reqwest::Client::new().get(format!("{}/admin/subscriptions", serve.base)).bearer_auth("in-secret");
    assert_eq!(admin.send().await.expect("request").status(), StatusCode::UNAUTHORIZED);
    let (status, _, _) = serve.post("/signals?bus=nowhere", structured, ok_event.clone(), &auth).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing above reached the receiver: the next accepted signal is the first it sees.
    let (status, body, _) = serve
        .post("/signals", structured, json!({"type": "marker", "source": "/s"}).to_string(), &auth)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    receiver.wait_for(1, Duration::from_secs(30)).await;
    let first: serde_json::Value = serde_json::from_slice(&receiver.requests()[0].body).expect("json");
    assert_eq!(first["id"], body["ids"][0]);
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_beyond_the_bound_gets_503_with_retry_after_and_pending_stays_bounded() {
    // The receiver never answers, so accepted signals stay pending.
    let receiver = Receiver::start(|_, _| Reply::Hang).await;
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
max_pending = 20

[egress]
allow_private = ["127.0.0.0/8"]

[[subscriptions]]
path = "**"
dispatch = {{ adapter = "http", url = "{}", timeout = 60000 }}
"#,
        receiver.url("/slow")
    );
    let serve = Serve::start(&temp_dir("flood"), &config);
    let mut accepted = 0;
    let mut refused = 0;
    for i in 0..100 {
        let (status, body, headers) = serve
            .post(
                "/signals",
                "application/cloudevents+json",
                json!({"type": "x", "source": "/s", "id": i.to_string()}).to_string(),
                &[],
            )
            .await;
        match status {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                refused += 1;
                assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
                assert!(body["error"].as_str().unwrap_or_default().contains("overloaded"), "{body}");
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((accepted, refused), (20, 80));
    let (_, metrics) = serve.get_text("/metrics").await;
    assert!(metrics.contains("jido_ingress_pending 20"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_budget_in_bytes_bounds_ingress_and_frees_as_lanes_finish() {
    // A receiver that is down until told otherwise: accepted signals stay in the store.
    let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let gate = up.clone();
    let receiver = Receiver::start(move |_, _| {
        if gate.load(std::sync::atomic::Ordering::SeqCst) { Reply::status(200) } else { Reply::status(503) }
    })
    .await;
    let dir = temp_dir("budget");
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"

[store]
path = {:?}
max_bytes = 4000

[egress]
allow_private = ["127.0.0.0/8"]

[[subscriptions]]
path = "**"
dispatch = {{ adapter = "http", url = "{}", circuit_breaker = false, retry_policy = {{ max_retries = 100, backoff = "constant", base_delay = 20, jitter = false }} }}
"#,
        dir.join("store.sqlite").display().to_string(),
        receiver.url("/down")
    );
    std::fs::write(dir.join("config.toml"), config).expect("config written");
    let serve = Serve::start_file(&dir.join("config.toml"));
    let event =
        |i: usize| json!({"type": "x", "source": "/s", "id": format!("b-{i}"), "data": "x".repeat(500)});
    let mut accepted = Vec::new();
    let mut i = 0;
    loop {
        let (status, body) = serve.event(event(i)).await;
        match status {
            StatusCode::ACCEPTED => accepted.push(i),
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(body["error"].as_str().unwrap_or_default().contains("budget"), "{body}");
                break;
            }
            other => panic!("unexpected {other}: {body}"),
        }
        i += 1;
        assert!(i < 100, "the 4,000-byte budget never refused");
    }
    assert!((4..=8).contains(&accepted.len()), "about 4,000 bytes of ~600-byte signals: {accepted:?}");
    // Once the receiver is up the lane finishes them, the store frees, and ingress accepts again.
    up.store(true, std::sync::atomic::Ordering::SeqCst);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = serve.event(event(1000)).await;
        if status == StatusCode::ACCEPTED {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "ingress never reopened: {body}");
        // The store frees when the lanes' deletes commit (the next group commit): poll.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
