//! HTTP delivery behaviour: how responses classify, caps and timeouts, egress policy and
//! grants, pools, batches and health checks; all against real servers on loopback.

use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::host::http::{HttpSettings, IpNet, OriginPattern};
use jido_dispatch::host::{AdapterConfig, HttpGrant};
use jido_dispatch::signal::{Data, ExtensionValue, JsonText, Signal};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, Reply, builder, guest, loopback_builder, sample_signal};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(20);

fn loopback() -> Runtime {
    loopback_builder(crate::CACHE_ROOT).build().expect("runtime")
}

/// An http target that does not retry: these tests look at single attempts.
fn http(url: &str) -> TargetSpec {
    TargetSpec::new("http").with("url", json!(url)).with("retry_policy", json!({"max_retries": 0}))
}

#[tokio::test]
async fn statuses_classify_as_success_retryable_or_permanent() {
    let cases: [(u16, Option<bool>); 9] = [
        (200, None),
        (204, None),
        (302, Some(false)),
        (400, Some(false)),
        (404, Some(false)),
        (408, Some(true)),
        (425, Some(true)),
        (500, Some(true)),
        (503, Some(true)),
    ];
    let runtime = loopback();
    for (status, retryable) in cases {
        let receiver = Receiver::start(move |_, _| {
            Reply::Status(status, vec![("location".into(), "http://127.0.0.1:1/".into())], vec![])
        })
        .await;
        let target = runtime.open_target(&http(&receiver.url("/"))).await.expect("opens");
        let outcome = runtime.dispatch(&sample_signal("a"), &target).await;
        match retryable {
            None => assert_eq!(outcome, Ok(()), "{status}"),
            Some(retryable) => {
                let err = outcome.expect_err("fails");
                assert_eq!(err.is_retryable(), retryable, "{status}: {err}");
                assert_eq!(err.code(), Some(format!("http_{status}").as_str()));
            }
        }
        assert_eq!(receiver.requests().len(), 1, "{status}: exactly one request, redirects not followed");
    }
}

#[tokio::test]
async fn a_429_passes_its_retry_after_on() {
    let runtime = loopback();
    let receiver =
        Receiver::start(|_, _| Reply::Status(429, vec![("retry-after".into(), "7".into())], vec![])).await;
    let target = runtime.open_target(&http(&receiver.url("/"))).await.expect("opens");
    let err = runtime.dispatch(&sample_signal("a"), &target).await.expect_err("rate limited");
    assert!(err.is_retryable());
    assert_eq!(err.failure().retry_after, Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_response_over_the_cap_is_cut_and_its_status_decides() {
    let loopback = vec![IpNet::parse("127.0.0.0/8").expect("net")];
    let settings = HttpSettings { max_response_bytes: 1024, ..HttpSettings::default() };
    let runtime = builder(crate::CACHE_ROOT).http(settings).allow_private(loopback).build().expect("runtime");
    let receiver =
        Receiver::start(|n, _| Reply::Status(if n == 0 { 200 } else { 500 }, vec![], vec![b'x'; 4096])).await;
    let target = runtime.open_target(&http(&receiver.url("/"))).await.expect("opens");
    runtime.dispatch(&sample_signal("a"), &target).await.expect("a 2xx is a success whatever its body");
    let err = runtime.dispatch(&sample_signal("b"), &target).await.expect_err("500");
    assert!(err.is_retryable(), "a large 5xx stays retryable: {err}");
    assert_eq!(err.code(), Some("http_500"), "{err}");
}

#[tokio::test]
async fn a_request_over_the_cap_is_refused_before_sending() {
    let loopback = vec![IpNet::parse("127.0.0.0/8").expect("net")];
    let settings = HttpSettings { max_request_bytes: 512, ..HttpSettings::default() };
    let runtime = builder(crate::CACHE_ROOT).http(settings).allow_private(loopback).build().expect("runtime");
    let receiver = Receiver::ok().await;
    let target = runtime.open_target(&http(&receiver.url("/"))).await.expect("opens");
    let big = Signal::builder("a", "/t").data_json(&json!("x".repeat(2048))).build().expect("valid");
    let err = runtime.dispatch(&big, &target).await.expect_err("too large");
    assert_eq!(err.code(), Some("too_large"), "{err}");
    assert!(err.to_string().contains("512-byte cap"), "{err}");
    assert!(receiver.requests().is_empty(), "nothing was sent");
    runtime.dispatch(&sample_signal("small"), &target).await.expect("a small one goes through");
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_at_timeout() {
    let runtime = loopback();
    let receiver = Receiver::start(|_, _| Reply::Hang).await;
    let target =
        runtime.open_target(&http(&receiver.url("/")).with("timeout", json!(200))).await.expect("opens");
    let err = runtime.dispatch(&sample_signal("a"), &target).await.expect_err("times out");
    assert_eq!(err.code(), Some("timeout"), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn private_and_loopback_addresses_are_refused_by_default() {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime without allow_private");
    let receiver = Receiver::ok().await;
    let port = receiver.port();
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
        "http://10.0.0.1/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]/".to_owned(),
    ] {
        let target = runtime.open_target(&http(&url)).await.expect("opens");
        let err = runtime.dispatch(&sample_signal("a"), &target).await.expect_err("refused");
        assert_eq!(err.code(), Some("egress_denied"), "{url}: {err}");
        assert!(!err.is_retryable());
    }
    assert!(receiver.requests().is_empty(), "nothing reached the loopback receiver");
}

#[tokio::test]
async fn a_component_reaches_only_the_origins_it_was_granted() {
    let runtime = loopback();
    let (granted, other) = (Receiver::ok().await, Receiver::ok().await);
    let origin = OriginPattern::parse(&format!("http://127.0.0.1:{}", granted.port())).expect("origin");
    let config = AdapterConfig { http: HttpGrant::Origins(vec![origin]), ..AdapterConfig::default() };
    runtime.load_adapter("probe", guest("hostile"), config).await.expect("loads");
    runtime.load_adapter("ungranted", guest("hostile"), AdapterConfig::default()).await.expect("loads");
    let probe = runtime.open_target(&TargetSpec::new("probe")).await.expect("opens");
    let ungranted = runtime.open_target(&TargetSpec::new("ungranted")).await.expect("opens");
    let to = |url: String| Signal::builder("fetch", "/t").subject(url).build().expect("valid");

    runtime.dispatch(&to(granted.url("/ok")), &probe).await.expect("granted origin");
    let err = runtime.dispatch(&to(other.url("/no")), &probe).await.expect_err("other origin");
    assert_eq!(err.code(), Some("egress_denied"));
    assert!(err.to_string().contains("is not an origin granted to this target"), "{err}");
    let err = runtime.dispatch(&to(granted.url("/ok")), &ungranted).await.expect_err("no grant");
    assert!(err.to_string().contains("holds no http grant"), "{err}");
    assert_eq!((granted.requests().len(), other.requests().len()), (1, 0));
}

#[tokio::test]
async fn a_full_pool_fails_with_pool_timeout() {
    let runtime = loopback();
    let receiver = Receiver::start(|n, _| if n == 0 { Reply::Hang } else { Reply::status(200) }).await;
    let spec = http(&receiver.url("/"))
        .with("pool", json!("tight"))
        .with("pool_size", json!(1))
        .with("pool_timeout", json!(100));
    let first = runtime.open_target(&spec).await.expect("opens");
    let second = runtime.open_target(&spec.clone().with("timeout", json!(1000))).await.expect("same pool");
    let held = dispatch_in_background(&runtime, &first);
    receiver.wait_for(1, LIMIT).await;
    let err = runtime.dispatch(&sample_signal("b"), &second).await.expect_err("no slot");
    assert_eq!(err.code(), Some("pool_timeout"), "{err}");
    assert!(err.is_retryable());
    held.abort();

    let err =
        runtime.open_target(&spec.clone().with("pool_size", json!(0))).await.expect_err("bad pool_size");
    assert!(err.to_string().contains("pool_size"), "{err}");
}

/// Dispatches a sample signal to `target` in a task (to hold its pool slot or instance).
fn dispatch_in_background(
    runtime: &Runtime,
    target: &jido_dispatch::Target,
) -> tokio::task::JoinHandle<Result<(), jido_dispatch::adapter::DeliveryError>> {
    let (runtime, target) = (runtime.clone(), target.clone());
    tokio::spawn(async move { runtime.dispatch(&sample_signal("a"), &target).await })
}

#[tokio::test]
async fn waiting_for_an_instance_counts_against_pool_timeout() {
    // One instance of `http` in all: a delivery hanging on its receiver holds it.
    let loopback = vec![IpNet::parse("127.0.0.0/8").expect("net")];
    let runtime = builder(crate::CACHE_ROOT)
        .allow_private(loopback)
        .builtin_max_instances("http", 1)
        .build()
        .expect("runtime");
    let hanging = Receiver::start(|_, _| Reply::Hang).await;
    let fine = Receiver::ok().await;
    let stuck =
        runtime.open_target(&http(&hanging.url("/")).with("timeout", json!(60000))).await.expect("opens");
    let other =
        runtime.open_target(&http(&fine.url("/")).with("pool_timeout", json!(100))).await.expect("opens");
    let held = dispatch_in_background(&runtime, &stuck);
    hanging.wait_for(1, LIMIT).await;
    let err = runtime.dispatch(&sample_signal("b"), &other).await.expect_err("no instance free");
    assert_eq!(err.code(), Some("pool_timeout"), "{err}");
    assert!(err.is_retryable(), "{err}");
    assert!(fine.requests().is_empty(), "nothing was sent");
    held.abort();
    // The aborted delivery gave its instance back.
    runtime.dispatch(&sample_signal("c"), &other).await.expect("the instance is free again");
}

#[tokio::test]
async fn a_batch_is_one_cloudevents_batch_request() {
    let runtime = loopback();
    let receiver = Receiver::ok().await;
    let target = runtime.open_target(&http(&receiver.url("/batch"))).await.expect("opens");
    let signals = [sample_signal("a"), sample_signal("b"), sample_signal("c")];
    let results = target.deliver_batch(&signals).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("content-type"), Some("application/cloudevents-batch+json; charset=utf-8"));
    let expected = format!("[{},{},{}]", signals[0].to_json(), signals[1].to_json(), signals[2].to_json());
    assert_eq!(requests[0].text(), expected);
}

#[tokio::test]
async fn health_check_probes_the_url() {
    let runtime = loopback();
    let up = Receiver::ok().await;
    let down = Receiver::start(|_, _| Reply::status(503)).await;
    let healthy = runtime.open_target(&http(&up.url("/health"))).await.expect("opens");
    let unhealthy = runtime.open_target(&http(&down.url("/health"))).await.expect("opens");
    assert_eq!(healthy.health_check().await, Ok(()));
    let err = unhealthy.health_check().await.expect_err("503");
    assert!(err.contains("answered 503"), "{err}");
    assert_eq!(up.requests()[0].method, "HEAD");
}

#[tokio::test]
async fn webhooks_go_over_https_to_a_receiver_with_a_private_ca() {
    let (receiver, ca_pem) = Receiver::start_tls(|_, _| Reply::status(200)).await;
    let loopback = vec![IpNet::parse("127.0.0.0/8").expect("net"), IpNet::parse("::1/128").expect("net")];
    let spec = TargetSpec::new("webhook")
        .with("retry_policy", json!({"max_retries": 0}))
        .with("url", json!(receiver.https_url("/hook")))
        .with("secret", json!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));

    // Without the CA the certificate is not trusted: a connection failure, nothing received.
    let untrusting = builder(crate::CACHE_ROOT).allow_private(loopback.clone()).build().expect("runtime");
    let target = untrusting.open_target(&spec).await.expect("opens");
    let err = untrusting.dispatch(&sample_signal("a"), &target).await.expect_err("untrusted certificate");
    assert_eq!(err.code(), Some("connect"), "{err}");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    assert!(receiver.requests().is_empty());

    // With the CA trusted, the signed request arrives over TLS and verifies.
    let settings =
        HttpSettings { extra_root_certificates: vec![ca_pem.into_bytes()], ..HttpSettings::default() };
    let trusting =
        builder(crate::CACHE_ROOT).http(settings).allow_private(loopback).build().expect("runtime");
    let target = trusting.open_target(&spec).await.expect("opens");
    let signal = sample_signal("secure.event");
    trusting.dispatch(&signal, &target).await.expect("delivered over https");
    let request = receiver.requests().pop().expect("recorded");
    assert_eq!(request.text(), signal.to_json());
    let (id, ts, sig) = (
        request.header("webhook-id").expect("id"),
        request.header("webhook-timestamp").expect("ts"),
        request.header("webhook-signature").expect("sig"),
    );
    assert!(jido_dispatch_tests::verify::standard(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        id,
        ts,
        &request.body,
        sig
    ));
}

/// A signal with every optional attribute, an extension of each kind, and `data`.
fn every_attribute(id: &str, data: Data) -> Signal {
    Signal::builder("order.paid", "/shop/eu")
        .id(id)
        .subject("order/7")
        .time("2026-12-03T10:00:00.123Z")
        .datacontenttype("application/octet-stream")
        .dataschema("https://example.com/schemas/order.json")
        .extension("tenant", ExtensionValue::Text("acme".to_owned()))
        .extension("replayed", ExtensionValue::Boolean(true))
        .extension("attempt", ExtensionValue::Integer(-3))
        .data(data)
        .build()
        .expect("valid")
}

#[tokio::test]
async fn every_attribute_reaches_the_component_alone_in_a_batch_and_through_a_transform() {
    let runtime = loopback();
    let receiver = Receiver::ok().await;
    let plain = runtime.open_target(&http(&receiver.url("/plain"))).await.expect("opens");
    let no_op = http(&receiver.url("/select")).with("transform", json!("select"));
    let transformed = runtime.open_target(&no_op).await.expect("opens");
    // A `dispatch-transform` component gets the signal by value and hands it back: what
    // arrives went into the guest and out again.
    runtime.load_transform("echo", guest("transform-echo"), AdapterConfig::default()).await.expect("loads");
    let echo = http(&receiver.url("/echo")).with("transform", json!("echo"));
    let echoed = runtime.open_target(&echo).await.expect("opens");
    let json_data = Data::Json(JsonText::parse(r#"{"id":7,"note":"ünï ✓"}"#).expect("json"));
    let signals =
        [every_attribute("json", json_data), every_attribute("binary", Data::binary(vec![0, 159, 255]))];
    for signal in &signals {
        runtime.dispatch(signal, &plain).await.expect("delivered");
        runtime.dispatch(signal, &transformed).await.expect("delivered through the transform");
        runtime.dispatch(signal, &echoed).await.expect("delivered through the echo");
    }
    let results = plain.deliver_batch(&signals).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    // A single delivery posts the JSON the host encodes for the lent view (`to-json`); the
    // batch and the echo's output are encoded inside the guest from the signals it was
    // given by value. The test encodes the original.
    let bodies: Vec<String> = receiver.requests().iter().map(|r| r.text().to_owned()).collect();
    let (json_event, binary_event) = (signals[0].to_json(), signals[1].to_json());
    let batch = format!("[{json_event},{binary_event}]");
    let (j, b) = (json_event, binary_event);
    assert_eq!(bodies, [j.clone(), j.clone(), j, b.clone(), b.clone(), b, batch]);
}

#[tokio::test]
async fn binary_mode_reads_every_attribute_through_the_lent_view() {
    let runtime = loopback();
    let receiver = Receiver::ok().await;
    // Binary mode needs every attribute, so the adapter copies the lent signal out of the
    // host (`signal-view.get`) and turns it into `ce-*` headers inside the guest.
    let spec = http(&receiver.url("/binary")).with("mode", json!("binary"));
    let target = runtime.open_target(&spec).await.expect("opens");
    let signal = every_attribute("b-1", Data::binary(vec![0, 159, 255]));
    runtime.dispatch(&signal, &target).await.expect("delivered");

    let requests = receiver.requests();
    let [request] = requests.as_slice() else { panic!("one request, got {requests:?}") };
    let expected = [
        ("ce-specversion", "1.0"),
        ("ce-id", "b-1"),
        ("ce-source", "/shop/eu"),
        ("ce-type", "order.paid"),
        ("ce-subject", "order/7"),
        ("ce-time", "2026-12-03T10:00:00.123Z"),
        ("ce-dataschema", "https://example.com/schemas/order.json"),
        ("content-type", "application/octet-stream"),
        ("ce-tenant", "acme"),
        ("ce-replayed", "true"),
        ("ce-attempt", "-3"),
    ];
    for (name, value) in expected {
        assert_eq!(request.header(name), Some(value), "{name} in {:?}", request.headers);
    }
    assert_eq!(request.body, [0, 159, 255]);
}
