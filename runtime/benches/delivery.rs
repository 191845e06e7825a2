//! Delivery cost benchmarks: Wasm adapters vs native adapters behind the same API.
//!
//! Run: `cargo bench -p jido-dispatch --bench delivery`. Prints one table; each figure
//! is the median of 7 rounds. Native and Wasm are measured in the same run, so compare
//! their ratio rather than absolute numbers across machines.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jido_dispatch::adapter::{
    BoxFuture, DeliveryContext, DeliveryError, Endpoint, NativeNoop, SharedEndpoint,
};
use jido_dispatch::host::{AdapterConfig, Stdio};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch::{Runtime, Target};

const ROUNDS: usize = 7;

/// Native equivalent of `console` with `format = "json"`: encode, write to a sink.
struct NativeConsoleJson;

impl Endpoint for NativeConsoleJson {
    fn deliver<'a>(
        &'a self,
        signal: &'a Signal,
        _ctx: DeliveryContext,
    ) -> BoxFuture<'a, Result<(), DeliveryError>> {
        Box::pin(async move {
            use std::io::Write as _;
            let mut line = signal.to_json();
            line.push('\n');
            std::io::sink()
                .write_all(line.as_bytes())
                .map_err(|e| DeliveryError::retryable("io", e.to_string()))
        })
    }
}

fn signal_with(bytes: usize) -> Signal {
    // A JSON string of the requested size (minus the quotes) as data.
    let data = serde_json::Value::String("x".repeat(bytes.saturating_sub(2)));
    Signal::builder("bench.event", "/bench").subject("s").data_json(&data).build().unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Median time per delivery of `signal` to `target`.
async fn per_delivery(runtime: &Runtime, target: &Target, signal: &Signal, iterations: u32) -> Duration {
    for _ in 0..iterations / 10 {
        runtime.dispatch(signal, target).await.unwrap();
    }
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..iterations {
            runtime.dispatch(signal, target).await.unwrap();
        }
        rounds.push(start.elapsed() / iterations);
    }
    median(rounds)
}

fn row(name: &str, wasm: Duration, native: Duration) {
    let ratio = wasm.as_secs_f64() / native.as_secs_f64().max(1e-12);
    println!(
        "| {name:<34} | {:>10.3} µs | {:>10.3} µs | {ratio:>7.1}x |",
        wasm.as_secs_f64() * 1e6,
        native.as_secs_f64() * 1e6
    );
}

async fn deliveries(cache: &std::path::Path) {
    let runtime = Runtime::builder()
        .compile_cache(Some(cache.to_path_buf()))
        .console_stdio(Stdio::Closed)
        .build()
        .unwrap();
    runtime.register_adapter("native-noop", Arc::new(SharedEndpoint::new(NativeNoop)));
    runtime.register_adapter("native-console", Arc::new(SharedEndpoint::new(NativeConsoleJson)));
    let open = |spec: TargetSpec| {
        let runtime = runtime.clone();
        async move { runtime.open_target(&spec).await.unwrap() }
    };
    let wasm_noop = open(TargetSpec::new("noop")).await;
    let native_noop = open(TargetSpec::new("native-noop")).await;
    let wasm_console = open(TargetSpec::new("console").with("format", "json".into())).await;
    let native_console = open(TargetSpec::new("native-console")).await;

    println!("| delivery (reused instance)         |       Wasm    |     native    |   ratio |");
    println!("|------------------------------------|---------------|---------------|---------|");
    for (label, size, iterations) in [("200 B", 200, 100_000), ("64 KiB", 64 * 1024, 10_000)] {
        let signal = signal_with(size);
        let wasm = per_delivery(&runtime, &wasm_noop, &signal, iterations).await;
        let native = per_delivery(&runtime, &native_noop, &signal, iterations).await;
        row(&format!("noop, {label} data"), wasm, native);
    }
    for (label, size, iterations) in [("200 B", 200, 50_000), ("64 KiB", 64 * 1024, 5_000)] {
        let signal = signal_with(size);
        let wasm = per_delivery(&runtime, &wasm_console, &signal, iterations).await;
        let native = per_delivery(&runtime, &native_console, &signal, iterations).await;
        row(&format!("console json → sink, {label} data"), wasm, native);
    }
}

async fn instantiation(cache: &std::path::Path) {
    let runtime = Runtime::builder().compile_cache(Some(cache.to_path_buf())).build().unwrap();
    let bytes = jido_dispatch::builtin::get("noop").unwrap().component;
    let per_round = 16;
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let mut config = AdapterConfig::default();
        config.limits.max_instances = per_round;
        let (adapter, _) = runtime.host().load("noop", bytes, config).unwrap();
        let start = Instant::now();
        adapter.pool().prewarm(per_round).await.unwrap();
        rounds.push(start.elapsed() / per_round as u32);
    }
    println!(
        "\n| instantiation (pooling allocator, InstancePre) | {:>8.1} µs per instance |",
        median(rounds).as_secs_f64() * 1e6
    );
}

fn startup() {
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for round in 0..ROUNDS {
        let dir = std::env::temp_dir().join(format!("jido-bench-startup-{}-{round}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for samples in [&mut cold, &mut warm] {
            let start = Instant::now();
            let runtime = Runtime::builder().compile_cache(Some(dir.clone())).build().unwrap();
            runtime.preload().unwrap();
            samples.push(start.elapsed());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "\n| startup: engine + all {} built-ins ready | cold cache {:>7.1} ms | warm cache {:>6.1} ms |",
        jido_dispatch::builtin::all().len(),
        ms(median(cold)),
        ms(median(warm))
    );
}

fn main() {
    let cache = std::env::temp_dir().join(format!("jido-bench-cache-{}", std::process::id()));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(deliveries(&cache));
    // `JIDO_BENCH_ONLY=deliveries` stops after the delivery rows (e.g. under a profiler).
    if std::env::var("JIDO_BENCH_ONLY").as_deref() != Ok("deliveries") {
        rt.block_on(instantiation(&cache));
        startup();
    }
    let _ = std::fs::remove_dir_all(&cache);
}
