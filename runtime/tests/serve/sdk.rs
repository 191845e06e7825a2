//! Interop with the official CloudEvents SDKs (Python `cloudevents` 2.2.0, JavaScript
//! `cloudevents` 10.0.0, installed by `tests/sdk/setup.sh`; they run when `JIDO_EXAMPLES=1`,
//! as `tests/run` sets): each SDK sends structured, binary and batched events to the daemon's
//! ingress, and parses what the `http` adapter delivers in structured and binary mode.
//!
//! The daemon adds one thing: the `traceparent` extension of the trace it continued.
//! Attribute values are compared on their text (binary mode carries every attribute as a
//! header string, so `3` and `"3"` are the same event there); data byte for byte.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::SERVER;
use crate::receiver::{Receiver, Recorded};
use crate::support::{Serve, temp_dir};

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/sdk")
}

/// Runs one SDK script with `args` (and `stdin`); its stdout as JSON.
fn run_sdk(sdk: &str, args: &[&str], stdin: Option<&Value>) -> Value {
    let dir = sdk_dir();
    let mut command = match sdk {
        "python" => {
            let mut c = Command::new("python3");
            c.arg(dir.join("python_sdk.py")).env("PYTHONPATH", dir.join(".python"));
            c
        }
        _ => {
            let mut c = Command::new("node");
            c.arg(dir.join("js_sdk.mjs")).current_dir(&dir);
            c
        }
    };
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the SDK script starts");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(value) = stdin {
        input.write_all(value.to_string().as_bytes()).expect("write stdin");
    }
    drop(input);
    let out = child.wait_with_output().expect("the SDK script runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{sdk} {args:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{sdk} printed no JSON ({e}): {stderr}"))
}

/// A JSON value as text (strings as they are).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Attributes as name → text; `time` without a zero fraction (the JS SDK writes `.000Z`).
fn texts(attributes: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = attributes
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "data" | "data_base64"))
        .map(|(name, value)| {
            let value = text(value);
            let value = if name == "time" { value.replace(".000Z", "Z") } else { value };
            (name.clone(), value)
        })
        .collect();
    out.sort();
    out
}

/// The event a structured-mode delivery carries, in the scripts' shape.
fn delivered(request: &Recorded) -> Value {
    let body: Map<String, Value> = serde_json::from_slice(&request.body).expect("structured JSON");
    let data = match (body.get("data"), body.get("data_base64")) {
        (_, Some(encoded)) => json!({ "base64": encoded }),
        (Some(data), None) => data.clone(),
        (None, None) => Value::Null,
    };
    json!({ "attributes": body, "data": data })
}

fn assert_same(sdk: &str, what: &str, got: &Value, want: &Value) {
    let (got_attributes, want_attributes) = (got["attributes"].as_object(), want["attributes"].as_object());
    let (got_attributes, want_attributes) =
        (got_attributes.expect("attributes"), want_attributes.expect("attributes"));
    assert_eq!(texts(got_attributes), texts(want_attributes), "{sdk}, {what}: attributes");
    assert_eq!(got["data"], want["data"], "{sdk}, {what}: data");
}

fn id_of(request: &Recorded) -> String {
    match request.path.as_str() {
        "/binary" => request.header("ce-id").unwrap_or_default().to_owned(),
        _ => delivered(request)["attributes"]["id"].as_str().unwrap_or_default().to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdks_send_to_the_ingress_and_read_what_http_delivers() {
    if std::env::var_os("JIDO_EXAMPLES").is_none() {
        #[expect(clippy::print_stderr, reason = "say why the test did nothing")]
        {
            eprintln!(
                "skipping the SDK interop test: set JIDO_EXAMPLES=1 (tests/run does) to install the SDKs"
            );
        }
        return;
    }
    let status = Command::new("bash").arg(sdk_dir().join("setup.sh")).status().expect("setup.sh runs");
    assert!(status.success(), "tests/sdk/setup.sh failed");
    let receiver = Receiver::ok().await;
    let config = format!(
        "{SERVER}\n[[subscriptions]]\npath = \"sdk.**\"\ndispatch = [\n  {{ adapter = \"http\", url = \"{}\" }},\n  {{ adapter = \"http\", url = \"{}\", mode = \"binary\" }},\n]\n",
        receiver.url("/structured"),
        receiver.url("/binary"),
    );
    let serve = Serve::start(&temp_dir("sdk"), &config);
    let ingress = format!("{}/signals", serve.base);
    let mut expected = 0;
    for sdk in ["python", "js"] {
        let sent = run_sdk(sdk, &["send", &ingress], None);
        let sent = sent.as_array().expect("a list of events");
        expected += 2 * sent.len();
        receiver.wait_for(expected, Duration::from_secs(60)).await;
        let requests = receiver.requests();
        for event in sent {
            let id = event["attributes"]["id"].as_str().expect("id");
            let ours: Vec<&Recorded> = requests.iter().filter(|r| id_of(r) == id).collect();
            assert_eq!(ours.len(), 2, "{sdk}: {id} delivered once per target");
            let structured = *ours.iter().find(|r| r.path == "/structured").expect("structured delivery");
            // What the SDK sent is what was delivered, plus the trace the daemon continued
            // (the `traceparent` extension names its ingress span).
            let mut got = delivered(structured);
            let traceparent = got["attributes"].as_object_mut().and_then(|a| a.remove("traceparent"));
            assert!(
                traceparent.is_some_and(|t| t.as_str().is_some_and(|t| t.len() == 55)),
                "{sdk}: {id} traced"
            );
            assert_same(sdk, &format!("{id} sent, then delivered"), &got, event);
            for request in &ours {
                let body = base64::engine::general_purpose::STANDARD.encode(&request.body);
                let headers: Map<String, Value> =
                    request.headers.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect();
                let parsed =
                    run_sdk(sdk, &["parse"], Some(&json!({ "headers": headers, "body_base64": body })));
                let mut want = delivered(structured);
                let what = format!("{id} delivered in {} mode, parsed", request.path);
                if sdk == "js" && request.path == "/binary" {
                    // The JavaScript SDK does not percent-decode `ce-*` values (the binding
                    // says receivers must): it reads back the spec-conformant encoding we
                    // send. Everything else must match.
                    let subject = want["attributes"]["subject"].as_str().expect("subject").to_owned();
                    assert_eq!(
                        parsed["attributes"]["subject"],
                        json!("caf%C3%A9/%C3%BC%20100%25%20%22done%22"),
                        "{what}"
                    );
                    assert_eq!(subject, "café/ü 100% \"done\"");
                    want["attributes"]["subject"] = parsed["attributes"]["subject"].clone();
                }
                assert_same(sdk, &what, &parsed, &want);
            }
        }
    }
}
