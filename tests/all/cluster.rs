//! Two runtimes joined through a real `nats-server` stand for two nodes.

use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::cluster::ClusterConfig;
use jido_dispatch::pubsub::{DEFAULT_PUBSUB, Subscriber};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{NatsServer, builder, sample_signal};
use serde_json::json;

async fn node(server: &NatsServer, name: &str) -> Runtime {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let config = ClusterConfig { nats_url: server.url(), node: Some(name.to_owned()) };
    runtime.join_cluster(&config).await.expect("joins");
    assert_eq!(runtime.cluster_node().as_deref(), Some(name));
    runtime
}

/// The next signal a subscriber gets, within a generous bound (a missing one fails).
async fn next(sub: &mut Subscriber) -> String {
    let got = tokio::time::timeout(Duration::from_secs(10), sub.recv()).await;
    got.expect("a signal within 10 s").expect("subscribed").id.clone()
}

async fn wait_connected(runtime: &Runtime, up: bool) {
    let mut watch = runtime.cluster_connection().expect("in a cluster");
    tokio::time::timeout(Duration::from_secs(20), watch.wait_for(|c| *c == up))
        .await
        .expect("connection state changes within 20 s")
        .expect("watch open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_reaches_both_nodes_once_and_local_stays_home() {
    let server = NatsServer::start();
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let mut on_a = a.pubsub(DEFAULT_PUBSUB).subscribe("user_events");
    let mut on_b = b.pubsub(DEFAULT_PUBSUB).subscribe("user_events");
    let spec = TargetSpec::new("pubsub").with("topic", json!("user_events"));
    let everywhere = a.open_target(&spec).await.expect("opens");
    let local = a.open_target(&spec.clone().with("local?", json!(true))).await.expect("opens");

    let (first, home, marker) = (sample_signal("one"), sample_signal("home"), sample_signal("marker"));
    a.dispatch(&first, &everywhere).await.expect("broadcast");
    a.dispatch(&home, &local).await.expect("local broadcast");
    a.dispatch(&marker, &everywhere).await.expect("broadcast");

    assert_eq!(next(&mut on_a).await, first.id);
    assert_eq!(next(&mut on_a).await, home.id);
    assert_eq!(next(&mut on_a).await, marker.id);
    // B got `first` once, never `home`: the next thing after `first` is the marker.
    assert_eq!(next(&mut on_b).await, first.id);
    assert_eq!(next(&mut on_b).await, marker.id);
    assert!(on_a.try_recv().is_none() && on_b.try_recv().is_none(), "nothing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_send_to_a_global_name_on_the_other_node_returns_its_ack() {
    let server = NatsServer::start();
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let mut billing = b.register_global("billing").await.expect("free name");
    let signal = sample_signal("invoice.paid");
    let acker = tokio::spawn(async move {
        let delivery = billing.recv().await.expect("delivered");
        assert!(delivery.wants_ack(), "sync across nodes");
        let id = delivery.ack().id;
        (billing, id)
    });
    let target = a.open_target(&TargetSpec::new("named").with("name", json!({"global": "billing"}))).await;
    let target = target.expect("opens");
    a.dispatch(&signal, &target).await.expect("the remote receiver acknowledged");
    let (mut billing, id) = acker.await.expect("acker");
    assert_eq!(id, signal.id);

    // The remote receiver does not ack: the sender times out (and does not hang).
    let short = a
        .open_target(
            &TargetSpec::new("named").with("name", json!({"global": "billing"})).with("timeout", json!(200)),
        )
        .await
        .expect("opens");
    let err = a.dispatch(&signal, &short).await.expect_err("no ack");
    assert_eq!(err.code(), Some("timeout"), "{err}");
    assert!(billing.recv().await.is_some(), "it did arrive, unacknowledged");

    // Async across nodes: returns once it is in the remote mailbox.
    let fire = a
        .open_target(
            &TargetSpec::new("named").with("name", json!({"global": "billing"})).with("async", json!(true)),
        )
        .await
        .expect("opens");
    a.dispatch(&signal, &fire).await.expect("enqueued remotely");
    assert!(!billing.recv().await.expect("arrives").wants_ack());

    // Nobody serves the name: not found, at once.
    let nobody = a.open_target(&TargetSpec::new("named").with("name", json!({"global": "nobody"}))).await;
    let err = a.dispatch(&signal, &nobody.expect("opens")).await.expect_err("no responders");
    assert_eq!(err.code(), Some("process_not_found"), "{err}");
    assert!(err.to_string().contains("on any node"), "{err}");
    // A closed global mailbox stops being served: at once, its lingering subscription says
    // not found; once that has retired, nobody subscribes any more ("on any node").
    drop(billing);
    let err = a.dispatch(&signal, &target).await.expect_err("closed");
    assert_eq!(err.code(), Some("process_not_found"), "{err}");
    // Probes a second apart leave the linger its quiet time (500 ms) to retire.
    let mut retired = false;
    for _ in 0..20 {
        let err = a.dispatch(&signal, &target).await.expect_err("closed");
        assert_eq!(err.code(), Some("process_not_found"), "{err}");
        if err.to_string().contains("on any node") {
            retired = true;
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(retired, "the closed name's subscription retires");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nats_down_deliveries_fail_clearly_and_recover_after_restart() {
    let mut server = NatsServer::start();
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    let mut on_b = b.pubsub(DEFAULT_PUBSUB).subscribe("stream");
    let mut global = b.register_global("sink").await.expect("free");
    let everywhere =
        a.open_target(&TargetSpec::new("pubsub").with("topic", json!("stream"))).await.expect("ok");
    let named = TargetSpec::new("named").with("name", json!({"global": "sink"})).with("async", json!(true));
    let named = a.open_target(&named).await.expect("opens");
    for _ in 0..10 {
        let signal = sample_signal("tick");
        a.dispatch(&signal, &everywhere).await.expect("flowing");
        assert_eq!(next(&mut on_b).await, signal.id);
    }

    server.stop();
    wait_connected(&a, false).await;
    let during = sample_signal("during");
    let err = a.dispatch(&during, &everywhere).await.expect_err("nats is down");
    assert_eq!(err.code(), Some("unavailable"), "{err}");
    assert!(err.is_retryable());
    assert!(err.to_string().contains(&server.url()), "names the server: {err}");
    let err = a.dispatch(&during, &named).await.expect_err("nats is down");
    assert_eq!(err.code(), Some("unavailable"), "{err}");
    // Local-only broadcasts do not need the cluster.
    let local = TargetSpec::new("pubsub").with("topic", json!("stream")).with("local?", json!(true));
    a.dispatch(&during, &a.open_target(&local).await.expect("opens")).await.expect("local still works");

    server.restart();
    wait_connected(&a, true).await;
    wait_connected(&b, true).await;
    // B re-subscribes as it reconnects; probe until a broadcast gets through, then the
    // stream flows again.
    let mut through = false;
    for _ in 0..50 {
        let probe = sample_signal("probe");
        a.dispatch(&probe, &everywhere).await.expect("connected again");
        if let Ok(Some(got)) = tokio::time::timeout(Duration::from_millis(200), on_b.recv()).await {
            assert_eq!(got.id, probe.id);
            through = true;
            break;
        }
    }
    assert!(through, "broadcasts reach node b again after the restart");
    let after = sample_signal("after");
    a.dispatch(&after, &everywhere).await.expect("flowing again");
    assert_eq!(next(&mut on_b).await, after.id);
    a.dispatch(&after, &named).await.expect("global names work again");
    assert_eq!(global.recv().await.expect("arrives").signal().id, after.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_racing_a_closing_global_mailbox_are_answered_not_left_to_time_out() {
    let server = NatsServer::start();
    let (a, b) = (node(&server, "a").await, node(&server, "b").await);
    // The longest wait a send may have: a request that gets no answer at all still shows as
    // `timeout`, but a busy machine (the suite runs NATS clusters alongside) cannot make a
    // slow answer look like one.
    let spec = TargetSpec::new("named")
        .with("name", json!({"global": "racer"}))
        .with("async", json!(true))
        .with("timeout", json!(60_000));
    for _ in 0..5 {
        let mut racer = b.register_global("racer").await.expect("free name");
        let target = a.open_target(&spec).await.expect("opens");
        // Several senders at once, so that many requests are on their way at the close.
        let senders: Vec<_> = (0..8)
            .map(|_| {
                let (a, target) = (a.clone(), target.clone());
                tokio::spawn(async move {
                    let mut codes = Vec::new();
                    for _ in 0..100 {
                        let outcome = a.dispatch(&sample_signal("race"), &target).await;
                        codes.push(outcome.err().and_then(|e| e.code().map(str::to_owned)));
                    }
                    codes
                })
            })
            .collect();
        // Close the mailbox while sends are on their way.
        for _ in 0..40 {
            racer.recv().await.expect("arrives");
        }
        drop(racer);
        let mut codes = Vec::new();
        for sender in senders {
            codes.extend(sender.await.expect("sender"));
        }
        assert!(codes.iter().any(Option::is_none), "some sends arrived");
        let failed: Vec<_> = codes.iter().flatten().collect();
        assert!(!failed.is_empty(), "sends after the close fail");
        let odd: Vec<_> = failed
            .iter()
            .filter(|code| **code != "process_not_found" && **code != "process_not_alive")
            .collect();
        assert!(odd.is_empty(), "a closing name answers at once, never by a timeout: {odd:?}");
    }
}
