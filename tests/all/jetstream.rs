//! Durable lanes on a real three-node JetStream cluster (replicas 3): two runtimes stand
//! for two daemons sharing one work queue.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::bus::{Bus, DurableLanes, SubscribeOptions};
use jido_dispatch::jetstream::{JetStreamConfig, WorkQueue};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{NatsCluster, Receiver, Recorded, Reply, loopback_builder};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(60);

fn config(cluster: &NatsCluster, ack_wait: Duration) -> JetStreamConfig {
    let mut config = JetStreamConfig::new(cluster.urls());
    config.replicas = 3;
    config.ack_wait = ack_wait;
    config
}

/// A node: a runtime whose bus `default` sends `order.*` to `target`, its lanes on `queue`.
async fn node(queue: &WorkQueue, target: TargetSpec) -> (Runtime, Bus) {
    node_with(queue, vec![target]).await
}

/// A node whose subscription has `targets`.
async fn node_with(queue: &WorkQueue, targets: Vec<TargetSpec>) -> (Runtime, Bus) {
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let bus = runtime.bus("default");
    let durable = DurableLanes {
        backlog: std::sync::Arc::new(queue.backlog()),
        key: "config/default/orders".to_owned(),
    };
    let options = SubscribeOptions { durable: Some(durable), ..Default::default() };
    bus.subscribe("order.*", targets, options).await.expect("subscribes");
    (runtime, bus)
}

fn http(receiver: &Receiver, host: Value) -> TargetSpec {
    let mut spec = TargetSpec::new("http").with("url", json!(receiver.url("/hook")));
    for (key, value) in host.as_object().cloned().unwrap_or_default() {
        spec = spec.with(&key, value);
    }
    spec
}

fn order(n: usize) -> Signal {
    Signal::builder("order.placed", "/shop").subject(format!("order-{n}")).build().expect("valid")
}

/// The signal id of a request (binary mode's `ce-id`, or a structured body's `id`).
fn id_of(request: &Recorded) -> String {
    if let Some(id) = request.header("ce-id") {
        return id.to_owned();
    }
    let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
    body["id"].as_str().unwrap_or_default().to_owned()
}

/// The signal subject of a request (binary mode's `ce-subject`, or a structured body's).
fn subject_of(request: &Recorded) -> String {
    if let Some(subject) = request.header("ce-subject") {
        return subject.to_owned();
    }
    let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
    body["subject"].as_str().unwrap_or_default().to_owned()
}

async fn publish(queue: &WorkQueue, bus: &Bus, signal: &Signal) {
    let lanes = bus.partitioned(signal, &bus.route(signal));
    assert_eq!(lanes.len(), 1, "one lane");
    queue.publish(signal, &lanes).await.expect("stored on the cluster");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_a_lane_and_every_signal_arrives() {
    let cluster = NatsCluster::start();
    let receiver = Receiver::ok().await;
    let queue_a = WorkQueue::connect(config(&cluster, Duration::from_secs(30))).await.expect("connects");
    let queue_b = WorkQueue::connect(config(&cluster, Duration::from_secs(30))).await.expect("connects");
    let target = http(&receiver, json!({"max_in_flight": 8}));
    let (_a, bus_a) = node(&queue_a, target.clone()).await;
    let (_b, bus_b) = node(&queue_b, target).await;

    let signals: Vec<Signal> = (0..200).map(order).collect();
    for (n, signal) in signals.iter().enumerate() {
        let (queue, bus) = if n % 2 == 0 { (&queue_a, &bus_a) } else { (&queue_b, &bus_b) };
        publish(queue, bus, signal).await;
    }
    // A duplicate publish inside the window is dropped by the server.
    publish(&queue_b, &bus_b, &signals[0]).await;

    receiver.wait_for(signals.len(), LIMIT).await;
    let lane = bus_a.route(&signals[0]).remove(0);
    let info = queue_b.lane_info(&lane).await.expect("consumer info").expect("the lane's consumer");
    assert_eq!(info.max_out, 8, "the lane's max_in_flight, cluster-wide");
    let arrived: BTreeSet<String> = receiver.requests().iter().map(id_of).collect();
    let sent: BTreeSet<String> = signals.iter().map(|s| s.id.clone()).collect();
    assert_eq!(arrived, sent, "every signal, from whichever node pulled it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strict_lane_keeps_its_order_while_two_nodes_pull_and_fail_at_random() {
    let cluster = NatsCluster::start();
    // Every third request fails with 503 (retried), so the lane's head is held back often.
    let receiver = Receiver::start(|n, _| Reply::status(if n % 3 == 1 { 503 } else { 200 })).await;
    let queue_a = WorkQueue::connect(config(&cluster, Duration::from_secs(30))).await.expect("connects");
    let queue_b = WorkQueue::connect(config(&cluster, Duration::from_secs(30))).await.expect("connects");
    let retry = json!({"max_retries": 50, "base_delay": 1, "max_delay": 5});
    let target = http(&receiver, json!({"ordering": "strict", "retry_policy": retry}));
    let (_a, bus_a) = node(&queue_a, target.clone()).await;
    let (_b, _bus_b) = node(&queue_b, target).await;

    let signals: Vec<Signal> = (0..40).map(order).collect();
    for signal in &signals {
        publish(&queue_a, &bus_a, signal).await;
    }
    receiver.wait_for(signals.len(), LIMIT).await;
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let delivered: Vec<String> = receiver
            .requests()
            .iter()
            .enumerate()
            .filter(|(n, _)| n % 3 != 1)
            .map(|(_, r)| id_of(r))
            .collect();
        if delivered.len() >= signals.len() {
            let sent: Vec<String> = signals.iter().map(|s| s.id.clone()).collect();
            assert_eq!(delivered[..signals.len()], sent[..], "delivered in publish order");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "all delivered within {LIMIT:?}");
        receiver.wait_for(receiver.requests().len() + 1, LIMIT).await;
    }
    let requests = receiver.requests().len();
    let lane = bus_a.route(&signals[0]).remove(0);
    let info = queue_a.lane_info(&lane).await.expect("consumer info").expect("the lane's consumer");
    assert_eq!(info.max_out, 1, "one signal out at a time, cluster-wide");
    assert!(
        info.handed_out >= requests as u64,
        "each retry is a redelivery by the server (nak with delay), {requests} requests: {info:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_dies_mid_delivery_leaves_its_work_to_another() {
    let cluster = NatsCluster::start();
    // The first three requests never get an answer: node A is stuck in them when it dies.
    let receiver = Receiver::start(|n, _| if n < 3 { Reply::Hang } else { Reply::status(200) }).await;
    let ack_wait = Duration::from_secs(2);
    let target = http(&receiver, json!({"max_in_flight": 3, "timeout": 60_000}));
    let signals: Vec<Signal> = (0..3).map(order).collect();

    // Node A runs on its own tokio runtime, so that shutting that down ends every task of
    // it at once, its NATS connection included, as a killed process would.
    let node_a =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let (a_config, a_target, a_signals) = (config(&cluster, ack_wait), target.clone(), signals.clone());
    node_a.spawn(async move {
        let queue = WorkQueue::connect(a_config).await.expect("connects");
        let (_runtime, bus) = node(&queue, a_target).await;
        for signal in &a_signals {
            publish(&queue, &bus, signal).await;
        }
        std::future::pending::<()>().await;
    });
    receiver.wait_for(3, LIMIT).await;
    node_a.shutdown_background();

    let queue_b = WorkQueue::connect(config(&cluster, ack_wait)).await.expect("connects");
    let (_b, _bus_b) = node(&queue_b, target).await;
    receiver.wait_for(6, LIMIT).await;
    let answered: BTreeMap<String, usize> =
        receiver.requests()[3..].iter().map(id_of).fold(BTreeMap::new(), |mut m, id| {
            *m.entry(id).or_default() += 1;
            m
        });
    let sent: BTreeSet<String> = signals.iter().map(|s| s.id.clone()).collect();
    assert_eq!(answered.keys().cloned().collect::<BTreeSet<_>>(), sent, "B delivered what A held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_ordered_lane_is_split_into_partitions_and_keeps_each_keys_order() {
    let cluster = NatsCluster::start();
    let receiver = Receiver::start(|n, _| Reply::status(if n % 3 == 1 { 503 } else { 200 })).await;
    let queue_a = WorkQueue::connect(config(&cluster, Duration::from_secs(30))).await.expect("connects");
    let queue_b = WorkQueue::connect(config(&cluster, Duration::from_secs(30))).await.expect("connects");
    let retry = json!({"max_retries": 50, "base_delay": 1, "max_delay": 5});
    let host = json!({"ordering": {"key": "subject"}, "max_in_flight": 4, "retry_policy": retry});
    let target = http(&receiver, host);
    let (_a, bus_a) = node(&queue_a, target.clone()).await;
    let (_b, bus_b) = node(&queue_b, target).await;

    // Six keys, ten signals each, published from both nodes in turn.
    let signals: Vec<Signal> = (0..60)
        .map(|n| {
            let subject = format!("customer-{}", n % 6);
            Signal::builder("order.placed", "/shop").subject(subject).build().expect("valid")
        })
        .collect();
    for (n, signal) in signals.iter().enumerate() {
        let (queue, bus) = if n % 2 == 0 { (&queue_a, &bus_a) } else { (&queue_b, &bus_b) };
        publish(queue, bus, signal).await;
    }
    let successes = |requests: Vec<Recorded>| -> Vec<Recorded> {
        requests.into_iter().enumerate().filter(|(n, _)| n % 3 != 1).map(|(_, r)| r).collect()
    };
    while successes(receiver.requests()).len() < signals.len() {
        receiver.wait_for(receiver.requests().len() + 1, LIMIT).await;
    }
    let lane = bus_a.route(&signals[0]).remove(0);
    let info = queue_a.lane_info(&lane).await.expect("consumer info").expect("the lane's consumers");
    assert_eq!(info.partitions, 4, "max_in_flight partitions");
    assert_eq!(info.max_out, 4, "one signal out per partition, cluster-wide");
    let mut delivered: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for request in successes(receiver.requests()) {
        let subject = subject_of(&request);
        delivered.entry(subject).or_default().push(id_of(&request));
    }
    let mut sent: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for signal in &signals {
        sent.entry(signal.subject.clone().unwrap_or_default()).or_default().push(signal.id.clone());
    }
    assert_eq!(delivered, sent, "each key's signals in publish order, from whichever node");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_across_redeliveries_stop_at_the_policys_limit() {
    let cluster = NatsCluster::start();
    let failing = Receiver::start(|_, _| Reply::status(503)).await;
    let fallback = Receiver::ok().await;
    let queue = WorkQueue::connect(config(&cluster, Duration::from_secs(30))).await.expect("connects");
    let retry = json!({"max_retries": 2, "base_delay": 1, "max_delay": 5});
    let primary = http(&failing, json!({"retry_policy": retry}));
    let on_failure = http(&fallback, json!({"on_failure": true}));
    let (runtime, bus) = node_with(&queue, vec![primary, on_failure]).await;

    let signal = order(1);
    let lanes = bus.partitioned(&signal, &bus.route(&signal));
    queue.publish(&signal, &lanes).await.expect("stored on the cluster");
    // The final failure feeds the on_failure target after it is recorded.
    fallback.wait_for(1, LIMIT).await;
    assert_eq!(failing.requests().len(), 3, "the first attempt and two retries, each a redelivery");
    let letters = runtime.dead_letters().list().expect("list");
    assert_eq!(letters.len(), 1, "dead-lettered once");
    assert_eq!(letters[0].attempts, 3, "attempts counted across redeliveries");
    let info = queue.lane_info(&lanes[0].0).await.expect("consumer info").expect("the lane's consumer");
    assert_eq!(info.handed_out, 3, "each attempt a delivery by the server");
}
