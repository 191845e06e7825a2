//! The daemon embedded as a library: a process can start and stop it again and again. Each
//! runtime reserves address space for its Wasm instance pool; a stopped daemon must release
//! its runtime (its store writer used to keep it alive), or a few restarts exhaust it.

use jido_dispatch::Runtime;
use jido_dispatch::daemon::{Config, Daemon};
use reqwest::StatusCode;

use crate::support::temp_dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_starts_and_stops_the_daemon_twenty_times() {
    let cache = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-cache");
    for round in 0..20 {
        let dir = temp_dir(&format!("embedded-{round}"));
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[store]\npath = {:?}\n[[subscriptions]]\npath = \"a.*\"\ndispatch = {{ adapter = \"noop\" }}\n",
            dir.join("store.sqlite").display().to_string()
        );
        let config = Config::parse(&text, "embedded", dir.clone()).expect("config");
        let daemon = Daemon::start(config, Runtime::builder().compile_cache(Some(cache.clone())))
            .await
            .unwrap_or_else(|e| panic!("start {round}: {e}"));
        let response = reqwest::Client::new()
            .post(format!("http://{}/signals", daemon.address()))
            .header("content-type", "application/cloudevents+json")
            .body(r#"{"type":"a.b","source":"/s"}"#)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::ACCEPTED, "round {round}");
        daemon.shutdown().await;
    }
}
