//! Replacing and unloading a loaded component while its targets are live.

use std::time::Duration;

use jido_dispatch::Runtime;
use jido_dispatch::bus::{SubscribeOptions, WhenFull};
use jido_dispatch::host::{AdapterConfig, LoadError};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, builder, sample_signal};
use serde_json::json;

fn component(name: &str) -> &'static [u8] {
    jido_dispatch::builtin::get(name).map(|b| b.component).unwrap_or_else(|| panic!("builtin {name}"))
}

fn captured_config(captured: &Captured) -> AdapterConfig {
    AdapterConfig { stdio: captured.stdio(), ..AdapterConfig::default() }
}

#[tokio::test]
async fn a_replacement_takes_over_live_targets_and_a_refusing_one_changes_nothing() {
    let captured = Captured::new();
    let runtime: Runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    runtime.load_adapter("swap", component("noop"), captured_config(&captured)).await.expect("loads");
    let target = runtime.open_target(&TargetSpec::new("swap")).await.expect("opens");
    let labelled =
        runtime.open_target(&TargetSpec::new("swap").with("label", json!("x"))).await.expect("opens");
    runtime.dispatch(&sample_signal("before"), &target).await.expect("noop");
    assert_eq!(captured.stdout_text(), "", "noop prints nothing");

    // `console` refuses noop's `label`, which a live target uses: refused, noop stays.
    let err = runtime.load_adapter("swap", component("console"), captured_config(&captured)).await;
    let err = err.expect_err("refused");
    assert!(matches!(err, LoadError::Replacement(_)), "{err}");
    assert!(err.to_string().contains("label"), "{err}");
    runtime.dispatch(&sample_signal("still.noop"), &target).await.expect("noop");
    assert_eq!(captured.stdout_text(), "");

    // Without that target, the same replacement goes through and the live target prints.
    drop(labelled);
    let fresh = builder(crate::CACHE_ROOT).build().expect("runtime");
    fresh.load_adapter("swap", component("noop"), captured_config(&captured)).await.expect("loads");
    let target = fresh.open_target(&TargetSpec::new("swap")).await.expect("opens");
    fresh.load_adapter("swap", component("console"), captured_config(&captured)).await.expect("replaced");
    fresh.dispatch(&sample_signal("after.swap"), &target).await.expect("console now");
    assert!(captured.stdout_text().contains("after.swap"), "{}", captured.stdout_text());

    // Unloading: no new targets, the live one keeps its component.
    assert!(fresh.unload_adapter("swap"));
    let err = fresh.open_target(&TargetSpec::new("swap")).await.expect_err("unloaded");
    assert!(err.to_string().contains("unknown adapter `swap`"), "{err}");
    fresh.dispatch(&sample_signal("after.unload"), &target).await.expect("still delivers");
    assert!(captured.stdout_text().contains("after.unload"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_while_signals_flow_loses_none() {
    let captured = Captured::new();
    let runtime: Runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let config = || captured_config(&captured);
    runtime.load_adapter("printer", component("console"), config()).await.expect("loads");
    let bus = runtime.bus("flow");
    let target = TargetSpec::new("printer").with("format", json!("json"));
    let options = SubscribeOptions { when_full: WhenFull::Wait, ..SubscribeOptions::default() };
    bus.subscribe("**", vec![target], options).await.expect("subscribed");
    let signals: Vec<_> = (0..2000).map(|i| sample_signal(&format!("flow.n{i}"))).collect();
    let publisher = {
        let (bus, signals) = (bus.clone(), signals.clone());
        tokio::spawn(async move {
            for chunk in signals.chunks(50) {
                bus.publish(chunk.to_vec()).await.expect("published");
                tokio::task::yield_now().await;
            }
        })
    };
    for _ in 0..5 {
        runtime.load_adapter("printer", component("console"), config()).await.expect("replaced mid-flow");
    }
    publisher.await.expect("publisher");
    assert!(bus.shutdown(Duration::from_secs(30)).await.is_complete());
    let out = captured.stdout_text();
    for signal in &signals {
        assert_eq!(
            out.matches(&format!(r#""type":"{}""#, signal.ty)).count(),
            1,
            "{} printed once",
            signal.ty
        );
    }
}
