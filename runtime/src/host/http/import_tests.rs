//! The `http` import's context on its own, without a guest: grants, body caps, trace
//! headers and the replay memo, against a real HTTP receiver on loopback.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::sync::mpsc;

use super::HttpCtx;
use crate::adapter::DeliveryContext;
use crate::host::bindings::http::{Error, Method, Request};
use crate::outbound::{
    AddressPolicy, HttpService, HttpSettings, HttpTarget, IpNet, OriginPattern, PoolSpec, ResponseMemo,
};

/// A receiver answering every request `200` with a 64-byte body; sends each request's head
/// (lower-cased) to the returned channel.
async fn receiver() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (heads, seen) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let heads = heads.clone();
            tokio::spawn(async move {
                let mut buf = vec![0; 16 * 1024];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let _ = heads.send(String::from_utf8_lossy(&buf[..read]).to_lowercase());
                let body = "x".repeat(64);
                let answer =
                    format!("HTTP/1.1 200 OK\r\ncontent-length: 64\r\nconnection: close\r\n\r\n{body}");
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (port, seen)
}

/// A context for adapter `probe` with these body caps, over a service that may reach loopback.
fn ctx(caps: (Option<usize>, Option<usize>)) -> (HttpCtx, Arc<HttpService>) {
    let loopback = IpNet::parse("127.0.0.0/8").expect("net");
    let settings = HttpSettings {
        address_policy: AddressPolicy { allow_private: vec![loopback] },
        ..HttpSettings::default()
    };
    let service = Arc::new(HttpService::new(settings));
    (HttpCtx::new(Arc::from("probe"), service.clone(), caps), service)
}

/// A delivery whose target may reach `origin`.
fn call(service: &HttpService, origin: &str) -> DeliveryContext {
    let spec = PoolSpec { name: None, size: None, timeout: Duration::from_secs(5) };
    let pool = service.pool(&spec, "t").expect("pool");
    let target = HttpTarget::new(vec![OriginPattern::parse(origin).expect("origin")], pool, false);
    DeliveryContext::new(0, Some(Arc::new(target)))
}

fn post(url: String, body: &[u8]) -> Request {
    Request {
        method: Method::Post,
        url,
        headers: Vec::new(),
        body: Some(body.to_vec()),
        timeout_ms: Some(5000),
    }
}

#[tokio::test]
async fn a_call_without_a_grant_is_denied_naming_the_adapter() {
    let (ctx, _) = ctx((None, None));
    let no_grant = DeliveryContext::default();
    let err = ctx.send(&no_grant, post("http://127.0.0.1:9/".into(), b"")).await.expect_err("denied");
    assert!(matches!(&err, Error::Denied(m) if m.contains("adapter `probe` holds no http grant")), "{err:?}");
    let all =
        ctx.send_all(&no_grant, vec![post("http://a/".into(), b""), post("http://b/".into(), b"")]).await;
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|answer| matches!(answer, Err(Error::Denied(_)))));
}

#[tokio::test]
async fn an_origin_outside_the_grant_is_denied_before_any_connection() {
    let (port, mut seen) = receiver().await;
    let (ctx, service) = ctx((None, None));
    let call = call(&service, "http://127.0.0.1:1");
    let err = ctx.send(&call, post(format!("http://127.0.0.1:{port}/"), b"")).await.expect_err("denied");
    assert!(matches!(&err, Error::Denied(m) if m.contains("not an origin granted")), "{err:?}");
    assert!(seen.try_recv().is_err(), "nothing reached the receiver");
    let err = ctx.send(&call, post("ftp://127.0.0.1:1/".into(), b"")).await.expect_err("refused");
    assert!(matches!(&err, Error::InvalidRequest(m) if m.contains("only http and https")), "{err:?}");
}

#[tokio::test]
async fn the_adapters_caps_apply_under_the_hosts_and_trace_headers_are_added() {
    let (port, mut seen) = receiver().await;
    let (ctx, service) = ctx((Some(4), Some(10)));
    let mut call = call(&service, &format!("http://127.0.0.1:{port}"));
    call.traceparent = Some(Arc::from("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
    let url = format!("http://127.0.0.1:{port}/hook");
    let err = ctx.send(&call, post(url.clone(), b"12345")).await.expect_err("too large");
    assert!(matches!(err, Error::TooLarge(4)), "{err:?}");
    let response = ctx.send(&call, post(url, b"1234")).await.expect("sent");
    assert_eq!(response.status, 200);
    assert_eq!(response.body.len(), 10, "the body is cut at the adapter's cap");
    let head = seen.recv().await.expect("one request arrived");
    assert!(head.starts_with("post /hook http/1.1"), "{head}");
    assert!(head.contains("traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), "{head}");
}

#[tokio::test]
async fn a_retried_delivery_answers_a_request_it_already_had_a_final_answer_to() {
    let (port, mut seen) = receiver().await;
    let (ctx, service) = ctx((None, None));
    let mut call = call(&service, &format!("http://127.0.0.1:{port}"));
    call.replay = Some(Arc::new(ResponseMemo::default()));
    let url = format!("http://127.0.0.1:{port}/once");
    let first = ctx.send(&call, post(url.clone(), b"{}")).await.expect("sent");
    let again = ctx.send(&call, post(url, b"{}")).await.expect("answered");
    assert_eq!((first.status, first.body.len()), (again.status, again.body.len()));
    seen.recv().await.expect("the first request arrived");
    let other = ctx.send(&call, post(format!("http://127.0.0.1:{port}/other"), b"{}")).await.expect("sent");
    assert_eq!(other.status, 200);
    let head = seen.recv().await.expect("the next request to arrive");
    assert!(head.starts_with("post /other "), "the memo answered /once, so /other came next: {head}");
}
