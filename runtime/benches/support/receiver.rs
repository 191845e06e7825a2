//! A webhook receiver for benchmarks: answers after a delay, recording when each
//! `webhook-id` first arrived (included by the benches that need it with `#[path]`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use tokio::sync::watch;

/// When each `webhook-id` first arrived.
pub type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// Starts a receiver on 127.0.0.1 answering after `delay`; returns its port, the arrivals
/// and a count of distinct ids seen.
pub async fn receiver(delay: Duration) -> (u16, Arrivals, watch::Receiver<usize>) {
    let arrivals: Arrivals = Arc::default();
    let (count_tx, count_rx) = watch::channel(0usize);
    let (seen, count_tx) = (arrivals.clone(), Arc::new(count_tx));
    let app = axum::Router::new().fallback(move |headers: HeaderMap| {
        let (seen, count_tx) = (seen.clone(), count_tx.clone());
        async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
                let mut seen = seen.lock().expect("arrivals");
                seen.entry(id.to_owned()).or_insert_with(Instant::now);
                count_tx.send_replace(seen.len());
            }
            ""
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local address").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, arrivals, count_rx)
}
