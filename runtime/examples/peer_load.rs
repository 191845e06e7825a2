//! Open-loop load for the peer run (`runtime/benches/peer/svix.sh`): sends single events at
//! a fixed rate, whatever the server's answers, and records when each was sent, so that
//! the receiver's log gives end-to-end latency without coordinated omission.
//!
//! ```text
//! peer_load send jido|svix URL RATE SECONDS SENT.tsv [BEARER_TOKEN]
//! peer_load latency ACCESS.log PATH SENT.tsv        # prints "p50 p99 arrived/sent" (ms)
//! peer_load cdf OUT.svg TITLE ACCESS.log NAME=PATH=SENT.tsv...
//! ```
//! (`cargo run --release -p jido-dispatch --example peer_load -- …`)
//!
//! `send jido` posts a structured CloudEvent to `URL` (`/signals`), with an id of its own;
//! `svix` posts a Svix message (`/api/v1/app/{app}/msg/`) and takes the id Svix answers.
//! Each line of `SENT.tsv` is `id<TAB>microseconds since the Unix epoch at sending`, the
//! id being what the receiver sees (`webhook-id` / `svix-id`). Prints accepted and failed
//! counts. The receiver's log lines are `$msec $uri $http_webhook_id $http_svix_id` (nginx):
//! `latency` and `cdf` join them with the sent records.

#![expect(clippy::print_stdout, clippy::print_stderr, reason = "a load tool reports on stdout and stderr")]
#![expect(clippy::expect_used, reason = "a load tool may stop at the first error")]

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[path = "../benches/support/chart.rs"]
mod chart;

use serde_json::{Value, json};

/// The data every event carries (~330 bytes of JSON, as in the recorded peer run).
fn payload(n: u64) -> Value {
    json!({
        "order_id": format!("ord_{n:012}"),
        "customer": { "id": "cus_8f14e45fceea167a", "email": "ada@example.com", "tier": "gold" },
        "items": [
            { "sku": "SKU-123456", "qty": 2, "price_cents": 1999 },
            { "sku": "SKU-654321", "qty": 1, "price_cents": 4999 }
        ],
        "currency": "EUR",
        "total_cents": 8997,
        "note": "peer run payload of a realistic size for an order event"
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Jido,
    Svix,
}

fn usage() -> ! {
    eprintln!(
        "usage: peer_load send jido|svix URL RATE SECONDS SENT.tsv [BEARER_TOKEN]\n       \
         peer_load latency ACCESS.log PATH SENT.tsv\n       \
         peer_load cdf OUT.svg TITLE ACCESS.log NAME=PATH=SENT.tsv..."
    );
    std::process::exit(2)
}

/// Milliseconds from sending to arrival at the receiver, sorted, and how many were sent.
fn latencies(access_log: &str, path: &str, sent_file: &str) -> (Vec<f64>, usize) {
    let text = std::fs::read_to_string(sent_file).expect("read the sent log");
    let mut sent: HashMap<&str, f64> = HashMap::new();
    for line in text.lines() {
        if let Some((id, micros)) = line.split_once('\t') {
            sent.insert(id, micros.parse::<f64>().unwrap_or(0.0) / 1000.0);
        }
    }
    let total = sent.len();
    let log = std::fs::read_to_string(access_log).expect("read the receiver's log");
    let mut found = Vec::new();
    for line in log.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let [msec, uri, webhook_id, svix_id, ..] = fields[..] else { continue };
        if uri != path {
            continue;
        }
        let id = if webhook_id == "-" { svix_id } else { webhook_id };
        if let (Some(at), Ok(msec)) = (sent.remove(id), msec.parse::<f64>()) {
            found.push(msec * 1000.0 - at);
        }
    }
    found.sort_by(f64::total_cmp);
    (found, total)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((q * sorted.len() as f64) as usize).min(sorted.len() - 1)]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("send") if args.len() >= 6 => {
            let runtime = tokio::runtime::Runtime::new().expect("tokio");
            runtime.block_on(send(&args[1..]));
        }
        Some("latency") if args.len() == 4 => {
            let (found, total) = latencies(&args[1], &args[2], &args[3]);
            if found.is_empty() {
                println!("- - 0/{total}");
            } else {
                let (p50, p99) = (quantile(&found, 0.5), quantile(&found, 0.99));
                println!("{p50:.1} {p99:.1} {}/{total}", found.len());
            }
        }
        Some("cdf") if args.len() >= 5 => {
            let mut series = Vec::new();
            for spec in &args[4..] {
                let mut parts = spec.splitn(3, '=');
                let (Some(name), Some(path), Some(sent)) = (parts.next(), parts.next(), parts.next()) else {
                    usage()
                };
                let (found, total) = latencies(&args[3], path, sent);
                let points = found
                    .iter()
                    .enumerate()
                    .step_by((found.len() / 400).max(1))
                    .map(|(i, ms)| (ms.max(0.1), 100.0 * (i + 1) as f64 / total.max(1) as f64))
                    .collect();
                series.push(chart::Series { name: name.to_owned(), points });
            }
            let chart = chart::Chart {
                title: args[2].clone(),
                x_label: "latency, sent → arrived at the receiver (ms, log scale)".to_owned(),
                y_label: "% of the messages sent".to_owned(),
                x_scale: chart::Scale::Log10,
                series,
            };
            std::fs::write(&args[1], chart.to_svg()).expect("write the chart");
        }
        _ => usage(),
    }
}

async fn send(args: &[String]) {
    let kind = match args[0].as_str() {
        "jido" => Kind::Jido,
        "svix" => Kind::Svix,
        _ => usage(),
    };
    let url = args[1].clone();
    let rate: u64 = args[2].parse().unwrap_or_else(|_| usage());
    let seconds: u64 = args[3].parse().unwrap_or_else(|_| usage());
    let out = args[4].clone();
    let token = args.get(5).cloned();

    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().expect("client");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<(String, u128)>>();
    let total = rate * seconds;
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate.max(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let run = std::process::id();
    for n in 0..total {
        ticker.tick().await;
        let (client, url, token, tx) = (client.clone(), url.clone(), token.clone(), tx.clone());
        tokio::spawn(async move {
            let own_id = format!("peer-{run}-{n}");
            let body = match kind {
                Kind::Jido => json!({
                    "specversion": "1.0", "id": own_id, "type": "bench.created",
                    "source": "/peer", "datacontenttype": "application/json", "data": payload(n)
                }),
                Kind::Svix => json!({ "eventType": "bench.created", "payload": payload(n) }),
            };
            let content_type =
                if kind == Kind::Jido { "application/cloudevents+json" } else { "application/json" };
            let sent = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros()).unwrap_or(0);
            let mut request = client.post(&url).header("content-type", content_type).body(body.to_string());
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            // The id the receiver will see: ours for jido, the one Svix answers for Svix.
            let id = match request.send().await {
                Ok(response) if response.status().is_success() => match kind {
                    Kind::Jido => Some(own_id),
                    Kind::Svix => response
                        .bytes()
                        .await
                        .ok()
                        .and_then(|body| serde_json::from_slice::<Value>(&body).ok())
                        .and_then(|answer| answer["id"].as_str().map(str::to_owned)),
                },
                _ => None,
            };
            let _ = tx.send(id.map(|id| (id, sent)));
        });
    }
    drop(tx);
    let (mut lines, mut failed) = (String::new(), 0u64);
    while let Some(outcome) = rx.recv().await {
        match outcome {
            Some((id, sent)) => lines.push_str(&format!("{id}\t{sent}\n")),
            None => failed += 1,
        }
    }
    std::fs::write(&out, lines).expect("write the sent log");
    println!("accepted {} failed {failed}", total - failed);
}
