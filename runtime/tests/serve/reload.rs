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
