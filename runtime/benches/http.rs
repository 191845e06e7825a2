//! HTTP delivery throughput: the Wasm `http` and `webhook` adapters against native
//! equivalents (reqwest, and a native HMAC signer), same local server, same concurrency.
//!
//! Run: `cargo bench -p jido-dispatch --bench http`. The server runs in the same process
//! (it shares the two cores with both sides), answers 200 with keep-alive, and reads each
//! body fully.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jido_dispatch::host::http::IpNet;
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch::{Runtime, Target};

mod support;
use support::server;
#[path = "support/sign.rs"]
mod sign;
use sign::{SECRET, standard_signature};

const CONCURRENCY: usize = 16;
const REQUESTS: usize = 20_000;

fn signal(data_bytes: usize) -> Signal {
    let data = serde_json::Value::String("x".repeat(data_bytes.saturating_sub(2)));
    Signal::builder("bench.event", "/bench").data_json(&data).build().unwrap()
}

/// Requests per second for `CONCURRENCY` workers running `one` `REQUESTS` times in all.
async fn rate<F, Fut>(one: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let one = Arc::new(one);
    for _ in 0..200 {
        one().await;
    }
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let one = one.clone();
        workers.push(tokio::spawn(async move {
            for _ in 0..REQUESTS / CONCURRENCY {
                one().await;
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    REQUESTS as f64 / start.elapsed().as_secs_f64()
}

async fn wasm_rate(target: Target, signal: Signal) -> f64 {
    let (target, signal) = (Arc::new(target), Arc::new(signal));
    rate(move || {
        let (target, signal) = (target.clone(), signal.clone());
        async move { target.deliver(&signal).await.unwrap() }
    })
    .await
}

async fn native_rate(url: String, signal: Signal, sign: bool) -> f64 {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signal = Arc::new(signal);
    rate(move || {
        let (client, signal, url) = (client.clone(), signal.clone(), url.clone());
        async move {
            let body = signal.to_json().into_bytes();
            let mut request =
                client.post(&url).header("content-type", "application/cloudevents+json; charset=utf-8");
            if sign {
                let ts = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    .to_string();
                let sig = standard_signature(&signal.id, &ts, &body);
                request = request
                    .header("webhook-id", signal.id.as_str())
                    .header("webhook-timestamp", ts)
                    .header("webhook-signature", sig);
            }
            let response = request.timeout(Duration::from_secs(5)).body(body).send().await.unwrap();
            assert!(response.status().is_success());
            response.bytes().await.unwrap();
        }
    })
    .await
}

async fn run() {
    let port = server().await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let cache = std::env::temp_dir().join(format!("jido-bench-http-{}", std::process::id()));
    let runtime = Runtime::builder()
        .compile_cache(Some(cache.clone()))
        .allow_private(vec![IpNet::parse("127.0.0.0/8").unwrap()])
        .build()
        .unwrap();
    println!(
        "| {CONCURRENCY} concurrent, {REQUESTS} requests           | Wasm req/s | native req/s | ratio |"
    );
    println!("|------------------------------------------|-----------:|-------------:|------:|");
    let http = runtime.open_target(&TargetSpec::new("http").with("url", url.clone().into())).await.unwrap();
    let wasm = wasm_rate(http, signal(200)).await;
    let native = native_rate(url.clone(), signal(200), false).await;
    println!(
        "| http, 200 B data (native: plain reqwest)  | {wasm:>10.0} | {native:>12.0} | {:>5.2} |",
        wasm / native
    );
    for size in [1024, 16 * 1024] {
        let spec = TargetSpec::new("webhook").with("url", url.clone().into()).with("secret", SECRET.into());
        let webhook = runtime.open_target(&spec).await.unwrap();
        let wasm = wasm_rate(webhook, signal(size)).await;
        let native = native_rate(url.clone(), signal(size), true).await;
        println!(
            "| webhook, {:>2} KiB data (native signer)     | {wasm:>10.0} | {native:>12.0} | {:>5.2} |",
            size / 1024,
            wasm / native
        );
    }
    let _ = std::fs::remove_dir_all(cache);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run());
}
