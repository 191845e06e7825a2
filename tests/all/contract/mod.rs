//! A contract test for every built-in adapter.
//!
//! `for_each_builtin_adapters!` (generated from `adapters/`) expands to one test per
//! built-in that calls `<name>::contract()`: adding an adapter without a module here is a
//! compile error. Every contract runs [`common`] plus the adapter's own checks.

mod bus;
mod console;
mod http;
mod logger;
mod named;
mod noop;
mod pid;
mod pubsub;
mod webhook;

use jido_dispatch::Runtime;
use jido_dispatch::adapter::DeliveryError;
use jido_dispatch::signal::{Data, Signal};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Captured, builder, sample_signal};

macro_rules! contract_test {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            $name::contract().await;
        }
    };
}

jido_dispatch::for_each_builtin_adapters!(contract_test);

/// A runtime whose console writes into `captured`.
pub fn runtime(captured: &Captured) -> Runtime {
    builder(crate::CACHE_ROOT)
        .console_stdio(captured.stdio())
        .build()
        .unwrap_or_else(|e| panic!("runtime starts: {e}"))
}

/// What every adapter must do with its default options: validate and normalise them,
/// refuse non-JSON and unknown keys, deliver small, large and binary signals, answer a
/// batch with one result per signal, and report healthy.
pub async fn common(runtime: &Runtime, spec: TargetSpec) {
    let adapter = spec.adapter.clone();
    let adapter = adapter.as_str();
    let target =
        runtime.open_target(&spec).await.unwrap_or_else(|e| panic!("{adapter}: defaults are valid: {e}"));
    let normalised: serde_json::Value =
        serde_json::from_str(target.normalised_options()).expect("normalised options are JSON");
    assert!(normalised.is_object(), "{adapter}: normalised options are an object");

    let handle = runtime.adapter(adapter).expect("registered");
    let not_json = handle.validate_opts("{not json").await.expect_err("non-JSON refused");
    assert!(not_json.message.contains("not valid JSON"), "{adapter}: {not_json}");
    let unknown = handle.validate_opts(r#"{"no_such_option":1}"#).await.expect_err("unknown key refused");
    assert!(unknown.message.contains("no_such_option"), "{adapter}: {unknown}");

    let large = Signal::builder("contract.large", "/test")
        .data_json(&serde_json::json!({"blob": "x".repeat(64 * 1024)}))
        .build()
        .expect("valid");
    let binary = Signal::builder("contract.binary", "/test")
        .data(Data::binary((0..=255u8).cycle().take(4096).collect::<Vec<u8>>()))
        .build()
        .expect("valid");
    for signal in [sample_signal("contract.small"), large.clone(), binary.clone()] {
        runtime
            .dispatch(&signal, &target)
            .await
            .unwrap_or_else(|e| panic!("{adapter}: delivers {}: {e}", signal.ty));
    }
    let batch = [sample_signal("contract.batch"), large, binary];
    let results: Vec<Result<(), DeliveryError>> = target.deliver_batch(&batch).await;
    assert_eq!(results.len(), batch.len(), "{adapter}: one result per batched signal");
    assert!(results.iter().all(Result::is_ok), "{adapter}: batch delivered: {results:?}");
    assert_eq!(target.health_check().await, Ok(()), "{adapter}: healthy");
}

/// Asserts that each (options, message) is refused by `adapter` with an error containing
/// the message (which should name the option).
pub async fn assert_refused(runtime: &Runtime, adapter: &str, cases: &[(serde_json::Value, &str)]) {
    for (options, message) in cases {
        let mut spec = TargetSpec::new(adapter);
        for (key, value) in options.as_object().expect("options are an object") {
            spec = spec.with(key, value.clone());
        }
        let err = runtime.open_target(&spec).await.expect_err("refused");
        assert!(err.to_string().contains(message), "{adapter} {options}: {err}");
    }
}
