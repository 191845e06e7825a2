//! The JavaScript and Python guest SDKs' own unit tests (`node --test`, `python3 -m
//! unittest`), run with the examples (`JIDO_EXAMPLES=1`, set by `tests/run`): both check the
//! shared table of response classifications that the Rust SDK's test also reads. And each
//! SDK's http helper inside a real component (`tests/guests/sdk-http-*`).

use std::path::PathBuf;
use std::process::Command;

use jido_dispatch::host::http::OriginPattern;
use jido_dispatch::host::{AdapterConfig, HttpGrant};
use jido_dispatch::signal::Signal;
use jido_dispatch::target::TargetSpec;
use jido_dispatch_tests::{Receiver, Reply, loopback_builder};
use serde_json::json;

fn sdk_dir(language: &str) -> Option<PathBuf> {
    if std::env::var_os("JIDO_EXAMPLES").is_none() {
        #[expect(clippy::print_stderr, reason = "say why the test did nothing")]
        {
            eprintln!("skipping the {language} SDK tests: set JIDO_EXAMPLES=1 (tests/run does) to run them");
        }
        return None;
    }
    Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../adapters/sdk").join(language))
}

fn passes(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what} cannot start: {e}"));
    assert!(
        output.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_javascript_sdk_passes_its_tests() {
    let Some(dir) = sdk_dir("javascript") else { return };
    passes(Command::new("node").arg("--test").arg(dir.join("jido.test.mjs")), "node --test");
}

#[test]
fn the_python_sdk_passes_its_tests() {
    let Some(dir) = sdk_dir("python") else { return };
    passes(
        Command::new("python3").args(["-m", "unittest", "discover", "-s"]).arg(&dir).current_dir(&dir),
        "python3 -m unittest",
    );
}

/// `tests/guests/sdk-http-{language}`, built in a scratch folder by the example's build
/// script (which installs the toolchain on first use and bundles the SDK).
fn sdk_component(language: &str) -> Option<Vec<u8>> {
    crate::examples::build_example(language)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sources = root.join("guests").join(format!("sdk-http-{language}"));
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sdk-http-{language}"));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    for entry in std::fs::read_dir(&sources).expect("sources") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, scratch.join(path.file_name().expect("name"))).expect("copy");
    }
    let build = root.join("../guest-examples").join(language).join("build.sh");
    passes(Command::new("bash").arg(build).arg(&scratch), "the build script");
    Some(std::fs::read(scratch.join("adapter.wasm")).expect("built"))
}

/// Inside a real component, the SDK's send helper encodes the signal in binary mode and
/// classifies what the host's `http` import returned, answers and refusals alike.
async fn check_sdk_http(language: &str) {
    let Some(bytes) = sdk_component(language) else { return };
    let receiver = Receiver::start(|n, _| match n {
        0 => Reply::status(204),
        1 => Reply::Status(503, vec![("retry-after".to_owned(), "7".to_owned())], Vec::new()),
        _ => Reply::Status(404, Vec::new(), b"gone".to_vec()),
    })
    .await;
    let runtime = loopback_builder(crate::CACHE_ROOT).build().expect("runtime");
    let origin = OriginPattern::parse(&format!("http://127.0.0.1:{}", receiver.port())).expect("origin");
    let config = AdapterConfig {
        http: HttpGrant::Origins(vec![origin]),
        wasi_stubs: true,
        ..AdapterConfig::default()
    };
    runtime.load_adapter(language, &bytes, config).await.expect("loads");
    let no_retry = json!({"max_retries": 0});
    let spec = |url: String| {
        TargetSpec::new(language).with("url", json!(url)).with("retry_policy", no_retry.clone())
    };
    let target = runtime.open_target(&spec(receiver.url("/hook"))).await.expect("opens");
    let signal = Signal::builder("sdk.test", "/shop eu").subject("café").build().expect("valid");

    runtime.dispatch(&signal, &target).await.expect("204 delivers");
    let request = &receiver.requests()[0];
    assert_eq!(request.header("ce-type"), Some("sdk.test"));
    assert_eq!(request.header("ce-source"), Some("/shop%20eu"));
    assert_eq!(request.header("ce-subject"), Some("caf%C3%A9"));

    let err = runtime.dispatch(&signal, &target).await.expect_err("503");
    assert!(err.is_retryable() && err.code() == Some("http_503"), "{language}: {err}");
    assert_eq!(err.failure().retry_after, Some(std::time::Duration::from_secs(7)), "{language}: {err}");
    let err = runtime.dispatch(&signal, &target).await.expect_err("404");
    assert!(!err.is_retryable() && err.code() == Some("http_404"), "{language}: {err}");
    assert!(err.to_string().contains("answered 404: gone"), "{language}: {err}");

    let elsewhere = runtime.open_target(&spec("http://127.0.0.1:9/x".to_owned())).await.expect("opens");
    let err = runtime.dispatch(&signal, &elsewhere).await.expect_err("not granted");
    assert!(!err.is_retryable() && err.code() == Some("egress_denied"), "{language}: {err}");
    let err = runtime.open_target(&spec("ftp://x".to_owned())).await.expect_err("bad url");
    assert!(err.to_string().contains("url: only http and https URLs are allowed"), "{language}: {err}");
}

#[tokio::test]
async fn the_javascript_sdk_sends_and_classifies_inside_a_component() {
    check_sdk_http("javascript").await;
}

#[tokio::test]
async fn the_python_sdk_sends_and_classifies_inside_a_component() {
    check_sdk_http("python").await;
}
