//! Tenant isolation benchmarks: a well-behaved tenant's throughput while another tenant's
//! adapter loops forever, memory per loaded idle tenant adapter, and what the limits cost
//! on the happy path.
//!
//! Run: `cargo bench -p jido-dispatch --bench tenants` (multi-thread tokio runtime, 2
//! workers; medians of 5 rounds).

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jido_dispatch::host::{AdapterConfig, EngineSettings, Limits, TenantSpec};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch::{Runtime, Target};

const ROUNDS: usize = 5;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn component(name: &str) -> &'static [u8] {
    jido_dispatch::builtin::get(name).unwrap().component
}

fn tenant(name: &str) -> Option<TenantSpec> {
    Some(TenantSpec { name: name.to_owned(), max_concurrency: 8 })
}

fn signal(ty: &str) -> Signal {
    Signal::builder(ty, "/bench").data_json(&serde_json::json!({"pad": "x".repeat(150)})).build().unwrap()
}

/// Deliveries per second to `target` from one task over `window`.
async fn throughput(runtime: &Runtime, target: &Target, window: Duration) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..1)
        .map(|_| {
            let (runtime, target, stop) = (runtime.clone(), target.clone(), stop.clone());
            tokio::spawn(async move {
                let (s, mut n) = (signal("good"), 0u64);
                while !stop.load(Ordering::Relaxed) {
                    runtime.dispatch(&s, &target).await.unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    tokio::time::sleep(window).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// The good tenant's throughput alone, then with `loops` looping calls of another tenant
/// running all the time (each re-issued when its time limit ends it).
async fn isolation(cache: &std::path::Path) {
    let runtime = Runtime::builder().compile_cache(Some(cache.to_path_buf())).build().unwrap();
    let good_config = AdapterConfig { tenant: tenant("good"), ..AdapterConfig::default() };
    runtime.load_adapter("good", component("noop"), good_config).await.unwrap();
    let good = runtime.open_target(&TargetSpec::new("good")).await.unwrap();
    let limits = Limits { call_timeout: Duration::from_secs(10), ..Limits::default() };
    let looper = std::env::var("JIDO_BENCH_LOOPER").ok().map(std::fs::read);
    let Some(Ok(looper)) = looper else {
        println!("(isolation skipped: set JIDO_BENCH_LOOPER to a looping component, see BENCHMARKS.md)");
        return;
    };
    let evil_config = AdapterConfig { limits, tenant: tenant("evil"), ..AdapterConfig::default() };
    runtime.load_adapter("evil", &looper, evil_config).await.unwrap();
    let evil = runtime.open_target(&TargetSpec::new("evil")).await.unwrap();
    println!("| good tenant (Wasm noop, one task)       | deliveries/s | vs alone |");
    println!("|-----------------------------------------|-------------:|---------:|");
    // Alone is measured before and after the attacks; the better of the two is the base.
    let alone = median(futures_rounds(&runtime, &good).await);
    println!("| alone                                   | {alone:>12.0} |   100.0% |");
    for loops in [1, 2, 4] {
        let stop = Arc::new(AtomicBool::new(false));
        let attackers: Vec<_> = (0..loops)
            .map(|_| {
                let (runtime, evil, stop) = (runtime.clone(), evil.clone(), stop.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let _ = runtime.dispatch(&signal("loop"), &evil).await;
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let with = median(futures_rounds(&runtime, &good).await);
        stop.store(true, Ordering::Relaxed);
        for attacker in attackers {
            attacker.abort();
        }
        println!(
            "| while {loops} looping call(s) of tenant B   | {with:>12.0} | {:>7.1}% |",
            with / alone * 100.0
        );
    }
    let after = median(futures_rounds(&runtime, &good).await);
    println!("| alone again, after the attacks          | {after:>12.0} | {:>7.1}% |", after / alone * 100.0);
}

async fn futures_rounds(runtime: &Runtime, target: &Target) -> Vec<f64> {
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        rounds.push(throughput(runtime, target, Duration::from_millis(400)).await);
    }
    rounds
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// RSS growth per adapter when 1,000 tenants each load the same component (idle: no
/// instance until a first delivery).
async fn memory(cache: &std::path::Path) {
    let runtime = Runtime::builder().compile_cache(Some(cache.to_path_buf())).build().unwrap();
    runtime.load_adapter("warm", component("http"), AdapterConfig::default()).await.unwrap();
    let before = rss_bytes();
    for i in 0..1000 {
        let config = AdapterConfig { tenant: tenant(&format!("tenant-{i}")), ..AdapterConfig::default() };
        runtime.load_adapter(&format!("a{i}"), component("http"), config).await.unwrap();
    }
    let per = (rss_bytes().saturating_sub(before)) as f64 / 1000.0;
    println!(
        "\n| 1,000 loaded idle tenant adapters (http component) | {:.1} KiB each beyond the shared code |",
        per / 1024.0
    );
}

/// Per-delivery cost of noop as a trusted built-in, as a tenant adapter (tenant cap,
/// throttle guard, log budget), and with fuel metering on top.
async fn limits_cost(cache: &std::path::Path) {
    let n = 100_000;
    let mut rows = Vec::new();
    for (label, fuel) in [
        ("built-in noop (no tenant limits)", false),
        ("tenant adapter (cap, guard, log budget)", false),
        ("tenant adapter + fuel metering", true),
    ] {
        let engine = EngineSettings { fuel, ..EngineSettings::default() };
        let runtime =
            Runtime::builder().engine(engine).compile_cache(Some(cache.to_path_buf())).build().unwrap();
        let target = if label.starts_with("built-in") {
            runtime.open_target(&TargetSpec::new("noop")).await.unwrap()
        } else {
            let limits = Limits { fuel: fuel.then_some(10_000_000), ..Limits::default() };
            let config = AdapterConfig { limits, tenant: tenant("t"), ..AdapterConfig::default() };
            runtime.load_adapter("t-noop", component("noop"), config).await.unwrap();
            runtime.open_target(&TargetSpec::new("t-noop")).await.unwrap()
        };
        let s = signal("x");
        let mut rounds = Vec::new();
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for _ in 0..n {
                runtime.dispatch(&s, &target).await.unwrap();
            }
            rounds.push(start.elapsed().as_secs_f64() / f64::from(n) * 1e6);
        }
        rows.push((label, median(rounds)));
    }
    println!("\n| happy path, one task                         | µs per delivery | vs built-in |");
    println!("|----------------------------------------------|----------------:|------------:|");
    let base = rows[0].1;
    for (label, us) in rows {
        println!("| {label:<44} | {us:>15.3} | {:>10.2}x |", us / base);
    }
}

fn main() {
    let cache = std::env::temp_dir().join("jido-bench-cache");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        isolation(&cache).await;
        memory(&cache).await;
        limits_cost(&cache).await;
    });
}
