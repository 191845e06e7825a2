//! Delivery lanes: `max_in_flight`, `ordering` (`none`, `strict`, `{ key = … }`) under
//! concurrency and seeded retryable failures, `rate_limit` on a paused clock, and the
//! typed host keys.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::bus::SubscribeOptions;
use jido_dispatch::signal::{ExtensionValue, Signal};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Probe, builder};
use proptest::prelude::*;
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(30);

fn setup() -> (Runtime, Probe) {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime starts");
    let probe = Probe::default();
    runtime.register_adapter("probe", Arc::new(probe.clone()));
    (runtime, probe)
}

fn target(name: &str, host: Value) -> TargetSpec {
    let mut spec = TargetSpec::new("probe").with("name", json!(name));
    for (key, value) in host.as_object().cloned().unwrap_or_default() {
        spec = spec.with(&key, value);
    }
    spec
}

/// Signal `n` of `account`, with the account as an extension and `account:n` as subject.
fn signal(account: &str, n: usize) -> Signal {
    let mut signal =
        Signal::builder("order.placed", "/shop").subject(format!("{account}:{n}")).build().expect("valid");
    signal.extensions.insert("account".to_owned(), ExtensionValue::Text(account.to_owned()));
    signal
}

fn subjects(signals: &[Signal]) -> Vec<String> {
    signals.iter().filter_map(|s| s.subject.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_never_sees_more_than_max_in_flight_from_one_lane() {
    let (runtime, probe) = setup();
    let bus = runtime.bus("default");
    let target = target("p", json!({"gated": true, "max_in_flight": 4}));
    bus.subscribe("order.*", vec![target], SubscribeOptions::default()).await.expect("ok");
    bus.publish((0..40).map(|n| signal("a", n)).collect()).await.expect("published");
    probe.wait_for(LIMIT, |p| p.in_flight("p") == 4).await;
    // Four are held at the gate; the lane does not start a fifth.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert_eq!(probe.in_flight("p"), 4);
    probe.open_gate(40);
    probe.wait_for(LIMIT, |p| p.delivered("p").len() == 40).await;
    assert_eq!(probe.peak("p"), 4, "never more than max_in_flight at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unordered_targets_deliver_concurrently_by_default() {
    let (runtime, probe) = setup();
    let bus = runtime.bus("default");
    bus.subscribe("order.*", vec![target("p", json!({"gated": true}))], SubscribeOptions::default())
        .await
        .expect("ok");
    bus.publish((0..20).map(|n| signal("a", n)).collect()).await.expect("published");
    probe.wait_for(LIMIT, |p| p.in_flight("p") == 16).await;
    probe.open_gate(20);
    probe.wait_for(LIMIT, |p| p.delivered("p").len() == 20).await;
    assert_eq!(probe.peak("p"), 16, "the default max_in_flight");
}

/// Publishes `counts[i]` signals for account `a{i}` interleaved, through a lane with
/// `ordering` and seeded failures, and returns what arrived per account.
async fn deliver_with_failures(
    ordering: Value,
    counts: &[usize],
    seed: u64,
) -> (Vec<Signal>, BTreeMap<String, Vec<String>>) {
    let (runtime, probe) = setup();
    let bus = runtime.bus("default");
    let retry = json!({"max_retries": 5, "backoff": "constant", "base_delay": 1, "jitter": false});
    let in_flight = if ordering == json!("strict") { 1 } else { 8 };
    let target = target(
        "p",
        json!({"ordering": ordering, "max_in_flight": in_flight, "fail_percent": 40, "seed": seed, "retry_policy": retry}),
    );
    bus.subscribe("order.*", vec![target], SubscribeOptions::default()).await.expect("ok");
    let longest = counts.iter().copied().max().unwrap_or(0);
    let mut signals = Vec::new();
    for n in 0..longest {
        for (i, count) in counts.iter().enumerate() {
            if n < *count {
                signals.push(signal(&format!("a{i}"), n));
            }
        }
    }
    let total = signals.len();
    bus.publish(signals).await.expect("published");
    probe.wait_for(LIMIT, |p| p.delivered("p").len() == total).await;
    assert!(bus.shutdown(LIMIT).await.is_complete());
    let delivered = probe.delivered("p");
    let mut by_account: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for subject in subjects(&delivered) {
        let account = subject.split(':').next().unwrap_or_default().to_owned();
        by_account.entry(account).or_default().push(subject);
    }
    (delivered, by_account)
}

fn expected(account: usize, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("a{account}:{n}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn key_ordering_holds_per_key_under_concurrency_and_failures(
        counts in proptest::collection::vec(1usize..25, 1..6),
        seed in any::<u64>(),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        let (delivered, by_account) = rt.block_on(deliver_with_failures(json!({"key": "account"}), &counts, seed));
        prop_assert_eq!(delivered.len(), counts.iter().sum::<usize>(), "each signal once");
        for (i, count) in counts.iter().enumerate() {
            prop_assert_eq!(by_account.get(&format!("a{i}")).cloned().unwrap_or_default(), expected(i, *count));
        }
    }

    #[test]
    fn strict_ordering_is_publish_order_under_failures(
        counts in proptest::collection::vec(1usize..15, 1..4),
        seed in any::<u64>(),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        let (delivered, _) = rt.block_on(deliver_with_failures(json!("strict"), &counts, seed));
        let longest = counts.iter().copied().max().unwrap_or(0);
        let mut publish_order = Vec::new();
        for n in 0..longest {
            for (i, count) in counts.iter().enumerate() {
                if n < *count {
                    publish_order.push(format!("a{i}:{n}"));
                }
            }
        }
        prop_assert_eq!(subjects(&delivered), publish_order);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_key_holds_back_only_its_own_key() {
    let (runtime, probe) = setup();
    let bus = runtime.bus("default");
    // `stuck` gates every delivery; `free` shares the lane but not the key.
    let target = target("p", json!({"gated": true, "ordering": {"key": "account"}, "max_in_flight": 2}));
    bus.subscribe("order.*", vec![target], SubscribeOptions::default()).await.expect("ok");
    bus.publish((0..5).map(|n| signal("stuck", n)).collect()).await.expect("published");
    probe.wait_for(LIMIT, |p| p.in_flight("p") == 1).await;
    bus.publish((0..3).map(|n| signal("free", n)).collect()).await.expect("published");
    probe.wait_for(LIMIT, |p| p.in_flight("p") == 2).await;
    // One of each key is in flight; the other `stuck` signals wait behind theirs.
    probe.open_gate(8);
    probe.wait_for(LIMIT, |p| p.delivered("p").len() == 8).await;
    let got = subjects(&probe.delivered("p"));
    let stuck: Vec<&String> = got.iter().filter(|s| s.starts_with("stuck")).collect();
    assert_eq!(stuck, ["stuck:0", "stuck:1", "stuck:2", "stuck:3", "stuck:4"]);
    assert_eq!(probe.peak("p"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limited_lane_waits_for_its_tokens() {
    let (runtime, probe) = setup();
    let bus = runtime.bus("default");
    let target = target("p", json!({"rate_limit": {"per_second": 10, "burst": 2}}));
    bus.subscribe("order.*", vec![target], SubscribeOptions::default()).await.expect("ok");
    let start = tokio::time::Instant::now();
    bus.publish((0..12).map(|n| signal("a", n)).collect()).await.expect("published");
    probe.wait_for(LIMIT, |p| p.delivered("p").len() == 12).await;
    let offsets: Vec<Duration> = probe.instants("p").iter().map(|at| *at - start).collect();
    // Two at once (the burst), then one every 100 ms of the paused clock.
    assert_eq!(offsets[1], Duration::ZERO);
    assert_eq!(offsets[11], Duration::from_millis(1000));
    for pair in offsets.windows(2).skip(1) {
        assert!(pair[1] - pair[0] <= Duration::from_millis(100), "{offsets:?}");
    }
}

#[tokio::test]
async fn host_keys_are_typed_and_refused_by_name() {
    let (runtime, _) = setup();
    for (host, message) in [
        (json!({"on_failure": "true"}), "on_failure: expected a boolean, got \"true\""),
        (json!({"async": 1}), "async: expected a boolean, got 1"),
        (json!({"max_in_flight": 0}), "max_in_flight: expected an integer 1..=1024, got 0"),
        (json!({"ordering": "fifo"}), "ordering: expected \"none\", \"strict\""),
        (json!({"rate_limit": {"per_second": -1}}), "rate_limit.per_second: expected a number > 0"),
    ] {
        let err = runtime.open_target(&target("p", host.clone())).await.expect_err("refused");
        assert!(err.to_string().contains(message), "{host}: {err}");
    }
}
