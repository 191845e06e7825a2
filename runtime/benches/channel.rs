//! Channel benchmarks: `pid` delivery through Wasm vs a native tokio channel send, `pubsub`
//! fan-out to 1,000 local subscribers, and cross-node `pubsub` through a real NATS server.
//!
//! Run: `cargo bench -p jido-dispatch --bench channel` (the NATS part starts `nats-server`
//! from `PATH` or `/usr/sbin`, and is skipped with a note when there is none).

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jido_dispatch::Runtime;
use jido_dispatch::cluster::ClusterConfig;
use jido_dispatch::pubsub::DEFAULT_PUBSUB;
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use serde_json::json;
use tokio::sync::mpsc;

const ROUNDS: usize = 7;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn signal() -> Signal {
    Signal::builder("bench.event", "/bench")
        .data_json(&json!({"n": 1, "pad": "x".repeat(150)}))
        .build()
        .unwrap()
}

fn runtime(cache: &std::path::Path) -> Runtime {
    Runtime::builder().compile_cache(Some(cache.to_path_buf())).build().unwrap()
}

/// Signals per second into a mailbox drained by a task: Wasm `pid` (async and sync) vs a
/// native `mpsc` send of the same signal.
async fn pid(cache: &std::path::Path) {
    let n = 100_000;
    let runtime = runtime(cache);
    let signal = signal();
    println!("| pid delivery, {n} signals              | signals/s  |");
    println!("|----------------------------------------|-----------:|");
    let mut native = Vec::new();
    for _ in 0..ROUNDS {
        let (tx, mut rx) = mpsc::channel::<Signal>(1024);
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let start = Instant::now();
        for _ in 0..n {
            tx.send(signal.clone()).await.unwrap();
        }
        drop(tx);
        drain.await.unwrap();
        native.push(f64::from(n) / start.elapsed().as_secs_f64());
    }
    println!("| native tokio mpsc send (clone + send)  | {:>10.0} |", median(native));
    let mut native_sync = Vec::new();
    for _ in 0..ROUNDS {
        let (tx, mut rx) = mpsc::channel::<(Signal, tokio::sync::oneshot::Sender<()>)>(1024);
        let drain = tokio::spawn(async move {
            while let Some((_, ack)) = rx.recv().await {
                let _ = ack.send(());
            }
        });
        let start = Instant::now();
        for _ in 0..n {
            let (ack_tx, ack_rx) = tokio::sync::oneshot::channel();
            tx.send((signal.clone(), ack_tx)).await.unwrap();
            ack_rx.await.unwrap();
        }
        drop(tx);
        drain.await.unwrap();
        native_sync.push(f64::from(n) / start.elapsed().as_secs_f64());
    }
    println!("| native send + wait for oneshot ack     | {:>10.0} |", median(native_sync));
    for (label, is_async) in [("Wasm pid, async = true", true), ("Wasm pid, sync (waits for ack)", false)] {
        let mut rates = Vec::new();
        for _ in 0..ROUNDS {
            let mut mailbox = runtime.mailbox();
            let spec =
                TargetSpec::new("pid").with("target", json!(mailbox.id())).with("async", json!(is_async));
            let target = runtime.open_target(&spec).await.unwrap();
            let drain = tokio::spawn(async move {
                for _ in 0..n {
                    mailbox.recv().await.unwrap().ack();
                }
            });
            let start = Instant::now();
            for _ in 0..n {
                // Async sends fail fast when the mailbox is full; wait for room then.
                while let Err(e) = target.deliver(&signal).await {
                    assert_eq!(e.code(), Some("mailbox_full"), "{e}");
                    tokio::task::yield_now().await;
                }
            }
            drain.await.unwrap();
            rates.push(f64::from(n) / start.elapsed().as_secs_f64());
        }
        println!("| {label:<38} | {:>10.0} |", median(rates));
    }
}

/// One broadcast to 1,000 local subscribers, each drained by its own task.
async fn fan_out(cache: &std::path::Path) {
    let (subscribers, broadcasts) = (1000, 200);
    let runtime = runtime(cache);
    let pubsub = runtime.pubsub(DEFAULT_PUBSUB);
    let target = runtime.open_target(&TargetSpec::new("pubsub").with("topic", json!("fan"))).await.unwrap();
    let signal = signal();
    let mut per_broadcast = Vec::new();
    for _ in 0..ROUNDS {
        let mut drains = Vec::new();
        for _ in 0..subscribers {
            let mut sub = pubsub.subscribe("fan");
            drains.push(tokio::spawn(async move {
                for _ in 0..broadcasts {
                    sub.recv().await.unwrap();
                }
            }));
        }
        let start = Instant::now();
        for _ in 0..broadcasts {
            runtime.dispatch(&signal, &target).await.unwrap();
        }
        for drain in drains {
            drain.await.unwrap();
        }
        per_broadcast.push(start.elapsed().as_secs_f64() / f64::from(broadcasts));
    }
    let t = median(per_broadcast);
    println!(
        "\n| pubsub fan-out to {subscribers} local subscribers | {:.1} µs per broadcast | {:.0} deliveries/s |",
        t * 1e6,
        f64::from(subscribers) / t
    );
}

struct Nats(std::process::Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_nats() -> Option<(Nats, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let binary = ["nats-server", "/usr/sbin/nats-server"].into_iter().find(|b| {
        std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success())
    })?;
    let child = std::process::Command::new(binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    while std::net::TcpStream::connect(addr).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((Nats(child), format!("nats://{addr}")))
}

/// Node A broadcasts through a `pubsub` target; node B's subscriber receives.
async fn cross_node(cache: &std::path::Path) {
    let Some((_server, url)) = start_nats() else {
        println!("\n(cross-node pubsub skipped: no nats-server on PATH or in /usr/sbin)");
        return;
    };
    let (a, b) = (runtime(cache), runtime(cache));
    for (node, name) in [(&a, "a"), (&b, "b")] {
        let config = ClusterConfig { nats_url: url.clone(), node: Some(name.into()) };
        node.join_cluster(&config).await.unwrap();
    }
    let mut sub = b.pubsub(DEFAULT_PUBSUB).subscribe_with_capacity("x", 1 << 20);
    let target = a.open_target(&TargetSpec::new("pubsub").with("topic", json!("x"))).await.unwrap();
    let signal = Arc::new(signal());
    let n = 50_000;
    let mut rates = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..n {
            a.dispatch(&signal, &target).await.unwrap();
        }
        for _ in 0..n {
            sub.recv().await.unwrap();
        }
        rates.push(f64::from(n) / start.elapsed().as_secs_f64());
    }
    let mut latencies = Vec::new();
    for _ in 0..2000 {
        let start = Instant::now();
        a.dispatch(&signal, &target).await.unwrap();
        sub.recv().await.unwrap();
        latencies.push(start.elapsed().as_secs_f64());
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)] * 1e6;
    println!(
        "\n| cross-node pubsub via NATS (loopback) | {:.0} signals/s | latency p50 {:.0} µs, p99 {:.0} µs |",
        median(rates),
        pct(0.50),
        pct(0.99)
    );
}

fn main() {
    let cache = std::env::temp_dir().join("jido-bench-cache");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // `JIDO_BENCH_ONLY=pid|fanout|nats` runs one section (e.g. under a profiler).
    let only = std::env::var("JIDO_BENCH_ONLY").ok();
    let wants = |name: &str| only.as_deref().is_none_or(|o| o == name);
    rt.block_on(async {
        if wants("pid") {
            pid(&cache).await;
        }
        if wants("fanout") {
            fan_out(&cache).await;
        }
        if wants("nats") {
            cross_node(&cache).await;
        }
    });
}
