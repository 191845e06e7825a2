//! Starting the real `jido-dispatch serve` binary with a config, and talking to it.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::Value;

/// A fresh directory under the target's tmp dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("serve")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `serve` with `config` (TOML without `[store]`: the store goes into `dir`) where it
/// is expected not to start: its exit code and stderr.
pub fn failed_start(dir: &Path, config: &str) -> (Option<i32>, String) {
    let file = dir.join("config.toml");
    let store = dir.join("store.sqlite");
    std::fs::write(&file, format!("[store]\npath = {:?}\n\n{config}", store.display().to_string()))
        .expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_jido-dispatch"))
        .args(["serve", "--config"])
        .arg(&file)
        .env("JIDO_DISPATCH_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-cache"))
        .output()
        .expect("runs");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A running daemon process.
#[derive(Debug)]
pub struct Serve {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    config: PathBuf,
    /// Its stderr log, for failure messages.
    pub log: PathBuf,
}

impl Serve {
    /// Writes `config` (TOML, without `[store]`: the store goes into `dir`) and starts
    /// the binary on a free port; returns once it listens. Keys before the config's first
    /// table are more `[store]` keys.
    ///
    /// With `JIDO_TEST_STORE=jetstream` (`tests/run` runs the suite both ways), a config
    /// that names no `[cluster]` and no store kind gets `kind = "jetstream"` on a NATS server
    /// shared by the test process, with its own prefix: the same tests, the other store.
    /// `tests/run` starts a three-node cluster for it (`JIDO_TEST_NATS_URLS`, replicas 3).
    pub fn start(dir: &Path, config: &str) -> Serve {
        let file = dir.join("config.toml");
        let store = dir.join("store.sqlite");
        let mut text = format!("[store]\npath = {:?}\n", store.display().to_string());
        let jetstream = std::env::var("JIDO_TEST_STORE").is_ok_and(|kind| kind == "jetstream")
            && !config.contains("[cluster]")
            && !config.contains("kind =");
        if jetstream {
            let prefix: String = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            let replicas = shared_jetstream().1;
            text.push_str(&format!("kind = \"jetstream\"\nprefix = \"{prefix}\"\nreplicas = {replicas}\n"));
        }
        text.push('\n');
        text.push_str(config);
        if jetstream {
            text.push_str(&format!("\n[cluster]\nnats_url = \"{}\"\n", shared_jetstream().0));
        }
        std::fs::write(&file, text).expect("write config");
        Serve::start_file(&file)
    }

    /// Starts the binary on `file` (again, e.g. after a kill).
    pub fn start_file(file: &Path) -> Serve {
        let dir = file.parent().expect("config dir");
        let log =
            dir.join(format!("serve-{}.log", std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos())));
        let mut child = Command::new(env!("CARGO_BIN_EXE_jido-dispatch"))
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(file)
            .env("JIDO_DISPATCH_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-cache"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("the binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        // The binary prints its address once it listens: that line is the readiness signal.
        stdout.read_line(&mut line).expect("read stdout");
        // Keep draining stdout (console output) so the daemon never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let Some(base) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            panic!("serve did not start: {line:?}\n{}", std::fs::read_to_string(&log).unwrap_or_default());
        };
        Serve { child: Some(child), base: base.to_owned(), config: file.to_owned(), log }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Kills the process with SIGKILL (no shutdown at all).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
        child.wait().expect("exits")
    }

    /// Starts the same config again.
    pub fn restart(&mut self) {
        self.kill();
        *self = Serve::start_file(&self.config.clone());
    }

    /// POSTs `body` to `path` with a content type (and extra headers).
    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), headers)
    }

    /// POSTs one structured event.
    pub async fn event(&self, event: Value) -> (StatusCode, Value) {
        let (status, body, _) =
            self.post("/signals", "application/cloudevents+json", event.to_string(), &[]).await;
        (status, body)
    }

    /// A request with the admin token `admin`.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth("admin-secret");
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Polls the admin route `path` until `ready` holds for its body (30 s at most).
    pub async fn until(&self, path: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (status, body) = self.admin(reqwest::Method::GET, path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            if ready(&body) {
                return body;
            }
            assert!(tokio::time::Instant::now() < deadline, "{path} never got ready: {body}");
            tokio::task::yield_now().await;
        }
    }

    /// GET `path` as text.
    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = reqwest::get(format!("{}{path}", self.base)).await.expect("request");
        (response.status(), response.text().await.expect("body"))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The servers the JetStream pass shares, and the replicas to ask for: the three-node
/// cluster of `JIDO_TEST_NATS_URLS` (started by `tests/run`; replicas 3), or else one
/// `nats-server -js` started on first use (replicas 1), which a watchdog shell ends when
/// the test process exits, so no server outlives the tests.
fn shared_jetstream() -> &'static (String, usize) {
    static SHARED: std::sync::OnceLock<(String, usize)> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        if let Ok(urls) = std::env::var("JIDO_TEST_NATS_URLS")
            && !urls.trim().is_empty()
        {
            return (urls, 3);
        }
        let addr = crate::nats::free_port();
        let dir = temp_dir("nats-jetstream");
        let nats = crate::nats::binary();
        let script = format!(
            "{nats} -a 127.0.0.1 -p {} -js -sd {} >/dev/null 2>&1 & n=$!; \
             while kill -0 {} 2>/dev/null; do sleep 1; done; kill $n",
            addr.port(),
            dir.display(),
            std::process::id()
        );
        let mut watchdog = Command::new("sh").args(["-c", &script]).spawn().expect("sh starts nats-server");
        // Reaped when it ends (after the tests); the process may exit first, which is fine.
        std::thread::spawn(move || watchdog.wait());
        crate::nats::wait_listening(addr);
        (format!("nats://{addr}"), 1)
    })
}
