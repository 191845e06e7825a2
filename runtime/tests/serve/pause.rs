//! Pausing targets: by an operator over the admin API (kept across a restart, the backlog
//! kept in the store and delivered on resume), and by `auto_pause_after`, which tells the
//! target's `on_pause` target and the metrics.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::SERVER;
use crate::receiver::{Receiver, Reply};
use crate::support::{Serve, temp_dir};

const WAIT: Duration = Duration::from_secs(30);

/// The id of the subscription with `path`, and its `paused` list.
async fn subscription(serve: &Serve, path: &str) -> (u64, Value) {
    let (status, listed) = serve.admin(Method::GET, "/admin/subscriptions", None).await;
    assert_eq!(status, StatusCode::OK);
    let found = listed["subscriptions"].as_array().into_iter().flatten().find(|s| s["path"] == json!(path));
    let found = found.unwrap_or_else(|| panic!("no subscription {path}: {listed}"));
    (found["id"].as_u64().expect("id"), found["paused"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_target_keeps_its_backlog_across_a_restart_and_delivers_it_on_resume() {
    let jobs = Receiver::ok().await;
    let sync = Receiver::ok().await;
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"job.*\"\ndispatch = {{ adapter = \"http\", url = \"{}\" }}\n\n\
         [[subscriptions]]\npath = \"sync\"\ndispatch = {{ adapter = \"http\", url = \"{}\" }}\n",
        jobs.url("/jobs"),
        sync.url("/sync"),
    );
    let mut serve = Serve::start(&temp_dir("pause"), &config);
    let (id, paused) = subscription(&serve, "job.*").await;
    assert_eq!(paused, json!([null]));
    let pause = format!("/admin/subscriptions/{id}/targets/0/pause");
    let (status, body) = serve.admin(Method::POST, &pause, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["paused"].clone(), body["changed"].clone()), (json!(true), json!(true)));
    for n in 0..3 {
        let accepted = serve.event(json!({"type": "job.run", "source": "/j", "id": format!("j-{n}")})).await;
        assert_eq!(accepted.0, StatusCode::ACCEPTED);
    }
    // Signals posted after them to a running subscription arrive; the paused one's do not.
    serve.event(json!({"type": "sync", "source": "/s", "id": "s-1"})).await;
    sync.wait_for(1, WAIT).await;
    assert_eq!(jobs.requests().len(), 0, "a paused target delivers nothing");

    serve.restart();
    assert_eq!(subscription(&serve, "job.*").await.1, json!(["operator"]), "still paused after a restart");
    serve.event(json!({"type": "sync", "source": "/s", "id": "s-2"})).await;
    sync.wait_for(2, WAIT).await;
    assert_eq!(jobs.requests().len(), 0);
    let (_, metrics) = serve.get_text("/metrics").await;
    assert!(
        metrics
            .contains(&format!("jido_lane_paused{{bus=\"default\",subscription=\"{id}\",target=\"0\"}} 1")),
        "{metrics}"
    );

    let (status, body) =
        serve.admin(Method::POST, &format!("/admin/subscriptions/{id}/targets/0/resume"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    jobs.wait_for(3, WAIT).await;
    assert_eq!(subscription(&serve, "job.*").await.1, json!([null]));

    for (path, expected) in [
        (format!("/admin/subscriptions/{id}/targets/7/pause"), StatusCode::NOT_FOUND),
        ("/admin/subscriptions/999/targets/0/pause".to_owned(), StatusCode::NOT_FOUND),
        (format!("/admin/subscriptions/{id}/targets/0/explode"), StatusCode::NOT_FOUND),
    ] {
        assert_eq!(serve.admin(Method::POST, &path, None).await.0, expected, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_without_success_for_auto_pause_after_pauses_and_tells_its_on_pause_target() {
    let down = Receiver::start(|_, _| Reply::status(503)).await;
    let ops = Receiver::ok().await;
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"pay.*\"\ndispatch = {{ adapter = \"http\", url = \"{}\", \
         auto_pause_after = 0, on_pause = {{ adapter = \"http\", url = \"{}\" }} }}\n",
        down.url("/pay"),
        ops.url("/ops"),
    );
    let mut serve = Serve::start(&temp_dir("auto-pause"), &config);
    assert_eq!(
        serve.event(json!({"type": "pay.in", "source": "/p", "id": "p-1"})).await.0,
        StatusCode::ACCEPTED
    );
    ops.wait_for(1, WAIT).await;
    let told = &ops.requests()[0];
    let told_type = told.header("ce-type").map(str::to_owned).unwrap_or_else(|| told.text());
    assert!(told_type.contains("jido.target.paused"), "{told_type}");
    assert!(told.text().contains("no_success_seconds"), "{}", told.text());
    let (id, paused) = subscription(&serve, "pay.*").await;
    assert_eq!(paused, json!(["no_success"]));
    let (_, metrics) = serve.get_text("/metrics").await;
    assert!(
        metrics
            .contains(&format!("jido_lane_paused{{bus=\"default\",subscription=\"{id}\",target=\"0\"}} 2")),
        "{metrics}"
    );

    // Resumed, it delivers what waited, fails again, and pauses again.
    assert_eq!(
        serve.event(json!({"type": "pay.in", "source": "/p", "id": "p-2"})).await.0,
        StatusCode::ACCEPTED
    );
    let (status, _) =
        serve.admin(Method::POST, &format!("/admin/subscriptions/{id}/targets/0/resume"), None).await;
    assert_eq!(status, StatusCode::OK);
    down.wait_for(2, WAIT).await;
    ops.wait_for(2, WAIT).await;
    assert_eq!(subscription(&serve, "pay.*").await.1, json!(["no_success"]));

    // It stays paused (for the same reason) across a restart: nothing is delivered.
    serve.restart();
    assert_eq!(subscription(&serve, "pay.*").await.1, json!(["no_success"]));
    let (_, metrics) = serve.get_text("/metrics").await;
    assert!(metrics.contains("jido_lane_paused{bus=\"default\",subscription=\""), "{metrics}");
    assert!(metrics.contains("target=\"0\"} 2"), "{metrics}");
}

#[test]
fn a_nested_on_pause_and_a_bad_auto_pause_after_are_refused_at_start() {
    for (dispatch, named) in [
        (r#"{ adapter = "noop", auto_pause_after = "soon" }"#, "auto_pause_after: expected a span like"),
        (
            r#"{ adapter = "noop", on_pause = { adapter = "noop", on_pause = { adapter = "noop" } } }"#,
            "on_pause: its target may not have an on_pause",
        ),
        (r#"{ adapter = "noop", on_pause = { adapter = "fax" } }"#, "on_pause: "),
    ] {
        let config = format!("{SERVER}\n[[subscriptions]]\npath = \"a\"\ndispatch = {dispatch}\n");
        let (code, stderr) = crate::support::failed_start(&temp_dir("bad-pause"), &config);
        assert_ne!(code, Some(0));
        assert!(stderr.contains(named), "{dispatch}: {stderr}");
    }
}
