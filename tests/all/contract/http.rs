//! Contract of `http`: structured and binary bodies, methods, headers, validation.

use super::common;
use jido_dispatch::signal::{ExtensionValue, Signal};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, loopback_builder, sample_signal};
use serde_json::json;

pub async fn contract() {
    let receiver = Receiver::ok().await;
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    common(&runtime, TargetSpec::new("http").with("url", json!(receiver.url("/events")))).await;

    // Structured mode (default): the CloudEvent as the body, custom headers added.
    let signal = sample_signal("user.created");
    let spec = TargetSpec::new("http")
        .with("url", json!(receiver.url("/hook?x=1")))
        .with("headers", json!({"X-Source": "jido", "Authorization": "Bearer t"}));
    let target = runtime.open_target(&spec).await.expect("opens");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    let request = receiver.requests().pop().expect("recorded");
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/hook?x=1"));
    assert_eq!(request.header("content-type"), Some("application/cloudevents+json; charset=utf-8"));
    assert_eq!(request.header("x-source"), Some("jido"));
    assert_eq!(request.header("authorization"), Some("Bearer t"));
    assert_eq!(request.text(), signal.to_json());

    for method in ["put", "patch"] {
        let spec =
            TargetSpec::new("http").with("url", json!(receiver.url("/m"))).with("method", json!(method));
        let target = runtime.open_target(&spec).await.expect("opens");
        runtime.dispatch(&signal, &target).await.expect("delivered");
        assert_eq!(receiver.requests().pop().expect("recorded").method, method.to_uppercase());
    }

    // Binary mode: attributes as ce-* headers (percent-encoded where needed), data as body.
    let signal = Signal::builder("user.created", "/test")
        .id("42")
        .time("2026-01-02T03:04:05Z")
        .subject("Zoë 100%")
        .extension("traceparent", ExtensionValue::Text("00-abc".into()))
        .extension("sampled", ExtensionValue::Boolean(true))
        .data_json(&json!({"id": 1}))
        .build()
        .expect("valid");
    let spec = TargetSpec::new("http").with("url", json!(receiver.url("/bin"))).with("mode", json!("binary"));
    let target = runtime.open_target(&spec).await.expect("opens");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    let request = receiver.requests().pop().expect("recorded");
    let expected = [
        ("ce-specversion", "1.0"),
        ("ce-id", "42"),
        ("ce-source", "/test"),
        ("ce-type", "user.created"),
        ("ce-subject", "Zo%C3%AB%20100%25"),
        ("ce-time", "2026-01-02T03:04:05Z"),
        ("ce-traceparent", "00-abc"),
        ("ce-sampled", "true"),
        ("content-type", "application/json"),
    ];
    for (name, value) in expected {
        assert_eq!(request.header(name), Some(value), "{name}");
    }
    assert_eq!(request.text(), r#"{"id":1}"#);

    // Options are validated; each message names the option.
    let bad = [
        (json!({"url": "ftp://x/"}), "url: only http and https URLs are allowed"),
        (json!({"url": "http://user:pw@x/"}), "url: userinfo"),
        (
            json!({"url": receiver.url("/"), "headers": {"X-A": "v\r\nX-B: w"}}),
            "headers: header \"X-A\" has CR, LF or NUL",
        ),
        (
            json!({"url": receiver.url("/"), "headers": {"X A": "v"}}),
            "headers: header name \"X A\" is not a valid token",
        ),
        (json!({"url": receiver.url("/"), "method": "get"}), "method: unknown variant `get`"),
        (json!({"url": receiver.url("/"), "timeout": 0}), "timeout: must be 1..=60000"),
        (json!({"url": receiver.url("/"), "timeout": 60001}), "timeout: must be 1..=60000"),
        (json!({"url": receiver.url("/"), "mode": "json"}), "mode: unknown variant `json`"),
        (json!({}), "missing field `url`"),
    ];
    super::assert_refused(&runtime, "http", &bad).await;
}
