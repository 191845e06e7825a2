//! The admin API: subscriptions added over HTTP are persisted and survive a restart; config
//! subscriptions cannot be removed over HTTP; everything needs the admin token.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::SERVER;
use crate::receiver::Receiver;
use crate::support::{Serve, failed_start, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_subscriptions_persist_across_restarts() {
    let receiver = Receiver::ok().await;
    let config =
        format!("{SERVER}\n[[subscriptions]]\npath = \"audit.**\"\ndispatch = {{ adapter = \"noop\" }}\n");
    let mut serve = Serve::start(&temp_dir("admin"), &config);
    let request =
        json!({"path": "user.*", "priority": 5, "dispatch": {"adapter": "http", "url": receiver.url("/u")}});
    let (status, created) = serve.admin(Method::POST, "/admin/subscriptions", Some(request)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    for (bad, message) in [
        (json!({"path": "user..x", "dispatch": {"adapter": "noop"}}), "consecutive dots"),
        (json!({"path": "a", "dispatch": {"adapter": "fax"}}), "unknown adapter `fax`"),
        (json!({"path": "a", "dispatch": {"adapter": "http"}}), "missing field `url`"),
        (json!({"path": "a"}), "missing field `dispatch`"),
    ] {
        let (status, body) = serve.admin(Method::POST, "/admin/subscriptions", Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["error"].as_str().unwrap_or_default().contains(message), "{body}");
    }

    serve.terminate();
    serve.restart();
    let (status, listed) = serve.admin(Method::GET, "/admin/subscriptions", None).await;
    assert_eq!(status, StatusCode::OK);
    let subs = listed["subscriptions"].as_array().cloned().unwrap_or_default();
    let sources: Vec<(String, String)> = subs
        .iter()
        .map(|s| (s["path"].as_str().unwrap_or("").to_owned(), s["source"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(
        sources,
        [("audit.**".to_owned(), "config".to_owned()), ("user.*".to_owned(), "api".to_owned())]
    );
    let api_id = subs[1]["id"].as_u64().expect("id");
    let config_id = subs[0]["id"].as_u64().expect("id");

    // The restored subscription delivers.
    assert_eq!(serve.event(json!({"type": "user.created", "source": "/s"})).await.0, StatusCode::ACCEPTED);
    receiver.wait_for(1, Duration::from_secs(30)).await;

    let (status, _) = serve.admin(Method::DELETE, &format!("/admin/subscriptions/{config_id}"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = serve.admin(Method::DELETE, &format!("/admin/subscriptions/{api_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = serve.admin(Method::DELETE, &format!("/admin/subscriptions/{api_id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    serve.restart();
    let (_, listed) = serve.admin(Method::GET, "/admin/subscriptions", None).await;
    assert_eq!(listed["subscriptions"].as_array().map(Vec::len), Some(1), "removal persisted: {listed}");

    let unauthenticated = reqwest::get(format!("{}/admin/health", serve.base)).await.expect("request");
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_token_the_admin_api_is_off() {
    let serve = Serve::start(&temp_dir("no-admin"), "[server]\nlisten = \"127.0.0.1:0\"\n");
    let response = reqwest::get(format!("{}/admin/subscriptions", serve.base)).await.expect("request");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = serde_json::from_str(&response.text().await.expect("body")).expect("json");
    assert!(body["error"].as_str().unwrap_or_default().contains("set [server] admin_token"), "{body}");
}

#[test]
fn an_unreachable_cluster_stops_the_start_with_the_url_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let toml =
        format!("[server]\nlisten = \"127.0.0.1:0\"\n[cluster]\nnats_url = \"nats://127.0.0.1:{port}\"\n");
    let (code, stderr) = failed_start(&temp_dir("cluster-down"), &toml);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("[cluster]: cannot connect to NATS at nats://127.0.0.1:{port}")),
        "{stderr}"
    );
}

/// Secrets planted in targets (webhook `secret`/`secrets`, credential headers, a custom
/// header with "token" in its name) appear in no admin response, log line or metric; the
/// listings show fingerprints instead, and the receiver still got the real values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_appear_in_no_admin_response_log_line_or_metric() {
    // The receiver echoes the credential it got, as some error pages do: the failure message
    // and the stored answer body quote it, and must show a fingerprint instead.
    let receiver = Receiver::start(|_, request| {
        let echoed = format!("denied for {}", request.header("authorization").unwrap_or("nobody"));
        crate::receiver::Reply::Status(500, Vec::new(), echoed.into_bytes())
    })
    .await;
    let planted = [
        "planted-secret-1",
        "Bearer planted-token-2",
        "planted-key-3",
        "planted-rotation-4",
        "planted-cookie-5",
    ];
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"user.*\"\ndispatch = {{ adapter = \"webhook\", url = \"{}\", \
         secret = \"{}\", headers = {{ Authorization = \"{}\", \"X-Api-Key\" = \"{}\", \"X-Tenant\" = \"acme\" }}, \
         retry_policy = {{ max_retries = 0 }} }}\n",
        receiver.url("/config"),
        planted[0],
        planted[1],
        planted[2]
    );
    let serve = Serve::start(&temp_dir("secrets"), &config);
    let added = json!({"path": "user.*", "dispatch": {
        "adapter": "webhook", "url": receiver.url("/api"), "secrets": [planted[3]],
        "headers": {"Cookie": planted[4]}, "retry_policy": {"max_retries": 0}
    }});
    let (status, created) = serve.admin(Method::POST, "/admin/subscriptions", Some(added)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(!created.to_string().contains("planted"), "{created}");

    assert_eq!(serve.event(json!({"type": "user.created", "source": "/s"})).await.0, StatusCode::ACCEPTED);
    receiver.wait_for(2, Duration::from_secs(30)).await;
    let sent = receiver.requests();
    assert!(
        sent.iter().any(|r| r.header("authorization") == Some(planted[1])),
        "the receiver got the real header"
    );

    // Both failed for good (500, no retries): wait until both letters are listed.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let letters = loop {
        let (status, body) = serve.admin(Method::GET, "/admin/dead-letters", None).await;
        assert_eq!(status, StatusCode::OK);
        if body["dead_letters"].as_array().is_some_and(|l| l.len() == 2) {
            break body;
        }
        assert!(tokio::time::Instant::now() < deadline, "two dead letters expected: {body}");
        tokio::task::yield_now().await;
    };
    let (_, subscriptions) = serve.admin(Method::GET, "/admin/subscriptions", None).await;
    let (_, health) = serve.admin(Method::GET, "/admin/health", None).await;
    let (_, attempts) = serve.admin(Method::GET, "/admin/attempts", None).await;
    assert!(attempts.to_string().contains("denied for redacted:sha256:"), "{attempts}");
    let (_, metrics) = serve.get_text("/metrics").await;
    let log = std::fs::read_to_string(&serve.log).expect("log");
    let shown = [
        letters.to_string(),
        subscriptions.to_string(),
        health.to_string(),
        attempts.to_string(),
        metrics,
        log,
    ];
    let places = ["dead letters", "subscriptions", "health", "attempts", "metrics", "log"];
    for (place, text) in places.iter().zip(&shown) {
        for secret in planted {
            assert!(!text.contains(secret), "{secret} appears in {place}: {text}");
        }
    }
    // What is shown instead: a fingerprint where the secret was, the rest as configured.
    let targets: Vec<&Value> =
        subscriptions["subscriptions"].as_array().into_iter().flatten().map(|s| &s["dispatch"][0]).collect();
    let config_target = targets.iter().find(|t| t["url"].as_str().is_some_and(|u| u.ends_with("/config")));
    let config_target = config_target.expect("the config subscription is listed");
    assert!(
        config_target["secret"].as_str().is_some_and(|s| s.starts_with("redacted:sha256:")),
        "{config_target}"
    );
    assert!(config_target["headers"]["X-Api-Key"].as_str().is_some_and(|s| s.starts_with("redacted:")));
    assert_eq!(config_target["headers"]["X-Tenant"], "acme");
}
