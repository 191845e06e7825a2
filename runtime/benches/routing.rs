//! Routing and bus throughput.
//!
//! Run: `cargo bench -p jido-dispatch --bench routing` (`JIDO_BENCH_ONLY=filters` runs
//! the filter comparison alone, `JIDO_BENCH_ONLY=matching` the matches table alone; `JIDO_SIGNALS=16` runs it over 16 signals instead of 4096,
//! so that what they touch stays in cache: the cost of the instructions alone).
//!
//! Router workload ("mixed patterns"): subscriptions belong to tenants of 10 each; a tenant
//! `tN` has `tN.user.created`, `tN.user.*`, `tN.*.created`, `tN.**`, `tN.order.*.paid`,
//! `tN.user.*.updated`, `tN.**.deleted`, `*.tN.audit`, `tN.billing.invoice`, `tN.user`;
//! five global patterns (`**.audit`, `*.order.*`, `system.**`, `**`, `*.*.created`) are
//! always present. Types are `tN.user.created` for a random tenant, so every type matches
//! about 9 routes at any size: the cost should depend on matches, not on subscriptions.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use jido_dispatch::Runtime;
use jido_dispatch::adapter::{NativeNoop, SharedEndpoint};
use jido_dispatch::bus::{SubscribeOptions, WhenFull};
use jido_dispatch::host::EngineSettings;
use jido_dispatch::routing::filter::FilterSet;
use jido_dispatch::routing::{Filter, Pattern, Router};
use jido_dispatch::signal::{ExtensionValue, Signal};
use jido_dispatch::target::TargetSpec;
use serde_json::json;

const TENANT_PATTERNS: [&str; 10] = [
    "{t}.user.created",
    "{t}.user.*",
    "{t}.*.created",
    "{t}.**",
    "{t}.order.*.paid",
    "{t}.user.*.updated",
    "{t}.**.deleted",
    "*.{t}.audit",
    "{t}.billing.invoice",
    "{t}.user",
];
const GLOBAL_PATTERNS: [&str; 5] = ["**.audit", "*.order.*", "system.**", "**", "*.*.created"];

/// A small deterministic generator (no dependency, same sequence every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

fn router_with(subscriptions: usize) -> (Router<()>, usize) {
    let mut router = Router::new();
    for (id, text) in GLOBAL_PATTERNS.iter().enumerate() {
        router.insert(id as u64, Pattern::parse(text).unwrap(), 0, ());
    }
    let tenants = subscriptions.div_ceil(TENANT_PATTERNS.len());
    for i in 0..subscriptions.saturating_sub(GLOBAL_PATTERNS.len()) {
        let text = TENANT_PATTERNS[i % TENANT_PATTERNS.len()]
            .replace("{t}", &format!("t{}", i / TENANT_PATTERNS.len()));
        router.insert((i + GLOBAL_PATTERNS.len()) as u64, Pattern::parse(&text).unwrap(), 0, ());
    }
    (router, tenants.max(1))
}

/// The time per item of one round of `work` over `items`, `passes` times.
fn per_item<T>(passes: u32, items: &[T], work: &mut impl FnMut(&T) -> usize) -> Duration {
    let start = Instant::now();
    let mut total = 0usize;
    for _ in 0..passes {
        for item in items {
            total += work(item);
        }
    }
    std::hint::black_box(total);
    start.elapsed() / (passes * items.len() as u32)
}

/// The median over 7 rounds of the time per item of `work` over `items`, `passes` times.
fn median_per_item<T>(passes: u32, items: &[T], mut work: impl FnMut(&T) -> usize) -> Duration {
    let mut rounds: Vec<Duration> = (0..7).map(|_| per_item(passes, items, &mut work)).collect();
    rounds.sort();
    rounds[rounds.len() / 2]
}

fn matching() {
    println!("| subscriptions | matches/s (1 core) | ns per match | routes matched per type |");
    println!("|--------------:|-------------------:|-------------:|------------------------:|");
    for subscriptions in [10, 1_000, 10_000, 100_000] {
        let (router, tenants) = router_with(subscriptions);
        let mut rng = Lcg(7);
        let types: Vec<String> = (0..4096).map(|_| format!("t{}.user.created", rng.next(tenants))).collect();
        let matched: usize = types.iter().map(|t| router.matches(t).len()).sum::<usize>() / types.len();
        let per = median_per_item(100, &types, |ty| router.matches(ty).len());
        println!(
            "| {subscriptions:>13} | {:>18.0} | {:>12.0} | {matched:>23} |",
            1.0 / per.as_secs_f64(),
            per.as_secs_f64() * 1e9
        );
    }
}

/// The same workload at 10,000 subscriptions, each carrying a filter (even ids `exact` on
/// `source`, odd ids CESQL over `source` and an extension), against the same patterns
/// without filters, in one run: the matches/s of [`Router::routes_for`] (patterns, then
/// filters) over the matches/s of [`Router::matches`] on the unfiltered router.
fn filtered() {
    let (plain, tenants) = router_with(10_000);
    let mut router: Router<()> = Router::new();
    for route in plain.routes() {
        let filter = if route.id % 2 == 0 {
            json!({"exact": {"source": format!("/shop/{}", route.id % 3)}})
        } else {
            json!({"sql": format!("source LIKE '/shop/%' AND amount > {}", route.id % 200)})
        };
        let filter: Filter = serde_json::from_value(filter).unwrap();
        router.insert_filtered(route.id, route.pattern.clone(), 0, FilterSet::new(&[filter]), ());
    }
    let mut rng = Lcg(7);
    let count = std::env::var("JIDO_SIGNALS").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(4096);
    let signals: Vec<Signal> = (0..count)
        .map(|i| {
            let mut signal =
                Signal::builder(format!("t{}.user.created", rng.next(tenants)), format!("/shop/{}", i % 3))
                    .build()
                    .unwrap();
            signal.extensions.insert("amount".to_owned(), ExtensionValue::Integer((i % 300) as i64));
            signal
        })
        .collect();
    // Rounds alternate (alone, filtered) so that both see the same machine; the ratio is the
    // median of the per-round ratios, the times the medians of each side.
    let (mut alone, mut with, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..15 {
        let a = per_item(20, &signals, &mut |signal: &Signal| plain.matches(&signal.ty).len());
        let w = per_item(20, &signals, &mut |signal: &Signal| router.routes_for(signal).len());
        ratios.push(a.as_secs_f64() / w.as_secs_f64());
        alone.push(a);
        with.push(w);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    ratios.sort_by(f64::total_cmp);
    let (alone, with, ratio) = (median(alone), median(with), ratios[ratios.len() / 2]);
    let passed: usize = signals.iter().map(|s| router.routes_for(s).len()).sum();
    println!(
        "\n| 10,000 subscriptions, one filter each (half exact, half sql) | matches/s (1 core) | ns per match |"
    );
    println!(
        "|---------------------------------------------------------------|-------------------:|-------------:|"
    );
    println!(
        "| type patterns alone                                           | {:>18.0} | {:>12.0} |",
        1.0 / alone.as_secs_f64(),
        alone.as_secs_f64() * 1e9
    );
    println!(
        "| patterns, then every matched route's filter                   | {:>18.0} | {:>12.0} |",
        1.0 / with.as_secs_f64(),
        with.as_secs_f64() * 1e9
    );
    println!(
        "| ratio filtered / alone (median of 15 alternating rounds): {ratio:.2} (aim ≥ 0.5); routes passing per signal: {:.1}",
        passed as f64 / signals.len() as f64
    );
}

/// Publishes `signals` signals to a bus with `subscriptions` matching subscriptions, each
/// with its own target of `adapter`, and waits until all are delivered.
async fn pipeline(runtime: &Runtime, adapter: &str, subscriptions: usize, signals: usize) -> Duration {
    let bus = runtime.bus(&format!("bench-{adapter}-{subscriptions}-{signals}"));
    let options =
        SubscribeOptions { queue_capacity: 4096, when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    for i in 0..subscriptions {
        let target = TargetSpec::new(adapter).with("label", format!("s{i}").into());
        bus.subscribe("bench.*", vec![target], options.clone()).await.unwrap();
    }
    let batch: Vec<Signal> =
        (0..signals).map(|_| Signal::builder("bench.event", "/bench").build().unwrap()).collect();
    let start = Instant::now();
    for chunk in batch.chunks(256) {
        bus.publish(chunk.to_vec()).await.unwrap();
    }
    assert!(bus.shutdown(Duration::from_secs(600)).await.is_complete());
    start.elapsed()
}

async fn throughput() {
    let settings = EngineSettings { max_total_instances: 64, ..EngineSettings::default() };
    let cache = std::env::temp_dir().join(format!("jido-bench-routing-{}", std::process::id()));
    let runtime = Runtime::builder().engine(settings).compile_cache(Some(cache.clone())).build().unwrap();
    runtime.register_adapter("native-noop", Arc::new(SharedEndpoint::new(NativeNoop)));
    runtime.preload().unwrap();
    println!(
        "\n| publish → deliver                    | Wasm noop deliveries/s | native noop deliveries/s | ratio |"
    );
    println!(
        "|--------------------------------------|-----------------------:|-------------------------:|------:|"
    );
    for (subscriptions, signals) in [(1, 200_000), (1_000, 200)] {
        let wasm = pipeline(&runtime, "noop", subscriptions, signals).await;
        let native = pipeline(&runtime, "native-noop", subscriptions, signals).await;
        let deliveries = (subscriptions * signals) as f64;
        let (w, n) = (deliveries / wasm.as_secs_f64(), deliveries / native.as_secs_f64());
        println!(
            "| {subscriptions:>5} matching subscription(s), {signals:>6} signals | {w:>22.0} | {n:>24.0} | {:>5.2} |",
            w / n
        );
    }
    let _ = std::fs::remove_dir_all(cache);
}

/// `JIDO_ROUTER_PROBE=SIZE,MATCHES`: builds the router and runs MATCHES matches, nothing
/// else. Run under `valgrind --tool=callgrind` with MATCHES = 0 and N: the difference in
/// instructions divided by N is the instruction count per match, free of cache effects.
fn probe(spec: &str) {
    let mut parts = spec.split(',').map(|p| p.trim().parse::<usize>().unwrap());
    let (size, matches) = (parts.next().unwrap(), parts.next().unwrap_or(0));
    let (router, tenants) = router_with(size);
    let mut rng = Lcg(7);
    let types: Vec<String> = (0..4096).map(|_| format!("t{}.user.created", rng.next(tenants))).collect();
    let mut total = 0usize;
    for i in 0..matches {
        total += router.matches(&types[i % types.len()]).len();
    }
    println!("probe size={size} matches={matches} matched={total}");
}

fn main() {
    if let Ok(spec) = std::env::var("JIDO_ROUTER_PROBE") {
        probe(&spec);
        return;
    }
    if std::env::var("JIDO_BENCH_ONLY").is_ok_and(|only| only == "filters") {
        filtered();
        return;
    }
    if std::env::var("JIDO_BENCH_ONLY").is_ok_and(|only| only == "matching") {
        matching();
        return;
    }
    matching();
    filtered();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(throughput());
}
