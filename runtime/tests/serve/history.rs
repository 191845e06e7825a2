//! The history: every accepted signal and attempt, paged and filtered over the admin API,
//! kept across restarts and within its byte budget; dead letters paged too.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::SERVER;
use crate::receiver::{Receiver, Reply};
use crate::support::{Serve, temp_dir};

fn len(body: &Value, key: &str) -> usize {
    body[key].as_array().map_or(0, Vec::len)
}

fn ids(body: &Value, key: &str) -> Vec<String> {
    body[key].as_array().into_iter().flatten().filter_map(|s| s["id"].as_str().map(str::to_owned)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_and_attempts_are_searchable_paged_and_kept_across_a_restart() {
    let good = Receiver::start(|_, _| Reply::Status(200, Vec::new(), b"thanks".to_vec())).await;
    let down = Receiver::start(|_, _| Reply::Status(503, Vec::new(), b"upstream down".to_vec())).await;
    let retry = r#"retry_policy = { max_retries = 1, backoff = "constant", base_delay = 5, jitter = false }"#;
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"order.*\"\ndispatch = [\n  {{ adapter = \"http\", url = \"{}\" }},\n  \
         {{ adapter = \"http\", url = \"{}\", {retry} }},\n]\n",
        good.url("/in"),
        down.url("/in"),
    );
    let mut serve = Serve::start(&temp_dir("history"), &config);
    for (id, ty) in [("o-1", "order.created"), ("o-2", "order.paid"), ("o-3", "order.created")] {
        let accepted = serve.event(json!({"type": ty, "source": "/shop", "id": id})).await;
        assert_eq!(accepted.0, StatusCode::ACCEPTED);
    }
    // Three successes, and two 503s for each signal on the down receiver.
    let all = serve.until("/admin/attempts?limit=100", |b| len(b, "attempts") == 9).await;
    assert_eq!(all["next_cursor"], Value::Null);

    // Pages, newest first, with a cursor; filters.
    let first = serve.until("/admin/signals?limit=2", |_| true).await;
    assert_eq!(ids(&first, "signals"), ["o-3", "o-2"]);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let second = serve.until(&format!("/admin/signals?limit=2&cursor={cursor}"), |_| true).await;
    assert_eq!(ids(&second, "signals"), ["o-1"]);
    assert_eq!(second["next_cursor"], Value::Null);
    let paid = serve.until("/admin/signals?type=order.paid", |_| true).await;
    assert_eq!(ids(&paid, "signals"), ["o-2"]);
    let failed = serve.until("/admin/signals?outcome=http_503&source=/shop", |_| true).await;
    assert_eq!(ids(&failed, "signals"), ["o-3", "o-2", "o-1"]);
    let none = serve.until("/admin/signals?since=2999-01-01T00:00:00Z", |_| true).await;
    assert_eq!(len(&none, "signals"), 0);

    // One signal's timeline: per lane, each attempt with its status and body.
    let shown = serve.until("/admin/signals/o-1", |_| true).await;
    assert_eq!(shown["signal"]["type"], json!("order.created"));
    let lanes = shown["lanes"].as_array().expect("lanes");
    assert_eq!(lanes.len(), 2, "{shown}");
    let down_lane = lanes.iter().find(|l| l["outcome"] == json!("http_503")).expect("the failing lane");
    let timeline = down_lane["attempts"].as_array().expect("attempts");
    assert_eq!(timeline.iter().map(|a| a["attempt"].as_i64()).collect::<Vec<_>>(), [Some(1), Some(2)]);
    assert_eq!(timeline[1]["status"], json!(503));
    assert_eq!(timeline[1]["body"], json!("upstream down"));
    let good_lane = lanes.iter().find(|l| l["outcome"] == json!("ok")).expect("the good lane");
    assert_eq!(good_lane["attempts"][0]["status"], json!(200));
    assert_eq!(good_lane["attempts"][0]["body"], json!("thanks"));
    let (status, _) = serve.admin(Method::GET, "/admin/signals/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Attempts by target and outcome.
    let target = good_lane["target"].as_str().expect("target").to_owned();
    let by_target = serve.until(&format!("/admin/attempts?target={target}&outcome=ok"), |_| true).await;
    assert_eq!(len(&by_target, "attempts"), 3);
    let failures = serve.until("/admin/attempts?outcome=failed&limit=4", |_| true).await;
    assert_eq!(len(&failures, "attempts"), 4);
    assert!(failures["next_cursor"].is_string(), "a full page has a next cursor");

    // Dead letters, paged.
    let letters = serve.until("/admin/dead-letters?limit=2", |b| len(b, "dead_letters") == 2).await;
    let cursor = letters["next_cursor"].as_str().expect("a next page").to_owned();
    let rest = serve.until(&format!("/admin/dead-letters?limit=2&cursor={cursor}"), |_| true).await;
    assert_eq!(len(&rest, "dead_letters"), 1);
    assert_eq!(rest["next_cursor"], Value::Null);

    // Bad queries are named.
    for (path, named) in [
        ("/admin/signals?colour=red", "unknown query parameter `colour`"),
        ("/admin/signals?since=yesterday", "since: expected RFC 3339"),
        ("/admin/attempts?limit=0", "limit: expected 1..=1000"),
    ] {
        let (status, body) = serve.admin(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body["error"].as_str().unwrap_or_default().contains(named), "{path}: {body}");
    }

    serve.restart();
    let kept = serve.until("/admin/signals", |_| true).await;
    assert_eq!(ids(&kept, "signals"), ["o-3", "o-2", "o-1"]);
    let kept = serve.until("/admin/attempts?limit=100", |_| true).await;
    assert_eq!(len(&kept, "attempts"), 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_keeps_within_its_byte_budget_newest_first() {
    let config = format!(
        "retention_bytes = 4000\n{SERVER}\n[[subscriptions]]\npath = \"tick\"\ndispatch = {{ adapter = \"noop\" }}\n"
    );
    let serve = Serve::start(&temp_dir("history-budget"), &config);
    for n in 0..60 {
        let accepted = serve.event(json!({"type": "tick", "source": "/clock", "id": format!("t-{n}")})).await;
        assert_eq!(accepted.0, StatusCode::ACCEPTED);
    }
    // Each signal and its attempt take a few hundred bytes: the oldest go, the newest stay.
    let kept = serve
        .until("/admin/signals?limit=1000", |b| {
            let ids = ids(b, "signals");
            ids.first().map(String::as_str) == Some("t-59") && !ids.contains(&"t-0".to_owned())
        })
        .await;
    let kept = len(&kept, "signals");
    assert!(kept > 0 && kept < 20, "{kept} signals kept in 4000 bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_attempt_log_off_nothing_is_kept() {
    let config = format!(
        "attempt_log = false\n{SERVER}\n[[subscriptions]]\npath = \"tick\"\ndispatch = {{ adapter = \"noop\" }}\n"
    );
    let serve = Serve::start(&temp_dir("history-off"), &config);
    assert_eq!(serve.event(json!({"type": "tick", "source": "/c", "id": "t"})).await.0, StatusCode::ACCEPTED);
    let (status, body) = serve.admin(Method::GET, "/admin/signals", None).await;
    assert_eq!((status, len(&body, "signals")), (StatusCode::OK, 0), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_past_the_retention_window_are_pruned() {
    let config = format!(
        "retention = \"0s\"\n{SERVER}\n[[subscriptions]]\npath = \"tick\"\ndispatch = {{ adapter = \"noop\" }}\n"
    );
    let serve = Serve::start(&temp_dir("history-window"), &config);
    assert_eq!(
        serve.event(json!({"type": "tick", "source": "/c", "id": "old"})).await.0,
        StatusCode::ACCEPTED
    );
    // The writer prunes at least every 5 s; with a zero window everything older than now goes.
    serve.until("/admin/signals", |b| len(b, "signals") == 0).await;
    serve.until("/admin/attempts", |b| len(b, "attempts") == 0).await;
}
