//! The same adapter logic in four languages: log `"<type> from <source>"` for each signal
//! through the `log` import. Component size, compile time, instantiation time and cost per
//! delivery.
//!
//! Run after building the examples (`guest-examples/*/build.sh`, or `tests/run`):
//! `cargo bench -p jido-dispatch --bench languages`. Rust is the built-in `logger` with
//! `format = "$type from $source"` (the same work: format, then one `log` call). Missing
//! examples are skipped with a note.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use jido_dispatch::Runtime;
use jido_dispatch::host::{AdapterConfig, AdapterHost, CompileCache, EngineSettings};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;

const ROUNDS: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

struct Language {
    name: &'static str,
    bytes: Vec<u8>,
    opts: serde_json::Value,
    wasi_stubs: bool,
}

fn languages() -> Vec<Language> {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../guest-examples");
    let mut all = vec![Language {
        name: "Rust (built-in logger)",
        bytes: jido_dispatch::builtin::get("logger").unwrap().component.to_vec(),
        opts: serde_json::json!({"format": "$type from $source"}),
        wasi_stubs: false,
    }];
    for (name, dir, opts, wasi_stubs) in [
        ("WAT (hand-written)", "wat", serde_json::json!({}), false),
        ("JavaScript (jco, QuickJS)", "javascript", serde_json::json!({}), true),
        ("Python (componentize-py)", "python", serde_json::json!({}), true),
    ] {
        match std::fs::read(examples.join(dir).join("adapter.wasm")) {
            Ok(bytes) => all.push(Language { name, bytes, opts, wasi_stubs }),
            Err(_) => println!("({name} skipped: run guest-examples/{dir}/build.sh first)"),
        }
    }
    all
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        println!("| language | component size | compile (Cranelift) | instantiation | per delivery |");
        println!("|---|---:|---:|---:|---:|");
        for lang in languages() {
            // Compile from scratch (no cache), median of rounds (Python's is slow: 1 round).
            let rounds = if lang.bytes.len() > 4 << 20 { 1 } else { ROUNDS };
            let mut compile = Vec::new();
            for _ in 0..rounds {
                let host = AdapterHost::new(&EngineSettings::default(), CompileCache::new(None)).unwrap();
                let start = Instant::now();
                host.inspect(&lang.bytes).unwrap();
                compile.push(start.elapsed());
            }
            let runtime = Runtime::builder().compile_cache(None).build().unwrap();
            // Every example logs once per signal: lift the default log rate limit.
            let config = || {
                let mut config = AdapterConfig { wasi_stubs: lang.wasi_stubs, ..AdapterConfig::default() };
                config.limits.log_lines_per_second = u32::MAX;
                config
            };
            let mut instantiate = Vec::new();
            for _ in 0..ROUNDS {
                let mut cfg = config();
                cfg.limits.max_instances = 8;
                let (adapter, _) = runtime.host().load("x", &lang.bytes, cfg).unwrap();
                let start = Instant::now();
                adapter.pool().prewarm(8).await.unwrap();
                instantiate.push(start.elapsed() / 8);
            }
            runtime.load_adapter("lang", &lang.bytes, config()).await.unwrap();
            let mut spec = TargetSpec::new("lang");
            for (key, value) in lang.opts.as_object().unwrap() {
                spec = spec.with(key, value.clone());
            }
            let target = runtime.open_target(&spec).await.unwrap();
            let signal = Signal::builder("user.created", "/bench")
                .data_json(&serde_json::json!({"pad": "x".repeat(150)}))
                .build()
                .unwrap();
            let n = 20_000u32;
            for _ in 0..n / 10 {
                runtime.dispatch(&signal, &target).await.unwrap();
            }
            let mut per = Vec::new();
            for _ in 0..ROUNDS {
                let start = Instant::now();
                for _ in 0..n {
                    runtime.dispatch(&signal, &target).await.unwrap();
                }
                per.push(start.elapsed() / n);
            }
            println!(
                "| {} | {:.1} KiB | {:.0} ms | {:.1} µs | {:.2} µs |",
                lang.name,
                lang.bytes.len() as f64 / 1024.0,
                median(compile).as_secs_f64() * 1e3,
                median(instantiate).as_secs_f64() * 1e6,
                median(per).as_secs_f64() * 1e6
            );
        }
    });
}
