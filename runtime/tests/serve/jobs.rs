//! Bulk actions as jobs: redrive dead letters by filter and replay retained signals, over
//! the admin API and the CLI; a job resumes from its checkpoint after SIGKILL, can be
//! cancelled, and shows no secret.

use std::collections::HashSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::SERVER;
use crate::receiver::{Receiver, Recorded, Reply};
use crate::support::{Serve, temp_dir};

const WAIT: Duration = Duration::from_secs(30);

/// The signal id a request carried (structured body or `ce-id`).
fn signal_id(request: &Recorded) -> String {
    let body: Value = serde_json::from_str(&request.text()).unwrap_or_default();
    body["id"].as_str().or_else(|| request.header("ce-id")).unwrap_or_default().to_owned()
}

/// Posts `count` signals of `ty` as one batch, ids `{prefix}-{n}`.
async fn publish(serve: &Serve, ty: &str, prefix: &str, count: usize) {
    let batch: Vec<Value> =
        (0..count).map(|n| json!({"type": ty, "source": "/jobs", "id": format!("{prefix}-{n}")})).collect();
    let (status, body, _) = serve
        .post("/signals", "application/cloudevents-batch+json", Value::Array(batch).to_string(), &[])
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

async fn dead_letter_count(serve: &Serve) -> usize {
    let (status, body) = serve.admin(Method::GET, "/admin/dead-letters?limit=1000", None).await;
    assert_eq!(status, StatusCode::OK);
    body["dead_letters"].as_array().map_or(0, Vec::len)
}

fn cli(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jido-dispatch")).args(args).output().expect("runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_redrive_killed_mid_way_resumes_from_its_checkpoint_and_redrives_every_letter() {
    // Phase 0: the receiver refuses (400: dead letters at once). Phase 1: it has recovered,
    // but after 120 answers it stops answering, so the job is mid-way when the daemon is
    // killed. Phase 2: it answers everything.
    let phase = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let (script_phase, script_answered) = (phase.clone(), answered.clone());
    let receiver = Receiver::start(move |_, _| match script_phase.load(Ordering::SeqCst) {
        0 => Reply::status(400),
        1 if script_answered.fetch_add(1, Ordering::SeqCst) >= 120 => Reply::Hang,
        _ => Reply::status(200),
    })
    .await;
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"bulk.*\"\ndispatch = {{ adapter = \"http\", url = \"{}\" }}\n",
        receiver.url("/in")
    );
    let mut serve = Serve::start(&temp_dir("jobs-kill"), &config);
    publish(&serve, "bulk.made", "b", 200).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while dead_letter_count(&serve).await < 200 {
        assert!(tokio::time::Instant::now() < deadline, "the letters were not all recorded");
    }

    phase.store(1, Ordering::SeqCst);
    let (status, job) = serve.admin(Method::POST, "/admin/dead-letters/redrive", Some(json!({}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let path = format!("/admin/jobs/{}", job["id"]);
    // Two pages checkpointed; the third waits on the receiver.
    let midway = serve.until(&path, |j| j["processed"].as_u64() >= Some(100)).await;
    assert_eq!(
        (midway["state"].clone(), midway["total"].clone()),
        (json!("running"), json!(200)),
        "{midway}"
    );
    serve.kill();

    phase.store(2, Ordering::SeqCst);
    serve.restart();
    let done = serve.until(&path, |j| j["state"] != "running").await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!((done["resumed"].clone(), done["failed"].clone()), (json!(1), json!(0)), "{done}");
    let (succeeded, skipped) =
        (done["succeeded"].as_u64().unwrap_or(0), done["skipped"].as_u64().unwrap_or(0));
    assert_eq!((succeeded + skipped, done["processed"].clone()), (200, json!(200)), "{done}");
    assert!(succeeded >= 180, "at most the page in flight is redriven twice or skipped: {done}");
    assert_eq!(dead_letter_count(&serve).await, 0, "every letter redriven and removed");
    let redriven: HashSet<String> = receiver.requests()[200..].iter().map(signal_id).collect();
    assert_eq!(redriven.len(), 200, "every signal arrived again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_redrives_by_target_and_replays_a_type_to_a_chosen_target_with_a_summary() {
    let recovered = Arc::new(AtomicUsize::new(0));
    let answer = |up: Arc<AtomicUsize>| {
        move |_: usize, _: &Recorded| Reply::status(if up.load(Ordering::SeqCst) > 0 { 200 } else { 400 })
    };
    let a = Receiver::start(answer(recovered.clone())).await;
    let b = Receiver::start(answer(recovered.clone())).await;
    let replayed = Receiver::ok().await;
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"order.**\"\ndispatch = [\n  {{ adapter = \"http\", url = \"{}\" }},\n  \
         {{ adapter = \"http\", url = \"{}\" }},\n]\n",
        a.url("/a"),
        b.url("/b"),
    );
    let serve = Serve::start(&temp_dir("jobs-cli"), &config);
    publish(&serve, "order.created", "c", 3).await;
    publish(&serve, "order.paid", "p", 2).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while dead_letter_count(&serve).await < 10 {
        assert!(tokio::time::Instant::now() < deadline, "the letters were not all recorded");
    }
    recovered.store(1, Ordering::SeqCst);
    let origin_a = format!("http://127.0.0.1:{}", a.port());
    let daemon = ["--url", &serve.base, "--token", "admin-secret"];

    // A window in the future takes nothing; then only A's letters go.
    let (code, out, err) =
        cli(&[&["dlq", "redrive", "--target", &origin_a, "--since", "2999-01-01T00:00:00Z"][..], &daemon]
            .concat());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("done (redrive): 0 redriven, 0 failed, 0 skipped of 0"), "{out}");
    let (code, out, err) = cli(&[&["dlq", "redrive", "--target", &origin_a][..], &daemon].concat());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("done (redrive): 5 redriven, 0 failed, 0 skipped of 5"), "{out}");
    assert_eq!(a.requests().len(), 10);
    assert_eq!(b.requests().len(), 5, "B's letters stay");
    assert_eq!(dead_letter_count(&serve).await, 5);
    let (code, _, err) = cli(&[&["dlq", "redrive"][..], &daemon].concat());
    assert_eq!(code, Some(2));
    assert!(err.contains("give a letter id, or filters"), "{err}");

    let to = json!({"adapter": "http", "url": replayed.url("/replay")}).to_string();
    let (code, out, err) = cli(&[&["replay", "--type", "order.created", "--to", &to][..], &daemon].concat());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("done (replay): 3 delivered, 0 failed, 0 skipped of 3"), "{out}");
    let ids: HashSet<String> = replayed.requests().iter().map(signal_id).collect();
    assert_eq!(ids, HashSet::from(["c-0".to_owned(), "c-1".to_owned(), "c-2".to_owned()]));

    let (code, out, _) = cli(&[&["jobs", "list"][..], &daemon].concat());
    assert_eq!(code, Some(0));
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_job_stays_cancelled_and_jobs_show_no_secret_and_refuse_bad_input() {
    let hang = Receiver::start(|_, _| Reply::Hang).await;
    let ok = Receiver::ok().await;
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"note\"\ndispatch = {{ adapter = \"http\", url = \"{}\" }}\n",
        ok.url("/n")
    );
    let mut serve = Serve::start(&temp_dir("jobs-cancel"), &config);
    publish(&serve, "note", "n", 20).await;
    ok.wait_for(20, WAIT).await;

    let target = json!({"adapter": "webhook", "url": hang.url("/h"), "secret": "planted-job-secret"});
    let (status, job) = serve
        .admin(Method::POST, "/admin/replay", Some(json!({"filter": {"type": "note"}, "target": target})))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert!(!job.to_string().contains("planted-job-secret"), "{job}");
    assert!(job["target"]["secret"].as_str().is_some_and(|s| s.starts_with("redacted:sha256:")), "{job}");
    let path = format!("/admin/jobs/{}", job["id"]);
    hang.wait_for(1, WAIT).await;
    let (status, cancelled) = serve.admin(Method::POST, &format!("{path}/cancel"), None).await;
    assert_eq!((status, cancelled["state"].clone()), (StatusCode::OK, json!("cancelled")), "{cancelled}");
    let (status, _) = serve.admin(Method::POST, &format!("{path}/cancel"), None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    serve.restart();
    let (status, after) = serve.admin(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((after["state"].clone(), after["resumed"].clone()), (json!("cancelled"), json!(0)), "{after}");
    let (_, listed) = serve.admin(Method::GET, "/admin/jobs", None).await;
    assert!(!listed.to_string().contains("planted-job-secret"));

    // Jobs are paged newest first.
    let (status, second) =
        serve.admin(Method::POST, "/admin/dead-letters/redrive", Some(json!({"code": "none"}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{second}");
    let first_page = serve.until("/admin/jobs?limit=1", |_| true).await;
    assert_eq!(first_page["jobs"][0]["id"], second["id"]);
    let cursor = first_page["next_cursor"].as_str().expect("a next page").to_owned();
    let next_page = serve.until(&format!("/admin/jobs?limit=1&cursor={cursor}"), |_| true).await;
    assert_eq!(next_page["jobs"][0]["id"], job["id"]);

    for (path, body, expected) in [
        ("/admin/dead-letters/redrive", json!({"colour": "red"}), "unknown field `colour`"),
        ("/admin/dead-letters/redrive", json!({"since": "yesterday"}), "since: expected RFC 3339"),
        ("/admin/replay", json!({"target": {"url": "http://x"}}), "expected a target object with `adapter`"),
        ("/admin/replay", json!({"target": {"subscription": 999, "target": 0}}), "no subscription 999"),
        ("/admin/replay", json!({"target": {"adapter": "no-such"}}), "target:"),
    ] {
        let (status, answer) = serve.admin(Method::POST, path, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| e.contains(expected)), "{path}: {answer}");
    }
    assert_eq!(serve.admin(Method::GET, "/admin/jobs/999", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(serve.admin(Method::POST, "/admin/jobs/999/cancel", None).await.0, StatusCode::NOT_FOUND);
}
