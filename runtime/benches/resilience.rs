//! The cost of the delivery guarantees: happy-path deliveries with retry + breaker on vs
//! off, and http through a bus with `batch_size = 100` vs unbatched.
//!
//! Run: `cargo bench -p jido-dispatch --bench resilience`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jido_dispatch::adapter::{NativeNoop, SharedEndpoint};
use jido_dispatch::bus::{SubscribeOptions, WhenFull};
use jido_dispatch::host::http::IpNet;
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch::{Runtime, Target};
use serde_json::json;

mod support;
use support::server;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn per_second(runtime: &Runtime, target: &Target, signal: &Signal, n: u32) -> f64 {
    for _ in 0..n / 10 {
        runtime.dispatch(signal, target).await.unwrap();
    }
    let mut rounds = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..n {
            runtime.dispatch(signal, target).await.unwrap();
        }
        rounds.push(f64::from(n) / start.elapsed().as_secs_f64());
    }
    median(rounds)
}

async fn guarantees(runtime: &Runtime) {
    let signal = Signal::builder("bench.event", "/bench").data_json(&json!({"k": "v"})).build().unwrap();
    println!(
        "| happy path (retry_policy + circuit_breaker) | off deliveries/s | on deliveries/s | overhead |"
    );
    println!(
        "|---------------------------------------------|-----------------:|----------------:|---------:|"
    );
    for (label, adapter, n) in [("Wasm noop", "noop", 100_000), ("native noop", "native-noop", 1_000_000)] {
        let off = runtime.open_target(&TargetSpec::new(adapter)).await.unwrap();
        let on = runtime
            .open_target(
                &TargetSpec::new(adapter)
                    .with("retry_policy", json!({"max_retries": 3}))
                    .with("circuit_breaker", json!({"failure_threshold": 5})),
            )
            .await
            .unwrap();
        let (a, b) =
            (per_second(runtime, &off, &signal, n).await, per_second(runtime, &on, &signal, n).await);
        println!("| {label:<43} | {a:>16.0} | {b:>15.0} | {:>7.1}% |", (a / b - 1.0) * 100.0);
    }
}

async fn batching(runtime: &Runtime) {
    let port = server().await;
    let url = format!("http://127.0.0.1:{port}/bulk");
    println!("\n| http through a bus, 20,000 signals | signals/s |");
    println!("|------------------------------------|----------:|");
    let mut rates = Vec::new();
    for (label, batch) in [("unbatched", None), ("batch_size = 100", Some(100))] {
        let mut spec = TargetSpec::new("http").with("url", json!(url));
        if let Some(size) = batch {
            spec = spec.with("batch_size", json!(size)).with("batch_timeout", json!(50));
        }
        let bus = runtime.bus(label);
        let options = SubscribeOptions {
            queue_capacity: 4096,
            when_full: WhenFull::Wait,
            ..SubscribeOptions::default()
        };
        bus.subscribe("bench.*", vec![spec], options).await.unwrap();
        let signals: Vec<Signal> =
            (0..20_000).map(|_| Signal::builder("bench.event", "/bench").build().unwrap()).collect();
        let start = Instant::now();
        for chunk in signals.chunks(500) {
            bus.publish(chunk.to_vec()).await.unwrap();
        }
        assert!(bus.shutdown(Duration::from_secs(600)).await.is_complete());
        let rate = 20_000.0 / start.elapsed().as_secs_f64();
        rates.push(rate);
        println!("| {label:<34} | {rate:>9.0} |");
    }
    println!("| ratio                              | {:>8.1}x |", rates[1] / rates[0]);
    assert!(runtime.dead_letters().list().unwrap().is_empty(), "every signal was delivered");
}

fn main() {
    let cache = std::env::temp_dir().join(format!("jido-bench-resilience-{}", std::process::id()));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let runtime = Runtime::builder()
            .compile_cache(Some(cache.clone()))
            .allow_private(vec![IpNet::parse("127.0.0.0/8").unwrap()])
            .build()
            .unwrap();
        runtime.register_adapter("native-noop", Arc::new(SharedEndpoint::new(NativeNoop)));
        guarantees(&runtime).await;
        batching(&runtime).await;
    });
    let _ = std::fs::remove_dir_all(cache);
}
