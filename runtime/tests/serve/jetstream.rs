//! `[store] kind = "jetstream"`: three daemons on a real three-node JetStream cluster
//! (replicas 3) form one dispatcher; a daemon and then a NATS server die under load.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::SERVER;
use crate::nats_cluster::NatsCluster;
use crate::receiver::{Receiver, Reply};
use crate::support::{Serve, failed_start, temp_dir};

fn config(cluster: &NatsCluster, receiver: &Receiver) -> String {
    format!(
        r#"kind = "jetstream"
replicas = 3
prefix = "serve"
{SERVER}
[cluster]
nats_url = "{}"

[[subscriptions]]
path = "order.*"
dispatch = {{ adapter = "webhook", url = "{}", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", max_in_flight = 4, retry_policy = {{ max_retries = 20, backoff = "constant", base_delay = 20, jitter = false }} }}
"#,
        cluster.urls().join(", "),
        receiver.url("/hook")
    )
}

/// Posts `order.placed` signals `from..to` round-robin over `daemons`, each again after a
/// 503 (as a client does while the cluster elects a new leader or a daemon reconnects);
/// returns the ids accepted.
async fn post(daemons: &[&Serve], from: usize, to: usize) -> BTreeSet<String> {
    let mut accepted = BTreeSet::new();
    for i in from..to {
        let id = format!("js-{i}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let mut attempt = 0;
        loop {
            let daemon = daemons[(i + attempt) % daemons.len()];
            let (status, body) =
                daemon.event(json!({"type": "order.placed", "source": "/shop", "id": id})).await;
            if status == StatusCode::ACCEPTED {
                accepted.insert(id);
                break;
            }
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            assert!(tokio::time::Instant::now() < deadline, "{id} not accepted within 60 s: {body}");
            attempt += 1;
            // The client's backoff before it tries again (Retry-After says 1 s; a tenth will do).
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    accepted
}

fn delivered(receiver: &Receiver) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for request in receiver.requests() {
        if let Some(id) = request.header("webhook-id") {
            *counts.entry(id.to_owned()).or_default() += 1;
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::print_stderr, reason = "the test reports the duplicates (at least once)")]
async fn three_daemons_deliver_every_accepted_signal_across_a_daemon_and_a_server_kill() {
    let mut cluster = NatsCluster::start();
    // Every fifth request fails (retried), so work is in flight and held when the kill lands.
    let receiver = Receiver::start(|n, _| Reply::status(if n % 5 == 0 { 503 } else { 200 })).await;
    let text = config(&cluster, &receiver);
    let mut a = Serve::start(&temp_dir("js-a"), &text);
    let b = Serve::start(&temp_dir("js-b"), &text);
    let c = Serve::start(&temp_dir("js-c"), &text);

    let mut accepted = post(&[&a, &b, &c], 0, 90).await;
    assert_eq!(accepted.len(), 90, "every daemon accepts while the cluster is whole");
    a.kill();
    accepted.extend(post(&[&b, &c], 90, 150).await);
    cluster.kill(2);
    accepted.extend(post(&[&b, &c], 150, 210).await);
    assert_eq!(accepted.len(), 210, "two of three NATS servers keep accepting");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let counts = delivered(&receiver);
        let missing: Vec<&String> = accepted.iter().filter(|id| !counts.contains_key(*id)).collect();
        if missing.is_empty() {
            let duplicates = counts.values().filter(|n| **n > 1).count();
            eprintln!(
                "{} accepted, {} delivered more than once (503s and the kill)",
                accepted.len(),
                duplicates
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "accepted ids never arrived: {missing:?}");
        receiver.wait_for(receiver.requests().len() + 1, Duration::from_secs(60)).await;
    }
}

#[test]
fn a_jetstream_store_needs_the_cluster_and_valid_settings() {
    let dir = temp_dir("js-config");
    let (code, stderr) = failed_start(&dir, "kind = \"jetstream\"\n");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("store.kind = \"jetstream\" needs [cluster] nats_url"), "{stderr}");
    let cluster = "[cluster]\nnats_url = \"nats://127.0.0.1:1\"\n";
    let (_, stderr) = failed_start(&dir, &format!("kind = \"jetstream\"\nreplicas = 2\n{cluster}"));
    assert!(stderr.contains("store.replicas: expected 1 or 3, got 2"), "{stderr}");
    let (_, stderr) = failed_start(&dir, &format!("kind = \"jetstream\"\nprefix = \"a.b\"\n{cluster}"));
    assert!(stderr.contains("store.prefix: expected letters, digits"), "{stderr}");
    let (_, stderr) = failed_start(&dir, "kind = \"kafka\"\n");
    assert!(stderr.contains("unknown variant `kafka`"), "{stderr}");
    let (code, stderr) = failed_start(&dir, &format!("kind = \"jetstream\"\n{cluster}"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("cannot connect to NATS at nats://127.0.0.1:1"), "{stderr}");
    let (_, stderr) = failed_start(&dir, "replicas = 3\n");
    assert!(
        stderr.contains("store.replicas and store.prefix apply to kind = \"jetstream\" only"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_added_on_one_daemon_delivers_from_another_and_leaves_every_one() {
    let cluster = NatsCluster::start();
    let receiver = Receiver::ok().await;
    let text = format!(
        "kind = \"jetstream\"\nreplicas = 3\nprefix = \"shared\"\n{SERVER}\n[cluster]\nnats_url = \"{}\"\n",
        cluster.urls().join(",")
    );
    let a = Serve::start(&temp_dir("js-shared-a"), &text);
    let b = Serve::start(&temp_dir("js-shared-b"), &text);
    let dispatch = json!({"adapter": "webhook", "url": receiver.url("/invoices"), "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
    let (status, body) = a
        .admin(
            reqwest::Method::POST,
            "/admin/subscriptions",
            Some(json!({"path": "invoice.*", "dispatch": dispatch})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // B opens it without a restart, and routes what it accepts to it.
    let listed = b
        .until("/admin/subscriptions", |v| v["subscriptions"].as_array().is_some_and(|s| s.len() == 1))
        .await;
    assert_eq!(listed["subscriptions"][0]["path"], "invoice.*");
    assert_eq!(listed["subscriptions"][0]["source"], "api");
    for i in 0..5 {
        let (status, body) =
            b.event(json!({"type": "invoice.paid", "source": "/b", "id": format!("inv-{i}")})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    receiver.wait_for(5, Duration::from_secs(60)).await;
    let ids: BTreeSet<String> =
        receiver.requests().iter().filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect();
    assert_eq!(ids, (0..5).map(|i| format!("inv-{i}")).collect::<BTreeSet<_>>());

    // Removed through B, it leaves A too.
    let id = listed["subscriptions"][0]["id"].as_u64().expect("id");
    let (status, body) = b.admin(reqwest::Method::DELETE, &format!("/admin/subscriptions/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    a.until("/admin/subscriptions", |v| v["subscriptions"].as_array().is_some_and(Vec::is_empty)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_letter_made_on_one_daemon_is_listed_and_redriven_from_another() {
    let cluster = NatsCluster::start();
    // The first request is refused for good (400: no retry), the redrive's is taken.
    let receiver = Receiver::start(|n, _| Reply::status(if n == 0 { 400 } else { 200 })).await;
    let text = format!(
        "kind = \"jetstream\"\nreplicas = 3\nprefix = \"dead\"\n{SERVER}\n[cluster]\nnats_url = \"{}\"\n\n\
         [[subscriptions]]\npath = \"order.*\"\ndispatch = {{ adapter = \"webhook\", url = \"{}\", secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\" }}\n",
        cluster.urls().join(","),
        receiver.url("/orders")
    );
    let a = Serve::start(&temp_dir("js-dead-a"), &text);
    let b = Serve::start(&temp_dir("js-dead-b"), &text);
    let (status, body) = a.event(json!({"type": "order.placed", "source": "/a", "id": "dead-1"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let letters =
        b.until("/admin/dead-letters", |v| v["dead_letters"].as_array().is_some_and(|l| l.len() == 1)).await;
    let letter = &letters["dead_letters"][0];
    assert_eq!(letter["signal"]["id"], "dead-1", "{letter}");
    let id = letter["id"].as_u64().expect("id");
    let (status, body) =
        b.admin(reqwest::Method::POST, &format!("/admin/dead-letters/{id}/redrive"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(receiver.requests()[1].header("webhook-id"), Some("dead-1"));
    a.until("/admin/dead-letters", |v| v["dead_letters"].as_array().is_some_and(Vec::is_empty)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_lane_keeps_its_order_across_a_daemon_kill() {
    let cluster = NatsCluster::start();
    // The first request never gets an answer: daemon A holds the lane's head when it dies.
    let receiver = Receiver::start(|n, _| if n == 0 { Reply::Hang } else { Reply::status(200) }).await;
    let text = format!(
        "kind = \"jetstream\"\nreplicas = 3\nprefix = \"strict\"\n{SERVER}\n[cluster]\nnats_url = \"{}\"\n\n\
         [[subscriptions]]\npath = \"order.*\"\ndispatch = {{ adapter = \"webhook\", url = \"{}\", secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", ordering = \"strict\", timeout = 60000 }}\n",
        cluster.urls().join(","),
        receiver.url("/orders")
    );
    let mut a = Serve::start(&temp_dir("js-strict-a"), &text);
    let ids: Vec<String> = (0..20).map(|i| format!("strict-{i}")).collect();
    for id in &ids {
        let (status, body) = a.event(json!({"type": "order.placed", "source": "/a", "id": id})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    receiver.wait_for(1, Duration::from_secs(30)).await;
    let b = Serve::start(&temp_dir("js-strict-b"), &text);
    a.kill();
    // B gets the head once A's hold lapses (ack_wait), then the rest, in order.
    receiver.wait_for(1 + ids.len(), Duration::from_secs(120)).await;
    let after: Vec<String> =
        receiver.requests()[1..].iter().filter_map(|r| r.header("webhook-id").map(str::to_owned)).collect();
    assert_eq!(after[..ids.len()], ids[..], "publish order, the head first");
    drop(b);
}
