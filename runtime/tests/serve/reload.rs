//! `[[adapters]]` components: loaded at start, reloaded by the admin API and by SIGHUP
//! while signals flow; a broken replacement is refused and the running one stays.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::SERVER;
use crate::receiver::Receiver;
use crate::support::{Serve, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_adapters_reload_without_losing_signals() {
    let receiver = Receiver::ok().await;
    let dir = temp_dir("reload");
    let component = dir.join("relay.wasm");
    let http = jido_dispatch::builtin::get("http").expect("builtin http").component;
    std::fs::write(&component, http).expect("write component");
    let origin = receiver.url("");
    let config = format!(
        r#"{SERVER}
[[adapters]]
name = "relay"
component = "relay.wasm"
tenant = "acme"
grants = {{ http = ["{}"] }}

[[subscriptions]]
path = "**"
dispatch = {{ adapter = "relay", url = "{}" }}
"#,
        origin.trim_end_matches('/'),
        receiver.url("/relay")
    );
    let mut serve = Serve::start(&dir, &config);
    let mut sent = 0;
    let post = async |serve: &Serve, n: usize| {
        for _ in 0..n {
            let (status, body) = serve.event(json!({"type": "t", "source": "/r"})).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        }
        n
    };
    sent += post(&serve, 20).await;
    let (status, body) = serve.admin(Method::POST, "/admin/adapters/reload", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"reloaded": ["relay"]})));
    sent += post(&serve, 20).await;

    // A broken file is refused; the running component keeps delivering.
    std::fs::write(&component, b"not wasm").expect("write");
    let (status, body) = serve.admin(Method::POST, "/admin/adapters/reload", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap_or_default().contains("not a WebAssembly component"), "{body}");
    sent += post(&serve, 20).await;

    // SIGHUP does the same as the admin call.
    std::fs::write(&component, http).expect("write component");
    let pid = serve.pid().to_string();
    std::process::Command::new("kill").args(["-HUP", &pid]).status().expect("kill -HUP");
    sent += post(&serve, 20).await;
    receiver.wait_for(sent, Duration::from_secs(30)).await;
    assert_eq!(receiver.requests().len(), sent, "every signal delivered once");
    assert!(serve.terminate().success());
    let log = std::fs::read_to_string(&serve.log).unwrap_or_default();
    assert!(log.contains("SIGHUP: custom adapters reloaded"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_transforms_load_from_config_and_reload_under_traffic() {
    let receiver = Receiver::ok().await;
    let dir = temp_dir("reload-transforms");
    let component = dir.join("shape.wasm");
    let template = jido_dispatch::builtin::transforms()
        .into_iter()
        .find(|t| t.name == "template")
        .expect("builtin template")
        .component;
    std::fs::write(&component, template).expect("write component");
    let config = format!(
        r#"{SERVER}
[[transforms]]
name = "shape"
component = "shape.wasm"
tenant = "acme"
limits = {{ call_timeout = 500 }}

[[subscriptions]]
path = "**"
dispatch = [
  {{ adapter = "webhook", url = "{}", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
     transform = "shape", transform_options = {{ template = {{ text = "got $type" }} }} }},
  {{ adapter = "webhook", url = "{}", secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
     transform = "select", transform_options = {{ when = ["data.keep"] }} }},
]
"#,
        receiver.url("/shaped"),
        receiver.url("/dropped")
    );
    let serve = Serve::start(&dir, &config);
    let post = async |serve: &Serve, n: usize| {
        for _ in 0..n {
            let (status, body) = serve.event(json!({"type": "t.x", "source": "/r"})).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        }
        n
    };
    let (status, body) = serve.event(json!({"type": "t.x", "source": "/r", "id": "f-1"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mut sent = 1 + post(&serve, 19).await;
    let reload = async {
        let (status, body) = serve.admin(Method::POST, "/admin/adapters/reload", None).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"reloaded": ["shape"]})));
    };
    let (posted, ()) = tokio::join!(post(&serve, 40), reload);
    sent += posted;
    receiver.wait_for(sent, Duration::from_secs(30)).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), sent, "every signal delivered once");
    for request in &requests {
        assert_eq!(request.path, "/shaped", "the other target's transform drops every signal");
        let body: serde_json::Value = serde_json::from_slice(&request.body).expect("json");
        assert_eq!(body["data"], json!({"text": "got t.x"}));
    }
    // The history shows the drop as a `filtered` attempt of the second lane.
    let shown = serve
        .until("/admin/signals/f-1", |v| {
            v["lanes"].as_array().is_some_and(|l| l.iter().any(|lane| lane["outcome"] == json!("filtered")))
        })
        .await;
    let outcomes: Vec<&serde_json::Value> =
        shown["lanes"].as_array().expect("lanes").iter().map(|l| &l["outcome"]).collect();
    assert!(outcomes.contains(&&json!("ok")) && outcomes.contains(&&json!("filtered")), "{shown}");

    // A transform granted http is refused by `config check` rather than silently ignored.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, config.replace("tenant = \"acme\"", "grants = { http = [\"https://x.example\"] }"))
        .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jido-dispatch"))
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("transforms[0]"), "{stderr}");
    assert!(stderr.contains("a transform imports neither http nor channel"), "{stderr}");
}
