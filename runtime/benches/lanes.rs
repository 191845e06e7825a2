//! Delivery lanes: concurrency per target against a slow receiver, one unordered webhook
//! lane against raw reqwest, and the daemon with a dead target whose backlog grows (the
//! healthy subscription's latency, and the process's memory).
//!
//! Run: `cargo bench -p jido-dispatch --bench lanes`
//! (`JIDO_BENCH_ONLY=slow|fast|curve|dead|rss` runs one part; `curve` also draws
//! `docs/charts/lanes-concurrency.svg`; `lane`, `direct` and `raw` run one row of `fast` ten
//! times longer, for `perf record`). Receivers, load and daemon share this process and the
//! machine's cores.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jido_dispatch::Runtime;
use jido_dispatch::bus::{SubscribeOptions, WhenFull};
use jido_dispatch::daemon::{Config, Daemon};
use jido_dispatch::host::http::IpNet;
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use serde_json::json;

#[path = "support/chart.rs"]
mod chart;
#[path = "support/receiver.rs"]
mod receiver;
#[path = "support/sign.rs"]
mod sign;
use sign::{SECRET, standard_signature};

/// A receiver answering after `delay`: its URL, arrivals and count.
async fn receiver(delay: Duration) -> (String, receiver::Arrivals, Arc<receiver::Count>) {
    let (port, arrivals, count) = receiver::receiver(delay).await;
    (format!("http://127.0.0.1:{port}/hook"), arrivals, count)
}

fn runtime() -> Runtime {
    Runtime::builder()
        .compile_cache(Some(std::env::temp_dir().join("jido-bench-cache")))
        .allow_private(vec![IpNet::parse("127.0.0.0/8").unwrap()])
        .build()
        .unwrap()
}

fn signal(i: usize) -> Signal {
    Signal::builder("bench.event", "/bench")
        .id(format!("s-{i}"))
        .data_json(&json!({"n": i, "pad": "x".repeat(120)}))
        .build()
        .unwrap()
}

/// Signals/s through one webhook lane with `max_in_flight`, to a receiver taking `delay`.
async fn lane_rate(delay: Duration, max_in_flight: u64, count: usize) -> f64 {
    let (url, _, arrived) = receiver(delay).await;
    let runtime = runtime();
    let bus = runtime.bus("bench");
    let target = TargetSpec::new("webhook")
        .with("url", url.into())
        .with("secret", SECRET.into())
        .with("max_in_flight", max_in_flight.into());
    let options =
        SubscribeOptions { queue_capacity: count, when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    bus.subscribe("bench.*", vec![target], options).await.unwrap();
    bus.publish(vec![signal(usize::MAX)]).await.unwrap();
    arrived.wait_for(1).await;
    let start = Instant::now();
    bus.publish((0..count).map(signal).collect()).await.unwrap();
    arrived.wait_for(count + 1).await;
    count as f64 / start.elapsed().as_secs_f64()
}

/// Signals/s from 16 workers calling `Target::deliver` on one webhook target directly (no
/// bus, no lane): the adapter path alone.
async fn direct_rate(count: usize) -> f64 {
    let (url, _, _) = receiver(Duration::ZERO).await;
    let runtime = runtime();
    let spec = TargetSpec::new("webhook").with("url", url.into()).with("secret", SECRET.into());
    let target = Arc::new(runtime.open_target(&spec).await.unwrap());
    target.deliver(&signal(usize::MAX)).await.unwrap();
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..16 {
        let target = target.clone();
        workers.push(tokio::spawn(async move {
            for i in (w..count).step_by(16) {
                target.deliver(&signal(i)).await.unwrap();
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// Signed requests/s from raw reqwest with `concurrency` workers: the limit a lane is held to.
async fn raw_rate(concurrency: usize, count: usize) -> f64 {
    let (url, _, _) = receiver(Duration::ZERO).await;
    let client = reqwest::Client::new();
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (client, url) = (client.clone(), url.clone());
        workers.push(tokio::spawn(async move {
            for i in (w..count).step_by(concurrency) {
                let signal = signal(i);
                let body = signal.to_json().into_bytes();
                let ts = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    .to_string();
                let response = client
                    .post(&url)
                    .header("content-type", "application/cloudevents+json; charset=utf-8")
                    .header("webhook-id", signal.id.as_str())
                    .header("webhook-timestamp", ts.as_str())
                    .header("webhook-signature", standard_signature(&signal.id, &ts, &body))
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert!(response.status().is_success());
                response.bytes().await.unwrap();
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A daemon with a healthy subscription (`ok.*`) and, if `dead`, one for every signal
/// (`**`) whose receiver port has nothing listening (retried every minute).
async fn daemon(healthy_url: &str, name: &str, dead: bool) -> (Daemon, String, std::path::PathBuf) {
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("jido-bench-lanes-{name}-{}", std::process::id()));
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
path = "ok.*"
dispatch = {{ adapter = "webhook", url = "{healthy_url}", secret = "{SECRET}" }}
{}"#,
        dir.join("store.sqlite").display(),
        if dead {
            format!(
                r#"[[subscriptions]]
path = "**"
dispatch = {{ adapter = "webhook", url = "http://127.0.0.1:{dead_port}/hook", secret = "{SECRET}", retry_policy = {{ max_retries = 100, backoff = "constant", base_delay = 60000, max_delay = 60000, jitter = false }} }}
"#
            )
        } else {
            String::new()
        }
    );
    let config = Config::parse(&text, "bench", dir.clone()).unwrap();
    let cache = std::env::temp_dir().join("jido-bench-cache");
    let daemon = Daemon::start(config, Runtime::builder().compile_cache(Some(cache))).await.unwrap();
    let base = format!("http://{}", daemon.address());
    (daemon, base, dir)
}

/// Posts `count` `dead.x` signals in batches of 500.
async fn grow_dead_backlog(base: &str, count: usize, offset: usize) {
    let client = reqwest::Client::new();
    for start in (0..count).step_by(500) {
        let batch: Vec<_> = (start..(start + 500).min(count))
            .map(|i| json!({"type": "dead.x", "source": "/bench", "id": format!("d-{}", offset + i)}))
            .collect();
        let response = client
            .post(format!("{base}/signals"))
            .header("content-type", "application/cloudevents-batch+json")
            .body(json!(batch).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::ACCEPTED);
    }
}

/// p50 and p99 (ms) of POST → healthy receiver at 500 signals/s for `seconds`. With a dead
/// target: its backlog is first grown to `before` signals, then every measured signal goes
/// to it as well (`grow_along`: besides, its backlog is flooded with that many more signals
/// as fast as ingress takes them, during the measurement).
async fn healthy_p99(dead: bool, before: usize, grow_along: usize, seconds: usize) -> (f64, f64) {
    let (url, arrivals, count) = receiver(Duration::ZERO).await;
    let (daemon, base, dir) = daemon(&url, &format!("p99-{dead}-{grow_along}"), dead).await;
    grow_dead_backlog(&base, before, 10_000_000).await;
    let grower = {
        let base = base.clone();
        tokio::spawn(async move { grow_dead_backlog(&base, grow_along, 0).await })
    };
    let client = reqwest::Client::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(2));
    let mut sends = Vec::new();
    let mut inflight = Vec::new();
    let total = seconds * 500;
    for i in 0..total {
        ticker.tick().await;
        let id = format!("ok-{i}");
        sends.push((id.clone(), Instant::now()));
        let body = json!({"type": "ok.x", "source": "/bench", "id": id}).to_string();
        inflight.push(tokio::spawn(
            client
                .post(format!("{base}/signals"))
                .header("content-type", "application/cloudevents+json")
                .body(body)
                .send(),
        ));
    }
    for request in inflight {
        assert_eq!(request.await.unwrap().unwrap().status(), reqwest::StatusCode::ACCEPTED);
    }
    grower.await.unwrap();
    count.wait_for(total).await;
    let mut latencies: Vec<f64> = {
        let seen = arrivals.lock().unwrap();
        sends.iter().map(|(id, at)| seen[id].duration_since(*at).as_secs_f64() * 1e3).collect()
    };
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    daemon.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
    (pct(0.5), pct(0.99))
}

fn wanted(part: &str) -> bool {
    std::env::var("JIDO_BENCH_ONLY").map_or(true, |only| only == part)
}

/// Deliveries/s of one unordered webhook lane and of raw reqwest (the limit) as concurrency
/// grows, against a fast receiver: a table, and the chart for `BENCHMARKS.md`.
async fn concurrency_curve() {
    let (mut lane, mut raw) = (Vec::new(), Vec::new());
    println!(
        "| fast receiver, 10,000 signed requests | webhook lane req/s | raw reqwest req/s | lane / raw |"
    );
    println!("|---|---:|---:|---:|");
    for concurrency in [1u64, 2, 4, 8, 16, 32, 64] {
        let ours = lane_rate(Duration::ZERO, concurrency, 10_000).await;
        let limit = raw_rate(concurrency as usize, 10_000).await;
        println!("| {concurrency} in flight | {ours:.0} | {limit:.0} | {:.2} |", ours / limit);
        lane.push((concurrency as f64, ours));
        raw.push((concurrency as f64, limit));
    }
    let chart = chart::Chart {
        title: "One webhook lane against raw reqwest, fast receiver (same process, 2 cores)".to_owned(),
        x_label: "requests in flight (max_in_flight / raw workers)".to_owned(),
        y_label: "signed requests per second".to_owned(),
        x_scale: chart::Scale::Log2,
        series: vec![
            chart::Series { name: "raw reqwest, same signing (the limit)".to_owned(), points: raw },
            chart::Series {
                name: "webhook lane: bus → Wasm webhook → host http".to_owned(), points: lane
            },
        ],
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/charts/lanes-concurrency.svg");
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/charts")).unwrap();
    std::fs::write(path, chart.to_svg()).unwrap();
    println!("chart: docs/charts/lanes-concurrency.svg\n");
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        if wanted("slow") {
            let many = lane_rate(Duration::from_millis(50), 16, 2000).await;
            let one = lane_rate(Duration::from_millis(50), 1, 60).await;
            println!("| receiver answering in 50 ms, one webhook lane | delivered/s |");
            println!("|------------------------------------------------|------------:|");
            println!("| max_in_flight = 16, 2,000 signals              | {many:>11.1} |");
            println!("| max_in_flight = 1 (one at a time), 60 signals  | {one:>11.1} |");
            println!("| aim: ≥ 0.9 × 16 / 0.05 s = 288/s; ratio 16 vs 1: {:.1}x\n", many / one);
        }
        if wanted("fast") {
            let lane = lane_rate(Duration::ZERO, 16, 20_000).await;
            let direct = direct_rate(20_000).await;
            let raw = raw_rate(16, 20_000).await;
            println!("| fast receiver, 16 in flight, 20,000 signed requests | req/s |");
            println!("|-----------------------------------------------------|------:|");
            println!("| webhook lane (bus → Wasm webhook → host http)        | {lane:>5.0} |");
            println!("| Target::deliver from 16 tasks (no bus, no lane)      | {direct:>5.0} |");
            println!("| raw reqwest, same signing, same concurrency          | {raw:>5.0} |");
            println!("| ratio lane / raw: {:.2} (aim ≥ 0.8)\n", lane / raw);
        }
        if wanted("curve") {
            concurrency_curve().await;
        }
        if std::env::var("JIDO_BENCH_ONLY").is_ok_and(|only| only == "direct") {
            // For profiling: the adapter path alone, long enough to sample.
            println!("direct: {:.0}/s", direct_rate(200_000).await);
        }
        if std::env::var("JIDO_BENCH_ONLY").is_ok_and(|only| only == "lane") {
            println!("lane: {:.0}/s", lane_rate(Duration::ZERO, 16, 200_000).await);
        }
        if std::env::var("JIDO_BENCH_ONLY").is_ok_and(|only| only == "raw") {
            println!("raw: {:.0}/s", raw_rate(16, 200_000).await);
        }
        if wanted("dead") {
            // Warm-up: the first daemon of the process pays for loading components. Then three
            // rounds, the three setups in turn; medians.
            healthy_p99(false, 0, 0, 2).await;
            let mut rounds: [Vec<(f64, f64)>; 3] = Default::default();
            for _ in 0..3 {
                rounds[0].push(healthy_p99(false, 0, 0, 10).await);
                rounds[1].push(healthy_p99(true, 45_000, 0, 10).await);
                rounds[2].push(healthy_p99(true, 0, 50_000, 10).await);
            }
            let median = |runs: &mut Vec<(f64, f64)>| {
                println!("  rounds (p50, p99 ms): {runs:.2?}");
                let mut p50: Vec<f64> = runs.iter().map(|r| r.0).collect();
                let mut p99: Vec<f64> = runs.iter().map(|r| r.1).collect();
                p50.sort_by(f64::total_cmp);
                p99.sort_by(f64::total_cmp);
                (p50[p50.len() / 2], p99[p99.len() / 2])
            };
            let (p50_alone, p99_alone) = median(&mut rounds[0]);
            let (p50_dead, p99_dead) = median(&mut rounds[1]);
            let (p50_flood, p99_flood) = median(&mut rounds[2]);
            println!("| healthy subscription at 500 signals/s, 10 s (medians of 3)   | p50 ms | p99 ms |");
            println!("|--------------------------------------------------------------|-------:|-------:|");
            println!("| no dead target                                               | {p50_alone:>6.2} | {p99_alone:>6.2} |");
            println!("| dead target for every signal, its backlog 45,000 → 50,000    | {p50_dead:>6.2} | {p99_dead:>6.2} |");
            println!("| dead target, 50,000 more posted as fast as ingress takes them | {p50_flood:>6.2} | {p99_flood:>6.2} |");
            println!("| p99 ratio, backlog vs none: {:.2} (aim ≤ 2); with the flood: {:.2}\n", p99_dead / p99_alone, p99_flood / p99_alone);
        }
        if wanted("rss") {
            let (url, _, _) = receiver(Duration::ZERO).await;
            let (daemon, base, dir) = daemon(&url, "rss", true).await;
            grow_dead_backlog(&base, 1000, 1_000_000).await;
            let before = rss_kib();
            grow_dead_backlog(&base, 100_000, 0).await;
            let after = rss_kib();
            println!("| dead target's backlog 0 → 100,000 signals | RSS before | RSS after | growth |");
            println!("|--------------------------------------------|-----------:|----------:|-------:|");
            println!(
                "| whole process (daemon + load + receivers)  | {:>6} MiB | {:>5} MiB | {:>3} MiB |",
                before / 1024,
                after / 1024,
                after.saturating_sub(before) / 1024
            );
            daemon.shutdown().await;
            let _ = std::fs::remove_dir_all(dir);
        }
    });
}
