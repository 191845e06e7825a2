//! Daemon benchmarks: durable ingress (signals accepted per second, single and batched) and
//! end-to-end latency from `POST /signals` to a webhook receiver at a steady 1,000 signals/s.
//!
//! Run: `cargo bench -p jido-dispatch --bench ingress` (`JIDO_BENCH_IN_FLIGHT=N` sets the
//! webhook target's `max_in_flight`, default 16; `JIDO_BENCH_ONLY=tracing` instead compares
//! accepted-and-delivered/s with OTLP export on and off, in one run, and
//! `JIDO_BENCH_ONLY=attempts` with the attempt log (`[store] attempt_log`) on and off;
//! `JIDO_BENCH_ONLY=retention` soaks 1,000,000 signals (`JIDO_BENCH_SIGNALS`) through a
//! history budget of 64 MiB and reports what the store holds). The daemon, the load generator and
//! the receiver share this process and the machine's cores; the store is a SQLite file in
//! the temp directory (WAL, `synchronous = FULL`).

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::time::{Duration, Instant};

use jido_dispatch::Runtime;
use jido_dispatch::daemon::{Config, Daemon};
use serde_json::json;

#[path = "support/receiver.rs"]
mod receiver;
use receiver::receiver;

fn event(i: usize) -> serde_json::Value {
    json!({"type": "bench.event", "source": "/bench", "id": format!("e-{i}"), "data": {"n": i, "pad": "x".repeat(120)}})
}

/// Posts `total` signals from `clients` concurrent clients, `per_request` per request.
async fn ingress(base: &str, clients: usize, total: usize, per_request: usize, offset: usize) -> f64 {
    let client = reqwest::Client::new();
    let start = Instant::now();
    let mut tasks = Vec::new();
    let requests = total / per_request;
    for c in 0..clients {
        let (client, url) = (client.clone(), format!("{base}/signals"));
        tasks.push(tokio::spawn(async move {
            for r in (c..requests).step_by(clients) {
                let first = offset + r * per_request;
                let (content_type, body) = if per_request == 1 {
                    ("application/cloudevents+json", event(first).to_string())
                } else {
                    let batch: Vec<_> = (first..first + per_request).map(event).collect();
                    ("application/cloudevents-batch+json", json!(batch).to_string())
                };
                let response =
                    client.post(&url).header("content-type", content_type).body(body).send().await.unwrap();
                assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// An OTLP/HTTP collector that takes everything and keeps nothing; its base URL.
async fn collector() -> String {
    let app = axum::Router::new().fallback(|_body: axum::body::Bytes| async { "" });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://127.0.0.1:{port}")
}

/// A variant of the daemon: extra `[store]` keys and `[telemetry]` section.
#[derive(Debug, Clone, Copy)]
struct Variant<'a> {
    store: &'a str,
    telemetry: &'a str,
}

/// A daemon delivering `bench.**` to its own receiver, configured as `variant` says.
async fn daemon(
    name: &str,
    variant: Variant<'_>,
) -> (Daemon, String, std::sync::Arc<receiver::Count>, std::path::PathBuf) {
    let (port, _, count) = receiver(Duration::ZERO).await;
    let dir = std::env::temp_dir().join(format!("jido-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let Variant { store, telemetry } = variant;
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\npath = \"{}\"\n{store}\n[egress]\nallow_private = [\"127.0.0.0/8\"]\n{telemetry}[[subscriptions]]\npath = \"bench.**\"\ndispatch = {{ adapter = \"webhook\", url = \"http://127.0.0.1:{port}/hook\", secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\" }}\n",
        dir.join("store.sqlite").display()
    );
    let config = Config::parse(&text, "bench", dir.clone()).unwrap();
    let cache = std::env::temp_dir().join("jido-bench-cache");
    let daemon = Daemon::start(config, Runtime::builder().compile_cache(Some(cache))).await.unwrap();
    let base = format!("http://{}", daemon.address());
    (daemon, base, count, dir)
}

/// Accepted-and-delivered/s of two variants (`what` off, then on): one daemon each,
/// eight rounds of 20,000 signals (batches of 100) to each, the order alternating so drift
/// hits both alike; the middle four of each are averaged.
async fn on_off(what: &str, variants: [Variant<'_>; 2]) {
    let mut daemons = Vec::new();
    for (i, variant) in variants.into_iter().enumerate() {
        daemons.push(daemon(&format!("{what}-{i}"), variant).await);
    }
    let mut rates: [Vec<f64>; 2] = Default::default();
    for round in 0..8 {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let (_, base, count, _) = &daemons[i];
            let start = Instant::now();
            ingress(base, 4, 20_000, 100, round * 20_000).await;
            count.wait_for((round + 1) * 20_000).await;
            rates[i].push(20_000.0 / start.elapsed().as_secs_f64());
        }
    }
    for (daemon, _, _, dir) in daemons {
        daemon.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    for list in &mut rates {
        list.sort_by(f64::total_cmp);
    }
    let middle = |list: &[f64]| list[2..6].iter().sum::<f64>() / 4.0;
    let (off, on) = (middle(&rates[0]), middle(&rates[1]));
    println!("| accepted and delivered/s, batches of 100, webhook | {what} off | {what} on | on / off |");
    println!("|----------------------------------------------------|---------:|--------:|---------:|");
    println!(
        "| middle 4 of 8 rounds of 20,000                     | {off:>8.0} | {on:>7.0} | {:>8.2} |",
        on / off
    );
    println!(
        "(rounds off: {:?}; on: {:?})",
        rates[0].iter().map(|r| r.round()).collect::<Vec<_>>(),
        rates[1].iter().map(|r| r.round()).collect::<Vec<_>>()
    );
}

/// Posts `JIDO_BENCH_SIGNALS` (default 1,000,000) signals through a daemon whose history
/// may hold 64 MiB, then reports what the history holds and the store's size on disk.
async fn retention_soak() {
    let total: usize =
        std::env::var("JIDO_BENCH_SIGNALS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let budget = 64usize << 20;
    let store = format!("retention_bytes = {budget}");
    let (daemon, base, count, dir) = daemon("retention", Variant { store: &store, telemetry: "" }).await;
    let start = Instant::now();
    let mut peak = (0u64, 0u64);
    for round in 0..total / 20_000 {
        ingress(&base, 4, 20_000, 100, round * 20_000).await;
        count.wait_for((round + 1) * 20_000).await;
        let (db, wal) = disk_bytes(&dir);
        peak = (peak.0.max(db), peak.1.max(wal));
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    daemon.shutdown().await;
    let connection = rusqlite::Connection::open(dir.join("store.sqlite")).unwrap();
    let held: (i64, i64, i64) = connection
        .query_row(
            "SELECT (SELECT coalesce(sum(bytes), 0) FROM signals) + (SELECT coalesce(sum(bytes), 0) FROM attempts),
                    (SELECT count(*) FROM signals), (SELECT count(*) FROM attempts)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    println!(
        "| signals posted and delivered | history budget | history held | rows (signals, attempts) | database, WAL (peaks) | delivered/s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {total} | {} MiB | {:.1} MiB | {}, {} | {:.1} MiB, {:.1} MiB | {rate:.0} |",
        budget >> 20,
        held.0 as f64 / 1048576.0,
        held.1,
        held.2,
        peak.0 as f64 / 1048576.0,
        peak.1 as f64 / 1048576.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Bytes of the store's database and WAL files.
fn disk_bytes(dir: &std::path::Path) -> (u64, u64) {
    let size = |name: &str| std::fs::metadata(dir.join(name)).map_or(0, |m| m.len());
    (size("store.sqlite"), size("store.sqlite-wal"))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let only = std::env::var("JIDO_BENCH_ONLY").unwrap_or_default();
    if only == "tracing" {
        rt.block_on(async {
            let otlp = format!("[telemetry]\notlp_endpoint = \"{}\"\n", collector().await);
            let off = Variant { store: "attempt_log = false", telemetry: "" };
            on_off("OTLP", [off, Variant { telemetry: &otlp, ..off }]).await;
        });
        return;
    }
    if only == "retention" {
        rt.block_on(retention_soak());
        return;
    }
    if only == "attempts" {
        let off = Variant { store: "attempt_log = false", telemetry: "" };
        rt.block_on(on_off("attempt log", [off, Variant { store: "attempt_log = true", ..off }]));
        return;
    }
    let in_flight: u32 =
        std::env::var("JIDO_BENCH_IN_FLIGHT").ok().and_then(|v| v.parse().ok()).unwrap_or(16);
    rt.block_on(async {
        let (port, arrivals, count) = receiver(Duration::ZERO).await;
        let dir = std::env::temp_dir().join(format!("jido-bench-ingress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let text = format!(
            r#"
[server]
listen = "127.0.0.1:0"
[store]
path = "{}"
[egress]
allow_private = ["127.0.0.0/8"]
[[subscriptions]]
path = "bench.**"
dispatch = {{ adapter = "webhook", url = "http://127.0.0.1:{port}/hook", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", max_in_flight = {in_flight} }}
"#,
            dir.join("store.sqlite").display()
        );
        let config = Config::parse(&text, "bench", dir.clone()).unwrap();
        let cache = std::env::temp_dir().join("jido-bench-cache");
        let daemon = Daemon::start(config, Runtime::builder().compile_cache(Some(cache))).await.unwrap();
        let base = format!("http://{}", daemon.address());

        println!("| durable ingress (202 after commit), webhook max_in_flight = {in_flight:<2} | accepted/s | accepted and delivered/s |");
        println!("|-------------------------------------------------|-----------:|-------------------------:|");
        let mut sent = 0;
        for (label, clients, total, per_request) in
            [("single events, 16 concurrent clients", 16, 20_000, 1), ("batches of 100, 4 concurrent clients", 4, 100_000, 100)]
        {
            let start = Instant::now();
            let rate = ingress(&base, clients, total, per_request, sent).await;
            sent += total;
            count.wait_for(sent).await;
            let through = total as f64 / start.elapsed().as_secs_f64();
            println!("| {label:<47} | {rate:>10.0} | {through:>24.0} |");
        }

        // Latency at a steady 1,000 signals/s for 5 s (after the backlog above drained).
        let client = reqwest::Client::new();
        let mut sends: Vec<(String, Instant)> = Vec::new();
        let mut ticker = tokio::time::interval(Duration::from_millis(1));
        let mut inflight = Vec::new();
        for i in 0..5000 {
            ticker.tick().await;
            let id = sent + i;
            sends.push((format!("e-{id}"), Instant::now()));
            let request = client
                .post(format!("{base}/signals"))
                .header("content-type", "application/cloudevents+json")
                .body(event(id).to_string())
                .send();
            inflight.push(tokio::spawn(request));
        }
        for request in inflight {
            assert_eq!(request.await.unwrap().unwrap().status(), reqwest::StatusCode::ACCEPTED);
        }
        sent += 5000;
        count.wait_for(sent).await;
        let mut latencies: Vec<f64> = {
            let seen = arrivals.lock().unwrap();
            sends.iter().map(|(id, at)| seen[id].duration_since(*at).as_secs_f64() * 1e3).collect()
        };
        latencies.sort_by(f64::total_cmp);
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!(
            "\n| end-to-end POST → webhook receiver at 1,000 signals/s (5,000 signals) | p50 {:.2} ms | p99 {:.2} ms | max {:.2} ms |",
            pct(0.5),
            pct(0.99),
            latencies[latencies.len() - 1]
        );
        daemon.shutdown().await;
        let _ = std::fs::remove_dir_all(&dir);
    });
}
