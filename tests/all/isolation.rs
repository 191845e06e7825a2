//! A misbehaving guest is stopped by the right limit, reported as a delivery failure
//! naming it, and the next delivery succeeds on a fresh instance.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::host::{AdapterConfig, Limits, WasmAdapter};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{builder, guest, sample_signal};

fn runtime_with_trap_guest(limits: Limits) -> (Runtime, WasmAdapter) {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime starts");
    let config = AdapterConfig { limits, ..AdapterConfig::default() };
    let (adapter, _) = runtime.host().load("trap", guest("hostile"), config).expect("trap guest loads");
    runtime.register_adapter("trap", Arc::new(adapter.clone()));
    (runtime, adapter)
}

async fn assert_recovers(
    runtime: &Runtime,
    adapter: &WasmAdapter,
    bad_type: &str,
    code: &str,
    message: &str,
) {
    let target = runtime.open_target(&TargetSpec::new("trap")).await.expect("opens");
    runtime.dispatch(&sample_signal("fine"), &target).await.expect("healthy instance delivers");
    let err = runtime.dispatch(&sample_signal(bad_type), &target).await.expect_err("misbehaviour fails");
    assert_eq!(err.code(), Some(code), "{err}");
    assert!(err.to_string().contains(message), "{err}");
    assert_eq!(adapter.pool().stats().discarded.load(Ordering::Relaxed), 1, "the bad instance is dropped");
    runtime
        .dispatch(&sample_signal("fine"), &target)
        .await
        .expect("next delivery succeeds on a fresh instance");
    assert_eq!(adapter.pool().stats().instantiated.load(Ordering::Relaxed), 2, "a fresh instance took over");
}

#[tokio::test]
async fn a_trap_fails_one_delivery_and_the_next_succeeds() {
    let (runtime, adapter) = runtime_with_trap_guest(Limits::default());
    assert_recovers(&runtime, &adapter, "trap", "adapter_trap", "adapter `trap` trapped").await;
}

#[tokio::test]
async fn an_infinite_loop_is_stopped_by_the_time_limit() {
    let limits = Limits { call_timeout: Duration::from_millis(200), ..Limits::default() };
    let (runtime, adapter) = runtime_with_trap_guest(limits);
    assert_recovers(&runtime, &adapter, "spin", "time_limit", "exceeded its time limit of 200 ms").await;
}

#[tokio::test]
async fn a_memory_bomb_is_stopped_by_the_memory_limit() {
    let limits = Limits { memory_bytes: 16 << 20, ..Limits::default() };
    let (runtime, adapter) = runtime_with_trap_guest(limits);
    assert_recovers(&runtime, &adapter, "oom", "memory_limit", "exceeded its memory limit of 16384 KiB")
        .await;
}

#[tokio::test]
async fn a_trap_is_permanent_and_a_time_limit_retryable() {
    let limits = Limits { call_timeout: Duration::from_millis(100), ..Limits::default() };
    let (runtime, _) = runtime_with_trap_guest(limits);
    let target = runtime.open_target(&TargetSpec::new("trap")).await.expect("opens");
    let trap = runtime.dispatch(&sample_signal("trap"), &target).await.expect_err("fails");
    assert!(!trap.is_retryable());
    let spin = runtime.dispatch(&sample_signal("spin"), &target).await.expect_err("fails");
    assert!(spin.is_retryable());
}

#[tokio::test]
async fn an_instance_whose_memory_keeps_growing_is_retired_before_it_fails() {
    let limits = Limits { memory_bytes: 16 << 20, ..Limits::default() };
    let (runtime, adapter) = runtime_with_trap_guest(limits);
    let target = runtime.open_target(&TargetSpec::new("trap")).await.expect("opens");
    // 1 MiB kept per call: an instance would hit 16 MiB after a dozen calls.
    for i in 0..60 {
        runtime.dispatch(&sample_signal("leak"), &target).await.unwrap_or_else(|e| panic!("call {i}: {e}"));
    }
    let stats = adapter.pool();
    assert!(
        stats.stats().recycled.load(Ordering::Relaxed) >= 4,
        "instances were retired at 3/4 of the limit"
    );
    assert_eq!(stats.stats().discarded.load(Ordering::Relaxed), 0, "none failed");
}
