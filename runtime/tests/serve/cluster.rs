//! `[cluster]`: a daemon joined to a real `nats-server` broadcasts `pubsub` targets to the
//! other nodes; here the other node is a runtime embedded in the test.

use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::cluster::ClusterConfig;
use reqwest::StatusCode;
use serde_json::json;

use crate::nats::NatsServer;
use crate::support::{Serve, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_broadcasts_to_another_node_over_nats() {
    let nats = NatsServer::start();
    let node_b = Runtime::builder().build().expect("runtime");
    node_b
        .join_cluster(&ClusterConfig { nats_url: nats.url(), node: Some("b".into()) })
        .await
        .expect("joins");
    let mut events = node_b.pubsub("default").subscribe("events");
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n\n[cluster]\nnats_url = \"{}\"\nnode = \"daemon\"\n\n\
         [[subscriptions]]\npath = \"**\"\ndispatch = {{ adapter = \"pubsub\", topic = \"events\" }}\n",
        nats.url()
    );
    let serve = Serve::start(&temp_dir("cluster"), &config);
    let (status, body) = serve.event(json!({"type": "order.placed", "source": "/shop", "id": "c-1"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let got =
        tokio::time::timeout(Duration::from_secs(20), events.recv()).await.expect("arrives").expect("open");
    assert_eq!(got.id, "c-1");
}
