//! The guest examples of `guest-examples/`: each is built, passes the conformance kit and
//! delivers a signal through the runtime.
//!
//! The Rust examples (the Slack adapter and the Slack-message transform) are built with the
//! test guests (always; the transform's tests are in `transforms.rs` and `conformance.rs`).
//! The WAT, JavaScript (an adapter and a transform) and Python examples need their toolchains (wasm-tools, jco, componentize-py), which their build
//! scripts install into the example's folder; they run when `JIDO_EXAMPLES=1` is set, as
//! `tests/run` (the README's test command, and so `.ci/run`) does.

use std::path::PathBuf;
use std::process::Command;

use jido_dispatch::conformance;
use jido_dispatch::host::http::OriginPattern;
use jido_dispatch::host::{AdapterConfig, HttpGrant};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, builder, guest, loopback_builder};
use serde_json::json;

#[tokio::test]
async fn the_rust_slack_example_posts_to_its_webhook() {
    let receiver = Receiver::ok().await;
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let origin = OriginPattern::parse(&format!("http://127.0.0.1:{}", receiver.port())).expect("origin");
    let config = AdapterConfig { http: HttpGrant::Origins(vec![origin]), ..AdapterConfig::default() };
    runtime.load_adapter("slack", guest("rust-slack"), config).await.expect("loads");
    let spec = TargetSpec::new("slack")
        .with("webhook_url", json!(receiver.url("/services/T0/B0/X")))
        .with("text", json!(":rocket: $type ($subject)"))
        .with("username", json!("deploy-bot"));
    let target = runtime.open_target(&spec).await.expect("opens");
    let signal = Signal::builder("deploy.finished", "/ci").subject("api v2").build().expect("valid");
    runtime.dispatch(&signal, &target).await.expect("posted");
    let request = &receiver.requests()[0];
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(body, json!({"text": ":rocket: deploy.finished (api v2)", "username": "deploy-bot"}));
    assert_eq!(request.header("content-type"), Some("application/json"));

    let err = runtime.open_target(&TargetSpec::new("slack")).await.expect_err("webhook_url required");
    assert!(err.to_string().contains("missing field `webhook_url`"), "{err}");
    let report = conformance::run(
        &builder(crate::CACHE_ROOT).build().expect("runtime"),
        guest("rust-slack"),
        r#"{"webhook_url":"https://hooks.example.com/x"}"#,
        false,
    )
    .await;
    assert!(report.passed(), "{report}");
}

/// Runs `guest-examples/<dir>/build.sh` and returns the component it built.
pub(crate) fn build_example(dir: &str) -> Option<Vec<u8>> {
    build_example_file(dir, "adapter.wasm")
}

/// Runs `guest-examples/<dir>/build.sh` and returns the component `file` it built.
fn build_example_file(dir: &str, file: &str) -> Option<Vec<u8>> {
    if std::env::var_os("JIDO_EXAMPLES").is_none() {
        #[expect(clippy::print_stderr, reason = "say why the test did nothing")]
        {
            eprintln!("skipping the {dir} example: set JIDO_EXAMPLES=1 (tests/run does) to build it");
        }
        return None;
    }
    // Two tests build the same example (and on a fresh clone install its toolchain): one
    // build at a time, and the component read before the next build starts.
    static BUILDS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILDS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../guest-examples").join(dir);
    let status = Command::new("bash").arg(root.join("build.sh")).status().expect("build.sh runs");
    assert!(status.success(), "{dir}/build.sh failed");
    Some(std::fs::read(root.join(file)).unwrap_or_else(|e| panic!("{dir}/{file} built: {e}")))
}

async fn check_example(dir: &str, opts: &str, wasi_stubs: bool) {
    let Some(bytes) = build_example(dir) else { return };
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let report = conformance::run(&runtime, &bytes, opts, wasi_stubs).await;
    assert!(report.passed(), "{dir}:\n{report}");
    let config = AdapterConfig { wasi_stubs, ..AdapterConfig::default() };
    runtime.load_adapter(dir, &bytes, config).await.expect("loads");
    let target = runtime.open_target(&TargetSpec::new(dir)).await.expect("opens");
    let signal = Signal::builder("user.created", "/examples").build().expect("valid");
    runtime.dispatch(&signal, &target).await.unwrap_or_else(|e| panic!("{dir} delivers: {e}"));
    // Interpreted guests keep delivering large signals, call after call.
    let large = Signal::builder("user.large", "/examples")
        .data_json(&json!({"blob": "x".repeat(256 * 1024)}))
        .build()
        .expect("valid");
    for i in 0..400 {
        runtime.dispatch(&large, &target).await.unwrap_or_else(|e| panic!("{dir}: large delivery {i}: {e}"));
    }
}

#[tokio::test]
async fn the_wat_example_builds_and_delivers() {
    check_example("wat", "{}", false).await;
}

#[tokio::test]
async fn the_javascript_example_builds_and_delivers() {
    check_example("javascript", r#"{"level":"warn"}"#, true).await;
}

#[tokio::test]
async fn the_python_example_builds_and_delivers() {
    check_example("python", r#"{"level":"warn"}"#, true).await;
}

/// The example in `dir`, copied to a scratch directory with `from` replaced by `to` in `file`
/// (so that `deliver` throws), built by the example's build script (its toolchain, the SDK).
fn build_throwing(dir: &str, file: &str, from: &str, to: &str) -> Option<Vec<u8>> {
    build_example(dir)?;
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../guest-examples").join(dir);
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("throwing-{dir}"));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    for entry in std::fs::read_dir(&example).expect("example dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|ext| ext == "js" || ext == "py") {
            std::fs::copy(&path, scratch.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let source = std::fs::read_to_string(scratch.join(file)).expect("source");
    assert!(source.contains(from), "{dir}/{file} no longer has {from:?}");
    std::fs::write(scratch.join(file), source.replace(from, to)).expect("patch");
    // The example's build script builds another folder's sources with its toolchain and the SDK.
    let status = Command::new("bash").arg(example.join("build.sh")).arg(&scratch).status();
    assert!(status.expect("the toolchain runs").success(), "building the throwing {dir} component");
    Some(std::fs::read(scratch.join("adapter.wasm")).expect("built"))
}

/// A component whose `deliver` throws `{thrown}<signal type>`: the dead letter and the
/// conformance kit both show the thrown text (the host keeps the tail of its stderr, which
/// it was not granted).
async fn check_throwing(dir: &str, bytes: &[u8], thrown: &str) {
    let runtime = builder(crate::CACHE_ROOT).build().expect("runtime");
    let config = AdapterConfig { wasi_stubs: true, ..AdapterConfig::default() };
    runtime.load_adapter(dir, bytes, config).await.expect("loads");
    let target = runtime.open_target(&TargetSpec::new(dir)).await.expect("opens");
    let signal = Signal::builder("user.created", "/examples").build().expect("valid");
    let err = runtime.dispatch(&signal, &target).await.expect_err("throws");
    assert_eq!(err.code(), Some("adapter_trap"), "{err}");
    let letters = runtime.dead_letters().list().expect("listed");
    let message = letters[0].error.to_string();
    let said = format!("{thrown}user.created");
    assert!(message.contains(&said) && message.contains("; stderr: "), "{dir}: {message}");
    let report = conformance::run(&runtime, bytes, "{}", true).await;
    let said = format!("{thrown}conformance.small");
    assert!(!report.passed() && report.to_string().contains(&said), "{dir}:\n{report}");
}

#[tokio::test]
async fn a_javascript_exception_in_deliver_reaches_the_dead_letter() {
    let from = "    log(this.level, `${signal.type} from ${signal.source}`, []);";
    let to = "    throw new TypeError(`thrown from javascript: ${signal.type}`);";
    let Some(bytes) = build_throwing("javascript", "adapter.js", from, to) else { return };
    check_throwing("javascript", &bytes, "thrown from javascript: ").await;
}

#[tokio::test]
async fn a_python_exception_in_deliver_reaches_the_dead_letter() {
    let from = "        log.log(self.level, f\"{signal.type} from {signal.source}\", [])";
    let to = "        raise ValueError(f\"thrown from python: {signal.type}\")";
    let Some(bytes) = build_throwing("python", "adapter.py", from, to) else { return };
    check_throwing("python", &bytes, "ValueError: thrown from python: ").await;
}

#[tokio::test]
async fn the_javascript_transform_example_builds_and_shapes_slack_messages() {
    let Some(bytes) = build_example_file("javascript-slack-transform", "transform.wasm") else { return };
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let opts = r##"{"channel":"#ops","min_severity":3}"##;
    let report = conformance::transform::run(&runtime, &bytes, opts, true).await;
    assert!(report.passed(), "{report}");
    // Built with jco against the world whose transforms receive the signal itself.
    assert!(report.checks[0].detail.ends_with("jido:dispatch/dispatch-transform@0.1.0"), "{report}");
    let config = AdapterConfig { wasi_stubs: true, ..AdapterConfig::default() };
    runtime.load_transform("slack-js", &bytes, config).await.expect("loads");
    let receiver = Receiver::ok().await;
    let spec = TargetSpec::new("http")
        .with("url", json!(receiver.url("/slack")))
        .with("mode", json!("binary"))
        .with("transform", json!("slack-js"))
        .with("transform_options", serde_json::from_str::<serde_json::Value>(opts).expect("json"));
    let target = runtime.open_target(&spec).await.expect("opens");
    let alert = |severity: u32| {
        Signal::builder("alert.raised", "/monitor")
            .data_json(&json!({"severity": severity}))
            .build()
            .expect("valid")
    };
    runtime.dispatch(&alert(5), &target).await.expect("delivered");
    runtime.dispatch(&alert(1), &target).await.expect("dropped, which is not a failure");
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "the low-severity alert was dropped");
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).expect("json");
    assert_eq!(body, json!({"text": "*alert.raised* from /monitor", "channel": "#ops"}));
    // The interpreted transform keeps working on large signals, call after call.
    let large = Signal::builder("user.large", "/examples")
        .data_json(&json!({"blob": "x".repeat(256 * 1024)}))
        .build()
        .expect("valid");
    for i in 0..200 {
        runtime.dispatch(&large, &target).await.unwrap_or_else(|e| panic!("large delivery {i}: {e}"));
    }
}
