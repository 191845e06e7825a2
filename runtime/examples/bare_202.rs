//! The ingress baseline of `runtime/benches/peer/ingress.sh`: an axum server on the same
//! tokio runtime as the daemon (multi-thread, one worker per core) whose `POST /signals`
//! reads the body and answers `202` with a short JSON body, storing nothing. The daemon's
//! single-event ingress is measured against it under the same `wrk` load.
//!
//! `cargo run --release -p jido-dispatch --example bare_202 -- 127.0.0.1:14001`

#![expect(clippy::expect_used, reason = "a benchmark baseline may stop at the first error")]

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;

async fn accept(body: Bytes) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    let answer = format!("{{\"accepted\":1,\"bytes\":{}}}", body.len());
    (StatusCode::ACCEPTED, [("content-type", "application/json")], answer)
}

fn main() {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:14001".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen).await.expect("bind");
        let app = Router::new().route("/signals", post(accept));
        axum::serve(listener, app).await.expect("serve");
    });
}
