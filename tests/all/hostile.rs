//! The hostile-adapter suite: a tenant adapter misbehaving in every way we know is stopped
//! by the right limit and reported as a delivery failure naming it, while a well-behaved
//! tenant's deliveries in the same process keep flowing (every one arrives).

use std::sync::atomic::Ordering;
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::host::http::OriginPattern;
use jido_dispatch::host::{AdapterConfig, EngineSettings, HttpGrant, Limits, LoadError, TenantSpec};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, Receiver, Reply, builder, guest, loopback_builder};
use serde_json::json;

fn attack(ty: &str, subject: &str) -> Signal {
    let builder = Signal::builder(ty, "/attacker");
    let builder = if subject.is_empty() { builder } else { builder.subject(subject) };
    builder.build().expect("valid")
}

fn origins(list: &[&str]) -> HttpGrant {
    HttpGrant::Origins(list.iter().map(|o| OriginPattern::parse(o).expect("origin")).collect())
}

fn tenant(name: &str, max_concurrency: usize) -> Option<TenantSpec> {
    Some(TenantSpec { name: name.to_owned(), max_concurrency })
}

/// Loads the built-in `console` component as a well-behaved tenant's adapter (JSON lines
/// into `captured`).
async fn good_tenant(runtime: &Runtime, captured: &Captured) -> jido_dispatch::Target {
    let console = jido_dispatch::builtin::get("console").expect("console").component;
    let config =
        AdapterConfig { stdio: captured.stdio(), tenant: tenant("good", 8), ..AdapterConfig::default() };
    runtime.load_adapter("good", console, config).await.expect("loads");
    runtime.open_target(&TargetSpec::new("good").with("format", json!("json"))).await.expect("opens")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attack_is_stopped_by_its_limit_while_a_good_tenant_keeps_flowing() {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let captured = Captured::new();
    let good = good_tenant(&runtime, &captured).await;
    // Generous enough that every other attack meets its own limit first even on a loaded
    // machine, where a call past 20 ms runs throttled.
    let limits = Limits {
        call_timeout: Duration::from_millis(2000),
        memory_bytes: 32 << 20,
        log_lines_per_second: 1000,
        ..Limits::default()
    };
    let grant =
        origins(&["http://10.0.0.1", "http://169.254.169.254", "http://localhost:9", "http://[::1]:9"]);
    let config = AdapterConfig { limits, http: grant, tenant: tenant("evil", 4), ..AdapterConfig::default() };
    runtime.load_adapter("evil", guest("hostile"), config).await.expect("loads");
    let evil = runtime.open_target(&TargetSpec::new("evil")).await.expect("opens");
    let _victim = runtime.register_mailbox("victim").expect("free");

    // The good tenant delivers signals for as long as the attacks run.
    let attacking = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flow = {
        let (runtime, good, attacking) = (runtime.clone(), good.clone(), attacking.clone());
        tokio::spawn(async move {
            let mut ids = Vec::new();
            while attacking.load(Ordering::Acquire) || ids.len() < 100 {
                let signal = attack("good.work", &ids.len().to_string());
                runtime.dispatch(&signal, &good).await.expect("the good tenant is never refused");
                ids.push(signal.id);
                tokio::task::yield_now().await;
            }
            ids
        })
    };
    let cases: [(&str, &str, Option<&str>, &str); 14] = [
        ("loop", "", Some("time_limit"), "exceeded its time limit of 2000 ms"),
        ("oom", "", Some("memory_limit"), "exceeded its memory limit of 32768 KiB"),
        ("recurse", "", Some("stack_limit"), "exhausted its call stack"),
        ("panic", "", Some("adapter_trap"), "adapter `evil` trapped"),
        ("logflood", "", Some("log_limit"), "exceeded its log limit of 1000 records per second"),
        ("fetch", "http://example.com/", Some("egress_denied"), "is not an origin granted to this target"),
        ("fetch", "http://10.0.0.1/", Some("egress_denied"), "10.0.0.1 is a private address"),
        ("fetch", "http://169.254.169.254/latest/meta-data", Some("egress_denied"), "link-local"),
        ("fetch", "http://localhost:9/", Some("egress_denied"), "loopback"),
        ("fetch", "http://[::1]:9/", Some("egress_denied"), "loopback"),
        ("send", "named:victim", Some("denied"), "adapter `evil` holds no grant for mailbox `victim`"),
        ("badutf8", "", Some("adapter_error"), "utf-8"),
        ("hugeerror", "", Some("huge"), "(truncated)"),
        ("env", "", None, ""),
    ];
    for (ty, subject, code, message) in cases {
        let outcome = runtime.dispatch(&attack(ty, subject), &evil).await;
        match code {
            None => assert!(outcome.is_ok(), "{ty}: the host's environment is invisible: {outcome:?}"),
            Some(code) => {
                let err = outcome.expect_err(ty);
                assert_eq!(err.code(), Some(code), "{ty} {subject}: {err}");
                assert!(
                    err.to_string().to_lowercase().contains(&message.to_lowercase()),
                    "{ty} {subject}: {err}"
                );
                assert!(err.to_string().len() < 8192, "{ty}: messages are capped");
            }
        }
    }
    // Its stderr is not granted, yet a trap's error quotes what it wrote there last (the
    // panic message), and only this call's.
    let trapped = runtime.dispatch(&attack("panic", ""), &evil).await.expect_err("traps").to_string();
    assert!(trapped.contains("trapped: wasm trap") && trapped.contains("; stderr: "), "{trapped}");
    assert!(trapped.contains("panicked at") && trapped.contains("hostile adapter panics"), "{trapped}");
    assert_eq!(trapped.matches("hostile adapter panics").count(), 1, "{trapped}");
    // The hostile adapter still serves a normal call on a fresh instance.
    runtime.dispatch(&attack("fine", ""), &evil).await.expect("recovers");
    attacking.store(false, Ordering::Release);

    let ids = flow.await.expect("good tenant");
    let out = captured.stdout_text();
    let printed: Vec<String> = out
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line")["id"].to_string())
        .collect();
    let expected: Vec<String> = ids.iter().map(|id| json!(id).to_string()).collect();
    assert_eq!(printed, expected, "every good signal arrived, in order, once");
}

#[tokio::test]
async fn a_huge_response_is_cut_at_the_adapters_own_cap() {
    // Every other response is a 503: a huge error body must stay retryable.
    let big = Receiver::start(|n, _| {
        Reply::Status(if n % 2 == 0 { 200 } else { 503 }, Vec::new(), vec![b'x'; 1 << 20])
    })
    .await;
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let limits = Limits { max_response_bytes: Some(64 * 1024), ..Limits::default() };
    let grant = origins(&[&format!("http://127.0.0.1:{}", big.port())]);
    let config = AdapterConfig { limits, http: grant, ..AdapterConfig::default() };
    runtime.load_adapter("evil", guest("hostile"), config).await.expect("loads");
    let evil = runtime.open_target(&TargetSpec::new("evil")).await.expect("opens");
    // A 2xx is a success whatever its body: the guest sees the first 64 KiB of it.
    runtime.dispatch(&attack("fetch", &big.url("/big")), &evil).await.expect("a cut 200 is delivered");
    let err = runtime.dispatch(&attack("fetch", &big.url("/big")), &evil).await.expect_err("503");
    assert!(err.is_retryable(), "a large 5xx stays retryable: {err}");
    assert_eq!(err.code(), Some("http_503"), "{err}");
}

#[tokio::test]
async fn a_component_that_reads_files_is_refused_at_load() {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let err = runtime.load_adapter("files", guest("reads-files"), AdapterConfig::default()).await;
    let err = err.expect_err("refused");
    assert!(matches!(err, LoadError::WrongWorld(_)), "{err}");
    assert!(err.to_string().contains("wasi:filesystem/"), "{err}");
    // With the WASI stubs it loads, and still finds nothing.
    let config = AdapterConfig { wasi_stubs: true, ..AdapterConfig::default() };
    runtime.load_adapter("files", guest("reads-files"), config).await.expect("granted");
    let target = runtime.open_target(&TargetSpec::new("files")).await.expect("opens");
    let err = runtime.dispatch(&attack("read", ""), &target).await.expect_err("no file");
    assert_eq!(err.code(), Some("no_file"), "{err}");
}

#[tokio::test]
async fn fuel_stops_a_loop_when_the_engine_meters_it() {
    let runtime = builder(crate::CACHE_ROOT)
        .engine(EngineSettings { fuel: true, ..EngineSettings::default() })
        .build()
        .expect("runtime");
    let limits = Limits { fuel: Some(5_000_000), ..Limits::default() };
    let config = AdapterConfig { limits: limits.clone(), ..AdapterConfig::default() };
    runtime.load_adapter("evil", guest("hostile"), config).await.expect("loads");
    let evil = runtime.open_target(&TargetSpec::new("evil")).await.expect("opens");
    let err = runtime.dispatch(&attack("loop", ""), &evil).await.expect_err("out of fuel");
    assert_eq!(err.code(), Some("fuel_limit"), "{err}");
    assert!(err.to_string().contains("ran out of fuel (5000000 units per call)"), "{err}");
    runtime.dispatch(&attack("fine", ""), &evil).await.expect("a normal call fits the budget");

    // Without metering in the engine, a fuel limit is refused rather than ignored.
    let plain = builder(crate::CACHE_ROOT).build().expect("runtime");
    let err = plain
        .load_adapter("evil", guest("hostile"), AdapterConfig { limits, ..AdapterConfig::default() })
        .await;
    assert!(err.expect_err("refused").to_string().contains("fuel metering"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_never_has_more_calls_in_flight_than_its_cap() {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let limits = Limits { call_timeout: Duration::from_millis(100), ..Limits::default() };
    let config = AdapterConfig { limits, tenant: tenant("evil", 2), ..AdapterConfig::default() };
    let (adapter, _) = runtime.host().load("evil", guest("hostile"), config).expect("loads");
    runtime.register_adapter("evil", std::sync::Arc::new(adapter.clone()));
    let evil = runtime.open_target(&TargetSpec::new("evil")).await.expect("opens");
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (runtime, evil) = (runtime.clone(), evil.clone());
            tokio::spawn(async move { runtime.dispatch(&attack("loop", ""), &evil).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.expect("task").expect_err("loops").code(), Some("time_limit"));
    }
    let pool = adapter.pool();
    assert_eq!(pool.stats().discarded.load(Ordering::Relaxed), 8, "every looping instance was dropped");
    assert_eq!(
        adapter.pool().tenant().map(|t| (t.name().to_owned(), t.max_concurrency())),
        Some(("evil".into(), 2))
    );
}
