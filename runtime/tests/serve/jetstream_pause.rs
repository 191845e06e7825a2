//! `[store] kind = "jetstream"`: a lane paused or resumed through any daemon's admin API
//! pauses or resumes every daemon's copy of it, and a daemon started later opens it paused.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::SERVER;
use crate::nats_cluster::NatsCluster;
use crate::receiver::Receiver;
use crate::support::{Serve, temp_dir};

const WAIT: std::time::Duration = std::time::Duration::from_secs(60);

fn config(cluster: &NatsCluster, jobs: &Receiver, runs: &Receiver) -> String {
    format!(
        r#"kind = "jetstream"
replicas = 3
prefix = "pause"
{SERVER}
[cluster]
nats_url = "{}"

[[subscriptions]]
path = "job.*"
dispatch = {{ adapter = "http", url = "{}" }}

[[subscriptions]]
path = "run.*"
dispatch = {{ adapter = "http", url = "{}" }}
"#,
        cluster.urls().join(","),
        jobs.url("/jobs"),
        runs.url("/runs")
    )
}

/// The `job.*` subscription as `listed` shows it.
fn jobs_of(listed: &Value) -> Value {
    let found =
        listed["subscriptions"].as_array().into_iter().flatten().find(|s| s["path"] == json!("job.*"));
    found.cloned().unwrap_or_else(|| panic!("no job.* subscription: {listed}"))
}

async fn jobs_subscription(serve: &Serve) -> Value {
    let (status, listed) = serve.admin(Method::GET, "/admin/subscriptions", None).await;
    assert_eq!(status, StatusCode::OK);
    jobs_of(&listed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lane_paused_through_one_daemon_is_paused_on_every_daemon_and_resumed_from_another() {
    let cluster = NatsCluster::start();
    let (jobs, runs) = (Receiver::ok().await, Receiver::ok().await);
    let text = config(&cluster, &jobs, &runs);
    let a = Serve::start(&temp_dir("js-pause-a"), &text);
    let b = Serve::start(&temp_dir("js-pause-b"), &text);

    let id = jobs_subscription(&a).await["id"].as_u64().expect("id");
    let (status, body) =
        a.admin(Method::POST, &format!("/admin/subscriptions/{id}/targets/0/pause"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    b.until("/admin/subscriptions", |v| jobs_of(v)["paused"] == json!(["operator"])).await;
    // A daemon started afterwards opens the lane paused.
    let c = Serve::start(&temp_dir("js-pause-c"), &text);
    assert_eq!(jobs_subscription(&c).await["paused"], json!(["operator"]), "paused from the start");

    for (i, daemon) in [&a, &b, &c].into_iter().enumerate() {
        let (status, body) =
            daemon.event(json!({"type": "job.queued", "source": "/t", "id": format!("job-{i}")})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let (status, body) = b.event(json!({"type": "run.started", "source": "/t", "id": "run-0"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // Posted after the paused lane's signals, the running one's arrives: the others wait.
    runs.wait_for(1, WAIT).await;
    assert_eq!(jobs.requests().len(), 0, "no daemon delivers a paused lane");

    // Resumed through another daemon (its own id for the same subscription).
    let id_c = jobs_subscription(&c).await["id"].as_u64().expect("id");
    let (status, body) =
        c.admin(Method::POST, &format!("/admin/subscriptions/{id_c}/targets/0/resume"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    a.until("/admin/subscriptions", |v| jobs_of(v)["paused"] == json!([null])).await;
    b.until("/admin/subscriptions", |v| jobs_of(v)["paused"] == json!([null])).await;
    jobs.wait_for(3, WAIT).await;
}
