//! The cost of a transform per delivery: a no-op transform (the built-in `select` with no
//! options: the signal goes into the component and comes back unchanged) and the built-in
//! `template` on a 1 KiB signal, each as the difference between a `noop` target with and
//! without it; and a native Rust function building the same body as `template`.
//!
//! Run: `cargo bench -p jido-dispatch --bench transforms`. Medians of 7 rounds, measured in
//! one run, on one thread. `JIDO_BENCH_ONLY=noop` runs the no-op transform alone, for
//! `perf record`.

#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
#![expect(clippy::unwrap_used, reason = "a benchmark may stop at the first error")]

use std::time::{Duration, Instant};

use jido_dispatch::signal::{Data, Signal};
use jido_dispatch::target::TargetSpec;
use jido_dispatch::{Runtime, Target};
use serde_json::{Value, json};

const ROUNDS: usize = 7;
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
        let small_base = per_delivery(&runtime, &plain, &small).await;
        let small_noop = per_delivery(&runtime, &noop_transform, &small).await;
        let base = per_delivery(&runtime, &plain, &signal).await;
        let with_noop = per_delivery(&runtime, &noop_transform, &signal).await;
        let with_template = per_delivery(&runtime, &templated, &signal).await;
        let native = per_native_call(&signal);
        let noop_cost = with_noop.saturating_sub(base);
        let template_cost = with_template.saturating_sub(base);
        println!("| noop adapter, per delivery | µs |");
        println!("|---|---:|");
        println!("| {} B signal, no transform | {:.2} |", small.to_json().len(), micros(small_base));
        println!("| {} B signal, no-op transform | {:.2} |", small.to_json().len(), micros(small_noop));
        println!(
            "| **cost of the no-op transform, {} B signal** (aim ≤ 1.5) | **{:.2}** |",
            small.to_json().len(),
            micros(small_noop.saturating_sub(small_base))
        );
        println!("| {} B signal: | |", signal.to_json().len());
        println!("| no transform | {:.2} |", micros(base));
        println!("| no-op transform (`select`, no options) | {:.2} |", micros(with_noop));
        println!("| `template` transform | {:.2} |", micros(with_template));
        println!("| **cost of the no-op transform, 1 KiB signal** | **{:.2}** |", micros(noop_cost));
        println!("| **cost of `template`** | **{:.2}** |", micros(template_cost));
        println!("| native Rust function building the same body | {:.2} |", micros(native));
        println!("| `template` / native | {:.1}x |", template_cost.as_secs_f64() / native.as_secs_f64());
    });
}
