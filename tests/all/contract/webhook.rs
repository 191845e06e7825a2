//! Contract of `webhook`: Standard Webhooks and Jido signatures, verified by an independent
//! implementation of the specs; rotation; several URLs.

use super::common;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, Reply, loopback_builder, sample_signal, verify};
use serde_json::json;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub async fn contract() {
    let receiver = Receiver::ok().await;
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    common(
        &runtime,
        TargetSpec::new("webhook").with("url", json!(receiver.url("/c"))).with("secret", json!(SECRET)),
    )
    .await;

    // Standard Webhooks v1 with two secrets (rotation): two signatures, each verifies.
    let signal = sample_signal("payment.settled");
    let spec = TargetSpec::new("webhook")
        .with("url", json!(receiver.url("/std")))
        .with("secrets", json!([SECRET, "plain-secret"]));
    let target = runtime.open_target(&spec).await.expect("opens");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    let request = receiver.requests().pop().expect("recorded");
    let (id, ts, sig) = (
        request.header("webhook-id").expect("id"),
        request.header("webhook-timestamp").expect("timestamp"),
        request.header("webhook-signature").expect("signature"),
    );
    assert_eq!(id, signal.id);
    assert_eq!(request.text(), signal.to_json(), "the body is the CloudEvent");
    assert_eq!(sig.split(' ').count(), 2);
    assert!(verify::standard(SECRET, id, ts, &request.body, sig), "whsec_ secret verifies");
    assert!(verify::standard("plain-secret", id, ts, &request.body, sig), "raw secret verifies");
    assert!(!verify::standard("whsec_AAAA", id, ts, &request.body, sig), "a wrong secret does not");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let ts: u64 = ts.parse().expect("unix seconds");
    assert!(ts.abs_diff(now) <= 300, "within the Standard Webhooks tolerance window");

    // The original scheme, a renamed signature header and an event type map.
    let spec = TargetSpec::new("webhook")
        .with("url", json!(receiver.url("/jido")))
        .with("secret", json!("s3cret"))
        .with("scheme", json!("jido"))
        .with("signature_header", json!("X-Signature"))
        .with("event_type_map", json!({"payment.settled": "payment_done"}));
    let target = runtime.open_target(&spec).await.expect("opens");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    let request = receiver.requests().pop().expect("recorded");
    let ts = request.header("x-webhook-timestamp").expect("timestamp");
    let sig = request.header("x-signature").expect("renamed signature header");
    assert!(
        sig.len() == 64 && sig.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{sig}"
    );
    assert!(verify::jido("s3cret", ts, &request.body, sig));
    assert_eq!(request.header("x-webhook-event"), Some("payment_done"));
    assert_eq!(request.header("x-webhook-signature"), None);

    // No secret: no signature, still an id and timestamp.
    let target = runtime
        .open_target(&TargetSpec::new("webhook").with("url", json!(receiver.url("/plain"))))
        .await
        .expect("opens");
    runtime.dispatch(&signal, &target).await.expect("delivered");
    let request = receiver.requests().pop().expect("recorded");
    assert!(request.header("webhook-signature").is_none() && request.header("webhook-id").is_some());

    // Several URLs, in parallel and one after another: all receive; a failing one names itself.
    let failing = Receiver::start(|_, _| Reply::status(500)).await;
    let others = [Receiver::ok().await, Receiver::ok().await];
    for parallel in [true, false] {
        let urls = json!([others[0].url("/a"), failing.url("/b"), others[1].url("/c")]);
        let spec = TargetSpec::new("webhook")
            .with("urls", urls)
            .with("parallel", json!(parallel))
            .with("secret", json!(SECRET))
            .with("retry_policy", json!({"max_retries": 0}));
        let target = runtime.open_target(&spec).await.expect("opens");
        let err = runtime.dispatch(&signal, &target).await.expect_err("one URL fails");
        assert!(err.is_retryable() && err.code() == Some("http_500"), "{err}");
        assert!(
            err.to_string().contains(&failing.url("/b")) && !err.to_string().contains(&others[0].url("/a")),
            "{err}"
        );
        for receiver in &others {
            let request = receiver.requests().pop().expect("every URL receives");
            let sig = request.header("webhook-signature").expect("signed");
            assert!(verify::standard(
                SECRET,
                request.header("webhook-id").expect("id"),
                request.header("webhook-timestamp").expect("ts"),
                &request.body,
                sig
            ));
        }
    }

    // Bad options name the option.
    let bad = [
        (json!({"url": receiver.url("/"), "secret": ""}), "secret: must not be empty"),
        (json!({"url": receiver.url("/"), "secret": "whsec_***"}), "secret: a whsec_ secret must be base64"),
        (json!({"url": receiver.url("/"), "urls": [receiver.url("/")]}), "url, urls: give one of them"),
        (json!({"urls": []}), "urls: must not be empty"),
        (json!({"secret": "x"}), "url: required"),
        (json!({"urls": ["ftp://x"]}), "urls: only http and https"),
        (json!({"url": receiver.url("/"), "signature_header": "X Sig"}), "signature_header"),
        (json!({"url": receiver.url("/"), "scheme": "svix"}), "scheme: unknown variant `svix`"),
        (
            json!({"url": receiver.url("/"), "event_type_map": {"a": "x\r\ny: z"}}),
            "event_type_map: the event for \"a\"",
        ),
    ];
    super::assert_refused(&runtime, "webhook", &bad).await;
}

#[test]
fn the_independent_verifier_accepts_the_spec_vector() {
    let body = br#"{"test": 2432232314}"#;
    let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    assert!(verify::standard(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body, sig));
    assert!(!verify::standard(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265331", body, sig));
}
