//! The cost of a transform per delivery: a no-op transform (the built-in `select` with no
//! options: the signal goes into the component and comes back unchanged) and the built-in
//! `template` on a 1 KiB signal, each as the difference between a `noop` target with and
//! without it; and a native Rust function building the same body as `template`.
//!
//! Run: `cargo bench -p jido-dispatch --bench transforms`. Rounds with and without the
//! transform alternate, and a transform's cost is the median of the rounds' differences
//! (so that the host's drift during the run falls out of it); one thread.
//! `JIDO_BENCH_ONLY=noop` runs the no-op transform alone, for `perf record`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::time::{Duration, Instant};

use jido_dispatch::signal::{Data, Signal};
use jido_dispatch::target::TargetSpec;
use jido_dispatch::{Runtime, Target};
use serde_json::{Value, json};

const ROUNDS: usize = 9;
const ITERATIONS: u32 = 20_000;

/// A 1 KiB order: id, amount, customer, and items padding it to size.
fn order() -> Signal {
    let items: Vec<Value> =
        (0..19).map(|i| json!({"sku": format!("SKU-{i:04}"), "qty": i, "price": 9.5})).collect();
    let data =
        json!({"id": 7, "amount": 120.5, "customer": {"name": "Ada Lovelace", "vip": true}, "items": items});
    let signal = Signal::builder("order.paid", "/shop").subject("order/7").data_json(&data).build().unwrap();
    assert!((900..1400).contains(&signal.to_json().len()), "{}", signal.to_json().len());
    signal
}

fn template() -> Value {
    json!({"text": "Order $data.id paid: ${data.amount} EUR by $data.customer.name", "amount": "$data.amount", "type": "$type"})
}

/// What `template` computes, natively: the same body from the same signal.
fn native_template(signal: &Signal) -> Signal {
    let event: Value = serde_json::from_str(&signal.to_json()).unwrap();
    let data = &event["data"];
    let text = format!(
        "Order {} paid: {} EUR by {}",
        data["id"],
        data["amount"],
        data["customer"]["name"].as_str().unwrap_or_default()
    );
    let body = json!({"text": text, "amount": data["amount"], "type": event["type"]});
    let mut out = signal.clone();
    out.data = Some(Data::json(&body));
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn per_delivery(runtime: &Runtime, target: &Target, signal: &Signal) -> Duration {
    for _ in 0..ITERATIONS / 10 {
        runtime.dispatch(signal, target).await.unwrap();
    }
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..ITERATIONS {
            runtime.dispatch(signal, target).await.unwrap();
        }
        rounds.push(start.elapsed() / ITERATIONS);
    }
    median(rounds)
}

/// With and without a transform, in alternating rounds: the medians of each, and the
/// median of the rounds' differences (the transform's cost).
struct Paired {
    without: Duration,
    with: Duration,
    cost: Duration,
}

async fn paired(runtime: &Runtime, without: &Target, with: &Target, signal: &Signal) -> Paired {
    for target in [without, with] {
        for _ in 0..ITERATIONS / 10 {
            runtime.dispatch(signal, target).await.unwrap();
        }
    }
    let (mut withouts, mut withs, mut costs) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let mut round = [Duration::ZERO; 2];
        for (slot, target) in [without, with].into_iter().enumerate() {
            let start = Instant::now();
            for _ in 0..ITERATIONS {
                runtime.dispatch(signal, target).await.unwrap();
            }
            round[slot] = start.elapsed() / ITERATIONS;
        }
        withouts.push(round[0]);
        withs.push(round[1]);
        costs.push(round[1].saturating_sub(round[0]));
    }
    Paired { without: median(withouts), with: median(withs), cost: median(costs) }
}

fn per_native_call(signal: &Signal) -> Duration {
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..ITERATIONS {
            std::hint::black_box(native_template(std::hint::black_box(signal)));
        }
        rounds.push(start.elapsed() / ITERATIONS);
    }
    median(rounds)
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let cache = std::env::temp_dir().join("jido-bench-cache");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let runtime = Runtime::builder().compile_cache(Some(cache)).build().unwrap();
        let plain = runtime.open_target(&TargetSpec::new("noop")).await.unwrap();
        let noop_transform = TargetSpec::new("noop").with("transform", json!("select"));
        let noop_transform = runtime.open_target(&noop_transform).await.unwrap();
        let templated = TargetSpec::new("noop")
            .with("transform", json!("template"))
            .with("transform_options", json!({ "template": template() }));
        let templated = runtime.open_target(&templated).await.unwrap();
        let signal = order();
        if std::env::var("JIDO_BENCH_ONLY").is_ok_and(|only| only == "noop") {
            // For `perf record`: the no-op transform alone.
            for _ in 0..10 {
                per_delivery(&runtime, &noop_transform, &signal).await;
            }
            let stats = |pool: std::sync::Arc<jido_dispatch::host::InstancePool>| {
                pool.stats().instantiated.load(std::sync::atomic::Ordering::Relaxed)
            };
            println!("instances: transform {}", stats(runtime.transform("select").unwrap().pool()));
            return;
        }

        let small = Signal::builder("user.created", "/bench")
            .subject("user-1")
            .data_json(&json!({"id": 1, "name": "Ada"}))
            .build()
            .unwrap();
        let filter = TargetSpec::new("noop")
            .with("transform", json!("select"))
            .with("transform_options", json!({ "when": ["type == \"order.paid\""] }));
        let filter = runtime.open_target(&filter).await.unwrap();
        let small_noop = paired(&runtime, &plain, &noop_transform, &small).await;
        let noop = paired(&runtime, &plain, &noop_transform, &signal).await;
        let filtered = paired(&runtime, &plain, &filter, &signal).await;
        let templated = paired(&runtime, &plain, &templated, &signal).await;
        let native = per_native_call(&signal);
        let small_len = small.to_json().len();
        println!("| noop adapter, per delivery | µs |");
        println!("|---|---:|");
        println!("| {small_len} B signal, no transform | {:.2} |", micros(small_noop.without));
        println!("| {small_len} B signal, no-op transform | {:.2} |", micros(small_noop.with));
        println!(
            "| **cost of the no-op transform, {small_len} B signal** (aim ≤ 1.5) | **{:.2}** |",
            micros(small_noop.cost)
        );
        println!("| {} B signal: | |", signal.to_json().len());
        println!("| no transform | {:.2} |", micros(noop.without));
        println!("| no-op transform (`select`, no options) | {:.2} |", micros(noop.with));
        println!("| `select` filter on the type (keeps it) | {:.2} |", micros(filtered.with));
        println!("| `template` transform | {:.2} |", micros(templated.with));
        println!("| **cost of the no-op transform, 1 KiB signal** | **{:.2}** |", micros(noop.cost));
        println!("| **cost of the `select` filter** | **{:.2}** |", micros(filtered.cost));
        println!("| **cost of `template`** | **{:.2}** |", micros(templated.cost));
        println!("| native Rust function building the same body | {:.2} |", micros(native));
        println!("| `template` / native | {:.1}x |", templated.cost.as_secs_f64() / native.as_secs_f64());
    });
}
