//! The `jido-dispatch` binary: outputs and one-line errors with non-zero exits.

use std::process::{Command, Output};

const SIGNAL: &str = r#"{"type":"user.created","source":"/demo","data":{"id":1}}"#;

fn run(args: &[&str]) -> Output {
    run_with_data(args, concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-data"))
}

/// Runs the binary with its default dead-letter store under `data_dir`.
fn run_with_data(args: &[&str], data_dir: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jido-dispatch"))
        .args(args)
        .env("JIDO_DISPATCH_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-cache"))
        .env("JIDO_DISPATCH_DATA_DIR", data_dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs and expects a failure whose stderr is one `error: …` line containing `needle`.
fn fails_with(args: &[&str], needle: &str) {
    let out = run(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(needle), "{stderr}");
}

#[test]
fn console_json_prints_the_signal_as_one_cloudevents_line() {
    let out = run(&["dispatch", "--signal", SIGNAL, "--target", r#"{"adapter":"console","format":"json"}"#]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let event: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(event["type"], "user.created");
    assert_eq!(event["source"], "/demo");
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["data"], serde_json::json!({"id": 1}));
    assert!(event["id"].as_str().is_some_and(|id| id.len() == 36));
}

#[test]
fn logger_writes_the_formatted_line() {
    let target = r#"{"adapter":"logger","level":"info","format":"User event: $type from $source"}"#;
    let out = run(&["dispatch", "--signal", SIGNAL, "--target", target]);
    assert!(out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.lines().any(|l| l.contains("INFO") && l.contains("User event: user.created from /demo")),
        "{stderr}"
    );
}

#[test]
fn several_targets_report_each_outcome() {
    let targets = r#"[{"adapter":"noop"},{"adapter":"console","format":"compact","colors":false}]"#;
    let out = run(&["dispatch", "--signal", SIGNAL, "--target", targets]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("target 0 (noop): delivered"), "{stdout}");
    assert!(stdout.contains("target 1 (console): delivered"), "{stdout}");
}

#[test]
fn bad_input_is_one_clear_line() {
    let noop = r#"{"adapter":"noop"}"#;
    fails_with(
        &["dispatch", "--signal", "{nope", "--target", noop],
        "invalid --signal: signal is not valid JSON",
    );
    fails_with(&["dispatch", "--signal", r#"{"source":"/x"}"#, "--target", noop], "type is required");
    fails_with(
        &["dispatch", "--signal", r#"{"type":"a","source":""}"#, "--target", noop],
        "source given but empty",
    );
    fails_with(
        &["dispatch", "--signal", SIGNAL, "--target", r#"{"adapter":"fax"}"#],
        "unknown adapter `fax` (known: bus, console, http, logger, named, noop, pid, pubsub, webhook)",
    );
    fails_with(
        &["dispatch", "--signal", SIGNAL, "--target", r#"{"adapter":"console","format":"xml"}"#],
        "invalid options for adapter `console`: format: unknown variant `xml`",
    );
}

#[test]
fn adapter_check_accepts_a_builtin_and_refuses_other_files() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let good = dir.join("console.wasm");
    std::fs::write(&good, jido_dispatch::builtin::get("console").expect("built in").component)
        .expect("write");
    let out = run(&["adapter", "check", good.to_str().expect("utf-8 path")]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("wasi:cli/stdout") && stdout.contains("grant: stdio"), "{stdout}");
    // The SDK builds adapters of the view world.
    assert!(stdout.contains("verdict: implements jido:dispatch/dispatch-view-adapter@0.1.0"), "{stdout}");

    let bad = dir.join("not-wasm.wasm");
    std::fs::write(&bad, b"plain text").expect("write");
    fails_with(&["adapter", "check", bad.to_str().expect("utf-8 path")], "not a WebAssembly component");
}

#[test]
fn adapters_lists_every_builtin_with_its_options() {
    let out = run(&["adapters"]);
    let stdout = text(&out.stdout);
    for needle in [
        "# `bus` adapter",
        "# `console` adapter",
        "# `logger` adapter",
        "# `noop` adapter",
        "# `template` transform",
        "# `select` transform",
        "`format`",
        "`metadata`",
    ] {
        assert!(stdout.contains(needle), "lacks {needle}: {stdout}");
    }
}

/// Accepts one HTTP request on 127.0.0.1, answers 204, and hands back what it read.
fn one_shot_server() -> (u16, std::thread::JoinHandle<String>) {
    one_shot_server_answering("204 No Content")
}

/// Accepts one HTTP request on 127.0.0.1, answers with `status`, and hands back what it read.
fn one_shot_server_answering(status: &'static str) -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("a request arrives");
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("}") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        let _ = stream.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").as_bytes());
        String::from_utf8_lossy(&seen).into_owned()
    });
    (port, handle)
}

#[test]
fn http_to_loopback_needs_allow_private() {
    let target = |port: u16| format!(r#"{{"adapter":"http","url":"http://127.0.0.1:{port}/hook"}}"#);
    let refused = run(&["dispatch", "--signal", SIGNAL, "--target", &target(9)]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("egress_denied") && stderr.contains("--allow-private"), "{stderr}");

    let (port, server) = one_shot_server();
    let out =
        run(&["dispatch", "--signal", SIGNAL, "--target", &target(port), "--allow-private", "127.0.0.0/8"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let request = server.join().expect("server thread");
    assert!(request.starts_with("POST /hook HTTP/1.1"), "{request}");
    assert!(request.contains(r#""type":"user.created""#), "{request}");

    fails_with(
        &["dispatch", "--signal", SIGNAL, "--target", &target(9), "--allow-private", "localhost"],
        "invalid --allow-private",
    );
}

#[test]
fn dlq_lists_shows_redrives_and_purges_a_sqlite_store() {
    use jido_dispatch::dead_letter::{DeadLetter, DeadLetterStore, SqliteStore};
    use jido_dispatch::{adapter::DeliveryError, signal::Signal, target::TargetSpec};
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cli-dlq-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(&path).expect("opens");
    let letter = |target: TargetSpec| DeadLetter {
        id: 0,
        origin: "dispatch".to_owned(),
        target,
        error: DeliveryError::retryable("http_503", "down"),
        attempts: 4,
        failed_at: "2026-01-02T03:04:05Z".to_owned(),
        signal: Signal::from_json(SIGNAL).expect("valid"),
    };
    let good = store.record(letter(TargetSpec::new("noop"))).expect("record");
    let bad = store.record(letter(TargetSpec::new("bus").with("bus", "nowhere".into()))).expect("record");
    drop(store);
    let file = path.to_str().expect("utf-8 path");

    let listed = text(&run(&["dlq", "list", "--store", file]).stdout);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.lines().next().is_some_and(
            |l| l.starts_with(&format!("{good}\t2026-01-02T03:04:05Z\tdispatch\tnoop\thttp_503\t"))
        ),
        "{listed}"
    );
    let shown = run(&["dlq", "show", &bad.to_string(), "--store", file]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("JSON");
    assert_eq!(shown["target"], serde_json::json!({"adapter": "bus", "bus": "nowhere"}));
    assert_eq!(shown["attempts"], 4);

    let redriven = run(&["dlq", "redrive", &good.to_string(), "--store", file]);
    assert!(redriven.status.success(), "{}", text(&redriven.stderr));
    fails_with(&["dlq", "redrive", &bad.to_string(), "--store", file], "redelivery failed");
    assert_eq!(
        text(&run(&["dlq", "list", "--store", file]).stdout).lines().count(),
        1,
        "only the failing one is left"
    );
    assert_eq!(text(&run(&["dlq", "purge", "--store", file]).stdout).trim(), "purged 1 dead letter(s)");
    fails_with(&["dlq", "show", "1", "--store", file], "no dead letter 1");
}

#[test]
fn a_failed_dispatch_lands_in_the_default_dead_letter_store() {
    let data = format!("{}/cli-data-{}", env!("CARGO_TARGET_TMPDIR"), std::process::id());
    let _ = std::fs::remove_dir_all(&data);
    let target = r#"{"adapter":"bus","bus":"nowhere"}"#;
    let out = run_with_data(&["dispatch", "--signal", SIGNAL, "--target", target], &data);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let listed = text(&run_with_data(&["dlq", "list"], &data).stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("\tdispatch\tbus\tbus_not_found\t"), "{listed}");
}

#[test]
fn config_check_validates_keys_and_every_target() {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/config-check"));
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("write");
        path.display().to_string()
    };
    let good = write(
        "good.toml",
        "[[subscriptions]]\npath = \"a.*\"\ndispatch = [{ adapter = \"console\" }, { adapter = \"noop\" }]\n",
    );
    let out = run(&["config", "check", &good]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ok (1 subscription(s), 2 target(s), 0 custom adapter(s))"));

    let unknown = write("unknown.toml", "[server]\nlisen = \"127.0.0.1:1\"\n");
    let out = run(&["config", "check", &unknown]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("line 2") && stderr.contains("unknown field `lisen`"), "{stderr}");

    let option = write(
        "option.toml",
        "[[subscriptions]]\npath = \"a.*\"\ndispatch = { adapter = \"webhook\", url = \"http://x\", secrt = \"a\" }\n",
    );
    fails_with(
        &["config", "check", &option],
        "subscriptions[0].dispatch[0]: invalid options for adapter `webhook`: secrt",
    );
    let pattern =
        write("pattern.toml", "[[subscriptions]]\npath = \"a..b\"\ndispatch = { adapter = \"noop\" }\n");
    fails_with(&["config", "check", &pattern], "subscriptions[0].path: Path cannot contain consecutive dots");
    fails_with(&["config", "check", "/nonexistent.toml"], "cannot read /nonexistent.toml");
}

#[test]
fn publish_names_an_unreachable_daemon() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("http://127.0.0.1:{port}");
    fails_with(&["publish", "--url", &url, "--signal", SIGNAL], &format!("cannot reach {url}/signals"));
    fails_with(&["publish", "--signal", "{nope"], "--signal is not JSON");
}

#[test]
fn adapter_test_reports_every_check_and_fails_with_exit_1() {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/adapter-test"));
    std::fs::create_dir_all(&dir).expect("dir");
    let console = dir.join("console.wasm");
    std::fs::write(&console, jido_dispatch::builtin::get("console").expect("built in").component)
        .expect("write");
    let out = run(&["adapter", "test", &console.display().to_string(), "--opts", r#"{"format":"json"}"#]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("PASS  deliver binary") && stdout.contains("all 9 checks passed"), "{stdout}");

    let junk = dir.join("junk.wasm");
    std::fs::write(&junk, b"\0asm\x01\0\0\0").expect("write");
    let out = run(&["adapter", "test", &junk.display().to_string()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  world") && stdout.contains("core Wasm module"), "{stdout}");
}

#[test]
fn dispatch_waits_for_async_targets_before_it_exits() {
    let data = format!("{}/cli-async-{}", env!("CARGO_TARGET_TMPDIR"), std::process::id());
    let _ = std::fs::remove_dir_all(&data);
    // A receiver that reads the request and answers 500 (not retried: the final failure is
    // written to the dead-letter store only once the async delivery has finished).
    let (port, server) = one_shot_server_answering("500 Oops");
    let target = format!(
        r#"{{"adapter":"http","url":"http://127.0.0.1:{port}/hook","async":true,"retry_policy":{{"max_retries":0}}}}"#
    );
    let out = run_with_data(
        &["dispatch", "--signal", SIGNAL, "--target", &target, "--allow-private", "127.0.0.0/8"],
        &data,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("started (async)"), "{}", text(&out.stdout));
    server.join().expect("the request was sent before the process exited");
    let listed = text(&run_with_data(&["dlq", "list"], &data).stdout);
    assert!(listed.contains("\thttp\thttp_500\t"), "the async failure was recorded: {listed}");
}

#[test]
fn transform_test_runs_the_transform_kit() {
    let dir = std::path::PathBuf::from(concat!(env!("CARGO_TARGET_TMPDIR"), "/transform-test"));
    std::fs::create_dir_all(&dir).expect("dir");
    let template = dir.join("template.wasm");
    let component = jido_dispatch::builtin::transforms()
        .into_iter()
        .find(|t| t.name == "template")
        .expect("built in")
        .component;
    std::fs::write(&template, component).expect("write");
    let file = template.display().to_string();
    let out = run(&["transform", "test", &file, "--opts", r#"{"template":{"text":"$type"}}"#]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("PASS  transform binary") && stdout.contains("all 8 checks passed"), "{stdout}");

    let out = run(&["transform", "test", &file, "--opts", r#"{"template":{"text":"${x"}}"#]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  validate-opts"), "{stdout}");
}
