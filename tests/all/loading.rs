//! Loading components: what is refused and why, and the on-disk compile cache.

use std::path::PathBuf;

use jido_dispatch::Runtime;
use jido_dispatch::host::{
    AdapterConfig, AdapterHost, CacheOutcome, CompileCache, EngineSettings, LoadError,
};
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{builder, guest, sample_signal};

fn fresh_dir(name: &str) -> PathBuf {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    PathBuf::from(crate::CACHE_ROOT).join(format!("{name}-{}-{nanos}", std::process::id()))
}

fn runtime() -> Runtime {
    builder(crate::CACHE_ROOT).build().expect("runtime starts")
}

#[tokio::test]
async fn bytes_that_are_not_wasm_are_refused() {
    let err = runtime().load_adapter("x", b"hello", AdapterConfig::default()).await.expect_err("refused");
    assert!(matches!(err, LoadError::NotAComponent(_)));
    assert_eq!(err.to_string(), "not a WebAssembly component: it does not start with the Wasm magic number");
}

#[tokio::test]
async fn a_core_module_is_refused_with_the_fix() {
    let core_module = b"\0asm\x01\0\0\0";
    let err = runtime().load_adapter("x", core_module, AdapterConfig::default()).await.expect_err("refused");
    assert!(err.to_string().contains("it is a core Wasm module"), "{err}");
}

#[tokio::test]
async fn a_component_of_another_world_is_refused_naming_its_exports() {
    let err = runtime()
        .load_adapter("x", guest("other-world"), AdapterConfig::default())
        .await
        .expect_err("refused");
    assert!(matches!(err, LoadError::WrongWorld(_)));
    assert!(
        err.to_string().contains("does not export `jido:dispatch/adapter@0.1.0` (its exports: greet)"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_adapter_lists_the_known_ones() {
    let err = runtime().open_target(&TargetSpec::new("smoke-signal")).await.expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "unknown adapter `smoke-signal` (known: bus, console, http, logger, named, noop, pid, pubsub, webhook)"
    );
}

#[tokio::test]
async fn a_custom_component_loads_and_delivers() {
    let runtime = runtime();
    runtime.load_adapter("custom", guest("hostile"), AdapterConfig::default()).await.expect("loads");
    let target = runtime.open_target(&TargetSpec::new("custom")).await.expect("opens");
    runtime.dispatch(&sample_signal("fine"), &target).await.expect("delivers");
}

#[test]
fn the_second_start_loads_compiled_code_from_the_cache() {
    let dir = fresh_dir("cache");
    let bytes = jido_dispatch::builtin::get("noop").expect("built in").component;
    let host =
        || AdapterHost::new(&EngineSettings::default(), CompileCache::new(Some(dir.clone()))).expect("host");
    let (_, first) = host().load("noop", bytes, AdapterConfig::default()).expect("loads");
    assert_eq!(first, CacheOutcome::Compiled);
    let second_start = host();
    let (_, second) = second_start.load("noop", bytes, AdapterConfig::default()).expect("loads");
    assert_eq!(second, CacheOutcome::Hit);
    // The same component loaded again in this host shares its compiled code.
    let (_, third) = second_start.load("noop-for-tenant-b", bytes, AdapterConfig::default()).expect("loads");
    assert_eq!(third, CacheOutcome::Shared);
}

#[tokio::test]
async fn a_corrupt_cache_entry_is_recompiled() {
    let dir = fresh_dir("corrupt");
    let bytes = jido_dispatch::builtin::get("noop").expect("built in").component;
    let host =
        || AdapterHost::new(&EngineSettings::default(), CompileCache::new(Some(dir.clone()))).expect("host");
    host().load("noop", bytes, AdapterConfig::default()).expect("loads");
    for entry in std::fs::read_dir(&dir).expect("cache dir exists").flatten() {
        std::fs::write(entry.path(), b"garbage").expect("overwrite");
    }
    let runtime = builder(crate::CACHE_ROOT).compile_cache(Some(dir.clone())).build().expect("runtime");
    let outcome = runtime.load_adapter("noop2", bytes, AdapterConfig::default()).await.expect("recompiles");
    assert_eq!(outcome, CacheOutcome::Compiled);
    let target = runtime.open_target(&TargetSpec::new("noop2")).await.expect("opens");
    runtime.dispatch(&sample_signal("fine"), &target).await.expect("delivers");
}

/// A manifest's `target_defaults` is the adapter's profile: its targets get those host keys
/// when they leave them out, and their own keys win.
#[tokio::test]
async fn a_manifests_target_defaults_apply_to_its_targets() {
    use jido_dispatch::manifest::AdapterManifest;
    use jido_dispatch::resilience::LaneOrdering;
    let dir = fresh_dir("profile");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("custom.wasm"), guest("hostile")).expect("written");
    let manifest: AdapterManifest = toml::from_str(
        "name = \"custom\"\ncomponent = \"custom.wasm\"\n\
         target_defaults = { retry_policy = { max_retries = 5 }, ordering = \"strict\" }\n",
    )
    .expect("manifest");
    let runtime = runtime();
    runtime.load_manifest(&manifest, &dir).await.expect("loads");
    let target = runtime.open_target(&TargetSpec::new("custom")).await.expect("opens");
    assert_eq!(target.retry_policy().max_retries, 5);
    assert_eq!(target.settings().lane.ordering, LaneOrdering::Strict);
    let own = TargetSpec::new("custom").with("ordering", serde_json::json!("none"));
    let target = runtime.open_target(&own).await.expect("opens");
    assert_eq!(target.settings().lane.ordering, LaneOrdering::None);
    assert_eq!(target.retry_policy().max_retries, 5);
    let _ = std::fs::remove_dir_all(&dir);
}
