//! Trace context and OTLP export through the daemon: an incoming `traceparent` continues in
//! the daemon's spans (ingress → store, ingress → lane → attempt), the attempt's context goes
//! out as the `traceparent` header (with the incoming `tracestate`), a signal without one starts a trace, and spans and the
//! delivery counters reach a real OTLP/HTTP receiver (protobuf decoded with
//! `opentelemetry-proto`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, number_data_point::Value as Number};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Notify;

use crate::SERVER;
use crate::receiver::Receiver;
use crate::support::{Serve, temp_dir};

/// What the collector received.
#[derive(Default)]
struct Collected {
    spans: Mutex<Vec<Span>>,
    metrics: Mutex<Vec<ExportMetricsServiceRequest>>,
    arrived: Notify,
}

/// An OTLP/HTTP collector on 127.0.0.1: its base URL and what it got.
async fn collector() -> (String, Arc<Collected>) {
    let collected = Arc::new(Collected::default());
    let (traces, metrics) = (collected.clone(), collected.clone());
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            axum::routing::post(move |body: Bytes| async move {
                let request = ExportTraceServiceRequest::decode(body).expect("OTLP traces protobuf");
                let spans =
                    request.resource_spans.into_iter().flat_map(|r| r.scope_spans).flat_map(|s| s.spans);
                traces.spans.lock().expect("spans").extend(spans);
                traces.arrived.notify_waiters();
                ""
            }),
        )
        .route(
            "/v1/metrics",
            axum::routing::post(move |body: Bytes| async move {
                let request = ExportMetricsServiceRequest::decode(body).expect("OTLP metrics protobuf");
                metrics.metrics.lock().expect("metrics").push(request);
                metrics.arrived.notify_waiters();
                ""
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://127.0.0.1:{port}"), collected)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute(span: &Span, key: &str) -> Option<Any> {
    span.attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone()).and_then(|v| v.value)
}

/// Waits until the collector holds the four spans of the trace `trace_id`, by name.
async fn spans_of(collected: &Collected, trace_id: &str) -> HashMap<String, Span> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let arrived = collected.arrived.notified();
        let spans: HashMap<String, Span> = collected
            .spans
            .lock()
            .expect("spans")
            .iter()
            .filter(|s| hex(&s.trace_id) == trace_id)
            .map(|s| (s.name.clone(), s.clone()))
            .collect();
        if ["ingress", "store", "lane", "attempt"].iter().all(|name| spans.contains_key(*name)) {
            return spans;
        }
        assert!(
            tokio::time::timeout_at(deadline, arrived).await.is_ok(),
            "spans of {trace_id}: got {:?}",
            spans.keys()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traces_continue_through_the_daemon_and_reach_the_collector() {
    let (endpoint, collected) = collector().await;
    let receiver = Receiver::ok().await;
    let config = format!(
        "{SERVER}\n[telemetry]\notlp_endpoint = \"{endpoint}\"\n\n[[subscriptions]]\npath = \"trace.*\"\ndispatch = {{ adapter = \"http\", url = \"{}\" }}\n",
        receiver.url("/hook")
    );
    let mut serve = Serve::start(&temp_dir("otlp"), &config);
    let (trace_id, parent) = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
    let incoming = format!("00-{trace_id}-{parent}-01");
    let event = json!({"id": "traced", "type": "trace.created", "source": "/t"}).to_string();
    let headers = [("traceparent", incoming.as_str()), ("tracestate", "vendor=abc,other=1")];
    let (status, body, _) = serve.post("/signals", "application/cloudevents+json", event, &headers).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    receiver.wait_for(1, Duration::from_secs(30)).await;
    let outgoing = receiver.requests()[0].header("traceparent").expect("a traceparent header").to_owned();
    let parts: Vec<&str> = outgoing.split('-').collect();
    assert_eq!((parts[0], parts[1], parts[3]), ("00", trace_id, "01"), "{outgoing}");
    assert_eq!(receiver.requests()[0].header("tracestate"), Some("vendor=abc,other=1"), "tracestate goes on");

    let spans = spans_of(&collected, trace_id).await;
    let (ingress, store, lane, attempt) =
        (&spans["ingress"], &spans["store"], &spans["lane"], &spans["attempt"]);
    assert_eq!(hex(&ingress.parent_span_id), parent, "the ingress continues the incoming trace");
    assert_eq!(store.parent_span_id, ingress.span_id);
    assert_eq!(lane.parent_span_id, ingress.span_id);
    assert_eq!(attempt.parent_span_id, lane.span_id);
    assert_eq!(hex(&attempt.span_id), parts[2], "the header names the attempt");
    assert_eq!(attribute(attempt, "jido.adapter"), Some(Any::StringValue("http".to_owned())));
    assert_eq!(attribute(attempt, "jido.attempt"), Some(Any::IntValue(1)));
    assert_eq!(attribute(attempt, "jido.outcome"), Some(Any::StringValue("ok".to_owned())));
    assert_eq!(attribute(ingress, "cloudevents.event_id"), Some(Any::StringValue("traced".to_owned())));

    // Without a traceparent, the signal starts a trace: the header and the delivered
    // event's extension name the same new trace.
    let (status, body) = serve.event(json!({"id": "fresh", "type": "trace.created", "source": "/t"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    receiver.wait_for(2, Duration::from_secs(30)).await;
    let second = &receiver.requests()[1];
    let header = second.header("traceparent").expect("a traceparent header").to_owned();
    let delivered: serde_json::Value = serde_json::from_slice(&second.body).expect("json");
    let extension = delivered["traceparent"].as_str().expect("the traceparent extension");
    let new_trace = &header[3..35];
    assert_ne!(new_trace, trace_id);
    assert_eq!(&extension[3..35], new_trace, "{extension} vs {header}");
    spans_of(&collected, new_trace).await;

    // The delivery counters go out as metrics (flushed at shutdown at the latest).
    assert!(serve.terminate().success());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let arrived = collected.arrived.notified();
        let counted: i64 = collected
            .metrics
            .lock()
            .expect("metrics")
            .iter()
            .flat_map(|r| &r.resource_metrics)
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .filter(|m| m.name == "jido.delivery.attempts")
            .filter_map(|m| match &m.data {
                Some(Data::Sum(sum)) => Some(sum.data_points.clone()),
                _ => None,
            })
            .flatten()
            .filter(|p| {
                p.attributes.iter().any(|kv| {
                    kv.key == "outcome"
                        && kv.value.as_ref().and_then(|v| v.value.clone())
                            == Some(Any::StringValue("ok".to_owned()))
                })
            })
            .filter_map(|p| match p.value {
                Some(Number::AsInt(n)) => Some(n),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        if counted >= 2 {
            break;
        }
        assert!(tokio::time::timeout_at(deadline, arrived).await.is_ok(), "no jido.delivery.attempts metric");
    }
}
