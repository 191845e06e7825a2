//! Targets and options: target objects with host-level keys, the daemon's TOML, and the
//! built-in adapters' option parsing and checks (compiled natively) never panic.
#![no_main]

use jido_dispatch::daemon::Config;
use jido_dispatch::resilience::{BreakerConfig, RetryPolicy};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_sdk::Adapter;
use libfuzzer_sys::fuzz_target;

fn options<A: Adapter>(text: &str) {
    if let Ok(opts) = jido_dispatch_sdk::options::parse::<A::Options>(text) {
        if A::check(&opts).is_ok() {
            let _ = A::open(opts);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(specs) = TargetSpec::list_from_json(text) {
        for spec in specs {
            let _ = spec.options_json();
            if let Some(value) = spec.host.get("retry_policy") {
                let _ = RetryPolicy::from_value(value);
            }
            if let Some(value) = spec.host.get("circuit_breaker") {
                let _ = BreakerConfig::from_value(value);
            }
            let _ = jido_dispatch::resilience::batching(&spec.host);
        }
    }
    let _ = Config::parse(text, "fuzz", std::path::PathBuf::new());
    options::<jido_adapter_webhook::Webhook>(text);
    options::<jido_adapter_http::Http>(text);
    options::<jido_adapter_named::NamedTarget>(text);
});
